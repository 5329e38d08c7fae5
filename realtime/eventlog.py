"""Recording events in the same transaction as the change they describe, with gapless ids
in commit order, publishing them after COMMIT, and reading a person's events back after a
cursor.

Ids come from a one-row counter (`UPDATE event_counter SET last_id = last_id + k RETURNING
last_id`) taken as the last statement before COMMIT (docs/delivery.md, "Ids"): its row lock
serialises event writers until they commit, and a rollback rolls the counter back, so
committed ids are exactly 1, 2, 3, ... in commit order. After COMMIT the events go to the
steps given to `install_commit_listeners` (docs/delivery.md, "Publish after commit").
"""
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event as sa_event
from sqlalchemy import BigInteger, bindparam, func, or_, select, true, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from core.prepared import Prepared, PreparedInsert
from core.timeutil import utcnow
from extensions import db
from models import Event, EventCounter, EventRecipient, Membership
from realtime.events import NewEvent

_PENDING = "parley.pending_events"
_WRITTEN = "parley.written_events"  # inserted already, with ids from take_event_ids
_COMMITTED = "parley.committed_events"
_CONTROL = "parley.control_messages"
AfterCommitStep = Callable[[list["PendingEvent"], list[dict]], None]
_steps: list[AfterCommitStep] = []  # set by install_commit_listeners


@dataclass
class PendingEvent:
    """An event recorded in the current transaction; `id` is set when the transaction commits."""

    type: str
    data: dict
    conversation_id: int | None = None
    user_ids: tuple[int, ...] = ()
    created_at: datetime = field(default_factory=utcnow)
    id: int | None = None
    _stamps: list[tuple[object, str]] = field(default_factory=list)

    def stamp(self, obj: object, attribute: str) -> None:
        """Set `obj.<attribute>` to this event's id once it is known (in the same transaction)."""
        self._stamps.append((obj, attribute))


def _transaction_info() -> dict:
    session = db.session()
    if not session.in_transaction():
        # Without a transaction, rollback() is a no-op that fires no event, and what is
        # recorded here would ride along with the next commit.
        session.begin()
    return session.info


def send_event_on_commit(event: NewEvent) -> PendingEvent:
    """Record `event` (built by realtime.events) in the current database transaction: the
    only way events are made. Its id is assigned as the transaction commits, and after the
    COMMIT it is published to every worker; on rollback it vanishes.

    The audience is the members of `event.conversation_id` as of this event, or else
    `event.user_ids` (deduplicated); ValueError when it has neither. Returns the pending
    event, whose `stamp` writes its id into rows of the same transaction.
    """
    if event.conversation_id is None and not event.user_ids:
        raise ValueError("an event needs a conversation or user ids")
    pending = PendingEvent(event.type, event.data, event.conversation_id, tuple(dict.fromkeys(event.user_ids)))
    _transaction_info().setdefault(_PENDING, []).append(pending)
    return pending


_COUNTER = EventCounter.__table__
# Every event writer runs these: on the DBAPI cursor (core/prepared.py), which spares each
# statement SQLAlchemy's execute machinery.
_TAKE_IDS = Prepared(lambda: update(_COUNTER).where(_COUNTER.c.id == 1)
                     .values(last_id=_COUNTER.c.last_id + bindparam("count", type_=BigInteger))
                     .returning(_COUNTER.c.last_id))
_INSERT_EVENTS = PreparedInsert(Event.__table__, ("id", "type", "conversation_id", "data", "created_at"))
_INSERT_RECIPIENTS = PreparedInsert(EventRecipient.__table__, ("user_id", "event_id"))


def _take_ids(connection: Connection, count: int) -> int:
    return _TAKE_IDS.run(connection, {"count": count})[0][0] - count + 1


def take_event_ids(count: int = 1, connection: Connection | None = None) -> int:
    """Take `count` consecutive event ids from the counter now and return the first, for
    rows that must carry their event's id in their own INSERT (the send path: a message row
    names its message.created event, and the event names the message, so the one is written
    with the other's id in hand instead of stamped by a second UPDATE). Pass each id to
    `write_events` before the transaction ends. `connection` is the session's
    (`db.session.connection()`, looked up when not given).

    The counter's row stays locked until COMMIT or ROLLBACK, exactly as with ids assigned
    at commit (docs/delivery.md, "Ids"): ids stay gapless and in commit order. Take them as
    late as the transaction allows, since every other event writer waits from here on.
    """
    return _take_ids(connection or db.session().connection(), count)


def write_events(written: list[tuple[int, NewEvent]], created_at: datetime | None = None,
                 connection: Connection | None = None) -> list[PendingEvent]:
    """Insert each `(event_id, event)` of `written` now (ids from `take_event_ids` in this
    transaction), in one statement; they are published after COMMIT like any recorded
    event, and vanish on rollback. The audience rules are `send_event_on_commit`'s;
    ValueError for an event without a conversation or user ids. `connection` as
    `take_event_ids`'s."""
    created_at = created_at or utcnow()
    items = []
    for event_id, event in written:
        if event.conversation_id is None and not event.user_ids:
            raise ValueError("an event needs a conversation or user ids")
        items.append(PendingEvent(event.type, event.data, event.conversation_id,
                                  tuple(dict.fromkeys(event.user_ids)), created_at, event_id))
    session = db.session()
    _insert(connection or session.connection(), items)
    session.info.setdefault(_WRITTEN, []).extend(items)
    return items


def _insert(connection: Connection, items: list[PendingEvent]) -> None:
    # Core statements on the tables: the ORM's bulk paths would only add per-call overhead.
    rows, recipients = [], []
    for item in items:
        rows.append({"id": item.id, "type": item.type, "conversation_id": item.conversation_id,
                     "data": item.data, "created_at": item.created_at})
        recipients.extend({"user_id": uid, "event_id": item.id} for uid in item.user_ids)
    _INSERT_EVENTS.run(connection, rows)
    if recipients:
        _INSERT_RECIPIENTS.run(connection, recipients)


def send_control_on_commit(message: dict) -> None:
    """Publish `message` (a control message built by realtime.events: `revoke`, `disable`,
    `view`) to every worker once the current transaction commits; dropped if it rolls back."""
    _transaction_info().setdefault(_CONTROL, []).append(message)


def pending_control(session: Session) -> list[dict]:
    """The control messages recorded so far in `session`'s transaction (read-only)."""
    return list(session.info.get(_CONTROL, ()))


def install_commit_listeners(after_commit: Sequence[AfterCommitStep]) -> None:
    """Attach the event log to every SQLAlchemy Session (docs/delivery.md, "Publish after commit").

    Before COMMIT, the ids of the events recorded in the transaction are taken from the
    counter and the events inserted, as the transaction's last statements. After the COMMIT
    of a top-level transaction, each of `after_commit` is called in order as
    `step(events, control_messages)` (the PendingEvents committed, with their ids, and the
    control messages sent): after every such commit, so both lists are often empty and a
    step must then return at once. A rollback or close discards what was recorded.

    Idempotent: calling it again (each app the tests build) replaces the steps; the
    listeners are registered once.
    """
    _steps[:] = after_commit
    for name, listener in (("before_commit", _assign_ids), ("after_commit", _committed),
                           ("after_rollback", _discard), ("after_transaction_end", _discard_on_close)):
        if not sa_event.contains(Session, name, listener):
            sa_event.listen(Session, name, listener)


def _assign_ids(session: Session) -> None:
    written = session.info.pop(_WRITTEN, None) or []
    pending = session.info.pop(_PENDING, None) or []
    if pending:
        # Write everything else first, so the counter's row lock is held only for the few
        # statements below and the COMMIT itself.
        session.flush()
        connection = session.connection()
        first = _take_ids(connection, len(pending))
        for offset, item in enumerate(pending):
            item.id = first + offset
            for obj, attribute in item._stamps:
                setattr(obj, attribute, item.id)
        _insert(connection, pending)
    if written or pending:
        # Ids taken early are lower than those taken here, so this list is in id order.
        session.info[_COMMITTED] = written + pending


def _committed(session: Session) -> None:
    committed = session.info.pop(_COMMITTED, None) or []
    control = session.info.pop(_CONTROL, None) or []
    for step in _steps:
        step(committed, control)


def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_WRITTEN, None)
    session.info.pop(_COMMITTED, None)
    session.info.pop(_CONTROL, None)


def _discard_on_close(session: Session, transaction) -> None:
    # close() ends the transaction without a rollback event; what it recorded is gone too.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_WRITTEN, None)
        session.info.pop(_CONTROL, None)


def last_event_id() -> int:
    """The id of the newest committed event (0 when there is none): the cursor a page starts at."""
    return db.session.scalar(select(EventCounter.last_id).where(EventCounter.id == 1)) or 0


def _build_events_for_user():
    # Built once with bound parameters: constructing this statement anew for each replay
    # cost more than running it. The same object also hits SQLAlchemy's compiled cache.
    user_id, after_id = bindparam("user_id"), bindparam("after_id", type_=BigInteger)
    personal = select(EventRecipient.event_id).where(
        EventRecipient.user_id == user_id, EventRecipient.event_id > after_id)
    in_conversations = (
        select(Event.id)
        .join(Membership, Membership.conversation_id == Event.conversation_id)
        .where(
            Membership.user_id == user_id,
            Event.id > after_id,
            or_(Membership.joined_event_id.is_(None), Event.id >= Membership.joined_event_id),
            or_(Membership.left_event_id.is_(None), Event.id <= Membership.left_event_id),
        )
    )
    return (select(Event.id, Event.type, Event.data, Event.created_at).where(Event.id > after_id,
                                or_(Event.id.in_(personal), Event.id.in_(in_conversations)))
            .order_by(Event.id).limit(bindparam("limit")))


_EVENTS_FOR_USER = _build_events_for_user()
# The same, beside the cursors served: each row is (newest committed id, oldest event id kept
# or None, then the event's id, type, data and created_at, or four Nones when there is none).
_REPLAYED = _EVENTS_FOR_USER.subquery("replayed")
_EVENTS_WITH_BOUNDS = (
    select(EventCounter.last_id, select(func.min(Event.id)).scalar_subquery(), _REPLAYED.c.id,
           _REPLAYED.c.type, _REPLAYED.c.data, _REPLAYED.c.created_at)
    .select_from(EventCounter.__table__.outerjoin(_REPLAYED, true()))
    .where(EventCounter.id == 1).order_by(_REPLAYED.c.id))


def events_for_user(user_id: int, after_id: int, limit: int = 500) -> list[Row]:
    """Return up to `limit` events after `after_id` meant for `user_id`, in id order, as rows
    with `id`, `type`, `data` and `created_at` (no ORM objects: replay reads many, and building
    them cost more than the query).

    An event is theirs when it names them, or when it belongs to a conversation they were a
    member of at that event (joined_event_id <= id <= left_event_id), so replay never returns
    a group's events from before they joined or after they left. One indexed query, on the
    session's connection.
    """
    return db.session.connection().execute(
        _EVENTS_FOR_USER, {"user_id": user_id, "after_id": after_id, "limit": limit}).all()


def events_for_user_with_bounds(user_id: int, after_id: int, limit: int = 500) -> tuple[int, int, list[tuple]]:
    """`events_for_user` and the cursors served, read in one statement (one snapshot): returns
    (oldest, newest, events). A cursor is served when oldest <= cursor <= newest: `oldest` is
    the id before the oldest event kept (0 when nothing was ever pruned; the newest when every
    event was), `newest` the newest committed id. `events` are (id, type, data, created_at)."""
    rows = db.session.connection().execute(
        _EVENTS_WITH_BOUNDS, {"user_id": user_id, "after_id": after_id, "limit": limit}).all()
    newest, first = rows[0][0], rows[0][1]
    oldest = first - 1 if first is not None else newest
    return oldest, newest, [row[2:] for row in rows if row[2] is not None]
