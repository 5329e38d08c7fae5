"""Content-addressed blob storage: the same bytes are stored once, under their SHA-256."""
import hashlib
import os
import tempfile
from typing import BinaryIO, Protocol

from flask import Flask, current_app

EXTENSION_KEY = "parley.storage"


class BlobStore(Protocol):
    """Where uploaded bytes live. Keys are lower-case SHA-256 hex digests of the content."""

    def put(self, data: bytes) -> str:
        """Store `data` (written atomically) and return its key."""

    def open(self, key: str) -> BinaryIO:
        """Open the blob `key` for reading; raises FileNotFoundError when it is absent."""

    def exists(self, key: str) -> bool:
        """True when the blob `key` is stored."""

    def delete(self, key: str) -> None:
        """Remove the blob `key` if present."""


class LocalBlobStore:
    """A BlobStore in a folder of the local disk: `<root>/<k[:2]>/<k[2:4]>/<k>`.

    Writes go to a temporary file in the target folder, are fsynced, then renamed into place
    (os.replace is atomic on POSIX), so a crash mid-write never leaves a partial blob visible.
    """

    def __init__(self, root: str):
        self.root = root

    def path(self, key: str) -> str:
        """Return the file path of blob `key`; raises ValueError for a key that is not a digest."""
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("not a blob key")
        return os.path.join(self.root, key[:2], key[2:4], key)

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if os.path.exists(target):
            return key
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def exists(self, key: str) -> bool:
        return os.path.exists(self.path(key))

    def delete(self, key: str) -> None:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            pass


def init_app(app: Flask) -> None:
    """Create the app's blob store (UPLOAD_FOLDER, default `<instance>/uploads`)."""
    root = app.config.get("UPLOAD_FOLDER") or os.path.join(app.instance_path, "uploads")
    app.extensions[EXTENSION_KEY] = LocalBlobStore(root)


def blob_store() -> BlobStore:
    """Return the current app's blob store."""
    return current_app.extensions[EXTENSION_KEY]
