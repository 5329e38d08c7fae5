"""A push service on the test machine, playing the browser vendor's relay and the browser:
each `Device` makes its own P-256 key pair and 16-byte auth secret (as a browser does for
PushManager.subscribe), and the server DECRYPTS every notification posted to that device's
endpoint with them (RFC 8291, aes128gcm, via http_ece) after checking its VAPID signature
(RFC 8292: an ES256 JWT whose `aud` is the endpoint's origin, verified here with the site's
public key). What a test then reads is what a browser would show."""
import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Device:
    """One browser's subscription: its keys, what the service answers for it (`status`, 201
    unless a test says otherwise, after `delay` seconds) and the notifications it received,
    decrypted."""

    def __init__(self, service: "PushService", name: str):
        self.service = service
        self.endpoint = f"{service.origin}/push/{name}"
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.status = 201
        self.delay = 0.0  # seconds the service takes to answer, after noting the notification
        self.received: list[dict] = []

    def subscription(self) -> dict:
        """What PushSubscription.toJSON() gives the page."""
        point = self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                           serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)}}

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict]:
        """The notifications received, once there are `count` (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self.service.changed:
            while len(self.received) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0, f"{self.endpoint} received {len(self.received)} of {count} notifications"
                self.service.changed.wait(remaining)
            return list(self.received)


def verify_vapid(header: str, audience: str, public_key: str) -> dict:
    """The claims of a VAPID Authorization header ("vapid t=<JWT>, k=<key>", RFC 8292 §3),
    after checking: k is the site's `public_key`, the ES256 signature holds, `aud` is
    `audience`, `exp` is in the future and at most 24 hours away, `sub` is a mailto: or https:
    URL. AssertionError otherwise."""
    scheme, _, params = header.partition(" ")
    assert scheme == "vapid", header
    fields = dict(part.strip().split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    signed, _, signature = fields["t"].rpartition(".")
    head, claims = (json.loads(unb64url(part)) for part in signed.split("."))
    assert head["alg"] == "ES256"
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    try:
        key.verify(encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
                   signed.encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise AssertionError("the VAPID signature does not verify") from None
    assert claims["aud"] == audience, claims
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"].startswith(("mailto:", "https:")), claims
    return claims


class PushService:
    """The threaded HTTP push service: `device(name)` makes a subscriber; `public_key` (the
    site's VAPID key, base64url) must be set before notifications arrive. A request that fails
    any check is answered 400 and recorded in `errors`."""

    def __init__(self):
        self.devices: dict[str, Device] = {}
        self.public_key: str | None = None
        self.errors: list[str] = []
        self.changed = threading.Condition()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                status = service.receive(self.path, self.headers, self.rfile.read(int(self.headers["Content-Length"])))
                device = service.devices.get(self.path.rsplit("/", 1)[-1])
                time.sleep(device.delay if device else 0)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                """Quiet: the tests read what arrived, not the server's request log."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def device(self, name: str) -> Device:
        self.devices[name] = Device(self, name)
        return self.devices[name]

    def receive(self, path: str, headers, body: bytes) -> int:
        device = self.devices.get(path.rsplit("/", 1)[-1])
        if device is None:
            return 404
        try:
            verify_vapid(headers["Authorization"], self.origin, self.public_key)
            assert headers["Content-Encoding"] == "aes128gcm", headers["Content-Encoding"]
            assert int(headers["TTL"]) > 0 and headers["Urgency"] == "high", dict(headers)
            plain = http_ece.decrypt(body, private_key=device.private_key, auth_secret=device.auth,
                                     version="aes128gcm")
            notification = json.loads(plain)
        except Exception as exc:  # noqa: BLE001 - reported to the test through `errors`
            with self.changed:
                self.errors.append(f"{path}: {exc!r}")
                self.changed.notify_all()
            return 400
        if device.status < 300:
            with self.changed:
                device.received.append(notification)
                self.changed.notify_all()
        return device.status

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
