"""`flask uploads cleanup`: it frees the stored bytes nothing refers to any more and reports
what it freed, and never removes what a live message, a favorite or an avatar still needs."""
import io
import os
import time

import pytest

from tests.support.api import favorited, get, recall
from tests.support.factories import make_friends, make_group, make_user
from tests.support.pages import post_profile
from tests.support.people import login_cache
from tests.support.uploads import KB, image_bytes, noise, stored_files, uploaded


@pytest.fixture
def as_(app):
    """as_("alice") -> (client, headers). alice, bob and carol are in the group 'Hikers'."""
    alice, bob, carol = (make_user(app, name) for name in ("alice", "bob", "carol"))
    make_friends(app, alice, bob)
    make_friends(app, alice, carol)
    make_group(app, alice, "Hikers", [bob, carol])
    return login_cache(app)


@pytest.fixture
def group(app, as_):
    client, _headers = as_("alice")
    return client.get("/api/v1/groups").get_json()["items"][0]["id"]


def cleanup(app, *args: str) -> str:
    """Run `flask uploads cleanup <args>`; return what it printed (it must succeed)."""
    result = app.test_cli_runner().invoke(args=["uploads", "cleanup", *args])
    assert result.exit_code == 0, result.output
    return result.output


def age(app, seconds: float) -> None:
    """Make every stored file look `seconds` older."""
    root = app.config["UPLOAD_FOLDER"]
    for path in stored_files(app):
        full = os.path.join(root, path)
        then = os.stat(full).st_mtime - seconds
        os.utime(full, (then, then))


def upload_avatar(browser, data: bytes):
    client, _headers = browser
    response = post_profile(client, "/profile/avatar", "avatar", {"avatar-file": (io.BytesIO(data), "me.png")},
                            content_type="multipart/form-data")
    assert response.status_code == 302


def test_recalled_file_is_freed_and_reported(app, group, as_):
    message = uploaded(as_("alice"), group, noise(500), "oops.bin")
    recall(as_("alice"), message["id"])
    assert cleanup(app, "--min-age", "0").strip() == "Removed 1 unreferenced file, freeing 500 bytes."
    assert stored_files(app) == []


def test_recalled_picture_and_its_thumbnail_are_freed(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG", size=(400, 300)), "oops.png")
    recall(as_("alice"), message["id"])
    assert "Removed 2 unreferenced files" in cleanup(app, "--min-age", "0")
    assert stored_files(app) == []


def test_freed_size_is_reported_in_kilobytes(app, group, as_):
    message = uploaded(as_("alice"), group, noise(3 * KB), "oops.bin")
    recall(as_("alice"), message["id"])
    assert "freeing 3.0 KB" in cleanup(app, "--min-age", "0")


def test_nothing_to_free_is_reported(app, group, as_):
    assert cleanup(app, "--min-age", "0").strip() == "Removed 0 unreferenced files, freeing 0 bytes."


def test_files_of_live_messages_are_kept(app, group, as_):
    data = noise(KB)
    file = uploaded(as_("alice"), group, data, "map.bin")
    picture = uploaded(as_("alice"), group, image_bytes("PNG"), "summit.png")
    before = stored_files(app)
    assert "Removed 0" in cleanup(app, "--min-age", "0")
    assert stored_files(app) == before
    assert get(as_("bob"), file["attachment"]["url"]).data == data
    for url in (picture["attachment"]["url"], picture["attachment"]["thumbnail_url"]):
        assert get(as_("bob"), url).status_code == 200


def test_avatar_is_kept(app, as_):
    upload_avatar(as_("alice"), image_bytes("PNG", size=(300, 300)))
    before = stored_files(app)
    assert len(before) == 1
    assert "Removed 0" in cleanup(app, "--min-age", "0")
    assert stored_files(app) == before
    avatar_url = as_("alice")[0].get("/api/v1/me").get_json()["avatar_url"]
    assert get(as_("bob"), avatar_url).mimetype == "image/png"


def test_replaced_avatar_is_freed(app, as_):
    upload_avatar(as_("alice"), image_bytes("PNG", colour=(255, 0, 0)))
    first = stored_files(app)
    upload_avatar(as_("alice"), image_bytes("PNG", colour=(0, 0, 255)))
    assert "Removed 1 unreferenced file" in cleanup(app, "--min-age", "0")
    remaining = stored_files(app)
    assert len(remaining) == 1 and remaining != first


def test_recalled_file_someone_favorited_is_kept(app, group, as_):
    data = noise(KB)
    message = uploaded(as_("alice"), group, data, "keep.bin")
    favorited(as_("bob"), message["id"])
    recall(as_("alice"), message["id"])
    assert "Removed 0" in cleanup(app, "--min-age", "0")
    assert get(as_("bob"), message["attachment"]["url"]).data == data


def test_recalled_picture_someone_favorited_keeps_its_thumbnail(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("JPEG", size=(400, 300)), "keep.jpg")
    favorited(as_("bob"), message["id"])
    recall(as_("alice"), message["id"])
    cleanup(app, "--min-age", "0")
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        assert get(as_("bob"), url).status_code == 200


def test_file_is_freed_once_its_last_favorite_is_removed(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "keep.bin")
    bob_fav = favorited(as_("bob"), message["id"])
    carol_fav = favorited(as_("carol"), message["id"])
    recall(as_("alice"), message["id"])
    for browser, fav in ((as_("bob"), bob_fav), (as_("carol"), carol_fav)):
        assert "Removed 0" in cleanup(app, "--min-age", "0")
        client, headers = browser
        assert client.delete(f"/api/v1/favorites/{fav['id']}", headers=headers).status_code == 204
    assert "Removed 1 unreferenced file" in cleanup(app, "--min-age", "0")


def test_bytes_shared_with_a_live_message_are_kept(app, group, as_):
    # Stored once (content-addressed): recalling one of the two must not free them.
    data = noise(KB)
    first = uploaded(as_("alice"), group, data, "a.bin")
    second = uploaded(as_("bob"), group, data, "b.bin")
    recall(as_("alice"), first["id"])
    assert "Removed 0" in cleanup(app, "--min-age", "0")
    assert get(as_("carol"), second["attachment"]["url"]).data == data


def test_recent_files_are_spared_by_default(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "oops.bin")
    recall(as_("alice"), message["id"])
    assert "Removed 0" in cleanup(app)
    assert len(stored_files(app)) == 1


def test_old_unreferenced_files_are_freed_by_default(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "oops.bin")
    recall(as_("alice"), message["id"])
    age(app, 2 * 3600)
    assert "Removed 1 unreferenced file" in cleanup(app)
    assert stored_files(app) == []


def test_old_files_still_referred_to_are_kept(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "old.png")
    age(app, 30 * 24 * 3600)
    assert "Removed 0" in cleanup(app)
    assert get(as_("bob"), message["attachment"]["thumbnail_url"]).status_code == 200


def test_dry_run_reports_but_removes_nothing(app, group, as_):
    message = uploaded(as_("alice"), group, noise(500), "oops.bin")
    recall(as_("alice"), message["id"])
    before = stored_files(app)
    assert cleanup(app, "--min-age", "0", "--dry-run").strip() == \
        "Would remove 1 unreferenced file, freeing 500 bytes."
    assert stored_files(app) == before


def test_unfinished_write_left_by_a_crash_is_swept(app, group, as_):
    uploaded(as_("alice"), group, noise(KB), "kept.bin")
    leftover = os.path.join(app.config["UPLOAD_FOLDER"], ".tmp-crashed")
    with open(leftover, "wb") as out:
        out.write(b"half a file")
    then = time.time() - 2 * 3600
    os.utime(leftover, (then, then))
    cleanup(app)
    assert not os.path.exists(leftover)
    assert len(stored_files(app)) == 1


def test_write_in_progress_is_not_swept(app, group, as_):
    leftover = os.path.join(app.config["UPLOAD_FOLDER"], ".tmp-in-progress")
    os.makedirs(app.config["UPLOAD_FOLDER"], exist_ok=True)
    with open(leftover, "wb") as out:
        out.write(b"still arriving")
    cleanup(app)
    assert os.path.exists(leftover)


def test_negative_min_age_is_refused(app):
    result = app.test_cli_runner().invoke(args=["uploads", "cleanup", "--min-age", "-1"])
    assert result.exit_code != 0
    assert "--min-age" in result.output
