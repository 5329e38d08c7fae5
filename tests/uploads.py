"""Plain factories for the attachment, favorite and cleanup tests: real images made by
Pillow, uploads through the API (or as raw multipart bodies), and a look into the upload
folder."""
import io
import os
import uuid
from urllib.parse import quote

import pytest
from PIL import Image

from extensions import db
from realtime.eventlog import events_for_user, last_event_id
from tests.helpers import make_friends, make_user

API = "/api/v1"
KB = 1024
MB = 1024 * KB


# The `people` of the attachment and favorite tests (tests/conversations.py has the rest).
@pytest.fixture
def people(app):
    """alice, bob, carol and dave; alice is friends with everyone (so alice and bob share a
    direct conversation). Returns their ids."""
    ids = tuple(make_user(app, name) for name in ("alice", "bob", "carol", "dave"))
    for friend in ids[1:]:
        make_friends(app, ids[0], friend)
    return ids


def image_bytes(fmt: str = "PNG", size=(64, 48), mode="RGB", colour=(200, 30, 30), **save_args) -> bytes:
    """A real image of one colour, encoded by Pillow."""
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format=fmt, **save_args)
    return out.getvalue()


def noise(size: int) -> bytes:
    """`size` random bytes: a file no two tests share and nothing compresses."""
    return os.urandom(size)


def noisy_png(side: int) -> bytes:
    """A `side`×`side` PNG of random pixels (about 3·side² bytes: it does not compress)."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, format="PNG")
    return out.getvalue()


def upload(browser, conversation_id: int, data: bytes, filename: str = "notes.txt",
           content_type: str = "application/octet-stream", **fields):
    """POST `data` as the `file` part (with optional caption / client_id text parts)."""
    client, headers = browser
    form = {"file": (io.BytesIO(data), filename, content_type), **fields}
    return client.post(f"{API}/conversations/{conversation_id}/attachments", data=form, headers=headers,
                       content_type="multipart/form-data")


def uploaded(browser, conversation_id: int, data: bytes, filename: str = "notes.txt", **kwargs) -> dict:
    """Upload and return the stored message (the upload must succeed)."""
    response = upload(browser, conversation_id, data, filename, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def file_part(name: str) -> bytes:
    """The Content-Disposition of a `file` part whose name is sent as RFC 8187 `filename*`,
    which carries any character (a CR, LF or quote included) as the server will read it."""
    return b"form-data; name=\"file\"; filename*=UTF-8''" + quote(name, safe="").encode("ascii")


def raw_multipart(browser, conversation_id: int, parts: list[tuple[bytes, bytes]], headers=None):
    """POST a multipart body built by hand: each part is (Content-Disposition value, body),
    so a test controls exactly what a client may send (filename*=, a text part named file)."""
    client, csrf = browser
    boundary = b"parley-" + uuid.uuid4().hex.encode()
    body = b""
    for disposition, content in parts:
        body += b"--" + boundary + b"\r\nContent-Disposition: " + disposition + b"\r\n"
        body += b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    body += b"--" + boundary + b"--\r\n"
    return client.post(f"{API}/conversations/{conversation_id}/attachments", data=body,
                       headers={**csrf, **(headers or {})},
                       content_type="multipart/form-data; boundary=" + boundary.decode())


def recall(browser, message_id: int):
    client, headers = browser
    return client.post(f"{API}/messages/{message_id}/recall", headers=headers)


def favorite(browser, message_id: int):
    client, headers = browser
    return client.post(f"{API}/favorites", json={"message_id": message_id}, headers=headers)


def favorited(browser, message_id: int) -> dict:
    """Favorite and return the favorite (it must be new)."""
    response = favorite(browser, message_id)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def send_text(browser, conversation_id: int, body: str) -> dict:
    client, headers = browser
    response = client.post(f"{API}/conversations/{conversation_id}/messages", json={"body": body}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def get(browser, url: str, **headers):
    """GET `url` as `browser` with extra request headers."""
    client, _csrf = browser
    return client.get(url, headers=headers)


def stored_files(app) -> list[str]:
    """Every file in the upload folder, as paths relative to it, sorted."""
    root = app.config["UPLOAD_FOLDER"]
    found = []
    for folder, _dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, name), root) for name in files]
    return sorted(found)


def blob_names(app) -> list[str]:
    """The names (not paths) of the files in the upload folder, sorted."""
    return sorted(os.path.basename(path) for path in stored_files(app))


def cursor(app) -> int:
    with app.app_context():
        return last_event_id()


def events_of(app, user_id: int, after: int = 0, event_type: str | None = None) -> list[tuple[str, dict]]:
    """(type, data) of the events `user_id` would replay after `after`, of one type if given."""
    with app.app_context():
        events = [(e.type, e.data) for e in events_for_user(user_id, after)]
        db.session.remove()
    return [e for e in events if event_type is None or e[0] == event_type]
