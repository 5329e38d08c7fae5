"""What GET /attachments/<id> sends back: the headers every download carries, ranges and
validators, and file names in the Content-Disposition header."""
import pytest

from tests.support.api import get
from tests.support.uploads import (KB, content_disposition, file_part, image_bytes, noise, raw_multipart,
                                   uploaded)


LOCKED_DOWN = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}


# Headers of every download

def _download_requests(message):
    url, thumbnail = message["attachment"]["url"], message["attachment"]["thumbnail_url"]
    return {
        "200": (url, {}, 200),
        "206": (url, {"Range": "bytes=0-9"}, 206),
        "416": (url, {"Range": "bytes=999999-"}, 416),
        "thumbnail": (thumbnail, {}, 200),
        "download": (url + "?download=1", {}, 200),
    }


@pytest.mark.parametrize("case", ["200", "206", "304", "416", "thumbnail", "thumbnail-304", "download"])
def test_every_download_response_is_locked_down(app, direct, as_, case):
    message = uploaded(as_("alice"), direct, image_bytes("PNG", size=(200, 100)), "photo.png")
    bob = as_("bob")
    if case.endswith("304"):
        url = message["attachment"]["thumbnail_url" if case.startswith("thumbnail") else "url"]
        etag = get(bob, url).headers["ETag"]
        url, headers, status = url, {"If-None-Match": etag}, 304
    else:
        url, headers, status = _download_requests(message)[case]
    response = get(bob, url, **headers)
    assert response.status_code == status
    for name, value in LOCKED_DOWN.items():
        assert response.headers.get(name) == value, name
    assert "private" in response.headers.get("Cache-Control", "")
    assert "public" not in response.headers.get("Cache-Control", "")


# Ranges and validators

@pytest.fixture
def ten_kb(app, direct, as_):
    """(download URL, bytes) of a 10,240-byte file alice sent bob."""
    data = noise(10 * KB)
    return uploaded(as_("alice"), direct, data, "data.bin")["attachment"]["url"], data


def test_full_download_offers_ranges(app, as_, ten_kb):
    url, data = ten_kb
    response = get(as_("bob"), url)
    assert response.status_code == 200
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.content_length == len(data)
    assert response.data == data


@pytest.mark.parametrize("header, start, end", [
    ("bytes=0-99", 0, 99),
    ("bytes=100-199", 100, 199),
    ("bytes=10000-", 10000, 10239),  # open-ended
    ("bytes=-240", 10000, 10239),  # the last 240 bytes
    ("bytes=10200-99999", 10200, 10239),  # past the end: cut at the end
    ("bytes=10239-10239", 10239, 10239),  # the very last byte
], ids=["first-100", "middle", "open-ended", "suffix", "past-the-end", "last-byte"])
def test_range_request_gets_that_part(app, as_, ten_kb, header, start, end):
    url, data = ten_kb
    response = get(as_("bob"), url, Range=header)
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/{len(data)}"
    assert response.content_length == end - start + 1
    assert response.data == data[start:end + 1]


@pytest.mark.parametrize("header", ["bytes=10240-", "bytes=20000-30000"])
def test_range_beyond_the_file_gets_416(app, as_, ten_kb, header):
    url, data = ten_kb
    response = get(as_("bob"), url, Range=header)
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(data)}"
    assert data[:100] not in response.data


@pytest.mark.parametrize("header", ["bytes=abc", "bytes=9-3", "pages=1-2"])
def test_malformed_range_never_gets_a_wrong_part(app, as_, ten_kb, header):
    # RFC 9110 section 14.2: an invalid or unknown range may be ignored (200) or refused (416).
    url, data = ten_kb
    response = get(as_("bob"), url, Range=header)
    assert response.status_code in (200, 416)
    if response.status_code == 200:
        assert response.data == data


def test_request_for_several_ranges_gets_the_whole_file(app, as_, ten_kb):
    url, data = ten_kb
    response = get(as_("bob"), url, Range="bytes=0-9,100-109")
    assert response.status_code == 200
    assert response.data == data


def test_range_of_a_thumbnail(app, direct, as_):
    message = uploaded(as_("alice"), direct, image_bytes("PNG", size=(300, 300)), "square.png")
    whole = get(as_("bob"), message["attachment"]["thumbnail_url"]).data
    response = get(as_("bob"), message["attachment"]["thumbnail_url"], Range="bytes=0-11")
    assert response.status_code == 206
    assert response.data == whole[:12]


def test_unchanged_file_is_not_sent_again(app, as_, ten_kb):
    url, _data = ten_kb
    etag = get(as_("bob"), url).headers["ETag"]
    response = get(as_("bob"), url, **{"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag


def test_other_etag_gets_the_file(app, as_, ten_kb):
    url, data = ten_kb
    response = get(as_("bob"), url, **{"If-None-Match": '"something-else"'})
    assert response.status_code == 200
    assert response.data == data


def test_if_modified_since_gets_304(app, as_, ten_kb):
    url, _data = ten_kb
    last_modified = get(as_("bob"), url).headers["Last-Modified"]
    assert get(as_("bob"), url, **{"If-Modified-Since": last_modified}).status_code == 304


def test_resumed_download_with_the_same_etag_gets_the_rest(app, as_, ten_kb):
    url, data = ten_kb
    etag = get(as_("bob"), url).headers["ETag"]
    response = get(as_("bob"), url, Range="bytes=5000-", **{"If-Range": etag})
    assert response.status_code == 206
    assert response.data == data[5000:]


def test_resumed_download_with_a_stale_etag_gets_the_whole_file(app, as_, ten_kb):
    url, data = ten_kb
    response = get(as_("bob"), url, Range="bytes=5000-", **{"If-Range": '"stale"'})
    assert response.status_code == 200
    assert response.data == data


def test_different_files_have_different_etags(app, direct, as_):
    first = uploaded(as_("alice"), direct, noise(KB), "a.bin")
    second = uploaded(as_("alice"), direct, noise(KB), "b.bin")
    etags = {get(as_("bob"), m["attachment"]["url"]).headers["ETag"] for m in (first, second)}
    assert len(etags) == 2


# File names in the download header

def test_chinese_file_name_survives_the_download(app, direct, as_):
    message = uploaded(as_("alice"), direct, b"minutes", "会议记录 2024.txt")
    assert message["attachment"]["name"] == "会议记录 2024.txt"
    response = get(as_("bob"), message["attachment"]["url"])
    kind, fallback, exact = content_disposition(response)
    assert kind == "attachment"
    assert exact == "会议记录 2024.txt"
    assert fallback.isascii() and fallback.endswith(".txt")
    response.headers["Content-Disposition"].encode("latin-1")  # a header must be ISO-8859-1


def test_accented_file_name_has_a_readable_ascii_fallback(app, direct, as_):
    message = uploaded(as_("alice"), direct, b"cv", "Résumé Zoë.pdf")
    _kind, fallback, exact = content_disposition(get(as_("bob"), message["attachment"]["url"]))
    assert (fallback, exact) == ("Resume Zoe.pdf", "Résumé Zoë.pdf")


def test_dot_dot_slash_in_a_file_name_is_only_a_name(app, direct, as_):
    message = uploaded(as_("alice"), direct, b"x", "../../etc/passwd")
    _kind, fallback, exact = content_disposition(get(as_("bob"), message["attachment"]["url"]))
    assert "/" not in fallback and "/" not in exact
    assert exact.endswith("passwd")


def test_crlf_in_a_file_name_cannot_add_a_header(app, direct, as_):
    name = "evil\r\nSet-Cookie: stolen=1\r\n\r\n.txt"
    response = raw_multipart(as_("alice"), direct, [(file_part(name), b"x")])
    assert response.status_code == 201, response.get_data(as_text=True)
    download = get(as_("bob"), response.get_json()["attachment"]["url"])
    assert download.status_code == 200
    assert not any("stolen" in value for name, value in download.headers if name != "Content-Disposition")
    value = download.headers["Content-Disposition"]
    assert "\r" not in value and "\n" not in value
    _kind, fallback, exact = content_disposition(download)
    assert "\r" not in exact and "\n" not in exact
    assert "stolen" in exact  # the rest of the name is kept as text


def test_quotes_in_a_file_name_do_not_break_the_header(app, direct, as_):
    response = raw_multipart(as_("alice"), direct, [(file_part('say "hi"; filename=evil.html'), b"x")])
    assert response.get_json()["attachment"]["name"] == 'say "hi"; filename=evil.html'
    _kind, fallback, exact = content_disposition(get(as_("bob"), response.get_json()["attachment"]["url"]))
    assert exact == 'say "hi"; filename=evil.html'
    assert '"' not in fallback


def test_file_name_of_dots_only_downloads_as_file(app, direct, as_):
    message = uploaded(as_("alice"), direct, b"x", "..")
    _kind, fallback, _exact = content_disposition(get(as_("bob"), message["attachment"]["url"]))
    assert fallback.strip(".") != ""


def test_bidi_override_cannot_disguise_the_extension(app, direct, as_):
    message = uploaded(as_("alice"), direct, b"MZ" + noise(100), "invoice\u202egpj.exe")
    assert "\u202e" not in message["attachment"]["name"]
    assert message["attachment"]["name"].endswith(".exe")
