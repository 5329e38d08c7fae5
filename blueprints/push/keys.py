"""The VAPID key pair (RFC 8292) that identifies this site to push services: configured, or
generated once into the instance folder as the secret key is (config._secret_key_file)."""
import base64
import os

from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from py_vapid import Vapid02

EXTENSION_KEY = "parley.vapid"
KEY_FILE = "vapid_private_key.pem"


def _key_file(instance_path: str) -> Vapid02:
    """The key kept in `<instance>/vapid_private_key.pem`, created (mode 600) on first use."""
    path = os.path.join(instance_path, KEY_FILE)
    if not os.path.exists(path):
        vapid = Vapid02()
        vapid.generate_keys()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another worker wrote it first: read theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(vapid.private_pem())
    with open(path, "rb") as handle:
        return Vapid02.from_pem(handle.read())


def vapid(app: Flask | None = None) -> Vapid02:
    """The app's VAPID key: VAPID_PRIVATE_KEY (a PEM, or base64url DER or raw 32 bytes, as
    py_vapid reads them), else the instance folder's file. Read once per app."""
    app = app or current_app._get_current_object()
    key = app.extensions.get(EXTENSION_KEY)
    if key is None:
        configured = app.config.get("VAPID_PRIVATE_KEY")
        if configured and "-----BEGIN" in configured:
            key = Vapid02.from_pem(configured.strip().encode())
        elif configured:
            key = Vapid02.from_string(configured)
        else:
            key = _key_file(app.instance_path)
        app.extensions[EXTENSION_KEY] = key
    return key


def public_key(app: Flask | None = None) -> str:
    """The public key as browsers take it for `applicationServerKey`: the uncompressed P-256
    point (65 bytes), base64url without padding."""
    point = vapid(app).public_key.public_bytes(serialization.Encoding.X962,
                                               serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()
