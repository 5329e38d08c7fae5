"""Recording events in the same transaction as the change they describe, with gapless ids
in commit order, and reading a person's events back after a cursor.

Ids come from a one-row counter (`UPDATE event_counter SET last_id = last_id + k RETURNING
last_id`) taken as the last statement before COMMIT (shared/DELIVERY.md, "Commit-ordered,
gapless ids"): its row lock serialises event writers until they commit, and a rollback rolls
the counter back, so committed ids are exactly 1, 2, 3, ... in commit order.
"""
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import event as sa_event
from sqlalchemy import BigInteger, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from core.timeutil import utcnow
from extensions import db
from models import Event, EventCounter, EventRecipient, Membership

_PENDING = "parley.pending_events"
_COMMITTED = "parley.committed_events"
_CONTROL = "parley.control_messages"
_after_commit: list[Callable[[list["PendingEvent"], list[dict]], None]] = []


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

    def body(self) -> dict:
        """The event as clients see it: {"id", "type", "data", "created_at"}."""
        return {"id": self.id, "type": self.type, "data": self.data,
                "created_at": self.created_at.isoformat()}


def record_event(type: str, data: dict, *, conversation_id: int | None = None,
                 user_ids: tuple[int, ...] | list[int] = ()) -> PendingEvent:
    """Record an event in the current database transaction; the only way events are made.

    `type` is a dotted name ("friend_request.received"); `data` a JSON-serialisable dict. The
    audience is the members of `conversation_id` as of this event, or else `user_ids`
    (deduplicated). The id is assigned when the transaction commits, and after the commit the
    event is handed to every function registered with `on_commit`; on rollback it vanishes.
    """
    if conversation_id is None and not user_ids:
        raise ValueError("an event needs a conversation or user ids")
    pending = PendingEvent(type, data, conversation_id, tuple(dict.fromkeys(user_ids)))
    session = db.session()
    if not session.in_transaction():
        # Without a transaction, rollback() is a no-op that fires no event, and the pending
        # event would ride along with the next commit.
        session.begin()
    session.info.setdefault(_PENDING, []).append(pending)
    return pending


def send_after_commit(message: dict) -> None:
    """Hand `message` (a control message such as {"kind": "revoke", ...}) to the `on_commit`
    callbacks once the current transaction commits; dropped if it rolls back."""
    session = db.session()
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_CONTROL, []).append(message)


def on_commit(callback: Callable[[list[PendingEvent], list[dict]], None]) -> None:
    """Call `callback(events, control_messages)` after each commit that recorded any."""
    _after_commit.append(callback)


@sa_event.listens_for(Session, "before_commit")
def _assign_ids(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    # Write everything else first, so the counter's row lock is held only for the few
    # statements below and the COMMIT itself.
    session.flush()
    # Core statements on the tables: the ORM's bulk paths would only add per-call overhead.
    counter = EventCounter.__table__
    last = session.execute(
        update(counter).where(counter.c.id == 1)
        .values(last_id=counter.c.last_id + len(pending))
        .returning(counter.c.last_id)
    ).scalar_one()
    rows, recipients = [], []
    for offset, item in enumerate(pending):
        item.id = last - len(pending) + 1 + offset
        rows.append({"id": item.id, "type": item.type, "conversation_id": item.conversation_id,
                     "data": item.data, "created_at": item.created_at})
        recipients.extend({"user_id": uid, "event_id": item.id} for uid in item.user_ids)
        for obj, attribute in item._stamps:
            setattr(obj, attribute, item.id)
    session.execute(insert(Event.__table__), rows)
    if recipients:
        session.execute(insert(EventRecipient.__table__), recipients)
    session.info[_COMMITTED] = pending


@sa_event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    committed = session.info.pop(_COMMITTED, None) or []
    control = session.info.pop(_CONTROL, None) or []
    if committed or control:
        for callback in _after_commit:
            callback(committed, control)


@sa_event.listens_for(Session, "after_rollback")
def _discard(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_COMMITTED, None)
    session.info.pop(_CONTROL, None)


@sa_event.listens_for(Session, "after_transaction_end")
def _discard_on_close(session: Session, transaction) -> None:
    # close() ends the transaction without a rollback event; what it recorded is gone too.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
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
    return (select(Event).where(Event.id > after_id,
                                or_(Event.id.in_(personal), Event.id.in_(in_conversations)))
            .order_by(Event.id).limit(bindparam("limit")))


_EVENTS_FOR_USER = _build_events_for_user()


def events_for_user(user_id: int, after_id: int, limit: int = 500) -> list[Event]:
    """Return up to `limit` events after `after_id` meant for `user_id`, in id order.

    An event is theirs when it names them, or when it belongs to a conversation they were a
    member of at that event (joined_event_id <= id <= left_event_id), so replay never returns
    a group's events from before they joined or after they left. One indexed query.
    """
    return list(db.session.scalars(_EVENTS_FOR_USER,
                                   {"user_id": user_id, "after_id": after_id, "limit": limit}))
