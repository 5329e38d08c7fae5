"""Checks on uploaded sound: the container sniffed from the bytes, read by FFmpeg (PyAV), its
duration measured from the packets themselves."""
from typing import BinaryIO, NamedTuple

import av

from core.blocking import offload

# Sniffed MIME type (as libmagic names it) -> the one FFmpeg demuxer allowed to read it. The
# demuxer is forced, never guessed: FFmpeg's probing knows playlist and reference formats
# (HLS, concat, mov's external references) that would open other files, and none of these does.
CONTAINERS = {
    "video/webm": "matroska", "audio/webm": "matroska", "video/x-matroska": "matroska",
    "audio/x-matroska": "matroska",
    "audio/ogg": "ogg", "application/ogg": "ogg", "video/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/x-m4a": "mov", "audio/mp4": "mov", "video/mp4": "mov",
    "audio/x-wav": "wav", "audio/wav": "wav",
    "audio/flac": "flac", "audio/x-flac": "flac",
    "audio/x-hx-aac-adts": "aac", "audio/aac": "aac",
}

# Demuxer -> (the codecs a browser plays from it, the MIME type it is served as).
PLAYABLE = {
    "matroska": ({"opus", "vorbis"}, "audio/webm"),
    "ogg": ({"opus", "vorbis", "flac"}, "audio/ogg"),
    "mp3": ({"mp3"}, "audio/mpeg"),
    "mov": ({"aac", "mp3"}, "audio/mp4"),
    "wav": ({"pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le"}, "audio/wav"),
    "flac": ({"flac"}, "audio/flac"),
    "aac": ({"aac"}, "audio/aac"),
}

# The types an audio attachment is served as (inline, to the <audio> player).
AUDIO_TYPES = frozenset(mime for _codecs, mime in PLAYABLE.values())

# A file whose packets outnumber this is not read to its end (about 3 hours of 20 ms Opus
# frames): the walk costs Python per packet, and a crafted file could hold millions of tiny ones.
MAX_PACKETS = 500_000
DECODED_PACKETS = 50  # what a file's check decodes; a voice message is decoded whole


class AudioInfo(NamedTuple):
    """Sound that a browser can play: the MIME type to serve it as, its codec (FFmpeg's
    name: "opus", "mp3", ...) and its duration in seconds."""

    mime: str
    codec: str
    duration: float


class AudioRefused(Exception):
    """The bytes are not sound a browser plays. `reason` is one of "not_audio" (no playable
    audio, or an unknown container or codec), "video" (sound only was required, and there
    is more), "damaged" (a known container FFmpeg cannot read through), "empty" (no sound)
    or "too_long" (over the limit asked for); callers turn it into a translated message."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def is_audio_container(sniffed: str) -> bool:
    """True when `sniffed` (a libmagic MIME type) names a container `read_audio` reads."""
    return sniffed in CONTAINERS


def read_audio(source: BinaryIO, sniffed: str, sound_only: bool = False,
               max_seconds: float | None = None) -> AudioInfo:
    """Read `source` (a seekable binary file, from its start) as sound and measure it.

    `sniffed` is the libmagic type of its bytes and picks the one demuxer allowed (CONTAINERS).
    The first audio stream must use a codec browsers play in that container (PLAYABLE). With
    `sound_only` (a voice message) it must be the only stream; otherwise other streams may
    only be attached pictures (an MP3's cover). The duration is the end of the last packet
    (pts + duration, in the stream's time base) less the stream's start: MediaRecorder's WebM
    carries no duration in its header, and a header could lie. With `sound_only` every
    packet is decoded too (a damaged one refuses the file); otherwise the first
    DECODED_PACKETS are. Reading stops as soon as the sound passes `max_seconds`.

    Needs no app context (it runs in a worker thread: core.blocking.offload). Returns an
    AudioInfo; raises AudioRefused.
    """
    demuxer = CONTAINERS.get(sniffed)
    if demuxer is None:
        raise AudioRefused("not_audio")
    codecs, mime = PLAYABLE[demuxer]
    try:
        container = av.open(source, mode="r", format=demuxer, metadata_errors="replace")
    except (av.FFmpegError, ValueError, OSError):
        raise AudioRefused("damaged") from None
    with container:
        sound = [s for s in container.streams if s.type == "audio"]
        others = [s for s in container.streams if s.type != "audio"]
        if not sound:
            raise AudioRefused("video" if others and sound_only else "not_audio")
        if sound_only and (others or len(sound) > 1):
            raise AudioRefused("video")
        if any(not (s.type == "video" and s.disposition & av.stream.Disposition.attached_pic) for s in others):
            raise AudioRefused("not_audio")
        stream = sound[0]
        codec = stream.codec_context.codec.canonical_name if stream.codec_context else ""
        if codec not in codecs:
            raise AudioRefused("not_audio")
        duration = _measure(container, stream, None if sound_only else DECODED_PACKETS, max_seconds)
    if duration <= 0:
        raise AudioRefused("empty")
    return AudioInfo(mime, codec, duration)


def _measure(container, stream, decoded: int | None, max_seconds: float | None) -> float:
    # Walks the stream's packets: the end of the last one, less the first one's start (or
    # zero: Opus and AAC start with negative timestamps for their priming samples).
    start, end, count = None, 0.0, 0
    try:
        for packet in container.demux(stream):
            if packet.pts is None or packet.time_base is None:
                continue  # the flushing packet, or one without a time
            count += 1
            if count > MAX_PACKETS:
                raise AudioRefused("too_long" if max_seconds is not None else "not_audio")
            at = float(packet.pts * packet.time_base)
            start = at if start is None else min(start, at)
            end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
            if max_seconds is not None and end - max(start, 0.0) > max_seconds:
                raise AudioRefused("too_long")
            if decoded is None or count <= decoded:
                stream.codec_context.decode(packet)
    except av.FFmpegError:
        raise AudioRefused("damaged") from None
    if start is None:
        return 0.0
    return end - max(start, 0.0)


def audio_of(upload: BinaryIO, sniffed: str) -> AudioInfo | None:
    """The sound of an uploaded file (a seekable binary file, read from its start and
    rewound) when it is audio a browser plays (`read_audio`: an MP3's cover picture allowed,
    the first packets decoded), read in a worker thread (core.blocking.offload); None for
    anything else, damaged audio and video included."""
    if not is_audio_container(sniffed):
        return None
    try:
        return offload(read_audio, upload, sniffed)
    except AudioRefused:
        return None
    finally:
        upload.seek(0)
