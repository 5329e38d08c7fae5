"""Content-addressed blob storage: the same bytes are stored once, under their SHA-256."""
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple, Protocol

from flask import Flask, current_app

EXTENSION_KEY = "parley.storage"
CHUNK = 1024 * 1024  # bytes copied at a time
TEMP_PREFIX = ".tmp-"


class BlobInfo(NamedTuple):
    """One stored blob: its key, size in bytes and last-modified time (Unix seconds)."""

    key: str
    size: int
    mtime: float


class BlobStore(Protocol):
    """Where uploaded bytes live. Keys are lower-case SHA-256 hex digests of the content.

    Only keys cross this interface (never paths), so an object store (S3 and the like) can
    stand in for the local disk when workers run on several hosts.
    """

    def put(self, data: bytes) -> str:
        """Store `data` (written atomically) and return its key."""

    def put_file(self, source: BinaryIO) -> tuple[str, int]:
        """Store the rest of `source`, read in chunks (never whole into memory), atomically;
        return (key, size in bytes)."""

    def size(self, key: str) -> int:
        """The size of blob `key` in bytes; FileNotFoundError when it is absent."""

    def blobs(self) -> Iterator[BlobInfo]:
        """Every stored blob, in no particular order."""

    def sweep_temporary(self, older_than: float) -> int:
        """Remove unfinished writes (left by a crash) older than `older_than` seconds; return
        how many bytes were freed."""

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
        if self._refresh(target):
            return key
        folder = os.path.dirname(target)
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=TEMP_PREFIX)
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

    def put_file(self, source: BinaryIO) -> tuple[str, int]:
        os.makedirs(self.root, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=TEMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = digest.hexdigest()
            target = self.path(key)
            if self._refresh(target):
                os.unlink(tmp)
                return key, size
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(tmp, target)  # same file system: atomic
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        return key, size

    @staticmethod
    def _refresh(target: str) -> bool:
        # A blob stored again is new again: `flask uploads cleanup` spares recent blobs, so
        # it cannot remove one whose new reference is not committed yet.
        try:
            os.utime(target)
            return True
        except FileNotFoundError:
            return False

    def open(self, key: str) -> BinaryIO:
        return open(self.path(key), "rb")

    def size(self, key: str) -> int:
        return os.stat(self.path(key)).st_size

    def blobs(self) -> Iterator[BlobInfo]:
        if not os.path.isdir(self.root):
            return
        for first in sorted(os.listdir(self.root)):
            level1 = os.path.join(self.root, first)
            if len(first) != 2 or not os.path.isdir(level1):
                continue
            for second in sorted(os.listdir(level1)):
                level2 = os.path.join(level1, second)
                if not os.path.isdir(level2):
                    continue
                for name in os.listdir(level2):
                    if name.startswith(TEMP_PREFIX):
                        continue
                    try:
                        stat = os.stat(os.path.join(level2, name))
                    except FileNotFoundError:
                        continue  # removed meanwhile
                    yield BlobInfo(name, stat.st_size, stat.st_mtime)

    def sweep_temporary(self, older_than: float) -> int:
        freed, cutoff = 0, time.time() - older_than
        for folder, _dirs, files in os.walk(self.root):
            for name in files:
                if not name.startswith(TEMP_PREFIX):
                    continue
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                    if stat.st_mtime <= cutoff:
                        os.unlink(path)
                        freed += stat.st_size
                except FileNotFoundError:
                    pass
        return freed

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
