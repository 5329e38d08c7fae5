"""What becomes an image when a picture or file is sent to a conversation: formats, thumbnails,
metadata stripped, pictures that are really pages or bombs, and files that stay downloads."""
import io
import re

import pytest
from PIL import Image, ImageCms, PngImagePlugin

from extensions import db
from tests.support.api import assert_error, get
from tests.support.login import quick_client
from tests.support.uploads import content_disposition, image_bytes, noise, small_app, upload, uploaded


HTML = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10"/></svg>\n')


@pytest.fixture
def restore_pillow_limit(monkeypatch):
    # The upload check sets Pillow's global bomb limit from the app's MAX_IMAGE_PIXELS; a
    # small limit must not leak into later tests.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)


def decoded(response) -> Image.Image:
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


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
