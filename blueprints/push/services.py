"""Push subscriptions: a person subscribes a browser (checked: a push service we allow, keys
of the right shape) or unsubscribes it, and says whether notifications show message text."""
import base64
import binascii
import fnmatch
import re
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from user_agents import parse as parse_user_agent

from core.errors import DomainError, Forbidden
from extensions import db
from models import PushSubscription, User

ENDPOINT_MAX = 1000  # characters; the push services' URLs are a few hundred
DEVICE_MAX = 100
P256DH_BYTES = 65  # an uncompressed P-256 point (RFC 8291 §3.1)
AUTH_BYTES = 16  # the authentication secret (RFC 8291 §3.2)
HTTPS_PORT = 443
# Printable ASCII without space or backslash: where URL parsers disagree (urllib's and
# requests' readings of one URL must name the same host).
_PRINTABLE_URL = re.compile(r"[!-\[\]-~]+")
# What the API document states of an endpoint and the keys (the service checks more).
ENDPOINT_PATTERN = r"^https://[A-Za-z0-9.-]+(:443)?(/[!-\[\]-~]*)?$"
P256DH_PATTERN = r"^[A-Za-z0-9_-]{87}=?$"
AUTH_PATTERN = r"^[A-Za-z0-9_-]{22}(==)?$"


def b64url_decode(value: str) -> bytes | None:
    """The bytes of base64url `value` (padding optional), or None when it is not base64url."""
    if not isinstance(value, str) or not value.isascii():
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def host_allowed(host: str, patterns: list[str]) -> bool:
    """True when `host` (lower case) is one of `patterns` or matches one of the form
    "*.example.com" (a subdomain of example.com at any depth)."""
    return any(host == pattern or (pattern.startswith("*.") and fnmatch.fnmatchcase(host, pattern))
               for pattern in (p.lower() for p in patterns))


def check_endpoint(endpoint: str) -> str:
    """Return `endpoint` if the server may post to it: an https URL (http only with
    WEB_PUSH_ALLOW_HTTP) on a host WEB_PUSH_HOSTS allows, on https's own port (none or
    443: the push services listen there, and another port on an allowed host may be some
    other service of that host; plain http, for the tests' local push service only, may name
    its port), without credentials; else raise
    DomainError (field "endpoint"), or Forbidden for a host not allowed. The list keeps the
    server from posting wherever a client says (server-side request forgery)."""
    if not isinstance(endpoint, str) or len(endpoint) > ENDPOINT_MAX or not _PRINTABLE_URL.fullmatch(endpoint):
        raise DomainError(_("The endpoint must be a URL of at most %(n)d characters.", n=ENDPOINT_MAX), "endpoint")
    not_push_url = DomainError(_("The endpoint must be an https URL of your browser's push service."), "endpoint")
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        port = parts.port  # raises ValueError for a port that is no number
    except ValueError:
        raise not_push_url from None
    schemes = ("https", "http") if current_app.config["WEB_PUSH_ALLOW_HTTP"] else ("https",)
    if parts.scheme not in schemes or not host or parts.username or parts.password:
        raise not_push_url
    if parts.scheme == "https" and port not in (None, HTTPS_PORT):
        raise not_push_url
    if not host_allowed(host, current_app.config["WEB_PUSH_HOSTS"]):
        raise Forbidden(_("This browser's push service (%(host)s) is not one this site sends to.", host=host),
                        "endpoint")
    return endpoint


def check_keys(p256dh: str, auth: str) -> None:
    """Raise DomainError (field "p256dh" or "auth") unless `p256dh` is the base64url of 65
    bytes (an uncompressed P-256 point) and `auth` of 16 (RFC 8291 §3). Whether the point is
    on the curve shows at the first send, which forgets a subscription it cannot encrypt for."""
    point = b64url_decode(p256dh)
    if point is None or len(point) != P256DH_BYTES:
        raise DomainError(_("p256dh must be the browser's P-256 public key: 65 bytes, base64url."), "p256dh")
    secret = b64url_decode(auth)
    if secret is None or len(secret) != AUTH_BYTES:
        raise DomainError(_("auth must be the browser's 16-byte secret, base64url."), "auth")


def device_label(user_agent: str) -> str:
    """"Chrome on Linux" for a User-Agent header ("" when it names neither)."""
    agent = parse_user_agent(user_agent or "")
    parts = [name for name in (agent.browser.family, agent.os.family) if name and name != "Other"]
    return _("%(browser)s on %(system)s", browser=parts[0], system=parts[1]) if len(parts) == 2 else (
        parts[0] if parts else "")


def subscribe(user: User, endpoint: str, p256dh: str, auth: str, device: str = "",
              locale: str | None = None, *, user_session_id: int | None = None,
              access_token_id: int | None = None) -> tuple[PushSubscription, bool]:
    """Let `user` be notified at the browser subscription `endpoint` with its keys (see
    check_endpoint, check_keys: DomainError otherwise) for as long as the login that asks
    lasts: their session `user_session_id` or access token `access_token_id` (one of them;
    ending it deletes the subscription). `device` labels it (cut to 100 characters),
    `locale` (a key of LANGUAGES) is the browser's language. An endpoint already stored is
    updated and moves to `user` and this login (a browser belongs to whoever subscribed it
    last). A person keeps at most WEB_PUSH_MAX_PER_PERSON subscriptions: a new one beyond
    that replaces their oldest. Returns (the subscription, whether it is new)."""
    check_endpoint(endpoint)
    check_keys(p256dh, auth)
    if (user_session_id is None) == (access_token_id is None):
        raise DomainError(_("Log in again to turn notifications on for this device."), "endpoint")
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    created = row is None
    if created:
        row = PushSubscription(endpoint=endpoint)
        db.session.add(row)
    row.user_id, row.p256dh, row.auth, row.locale = user.id, p256dh, auth, locale
    row.user_session_id, row.access_token_id, row.failures = user_session_id, access_token_id, 0
    row.device = (device or "").strip()[:DEVICE_MAX]
    db.session.flush()
    _drop_beyond_cap(user.id, current_app.config["WEB_PUSH_MAX_PER_PERSON"])
    db.session.commit()
    return row, created


def _drop_beyond_cap(user_id: int, cap: int) -> None:
    # The newest `cap` stay (ids grow with time): the devices a person still uses resubscribe.
    kept = select(PushSubscription.id).where(PushSubscription.user_id == user_id).order_by(
        PushSubscription.id.desc()).limit(cap)
    db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user_id,
                                                      PushSubscription.id.not_in(kept)))


def unsubscribe(user: User, endpoint: str) -> None:
    """Stop notifying `user` at `endpoint` (nothing happens when it is not theirs)."""
    db.session.execute(delete(PushSubscription).where(PushSubscription.user_id == user.id,
                                                      PushSubscription.endpoint == endpoint))
    db.session.commit()


def set_previews(user: User, previews: bool) -> None:
    """Whether `user`'s notifications show the message's text (off: only who wrote)."""
    user.push_previews = bool(previews)
    db.session.commit()


def list_subscriptions(user: User) -> list[PushSubscription]:
    """The browsers `user` is notified on, oldest first."""
    return list(db.session.scalars(select(PushSubscription).where(PushSubscription.user_id == user.id)
                                   .order_by(PushSubscription.id)))


def subscription_json(row: PushSubscription) -> dict:
    """A subscription as the API shows it (never its keys)."""
    return {"id": row.id, "endpoint": row.endpoint, "device": row.device, "created_at": row.created_at.isoformat()}
