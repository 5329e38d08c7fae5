"""Server-side login sessions and personal access tokens, and the Flask-Login loaders."""
import hashlib
import secrets
from datetime import timedelta

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import joinedload

from blueprints.auth.cache import cache, person
from core.error_pages import wants_json
from core.timeutil import utcnow
from core.views import is_hidden_from_anonymous
from extensions import db, login
from models import AccessToken, User, UserSession
from realtime import events
from realtime.eventlog import send_control_on_commit

TOKEN_PREFIX = "pat_"


def _sha256(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def bearer_token() -> str | None:
    """Return the token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1), or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def start_session(user: User, remember: bool, user_agent: str, ip_address: str) -> str:
    """Record a new login session for `user` and return its raw token (for the cookie only).

    `remember` keeps it PERMANENT_SESSION_LIFETIME, otherwise BROWSER_SESSION_LIFETIME.
    Adds to the database session; the caller commits.
    """
    raw = secrets.token_urlsafe(32)
    lifetime = current_app.config[
        "PERMANENT_SESSION_LIFETIME" if remember else "BROWSER_SESSION_LIFETIME"
    ]
    now = utcnow()
    db.session.add(
        UserSession(
            user=user,
            token_hash=_sha256(raw),
            # As the browser said it, less control characters (PostgreSQL refuses a NUL).
            user_agent="".join(c for c in user_agent[:512] if c.isprintable()),
            ip_address=ip_address[:64],
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
        )
    )
    return raw


def current_session_id() -> int | None:
    """Return the id of the UserSession behind this request's cookie, or None."""
    raw = session.get("sid")
    if not raw:
        return None
    return db.session.scalar(select(UserSession.id).where(UserSession.token_hash == _sha256(raw)))


def current_token_id() -> int | None:
    """Return the id of the AccessToken of this request's Bearer header, or None."""
    raw = bearer_token()
    if not raw:
        return None
    return db.session.scalar(select(AccessToken.id).where(AccessToken.token_hash == _sha256(raw)))


def request_credential() -> str:
    """What authenticated this request (its Bearer token, else its session cookie), as the
    credential its event streams are opened with, so revoking that closes them."""
    raw = bearer_token()
    if raw:
        return events.credential("token", _sha256(raw))
    return events.credential("session", _sha256(session.get("sid") or ""))


def revoke_on_commit(kind: str, token_hashes) -> None:
    """Close the open event streams of these credentials (`kind` "session" or "token", and
    their secrets' SHA-256 hex digests) once the current transaction commits."""
    for token_hash in token_hashes:
        send_control_on_commit(events.revoke(events.credential(kind, token_hash)))


def end_session_by_token(raw: str) -> None:
    """Delete the session whose raw token is `raw`; replaying its cookie then fails, and its
    open event streams close. Caller commits."""
    db.session.execute(delete(UserSession).where(UserSession.token_hash == _sha256(raw)))
    revoke_on_commit("session", [_sha256(raw)])


def end_sessions(user_id: int, keep_id: int | None = None) -> int:
    """Delete every session of `user_id` except `keep_id` (their open event streams close);
    return how many ended. Caller commits."""
    stmt = delete(UserSession).where(UserSession.user_id == user_id)
    if keep_id is not None:
        stmt = stmt.where(UserSession.id != keep_id)
    hashes = db.session.scalars(stmt.returning(UserSession.token_hash)).all()
    revoke_on_commit("session", hashes)
    return len(hashes)


def create_token(user: User, name: str) -> str:
    """Create a personal access token named `name` for `user`; return the raw token (shown once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(AccessToken(user=user, name=name[:64], token_hash=_sha256(raw), hint=raw[:8]))
    return raw


# Built once with a bound parameter: a statement's cache key is then computed once, not per
# request. The person comes in the same query as their token or session row.
_TOKEN = select(User, AccessToken.id, AccessToken.last_used_at).join(AccessToken.user).where(
    AccessToken.token_hash == bindparam("token_hash"))
_SESSION = select(UserSession).options(joinedload(UserSession.user)).where(
    UserSession.token_hash == bindparam("token_hash"))


def _commit_touch() -> None:
    # Commit a "last used" time without expiring what was loaded: expiring would make the
    # next read of the person (every request reads them) load them again. What is loaded
    # is what was just written, so nothing goes stale.
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True
    g.pop("parley_committed", None)  # bookkeeping, not the request's change


def _stale(last_used_at, now) -> bool:
    return last_used_at is None or now - last_used_at > timedelta(seconds=current_app.config["SESSION_TOUCH_INTERVAL"])


def user_for_token(raw: str) -> User | None:
    """Return the active user owning access token `raw`, noting its use (at most once per
    SESSION_TOUCH_INTERVAL seconds), or None. One query, or none while the worker's
    credential cache remembers the token (blueprints/auth/cache.py), plus a write when noting."""
    token_hash = _sha256(raw)
    remembered = cache()
    key = events.credential("token", token_hash)
    entry = remembered.get(key) if remembered is not None else None
    if entry is not None:
        now = utcnow()
        if _stale(entry.last_used_at, now):
            _touch_token(entry.row_id, now)
            entry.last_used_at = now
        return person(entry, db.session())
    generation = remembered.generation if remembered is not None else None
    row = db.session.execute(_TOKEN, {"token_hash": token_hash}).first()
    if row is None or not row[0].is_active:
        return None
    user, token_id, last_used_at = row
    now = utcnow()
    if _stale(last_used_at, now):
        _touch_token(token_id, now)
        last_used_at = now
    if remembered is not None:
        remembered.put(key, user, token_id, None, last_used_at, generation)
    return user


def _touch_token(token_id: int, now) -> None:
    db.session.execute(update(AccessToken.__table__).where(AccessToken.__table__.c.id == token_id)
                       .values(last_used_at=now))
    _commit_touch()


def release_connection(user: User) -> None:
    """End the request's database transaction after authentication and give its pooled
    connection back, keeping `user` (the logged-in person) attached to the session without
    a query. Until the view's own first statement the request then holds no connection, so
    requests that wait before it (on a rate limit, or for their turn on a busy worker)
    cannot empty the pool for the requests that are writing."""
    db.session.close()
    db.session.add(user)


@login.user_loader
def _load_user_from_session(user_id: str) -> User | None:
    # The Flask session (a signed cookie) names the user and carries the session token; the
    # server-side row decides whether that session is still alive.
    if bearer_token() is not None:
        return None  # a Bearer request is authenticated by its token alone
    raw = session.get("sid")
    if not raw:
        return None
    token_hash = _sha256(raw)
    now = utcnow()
    remembered = cache()
    key = events.credential("session", token_hash)
    entry = remembered.get(key) if remembered is not None else None
    if entry is not None and entry.expires_at > now and str(entry.user_id) == user_id:
        if _stale(entry.last_used_at, now):
            _touch_session(entry.row_id, now)
            entry.last_used_at = now
        return person(entry, db.session())
    generation = remembered.generation if remembered is not None else None
    row = db.session.scalar(_SESSION, {"token_hash": token_hash})
    if row is None or row.expires_at <= now or str(row.user_id) != user_id or not row.user.is_active:
        session.clear()
        return None
    last_seen_at = row.last_seen_at
    if _stale(last_seen_at, now):
        _touch_session(row.id, now)
        last_seen_at = now
    if remembered is not None:
        remembered.put(key, row.user, row.id, row.expires_at, last_seen_at, generation)
    return row.user


def _touch_session(session_id: int, now) -> None:
    table = UserSession.__table__
    db.session.execute(update(table).where(table.c.id == session_id)
                       .values(last_seen_at=now, ip_address=(request.remote_addr or "")[:64]))
    _commit_touch()


@login.request_loader
def _load_user_from_request(req) -> User | None:
    raw = bearer_token()
    return user_for_token(raw) if raw else None


@login.unauthorized_handler
def _unauthorized():
    # Pages send people to the login form; JSON callers and scripts get a plain 401. A
    # private file (an attachment) is no page: a browser gets the 404 of a missing one.
    if wants_json() or bearer_token() is not None:
        abort(401)
    if is_hidden_from_anonymous():
        abort(404)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
