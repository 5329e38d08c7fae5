"""Sending a file through POST /api/v1/conversations/<id>/attachments: captions and refusals,
the size limits and storage quota, and how files are stored in the upload folder."""
import io
import re
import uuid

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Message
from tests.support.api import assert_error, recall, unfriend
from tests.support.login import quick_client
from tests.support.uploads import (KB, MB, blob_names, file_part, image_bytes, noise, noisy_png,
                                   raw_multipart, small_app, stored_files, upload, uploaded)


@pytest.fixture
def small(database, mailbox, tmp_path):
    app, direct = small_app(database, mailbox, tmp_path)
    yield app, direct, quick_client(app, "alice")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def message_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


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


def test_non_member_cannot_upload_to_a_group(app, alice_and_friends, group, as_):
    assert_error(upload(as_("dave"), group, b"let me in", "x.txt"), 404)
    assert message_count(app) == 0
    assert stored_files(app) == []


def test_former_friend_cannot_upload_to_the_direct_conversation(app, alice_and_friends, direct, as_):
    alice, bob, *_ = alice_and_friends
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
