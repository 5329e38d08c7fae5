"""Each worker's memory of who a credential belongs to, so an API request is authenticated
without a query (bench/RESULTS.md, "Authentication once").

A credential (`realtime.events.credential`: a session or token hash) maps to its person's
column values and the credential's own row id, expiry and last use, for AUTH_CACHE_SECONDS
(default 300). An entry is forgotten when what it rests on changes:

- at once on every worker, through the broker: its session or token revoked, or its person
  disabled (the `revoke`/`disable` control messages that already close streams), or their
  name or picture changed (`user.updated`); this worker forgets as its own transaction commits,
  as it does for any ORM change to a person;
- within EPOCH_CHECK seconds on every worker, whatever the broker did: each such transaction
  also moves the one-row credential epoch (models.CredentialEpoch), which every worker reads
  once a second, forgetting everything when it moved. So a change the broker never carried
  (`flask users disable` on a one-machine site without Redis, or during a Redis outage) is
  seen within a second, not after AUTH_CACHE_SECONDS.

The cache is used only while the worker's hub listens to the broker (gunicorn starts it with
each worker); elsewhere (scripts, the test client until a stream opens) every request reads
the database as before.
"""
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app, has_app_context
from sqlalchemy import event as sa_event
from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from extensions import db
from models import CredentialEpoch, User
from realtime import EXTENSION_KEY as HUB_KEY
from realtime.eventlog import pending_control
from realtime.events import DISABLE, EVENTS, REVOKE, USER_UPDATED

EXTENSION_KEY = "parley.credential_cache"
EPOCH_CHECK = 1.0  # seconds between a worker's reads of the credential epoch
MAX_ENTRIES = 50_000  # past this, expired entries are swept before another is added
_CHANGED_USERS = "parley.changed_users"
_USER_MAPPER = inspect(User)
_USER_COLUMNS = tuple(attribute.key for attribute in _USER_MAPPER.column_attrs)
_new_user = _USER_MAPPER.class_manager.new_instance
_EPOCH = CredentialEpoch.__table__
_READ_EPOCH = select(_EPOCH.c.value).where(_EPOCH.c.id == 1)
_MOVE_EPOCH = update(_EPOCH).where(_EPOCH.c.id == 1).values(value=_EPOCH.c.value + 1)


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
    """Credential → Entry for `ttl` seconds (see the module docstring).

    `generation` moves whenever something is forgotten: a caller that read a credential from
    the database passes the generation it saw before reading to `put`, which then drops what
    may have been read before a change it has since heard of."""

    def __init__(self, ttl: float):
        self.ttl = ttl
        self.entries: dict[str, Entry] = {}
        self.generation = 0
        self.epoch: int | None = None
        self.epoch_read_at = float("-inf")

    def get(self, credential: str) -> Entry | None:
        """The live entry of `credential`, or None (absent or expired). Reads the credential
        epoch first when EPOCH_CHECK seconds have passed (one query)."""
        now = time.monotonic()
        if now - self.epoch_read_at >= EPOCH_CHECK:
            self.epoch_read_at = now
            epoch = db.session.connection().execute(_READ_EPOCH).scalar()
            if epoch != self.epoch:
                self.epoch = epoch
                self.clear()
        entry = self.entries.get(credential)
        if entry is None:
            return None
        if entry.deadline < now:
            del self.entries[credential]
            return None
        return entry

    def put(self, credential: str, user: User, row_id: int, expires_at: datetime | None,
            last_used_at: datetime | None, generation: int) -> None:
        """Remember that `credential` (credential row `row_id`) belongs to `user`, as read
        from the database after `generation` was current; nothing if something has been
        forgotten since."""
        if generation != self.generation:
            return
        if len(self.entries) >= MAX_ENTRIES:
            now = time.monotonic()
            self.entries = {key: entry for key, entry in self.entries.items() if entry.deadline >= now}
            if len(self.entries) >= MAX_ENTRIES:
                self.clear()
        values = {key: getattr(user, key) for key in _USER_COLUMNS}
        self.entries[credential] = Entry(time.monotonic() + self.ttl, user.id, values, row_id, expires_at,
                                         last_used_at)

    def clear(self) -> None:
        """Forget everything."""
        self.generation += 1
        self.entries.clear()

    def forget(self, credential: str) -> None:
        """Forget `credential` (revoked)."""
        self.generation += 1
        self.entries.pop(credential, None)

    def forget_users(self, user_ids) -> None:
        """Forget every credential of these people (disabled, or their row changed)."""
        user_ids = set(user_ids)
        if user_ids:
            self.generation += 1
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


def _changed_users(session: Session) -> set[int]:
    return {obj.id for obj in (*session.dirty, *session.deleted)
            if isinstance(obj, User) and obj.id is not None and session.is_modified(obj)}


def _note_changed_users(session: Session, _flush_context) -> None:
    # After a flush the session still lists what it flushed as dirty or deleted.
    changed = _changed_users(session)
    if changed:
        session.info.setdefault(_CHANGED_USERS, set()).update(changed)


def _move_epoch(session: Session) -> None:
    # Before COMMIT, in the same transaction: a revocation, a disabled account or a changed
    # person moves the epoch every worker reads (changes still to flush count too).
    if (session.info.get(_CHANGED_USERS) or _changed_users(session)
            or any(message["kind"] in (REVOKE, DISABLE) for message in pending_control(session))):
        session.connection().execute(_MOVE_EPOCH)


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
    every broker message, and watch every Session for revocations and changed people (once
    per process)."""
    for name, listener in (("after_flush", _note_changed_users), ("before_commit", _move_epoch),
                           ("after_commit", _forget_changed_users), ("after_rollback", _drop_changed_users)):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)
    ttl = float(app.config.get("AUTH_CACHE_SECONDS", 300))
    if ttl <= 0:
        return
    the_cache = app.extensions[EXTENSION_KEY] = CredentialCache(ttl)
    app.extensions[HUB_KEY].listeners.append(the_cache.heard)
