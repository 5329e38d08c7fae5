"""Avatars: uploads are checked, re-encoded as clean PNG squares and served to logged-in people."""
import io
import os

import pytest
from PIL import Image, ImageCms

from extensions import db
from models import User
from tests.support.apps import make_app
from tests.support.factories import create_user
from tests.support.login import AuthActions
from tests.support.pages import field_error, post_profile

MB = 1024 * 1024


def image_bytes(fmt: str, size=(300, 200), mode="RGB", colour=(200, 30, 30), **save_args) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt, **save_args)
    return out.getvalue()


def noisy_png(size=(64, 64)) -> bytes:
    """A PNG that does not compress to almost nothing, so cutting it leaves part of the pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, format="PNG")
    return out.getvalue()


def upload(client, data: bytes, filename="me.png", content_type="image/png"):
    return post_profile(client, "/profile/avatar", "avatar",
                        {"avatar-file": (io.BytesIO(data), filename, content_type)},
                        content_type="multipart/form-data")


def avatar_key(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).avatar_key


def served(client, user_id) -> tuple:
    """(response, decoded image or None) of GET /users/<id>/avatar."""
    response = client.get(f"/users/{user_id}/avatar")
    image = Image.open(io.BytesIO(response.data)) if response.mimetype == "image/png" else None
    return response, image


@pytest.fixture
def alice(client, auth, user):
    assert auth.login().status_code == 302
    return user


@pytest.fixture(scope="module")
def bomb_png() -> bytes:
    """A 20000 x 20000 one-bit PNG: about 50 kB on disk, 400 million pixels decoded."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, format="PNG")
    return out.getvalue()


# Accepted images

@pytest.mark.parametrize("fmt, content_type", [
    ("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
])
def test_image_becomes_a_png_square_of_at_most_256_px(client, alice, fmt, content_type):
    data = image_bytes(fmt, size=(600, 400))
    response = upload(client, data, f"me.{fmt.lower()}", content_type)
    assert response.status_code == 302
    avatar, image = served(client, alice)
    assert avatar.status_code == 200
    assert image.format == "PNG"
    assert image.size == (256, 256)


def test_small_image_is_cut_square_but_not_enlarged(client, alice):
    upload(client, image_bytes("PNG", size=(120, 80)))
    _, image = served(client, alice)
    assert image.size == (80, 80)


def test_uploaded_avatar_keeps_its_colours(client, alice):
    upload(client, image_bytes("PNG", colour=(10, 120, 240)))
    _, image = served(client, alice)
    assert image.convert("RGB").getpixel((128, 128)) == (10, 120, 240)


def test_photo_metadata_is_removed(client, alice):
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Industries"  # Make
    exif[0x0110] = "Model X-Ray"  # Model
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS position
    photo = image_bytes("JPEG", size=(400, 400), exif=exif)
    assert b"SpyCam" in photo  # the upload really carries the metadata
    assert upload(client, photo, "photo.jpg", "image/jpeg").status_code == 302
    avatar, image = served(client, alice)
    assert b"SpyCam" not in avatar.data and b"Model X-Ray" not in avatar.data
    assert not image.getexif()
    assert not {"exif", "text", "comment", "xmp"} & set(image.info)


def test_colour_profile_is_applied_not_passed_on(client, alice):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    photo = image_bytes("JPEG", size=(300, 300), colour=(10, 120, 240), icc_profile=srgb, quality=95)
    upload(client, photo, "photo.jpg", "image/jpeg")
    _, image = served(client, alice)
    assert "icc_profile" not in image.info
    red, green, blue = image.convert("RGB").getpixel((128, 128))
    assert abs(red - 10) < 8 and abs(green - 120) < 8 and abs(blue - 240) < 8


def test_avatar_stays_small_whatever_the_upload_carries(client, alice):
    # 1 MB of junk riding in the colour-profile slot must not reach everyone who sees the avatar.
    photo = image_bytes("JPEG", size=(300, 300), icc_profile=os.urandom(MB))
    assert upload(client, photo, "photo.jpg", "image/jpeg").status_code == 302
    avatar, image = served(client, alice)
    assert len(avatar.data) < 50 * 1024
    assert image.size == (256, 256)


def test_transparent_background_stays_transparent(client, alice):
    # Optimisers (optipng, oxipng) store a one-colour transparent background as an RGB
    # PNG with a tRNS chunk instead of an alpha channel.
    logo = Image.new("RGB", (100, 100), (255, 255, 255))
    logo.paste((200, 0, 0), (30, 30, 70, 70))
    out = io.BytesIO()
    logo.save(out, format="PNG", transparency=(255, 255, 255))
    upload(client, out.getvalue())
    _, image = served(client, alice)
    rgba = image.convert("RGBA")
    assert rgba.getpixel((5, 5))[3] == 0
    assert rgba.getpixel((50, 50)) == (200, 0, 0, 255)


def test_transparent_background_with_colour_profile_stays_transparent(client, alice):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    logo = Image.new("RGB", (100, 100), (255, 255, 255))
    logo.paste((200, 0, 0), (30, 30, 70, 70))
    out = io.BytesIO()
    logo.save(out, format="PNG", transparency=(255, 255, 255), icc_profile=srgb)
    upload(client, out.getvalue())
    _, image = served(client, alice)
    assert image.convert("RGBA").getpixel((5, 5))[3] == 0


def test_photo_taken_sideways_is_shown_upright(client, alice):
    # Stored with its top half red and bottom half blue; EXIF orientation 6 means "turn it a
    # quarter clockwise to view", which puts red on the right.
    photo = Image.new("RGB", (200, 200), (0, 0, 255))
    photo.paste((255, 0, 0), (0, 0, 200, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    photo.save(out, format="JPEG", exif=exif, quality=95)
    upload(client, out.getvalue(), "photo.jpg", "image/jpeg")
    _, image = served(client, alice)
    left, right = image.convert("RGB").getpixel((30, 150)), image.convert("RGB").getpixel((170, 150))
    assert left[2] > 200 and left[0] < 60, left
    assert right[0] > 200 and right[2] < 60, right


# Refused uploads

def test_html_named_png_is_refused_and_avatar_kept(app, client, alice):
    upload(client, image_bytes("PNG"))
    before = avatar_key(app, alice)
    fake = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    response = upload(client, fake, "x.png", "image/png")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "avatar-file")
    assert avatar_key(app, alice) == before


def test_text_named_png_is_refused(app, client, alice):
    response = upload(client, b"just some words, not a picture\n" * 20, "x.png", "image/png")
    assert response.status_code == 400
    assert avatar_key(app, alice) is None


def test_damaged_png_is_refused(app, client, alice):
    png = noisy_png()
    response = upload(client, png[: len(png) // 2])
    assert response.status_code == 400
    assert "damaged" in field_error(response.get_data(as_text=True), "avatar-file")
    assert avatar_key(app, alice) is None


def test_decompression_bomb_is_refused(app, client, alice, bomb_png):
    assert len(bomb_png) < 100 * 1024
    response = upload(client, bomb_png, "bomb.png")
    assert response.status_code == 400
    assert "too many pixels" in field_error(response.get_data(as_text=True), "avatar-file")
    assert avatar_key(app, alice) is None


def test_image_just_over_pixel_limit_is_refused(database, mailbox, tmp_path, monkeypatch):
    # Between MAX_IMAGE_PIXELS and twice it Pillow only warns; that must refuse the image too.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", Image.MAX_IMAGE_PIXELS)  # restored afterwards
    app = make_app(database, mailbox, tmp_path, MAX_IMAGE_PIXELS=10_000)
    client = app.test_client()
    user_id = create_user(app)
    assert AuthActions(client).login().status_code == 302
    response = upload(client, image_bytes("PNG", size=(120, 120)))
    assert response.status_code == 400
    assert "too many pixels" in field_error(response.get_data(as_text=True), "avatar-file")
    assert avatar_key(app, user_id) is None
    with app.app_context():
        db.engine.dispose()


def test_file_over_5_mb_is_refused_with_413(app, client, alice):
    data = image_bytes("PNG") + b"\0" * (5 * MB)
    response = upload(client, data)
    assert response.status_code == 413
    assert "larger than 5 MB" in field_error(response.get_data(as_text=True), "avatar-file")
    assert avatar_key(app, alice) is None


def test_far_too_large_upload_is_refused_with_413(app, client, alice):
    response = upload(client, b"\x89PNG\r\n\x1a\n" + b"\0" * (8 * MB))
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert avatar_key(app, alice) is None


def test_svg_is_refused(app, client, alice):
    svg = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
           b'<script>alert(1)</script><rect width="10" height="10"/></svg>')
    response = upload(client, svg, "me.svg", "image/svg+xml")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "avatar-file")
    assert avatar_key(app, alice) is None


def test_upload_without_a_file_is_refused(app, client, alice):
    response = post_profile(client, "/profile/avatar", "avatar", {}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "avatar-file")


# Serving

def test_person_without_avatar_gets_their_initial(client, alice):
    response = client.get(f"/users/{alice}/avatar")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert ">A</text>" in response.get_data(as_text=True)


def test_generated_avatar_shows_a_chinese_initial(app, client, alice):
    ming = create_user(app, "ming", nickname="小明")
    assert ">小</text>" in client.get(f"/users/{ming}/avatar").get_data(as_text=True)


def test_html_in_nickname_is_escaped_in_generated_avatar(app, client, alice):
    mallory = create_user(app, "mallory", nickname="<b>x")
    svg = client.get(f"/users/{mallory}/avatar").get_data(as_text=True)
    assert "<b" not in svg
    assert ">&lt;</text>" in svg


def test_generated_avatar_is_cached_privately(client, alice):
    response = client.get(f"/users/{alice}/avatar")
    assert "private" in response.headers["Cache-Control"]
    assert "public" not in response.headers["Cache-Control"]


def test_uploaded_avatar_is_cached_privately(client, alice):
    upload(client, image_bytes("PNG"))
    response = client.get(f"/users/{alice}/avatar")
    assert response.mimetype == "image/png"
    assert "private" in response.headers["Cache-Control"]
    assert "public" not in response.headers["Cache-Control"]


def test_unchanged_avatar_is_not_downloaded_again(client, alice):
    upload(client, image_bytes("PNG"))
    first = client.get(f"/users/{alice}/avatar")
    again = client.get(f"/users/{alice}/avatar", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""


def test_generated_avatar_cannot_run_scripts(app, client, alice):
    mallory = create_user(app, "mallory", nickname="<script>alert(1)</script>")
    response = client.get(f"/users/{mallory}/avatar")
    assert "<script" not in response.get_data(as_text=True)
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_avatar_needs_login(client, user):
    response = client.get(f"/users/{user}/avatar")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_avatar_of_unknown_person_is_not_found(client, alice):
    assert client.get("/users/999999/avatar").status_code == 404


def test_removed_avatar_goes_back_to_the_initial(app, client, alice):
    upload(client, image_bytes("PNG"))
    response = post_profile(client, "/profile/avatar/remove", None)
    assert response.status_code == 302
    assert client.get(f"/users/{alice}/avatar").mimetype == "image/svg+xml"


def test_new_avatar_gets_a_new_address_on_the_profile_page(client, alice):
    before = client.get("/profile").get_data(as_text=True)
    upload(client, image_bytes("PNG"))
    after = client.get("/profile").get_data(as_text=True)
    src = 'class="avatar avatar-lg" src="'
    assert before.split(src)[1].split('"')[0] != after.split(src)[1].split('"')[0]


def test_oversized_upload_is_refused_before_its_body_is_read(app, client, alice):
    # The declared length alone decides: the refusal comes before the CSRF check would read
    # the form, so a 413 (not a 400 for the missing token) proves nothing was parsed.
    body = b"x" * (6 * 1024 * 1024)
    response = client.post("/profile/avatar", data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert avatar_key(app, alice) is None
