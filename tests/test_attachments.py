"""Images and files in chat through POST /api/v1/conversations/<id>/attachments and
GET /attachments/<id>: what becomes an image, the limits, storage in the upload folder, who
may download, the headers every download carries, ranges and validators, file names, recall
and the events an upload records."""
import base64
import io
import re
import uuid
from datetime import timedelta
from urllib.parse import unquote

import pytest
from PIL import Image, ImageCms, PngImagePlugin
from sqlalchemy import func, select

from extensions import db
from models import Message
from tests.conftest import make_app
from tests.helpers import (add_to_group, assert_error, make_friends, make_user, quick_client, quit_group,
                           remove_from_group)
from tests.uploads import (KB, MB, blob_names, cursor, events_of, file_part, get, image_bytes, noise,
                           noisy_png, raw_multipart, recall, stored_files, upload, uploaded)
# The shared fixtures, used by name in the tests below.
from tests.conversations import as_, direct, group  # noqa: F401
from tests.uploads import people  # noqa: F401

HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10"/></svg>\n')
LOCKED_DOWN = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"}


@pytest.fixture
def restore_pillow_limit(monkeypatch):
    # The upload check sets Pillow's global bomb limit from the app's MAX_IMAGE_PIXELS; a
    # small limit must not leak into later tests.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


def small_app(database, mailbox, tmp_path, **overrides):
    """An app with limits small enough to cross cheaply: images 1 MB, files 2 MB, 1 MB of
    storage per person; alice and bob are friends. Returns (app, direct conversation id)."""
    settings = {"IMAGE_MAX_BYTES": MB, "FILE_MAX_BYTES": 2 * MB, "UPLOAD_QUOTA_BYTES": MB, **overrides}
    app = make_app(database, mailbox, tmp_path, **settings)
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    return app, make_friends(app, alice, bob)


@pytest.fixture
def small(database, mailbox, tmp_path):
    app, direct = small_app(database, mailbox, tmp_path)
    yield app, direct, quick_client(app, "alice")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def unfriend(browser, friend_id: int) -> None:
    client, headers = browser
    assert client.delete(f"/api/v1/friends/{friend_id}", headers=headers).status_code == 204


def decoded(response) -> Image.Image:
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


def backdate(app, message_id: int, seconds: float) -> None:
    """Make message `message_id` look sent `seconds` earlier than it was."""
    with app.app_context():
        message = db.session.get(Message, message_id)
        message.created_at -= timedelta(seconds=seconds)
        db.session.commit()


def message_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


def content_disposition(response) -> tuple[str, str, str]:
    """(disposition type, ASCII `filename`, decoded RFC 8187 `filename*`) of a download."""
    value = response.headers["Content-Disposition"]
    kind = value.split(";")[0].strip()
    fallback = re.search(r'filename="((?:[^"\\]|\\.)*)"', value)
    extended = re.search(r"filename\*=UTF-8''([^;\s]+)", value)
    assert fallback and extended, value
    return kind, fallback.group(1), unquote(extended.group(1), errors="strict")


# What becomes an image

@pytest.mark.parametrize("fmt, mime", [
    ("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
])
def test_picture_is_sent_as_an_image_with_its_size(app, direct, as_, fmt, mime):
    message = uploaded(as_("alice"), direct, image_bytes(fmt, size=(64, 48)), f"photo.{fmt.lower()}")
    attachment = message["attachment"]
    assert (message["kind"], attachment["kind"], attachment["mime"]) == ("image", "image", mime)
    assert (attachment["width"], attachment["height"]) == (64, 48)
    assert attachment["thumbnail_url"] == attachment["url"] + "/thumbnail"


@pytest.mark.parametrize("fmt, mime", [
    ("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
])
def test_picture_opens_in_the_browser_as_that_type(app, direct, as_, fmt, mime):
    message = uploaded(as_("alice"), direct, image_bytes(fmt, size=(64, 48)), f"photo.{fmt.lower()}")
    response = get(as_("bob"), message["attachment"]["url"])
    assert response.status_code == 200
    assert response.mimetype == mime
    assert content_disposition(response)[0] == "inline"
    assert decoded(response).size == (64, 48)


def test_image_keeps_its_colours(app, direct, as_):
    message = uploaded(as_("alice"), direct, image_bytes("PNG", colour=(10, 120, 240)), "blue.png")
    image = decoded(get(as_("bob"), message["attachment"]["url"]))
    assert image.convert("RGB").getpixel((10, 10)) == (10, 120, 240)


def test_thumbnail_is_a_small_webp_of_the_picture(app, direct, as_):
    message = uploaded(as_("alice"), direct, image_bytes("JPEG", size=(1200, 600)), "wide.jpg")
    response = get(as_("bob"), message["attachment"]["thumbnail_url"])
    assert response.status_code == 200
    assert response.mimetype == "image/webp"
    thumbnail = decoded(response)
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (app.config["THUMBNAIL_SIZE"], app.config["THUMBNAIL_SIZE"] // 2)


def test_file_has_no_thumbnail(app, direct, as_):
    message = uploaded(as_("alice"), direct, b"shopping list\n", "list.txt")
    assert message["attachment"]["thumbnail_url"] is None
    assert get(as_("bob"), message["attachment"]["url"] + "/thumbnail").status_code == 404


def test_photo_location_and_camera_are_not_passed_on(app, direct, as_):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x0110] = "Model X-Ray"  # Model
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS position
    photo = image_bytes("JPEG", size=(200, 200), exif=exif)
    assert b"SpyCam" in photo  # the upload really carries it
    message = uploaded(as_("alice"), direct, photo, "photo.jpg")
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        response = get(as_("bob"), url)
        assert b"SpyCam" not in response.data and b"X-Ray" not in response.data
        image = decoded(response)
        assert not image.getexif()
        assert not {"exif", "xmp", "comment"} & set(image.info)


def test_png_text_chunks_are_not_passed_on(app, direct, as_):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address: 1 Secret Lane")
    info.add_itxt("Author", "Ada Lovelace", zip=True)
    picture = image_bytes("PNG", pnginfo=info)
    assert b"Secret Lane" in picture
    message = uploaded(as_("alice"), direct, picture, "drawing.png")
    response = get(as_("bob"), message["attachment"]["url"])
    assert b"Secret Lane" not in response.data
    assert not {b"tEXt", b"iTXt", b"zTXt"} & set(re.findall(rb"[a-zA-Z]{4}", response.data[8:]))
    assert not {"Comment", "Author"} & set(decoded(response).info)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_colour_profile_is_applied_not_passed_on(app, direct, as_, fmt):
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = image_bytes(fmt, size=(100, 100), colour=(10, 120, 240), icc_profile=profile)
    assert Image.open(io.BytesIO(picture)).info.get("icc_profile")
    message = uploaded(as_("alice"), direct, picture, f"photo.{fmt.lower()}")
    image = decoded(get(as_("bob"), message["attachment"]["url"]))
    assert not image.info.get("icc_profile")
    red, green, blue = image.convert("RGB").getpixel((50, 50))
    assert abs(red - 10) < 8 and abs(green - 120) < 8 and abs(blue - 240) < 8


@pytest.mark.parametrize("frames", [1, 3], ids=["still", "animated"])
def test_gif_comment_is_not_passed_on(app, direct, as_, frames):
    pictures = [Image.new("RGB", (32, 32), (index * 80, 0, 0)) for index in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, format="GIF", save_all=True, append_images=pictures[1:], duration=100, loop=0,
                     comment=b"home address: 1 Secret Lane")
    assert b"Secret Lane" in out.getvalue()
    message = uploaded(as_("alice"), direct, out.getvalue(), "wave.gif")
    response = get(as_("bob"), message["attachment"]["url"])
    assert b"Secret Lane" not in response.data
    assert getattr(decoded(response), "n_frames", 1) == frames


@pytest.mark.parametrize("frames", [1, 2], ids=["still", "animated"])
def test_webp_exif_is_not_passed_on(app, direct, as_, frames):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"
    pictures = [Image.new("RGB", (32, 32), (index * 90, 0, 0)) for index in range(frames)]
    out = io.BytesIO()
    pictures[0].save(out, format="WEBP", save_all=frames > 1, append_images=pictures[1:], exif=exif,
                     xmp=b"<x:xmpmeta>Secret Lane</x:xmpmeta>")
    assert b"SpyCam" in out.getvalue() and b"Secret Lane" in out.getvalue()
    message = uploaded(as_("alice"), direct, out.getvalue(), "photo.webp")
    assert message["kind"] == "image"
    response = get(as_("bob"), message["attachment"]["url"])
    assert b"SpyCam" not in response.data and b"Secret Lane" not in response.data


@pytest.mark.parametrize("fmt", ["BMP", "TIFF", "ICO"])
def test_other_picture_formats_are_downloads(app, direct, as_, fmt):
    message = uploaded(as_("alice"), direct, image_bytes(fmt, size=(32, 32)), f"picture.{fmt.lower()}")
    assert message["kind"] == "file"
    response = get(as_("bob"), message["attachment"]["url"])
    assert response.mimetype == "application/octet-stream"
    assert content_disposition(response)[0] == "attachment"


def test_sideways_photo_is_turned_upright(app, direct, as_):
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    message = uploaded(as_("alice"), direct, image_bytes("JPEG", size=(80, 40), exif=exif), "phone.jpg")
    attachment = message["attachment"]
    assert (attachment["width"], attachment["height"]) == (40, 80)
    assert decoded(get(as_("bob"), attachment["url"])).size == (40, 80)


def test_html_named_png_is_a_download_never_a_page(app, direct, as_):
    message = uploaded(as_("alice"), direct, HTML, "cute-cat.png", content_type="image/png")
    assert message["kind"] == "file"
    assert message["attachment"]["mime"] == "text/html"  # sniffed, not taken from the name
    response = get(as_("bob"), message["attachment"]["url"])
    assert response.mimetype == "application/octet-stream"
    assert content_disposition(response)[0] == "attachment"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == HTML


def test_html_hidden_behind_a_picture_is_not_passed_on(app, direct, as_):
    polyglot = image_bytes("PNG", size=(40, 40)) + HTML
    message = uploaded(as_("alice"), direct, polyglot, "innocent.png")
    assert message["kind"] == "image"
    response = get(as_("bob"), message["attachment"]["url"])
    assert b"<script>" not in response.data
    assert decoded(response).size == (40, 40)


def test_svg_is_a_download_never_a_picture(app, direct, as_):
    message = uploaded(as_("alice"), direct, SVG, "logo.svg", content_type="image/svg+xml")
    assert message["kind"] == "file"
    assert message["attachment"]["thumbnail_url"] is None
    response = get(as_("bob"), message["attachment"]["url"])
    assert response.mimetype == "application/octet-stream"
    assert content_disposition(response)[0] == "attachment"
    assert response.data == SVG


def test_inline_request_cannot_make_a_file_render(app, direct, as_):
    message = uploaded(as_("alice"), direct, SVG, "logo.svg", content_type="image/svg+xml")
    response = get(as_("bob"), message["attachment"]["url"] + "?download=0&inline=1", Accept="image/svg+xml")
    assert response.mimetype == "application/octet-stream"
    assert content_disposition(response)[0] == "attachment"


def test_damaged_png_is_a_file_not_an_image(app, direct, as_):
    damaged = image_bytes("PNG", size=(200, 200))[:120]  # the header promises more than follows
    response = upload(as_("alice"), direct, damaged, "broken.png", content_type="image/png")
    if response.status_code == 201:
        message = response.get_json()
        assert message["kind"] == "file" and message["attachment"]["thumbnail_url"] is None
        assert get(as_("bob"), message["attachment"]["url"]).mimetype == "application/octet-stream"
    else:
        assert_error(response, 400, "file")


def test_png_with_a_bad_checksum_is_never_shown_as_an_image(app, direct, as_):
    picture = bytearray(image_bytes("PNG", size=(40, 40)))
    picture[29] ^= 0xFF  # the header chunk's checksum
    response = upload(as_("alice"), direct, bytes(picture), "tampered.png", content_type="image/png")
    assert response.status_code in (201, 400), response.get_data(as_text=True)
    if response.status_code == 201:
        assert response.get_json()["kind"] == "file"


@pytest.mark.parametrize("side", [120, 200], ids=["just-over-the-limit", "over-twice-the-limit"])
def test_decompression_bomb_is_never_an_image(database, mailbox, tmp_path, restore_pillow_limit, side):
    # 120² = 14,400 pixels is where Pillow only warns; 200² = 40,000 is over twice the limit,
    # where it refuses outright. Neither may become an image.
    app, direct = small_app(database, mailbox, tmp_path, MAX_IMAGE_PIXELS=10_000)
    browser = quick_client(app, "alice")
    response = upload(browser, direct, image_bytes("PNG", size=(side, side)), "bomb.png", content_type="image/png")
    if response.status_code == 201:
        message = response.get_json()
        assert message["kind"] == "file" and message["attachment"]["thumbnail_url"] is None
        assert get(browser, message["attachment"]["url"]).mimetype == "application/octet-stream"
    else:
        assert_error(response, 400, "file")
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def gigapixel_png() -> bytes:
    """A 20000 × 20000 one-bit PNG: about 50 kB sent, 400 million pixels decoded."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    return out.getvalue()


def test_gigapixel_bomb_is_never_an_image_with_the_default_limit(app, direct, as_, restore_pillow_limit,
                                                                   gigapixel_png):
    response = upload(as_("alice"), direct, gigapixel_png, "bomb.png", content_type="image/png")
    if response.status_code == 201:
        assert response.get_json()["kind"] == "file"
    else:
        assert_error(response, 400, "file")


def test_image_within_the_pixel_limit_is_still_an_image(database, mailbox, tmp_path, restore_pillow_limit):
    app, direct = small_app(database, mailbox, tmp_path, MAX_IMAGE_PIXELS=10_000)
    message = uploaded(quick_client(app, "alice"), direct, image_bytes("PNG", size=(100, 100)), "ok.png")
    assert message["kind"] == "image"
    with app.app_context():
        db.engine.dispose()


def test_other_files_are_downloads_with_their_name(app, direct, as_):
    data = b"PK\x03\x04" + noise(200)
    message = uploaded(as_("alice"), direct, data, "holiday plans.zip", content_type="application/zip")
    assert message["kind"] == "file"
    assert message["attachment"]["name"] == "holiday plans.zip"
    assert message["attachment"]["size"] == len(data)
    response = get(as_("bob"), message["attachment"]["url"])
    assert response.mimetype == "application/octet-stream"
    assert content_disposition(response) == ("attachment", "holiday plans.zip", "holiday plans.zip")
    assert response.data == data


def test_caption_comes_with_the_picture(app, direct, as_):
    message = uploaded(as_("alice"), direct, image_bytes("PNG"), "sunset.png", caption="Look at <this>!")
    assert message["body"] == "Look at <this>!"
    assert "&lt;this&gt;" in message["html"]


# Refusals

def test_caption_over_5000_characters_is_refused(app, direct, as_):
    response = upload(as_("alice"), direct, image_bytes("PNG"), "sunset.png", caption="x" * 5001)
    assert_error(response, 400, "caption")
    assert message_count(app) == 0


def test_caption_of_5000_characters_is_accepted(app, direct, as_):
    assert uploaded(as_("alice"), direct, b"notes", "notes.txt", caption="x" * 5000)["body"] == "x" * 5000


def test_empty_file_is_refused(app, direct, as_):
    response = upload(as_("alice"), direct, b"", "empty.txt")
    assert "empty" in assert_error(response, 400, "file")["errors"]["file"][0]
    assert message_count(app) == 0


def test_upload_without_a_file_is_refused_clearly(app, direct, as_):
    client, headers = as_("alice")
    response = client.post(f"/api/v1/conversations/{direct}/attachments", data={"caption": "where is it?"},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code, "file")
    assert message_count(app) == 0


def test_text_part_named_file_is_refused_clearly(app, direct, as_):
    response = raw_multipart(as_("alice"), direct, [(b'form-data; name="file"', b"just some text")])
    assert response.status_code in (400, 422)
    assert "file" in assert_error(response, response.status_code, "file")["errors"]["file"][0]
    assert message_count(app) == 0


def test_json_instead_of_a_file_is_refused_clearly(app, direct, as_):
    client, headers = as_("alice")
    response = client.post(f"/api/v1/conversations/{direct}/attachments", json={"file": "aGVsbG8="},
                           headers=headers)
    assert response.status_code in (400, 415, 422)
    assert_error(response, response.status_code)
    assert message_count(app) == 0


def test_non_member_cannot_upload_to_a_group(app, people, group, as_):
    assert_error(upload(as_("dave"), group, b"let me in", "x.txt"), 404)
    assert message_count(app) == 0
    assert stored_files(app) == []


def test_former_friend_cannot_upload_to_the_direct_conversation(app, people, direct, as_):
    alice, bob, *_ = people
    unfriend(as_("alice"), bob)
    assert_error(upload(as_("bob"), direct, b"still there?", "x.txt"), 403)
    assert message_count(app) == 0


def test_retried_upload_returns_the_stored_message(app, direct, as_):
    client_id = str(uuid.uuid4())
    data = image_bytes("PNG")
    first = upload(as_("alice"), direct, data, "sunset.png", client_id=client_id)
    again = upload(as_("alice"), direct, data, "sunset.png", client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["attachment"] == first.get_json()["attachment"]
    assert message_count(app) == 1


# Limits

def test_image_over_the_image_limit_is_refused_with_413(small):
    app, direct, alice = small
    picture = noisy_png(620)  # about 1.1 MB
    assert MB < len(picture) < 2 * MB
    body = assert_error(upload(alice, direct, picture, "big.png", content_type="image/png"), 413, "file")
    assert "1 MB" in body["message"]
    assert message_count(app) == 0
    assert stored_files(app) == []


def test_file_over_the_file_limit_is_refused_with_413(small):
    app, direct, alice = small
    body = assert_error(upload(alice, direct, noise(2 * MB + 1), "big.bin"), 413, "file")
    assert "2 MB" in body["message"]
    assert message_count(app) == 0
    assert stored_files(app) == []


def test_file_of_exactly_the_limit_is_accepted(database, mailbox, tmp_path):
    app, direct = small_app(database, mailbox, tmp_path, FILE_MAX_BYTES=256 * KB, UPLOAD_QUOTA_BYTES=MB)
    message = uploaded(quick_client(app, "alice"), direct, noise(256 * KB), "exact.bin")
    assert message["attachment"]["size"] == 256 * KB
    with app.app_context():
        db.engine.dispose()


def test_file_too_large_for_an_image_goes_through_as_a_file(database, mailbox, tmp_path):
    # Between the image limit (1 MB) and the file limit (2 MB), only images are refused.
    app, direct = small_app(database, mailbox, tmp_path, UPLOAD_QUOTA_BYTES=4 * MB)
    message = uploaded(quick_client(app, "alice"), direct, noise(MB + 1), "big.bin")
    assert message["kind"] == "file"
    with app.app_context():
        db.engine.dispose()


def test_declared_oversized_upload_is_refused_before_its_body_is_read(small):
    # The declared length alone decides: no CSRF token is sent and the body is a few bytes,
    # so a 413 (not a 400 for the token, nor a broken multipart) proves nothing was read.
    app, direct, alice = small
    client, _headers = alice
    response = client.post(f"/api/v1/conversations/{direct}/attachments", input_stream=io.BytesIO(b"--x\r\n"),
                           content_type="multipart/form-data; boundary=x",
                           environ_overrides={"CONTENT_LENGTH": str(3 * MB)})
    body = assert_error(response, 413)
    assert response.mimetype == "application/json"
    assert "2 MB" in body["message"]
    assert message_count(app) == 0


def test_upload_beyond_the_storage_quota_is_refused_with_413(small):
    app, direct, alice = small
    uploaded(alice, direct, noise(600 * KB), "first.bin")
    body = assert_error(upload(alice, direct, noise(600 * KB), "second.bin"), 413, "file")
    assert "storage" in body["message"].lower()
    assert message_count(app) == 1


def test_quota_is_per_person(small):
    app, direct, alice = small
    uploaded(alice, direct, noise(600 * KB), "alice.bin")
    uploaded(quick_client(app, "bob"), direct, noise(600 * KB), "bob.bin")


def test_recalling_a_file_makes_room_in_the_quota(small):
    app, direct, alice = small
    first = uploaded(alice, direct, noise(600 * KB), "first.bin")
    assert recall(alice, first["id"]).status_code == 200
    uploaded(alice, direct, noise(600 * KB), "second.bin")


# Storage

def test_identical_files_are_stored_once(app, direct, as_):
    data = noise(10 * KB)
    first = uploaded(as_("alice"), direct, data, "a.bin")
    second = uploaded(as_("bob"), direct, data, "b.bin")
    assert first["attachment"]["id"] != second["attachment"]["id"]
    assert len(stored_files(app)) == 1


def test_identical_pictures_are_stored_once_with_one_thumbnail(app, direct, as_):
    picture = image_bytes("JPEG", size=(300, 200))
    uploaded(as_("alice"), direct, picture, "a.jpg")
    uploaded(as_("alice"), direct, picture, "b.jpg")
    assert len(stored_files(app)) == 2  # the cleaned picture and its thumbnail


def test_stored_files_are_named_by_their_content(app, direct, as_):
    uploaded(as_("alice"), direct, noise(KB), "a.bin")
    uploaded(as_("alice"), direct, image_bytes("PNG"), "b.png")
    assert blob_names(app) and all(re.fullmatch(r"[0-9a-f]{64}", name) for name in blob_names(app))
    assert not any(name.startswith(".tmp") for name in blob_names(app))  # no half-written file left


@pytest.mark.parametrize("name", ["../escape.txt", "../../../tmp/escape.txt", "/etc/passwd", "..\\..\\escape.txt",
                                  "report\r\n.txt", "nul\x00byte.txt"])
def test_file_name_never_becomes_a_path(app, direct, as_, tmp_path, name):
    response = raw_multipart(as_("alice"), direct, [(file_part(name), b"harmless")])
    assert response.status_code == 201, response.get_data(as_text=True)
    shown = response.get_json()["attachment"]["name"]
    assert "/" not in shown and "\\" not in shown
    assert not re.search(r"[\x00-\x1f\x7f]", shown)
    assert blob_names(app) and all(re.fullmatch(r"[0-9a-f]{64}", n) for n in blob_names(app))
    assert not [path for path in tmp_path.rglob("*") if "escape" in path.name or "passwd" in path.name]


# Who may download

def test_members_can_download(app, group, as_):
    data = noise(KB)
    message = uploaded(as_("bob"), group, data, "map.bin")
    for name in ("alice", "bob", "carol"):
        assert get(as_(name), message["attachment"]["url"]).data == data


def test_non_member_gets_404(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "secret.png")
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        assert_error(get(as_("dave"), url, Accept="application/json"), 404)


def test_someone_else_in_a_direct_conversation_gets_404(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "for-bob.bin")
    assert get(as_("carol"), message["attachment"]["url"]).status_code == 404


def test_unknown_attachment_gets_the_same_404(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "secret.bin")
    hidden = get(as_("dave"), message["attachment"]["url"], Accept="application/json")
    missing = get(as_("dave"), "/attachments/" + "A" * 24, Accept="application/json")
    assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())


def test_member_who_joined_later_cannot_download_earlier_files(app, people, group, as_):
    alice, _bob, _carol, dave = people
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "before-dave.png")
    add_to_group(app, alice, group, dave)
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        assert get(as_("dave"), url).status_code == 404
    later = uploaded(as_("alice"), group, noise(KB), "after-dave.bin")
    assert get(as_("dave"), later["attachment"]["url"]).status_code == 200


def test_removed_member_cannot_download(app, people, group, as_):
    alice, _bob, carol, _dave = people
    message = uploaded(as_("bob"), group, image_bytes("PNG"), "plan.png")
    remove_from_group(app, alice, group, carol)
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        assert get(as_("carol"), url).status_code == 404


def test_member_who_quit_cannot_download(app, people, group, as_):
    _alice, _bob, carol, _dave = people
    message = uploaded(as_("bob"), group, noise(KB), "plan.bin")
    quit_group(app, carol, group)
    assert get(as_("carol"), message["attachment"]["url"]).status_code == 404


def test_former_friend_still_downloads_the_direct_history(app, people, direct, as_):
    alice, bob, *_ = people
    data = noise(KB)
    message = uploaded(as_("alice"), direct, data, "old.bin")
    unfriend(as_("alice"), bob)
    assert get(as_("bob"), message["attachment"]["url"]).data == data


def test_logged_out_visitor_is_sent_to_log_in(app, direct, as_):
    message = uploaded(as_("alice"), direct, image_bytes("PNG"), "photo.png")
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        response = app.test_client().get(url)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
        assert response.mimetype != "image/png"


def test_logged_out_script_gets_401(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "photo.bin")
    response = app.test_client().get(message["attachment"]["url"], headers={"Accept": "application/json"})
    assert_error(response, 401)


def test_attachment_id_carries_at_least_128_random_bits(app, direct, as_):
    data = noise(KB)
    ids = [uploaded(as_("alice"), direct, data, "same.bin")["attachment"]["id"] for _ in range(3)]
    assert len(set(ids)) == 3
    for public_id in ids:
        raw = base64.urlsafe_b64decode(public_id + "=" * (-len(public_id) % 4))
        assert len(raw) * 8 >= 128


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


# Recall

def test_recall_hides_the_file_from_members(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "oops.png")
    assert recall(as_("alice"), message["id"]).status_code == 200
    for name in ("alice", "bob", "carol"):
        for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
            assert get(as_(name), url).status_code == 404


def test_recalled_message_shows_as_recalled_in_history(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "oops.png", caption="wrong chat")
    recalled = recall(as_("alice"), message["id"]).get_json()
    assert (recalled["recalled"], recalled["body"], recalled["attachment"]) == (True, "", None)
    client, _headers = as_("bob")
    [item] = client.get(f"/api/v1/conversations/{group}/messages").get_json()["items"]
    assert (item["id"], item["recalled"], item["body"], item["attachment"]) == (message["id"], True, "", None)


def test_someone_else_cannot_recall_a_message(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "mine.bin")
    assert_error(recall(as_("bob"), message["id"]), 403)
    assert get(as_("bob"), message["attachment"]["url"]).status_code == 200


def test_non_member_cannot_recall_a_message(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "mine.bin")
    assert_error(recall(as_("dave"), message["id"]), 404)


def test_message_cannot_be_recalled_after_the_window(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "old.bin")
    backdate(app, message["id"], app.config["RECALL_WINDOW"] + 1)
    assert_error(recall(as_("alice"), message["id"]), 403)
    assert get(as_("bob"), message["attachment"]["url"]).status_code == 200


def test_message_can_be_recalled_just_inside_the_window(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "recent.bin")
    backdate(app, message["id"], app.config["RECALL_WINDOW"] - 5)
    assert recall(as_("alice"), message["id"]).status_code == 200


def test_text_message_can_be_recalled(app, direct, as_):
    client, headers = as_("alice")
    sent = client.post(f"/api/v1/conversations/{direct}/messages", json={"body": "typo"}, headers=headers).get_json()
    assert recall(as_("alice"), sent["id"]).get_json()["recalled"] is True
    bobs, _ = as_("bob")
    [item] = bobs.get(f"/api/v1/conversations/{direct}/messages").get_json()["items"]
    assert (item["body"], item["html"], item["recalled"]) == ("", "", True)


def test_recalling_twice_is_harmless(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "twice.bin")
    assert recall(as_("alice"), message["id"]).status_code == 200
    assert recall(as_("alice"), message["id"]).status_code == 200


# Events

def test_message_event_carries_the_attachment_to_members_only(app, people, group, as_):
    alice, bob, carol, dave = people
    after = cursor(app)
    message = uploaded(as_("bob"), group, image_bytes("PNG"), "summit.png", caption="made it")
    for member in (alice, bob, carol):
        [(_type, data)] = events_of(app, member, after, "message.created")
        assert data["message"]["id"] == message["id"]
        assert data["message"]["attachment"] == message["attachment"]
        assert data["message"]["body"] == "made it"
    assert events_of(app, dave, after) == []


def test_retried_upload_records_no_second_event(app, direct, as_, people):
    alice, *_ = people
    client_id = str(uuid.uuid4())
    uploaded(as_("alice"), direct, noise(KB), "a.bin", client_id=client_id)
    after = cursor(app)
    assert upload(as_("alice"), direct, noise(KB), "a.bin", client_id=client_id).status_code == 200
    assert events_of(app, alice, after) == []


def test_recall_event_reaches_members_only(app, people, group, as_):
    alice, bob, carol, dave = people
    message = uploaded(as_("alice"), group, noise(KB), "oops.bin")
    after = cursor(app)
    recall(as_("alice"), message["id"])
    for member in (alice, bob, carol):
        assert events_of(app, member, after) == [
            ("message.recalled", {"conversation_id": group, "message_id": message["id"]})]
    assert events_of(app, dave, after) == []


def test_conversation_list_previews_an_image_and_a_file(app, direct, group, as_):
    uploaded(as_("alice"), direct, image_bytes("PNG"), "sunset.png")
    uploaded(as_("alice"), group, noise(KB), "plan.bin")
    client, _headers = as_("bob")
    items = {c["id"]: c for c in client.get("/api/v1/conversations").get_json()["items"]}
    assert "[Image]" in items[direct]["last_message"]["preview"]
    assert "plan.bin" in items[group]["last_message"]["preview"]
