"""Audio sent as a file plays in the page: its length is read and kept, and it is served
inline as its audio type (with Range, for seeking); every other file still downloads."""
import os

import pytest

from tests.support.api import get
from tests.support.sound import extension, sent_voice, tone
from tests.support.uploads import content_disposition, image_bytes, uploaded

LOCKED_DOWN = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}


@pytest.mark.parametrize("fmt, mime", [
    ("mp3", "audio/mpeg"), ("ogg", "audio/ogg"), ("ipod", "audio/mp4"), ("wav", "audio/wav"),
    ("flac", "audio/flac"), ("webm", "audio/webm"),
])
def test_audio_file_keeps_its_length(app, direct, as_, fmt, mime):
    message = uploaded(as_("alice"), direct, tone(2, fmt), "song" + extension(fmt))
    attachment = message["attachment"]
    assert message["kind"] == "file"
    assert attachment["kind"] == "file"
    assert attachment["mime"] == mime
    assert attachment["duration"] == pytest.approx(2.0, abs=0.1)
    assert attachment["name"] == "song" + extension(fmt)


def test_a_long_audio_file_is_fine(app, direct, as_):
    message = uploaded(as_("alice"), direct, tone(61, "ogg"), "talk.ogg")
    assert message["attachment"]["duration"] == pytest.approx(61.0, abs=0.1)


@pytest.mark.parametrize("data, name", [
    (tone(2, video=True), "clip.webm"),
    (b"ID3" + os.urandom(4000), "broken.mp3"),
    (b"just words\n" * 100, "notes.mp3"),
], ids=["video", "damaged-mp3", "text-named-mp3"])
def test_what_is_not_playable_sound_stays_a_plain_file(app, direct, as_, data, name):
    attachment = uploaded(as_("alice"), direct, data, name)["attachment"]
    assert attachment["kind"] == "file"
    assert attachment["duration"] is None
    assert not attachment["mime"].startswith("audio/")


# Serving

@pytest.fixture
def sounds(app, direct, as_):
    """The download URLs of a voice message and of an MP3 file alice sent bob."""
    voice = sent_voice(as_("alice"), direct, tone(2))["attachment"]
    song = uploaded(as_("alice"), direct, tone(2, "mp3"), "song.mp3")["attachment"]
    return {"voice": (voice["url"], "audio/webm"), "file": (song["url"], "audio/mpeg")}


@pytest.mark.parametrize("which", ["voice", "file"])
def test_sound_is_served_inline_as_audio_and_locked_down(app, as_, sounds, which):
    url, mime = sounds[which]
    response = get(as_("bob"), url)
    assert response.status_code == 200
    assert response.mimetype == mime
    assert content_disposition(response)[0] == "inline"
    for name, value in LOCKED_DOWN.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Accept-Ranges"] == "bytes"


@pytest.mark.parametrize("which", ["voice", "file"])
def test_the_player_can_seek_with_a_range(app, as_, sounds, which):
    url, mime = sounds[which]
    whole = get(as_("bob"), url).data
    response = get(as_("bob"), url, Range="bytes=1000-1999")
    assert response.status_code == 206
    assert response.mimetype == mime
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"
    assert response.data == whole[1000:2000]
    for name, value in LOCKED_DOWN.items():
        assert response.headers.get(name) == value, name


def test_sound_downloads_when_asked(app, as_, sounds):
    url, _mime = sounds["file"]
    response = get(as_("bob"), url + "?download=1")
    assert content_disposition(response)[0] == "attachment"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("data, name", [
    (b"<!doctype html><title>x</title><script>alert(1)</script>", "page.html"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "picture.svg"),
    (tone(2, video=True), "clip.webm"),
    (image_bytes("PNG")[:40] + b"not really", "half.png"),
], ids=["html", "svg", "video", "broken-png"])
def test_other_files_are_still_downloads(app, direct, as_, data, name):
    url = uploaded(as_("alice"), direct, data, name)["attachment"]["url"]
    response = get(as_("bob"), url)
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert content_disposition(response)[0] == "attachment"
    for header, value in LOCKED_DOWN.items():
        assert response.headers.get(header) == value, header


def test_sound_is_not_served_to_others(app, as_, sounds):
    url, _mime = sounds["voice"]
    assert get(as_("carol"), url).status_code == 404
