"""Real sound for the voice and audio tests, encoded by PyAV (FFmpeg): a 400 Hz tone of any
length in any container the site reads, with a video track when asked; and voice uploads
through the API."""
import functools
import io
import math
import struct
from fractions import Fraction

import av

from tests.support.api import API

# Container (PyAV's format name) -> (audio encoder, sample rate, file extension).
FORMATS = {
    "webm": ("libopus", 48000, ".webm"),
    "ogg": ("libopus", 48000, ".ogg"),
    "mp3": ("libmp3lame", 44100, ".mp3"),
    "ipod": ("aac", 44100, ".m4a"),
    "wav": ("pcm_s16le", 44100, ".wav"),
    "flac": ("flac", 44100, ".flac"),
}
TONE_HZ = 400
FRAME_SAMPLES = 960  # 20 ms at 48 kHz


def _period(rate: int) -> bytes:
    # One second of the tone as 16-bit samples: repeated, every frame is a slice of it.
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * TONE_HZ * i / rate))) for i in range(rate))


@functools.lru_cache(maxsize=None)
def tone(seconds: float, fmt: str = "webm", video: bool = False) -> bytes:
    """`seconds` of a 400 Hz tone (mono) encoded in container `fmt` (a FORMATS key), with a
    tiny VP8 (WebM) or MPEG-4 video track beside it when `video`. Made once per process."""
    codec, rate, _ext = FORMATS[fmt]
    second = _period(rate)
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.layout = "mono"
        picture = None
        if video:
            picture = container.add_stream("libvpx" if fmt == "webm" else "mpeg4", rate=10)
            picture.width, picture.height, picture.pix_fmt = 32, 32, "yuv420p"
        total = int(seconds * rate)
        for start in range(0, total, FRAME_SAMPLES):
            count = min(FRAME_SAMPLES, total - start)
            at = (start % rate) * 2
            samples = (second + second)[at:at + count * 2]
            frame = av.AudioFrame(format="s16", layout="mono", samples=count)
            frame.planes[0].update(samples)
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
        if picture is not None:
            for n in range(int(seconds * 10)):
                image = av.VideoFrame(32, 32, "yuv420p")
                image.pts = n
                container.mux(picture.encode(image))
            container.mux(picture.encode(None))
    return out.getvalue()


def extension(fmt: str) -> str:
    """The usual file extension of container `fmt` (".webm", ".m4a", ...)."""
    return FORMATS[fmt][2]


def send_voice(browser, conversation_id: int, data: bytes, filename: str = "voice.webm", **fields):
    """POST `data` as a voice message (the `file` part, with optional client_id / reply_to)."""
    client, headers = browser
    form = {"file": (io.BytesIO(data), filename, "audio/webm"), **fields}
    return client.post(f"{API}/conversations/{conversation_id}/voice", data=form, headers=headers,
                       content_type="multipart/form-data")


def sent_voice(browser, conversation_id: int, data: bytes, **kwargs) -> dict:
    """Send a voice message and return the stored message (the send must succeed)."""
    response = send_voice(browser, conversation_id, data, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()
