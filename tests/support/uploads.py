"""Files for the attachment, favorite and cleanup tests: real images made by Pillow, uploads
through the API (or as raw multipart bodies), and a look into the upload folder."""
import io
import os
import re
import uuid
from urllib.parse import quote, unquote

from PIL import Image

from tests.support.api import API
from tests.support.apps import make_app
from tests.support.factories import make_friends, make_user

KB = 1024
MB = 1024 * KB


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


def content_disposition(response) -> tuple[str, str, str]:
    """(disposition type, ASCII `filename`, decoded RFC 8187 `filename*`) of a download."""
    value = response.headers["Content-Disposition"]
    kind = value.split(";")[0].strip()
    fallback = re.search(r'filename="((?:[^"\\]|\\.)*)"', value)
    extended = re.search(r"filename\*=UTF-8''([^;\s]+)", value)
    assert fallback and extended, value
    return kind, fallback.group(1), unquote(extended.group(1), errors="strict")


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


def small_app(database, mailbox, tmp_path, **overrides):
    """An app with limits small enough to cross cheaply: images 1 MB, files 2 MB, 1 MB of
    storage per person; alice and bob are friends. Returns (app, direct conversation id)."""
    settings = {"IMAGE_MAX_BYTES": MB, "FILE_MAX_BYTES": 2 * MB, "UPLOAD_QUOTA_BYTES": MB, **overrides}
    app = make_app(database, mailbox, tmp_path, **settings)
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    return app, make_friends(app, alice, bob)
