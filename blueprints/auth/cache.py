"""Each worker's short memory of who a credential belongs to, so an API request is
authenticated without a query (bench/RESULTS.md, "Authentication once").

A credential (`realtime.events.credential`: a session or token hash) maps to its person's
column values and the credential's own row id, expiry and last use, for AUTH_CACHE_SECONDS
(default 5). An entry is forgotten at once, on every worker, when what it rests on changes:

- its session or token is revoked, or its person disabled: the `revoke`/`disable` control
  messages the broker already carries to close streams (this worker forgets them as its own
  transaction commits, the others as they hear them);
- its person's row changes: this worker forgets them when its transaction commits (any ORM
  change to a User), the others on the `user.updated` event (name or picture);
- anything else (a change made by another process without the broker, such as `flask users
  disable` on a one-machine site with no Redis) is seen when the entry expires, at most
  AUTH_CACHE_SECONDS later.

The cache is used only while the worker's hub listens to the broker (gunicorn starts it with
each worker), since otherwise no other worker's revocation could reach it; elsewhere (scripts,
the test client until a stream opens) every request reads the database as before.
"""
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from models import User
from realtime import EXTENSION_KEY as HUB_KEY
from realtime.events import DISABLE, EVENTS, REVOKE, USER_UPDATED

EXTENSION_KEY = "parley.credential_cache"
MAX_ENTRIES = 50_000  # past this, expired entries are swept before another is added
_CHANGED_USERS = "parley.changed_users"
_USER_MAPPER = inspect(User)
_USER_COLUMNS = tuple(attribute.key for attribute in _USER_MAPPER.column_attrs)
_new_user = _USER_MAPPER.class_manager.new_instance


@dataclass
class Entry:
    """What one credential rests on: the person's column values, the credential row's id,
    when the credential itself expires (sessions; None for tokens), and when it was last
    noted as used."""

    deadline: float  # time.monotonic() after which the entry is read again
    user_id: int
    values: dict
    row_id: int
    expires_at: datetime | None
    last_used_at: datetime | None


class CredentialCache:
    """Credential → Entry for `ttl` seconds (see the module docstring)."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.entries: dict[str, Entry] = {}

    def get(self, credential: str) -> Entry | None:
        """The live entry of `credential`, or None (absent or expired)."""
        entry = self.entries.get(credential)
        if entry is None:
            return None
        if entry.deadline < time.monotonic():
            del self.entries[credential]
            return None
        return entry

    def put(self, credential: str, user: User, row_id: int, expires_at: datetime | None,
            last_used_at: datetime | None) -> None:
        """Remember that `credential` (credential row `row_id`) belongs to `user`, as loaded now."""
        if len(self.entries) >= MAX_ENTRIES:
            now = time.monotonic()
            self.entries = {key: entry for key, entry in self.entries.items() if entry.deadline >= now}
            if len(self.entries) >= MAX_ENTRIES:
                self.entries.clear()
        values = {key: getattr(user, key) for key in _USER_COLUMNS}
        self.entries[credential] = Entry(time.monotonic() + self.ttl, user.id, values, row_id, expires_at,
                                         last_used_at)

    def forget(self, credential: str) -> None:
        """Forget `credential` (revoked)."""
        self.entries.pop(credential, None)

    def forget_users(self, user_ids) -> None:
        """Forget every credential of these people (disabled, or their row changed)."""
        user_ids = set(user_ids)
        if user_ids:
            for key in [key for key, entry in self.entries.items() if entry.user_id in user_ids]:
                del self.entries[key]

    def heard(self, message: dict) -> None:
        """Forget what a broker message says has changed: a revoke or disable control
        message, or a batch of events with user.updated among them."""
        kind = message.get("kind")
        if kind == REVOKE:
            self.forget(message["credential"])
        elif kind == DISABLE:
            self.forget_users([message["user_id"]])
        elif kind == EVENTS:
            self.forget_users(event["data"]["user"]["id"] for event in message["events"]
                              if event["type"] == USER_UPDATED)


def person(entry: Entry, session: Session) -> User:
    """A User built from `entry` and attached to `session` as the loaded row, without a query.

    Built the way SQLAlchemy's loader builds a row's object (a new instance whose state
    holds the column values and its identity key): the mapped constructor would record each
    value as a change to flush, and then have to forget them all again."""
    user = _new_user()
    state = instance_state(user)
    state.dict.update(entry.values)
    state.key = _USER_MAPPER.identity_key_from_primary_key((entry.user_id,))
    session.add(user)
    return user


def cache() -> CredentialCache | None:
    """The current app's cache, if it may be used now (its hub listens), else None."""
    the_cache = current_app.extensions.get(EXTENSION_KEY)
    if the_cache is None or not current_app.extensions[HUB_KEY].listening:
        return None
    return the_cache


def forget_committed(events, control_messages: list[dict]) -> None:
    """The after-commit step (core/hooks.py) by which this worker forgets at once what its
    own transaction revoked, disabled or renamed, before the broker tells the others."""
    if not has_app_context():
        return
    the_cache = current_app.extensions.get(EXTENSION_KEY)
    if the_cache is None:
        return
    for message in control_messages:
        the_cache.heard(message)
    the_cache.forget_users(event.data["user"]["id"] for event in events if event.type == USER_UPDATED)


def _note_changed_users(session: Session, _flush_context) -> None:
    # After a flush the session still lists what it flushed as dirty or deleted.
    changed = {obj.id for obj in (*session.dirty, *session.deleted) if isinstance(obj, User)}
    if changed:
        session.info.setdefault(_CHANGED_USERS, set()).update(changed)


def _forget_changed_users(session: Session) -> None:
    changed = session.info.pop(_CHANGED_USERS, None)
    if changed and has_app_context():
        the_cache = current_app.extensions.get(EXTENSION_KEY)
        if the_cache is not None:
            the_cache.forget_users(changed)


def _drop_changed_users(session: Session) -> None:
    session.info.pop(_CHANGED_USERS, None)


def init_app(app: Flask) -> None:
    """Give `app` its cache (AUTH_CACHE_SECONDS; 0 turns it off), tell its hub to pass it
    every broker message, and watch every Session for changed people (once per process)."""
    ttl = float(app.config.get("AUTH_CACHE_SECONDS", 5))
    if ttl <= 0:
        return
    the_cache = app.extensions[EXTENSION_KEY] = CredentialCache(ttl)
    app.extensions[HUB_KEY].listeners.append(the_cache.heard)
    for name, listener in (("after_flush", _note_changed_users), ("after_commit", _forget_changed_users),
                           ("after_rollback", _drop_changed_users)):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)
