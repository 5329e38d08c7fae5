"""The delivery layer's database reads: missed events for the hub, a person's stays and
replay for a stream (docs/delivery.md, "The listener" and "Opening a stream"). Each opens and
releases its own short session, and runs its statements on the session's connection (Core
rows, no ORM objects: a reconnect storm makes thousands of these reads at once)."""
from sqlalchemy import BigInteger, bindparam, or_, select

from extensions import db
from models import Event, EventRecipient, Membership
from realtime.eventlog import events_for_user, events_for_user_with_bounds, last_event_id
from realtime.events import client_view, wire


def read_events(after_id: int, until_id: int | None = None, limit: int = 1000) -> list[dict]:
    """Committed events after `after_id` (up to `until_id`) as the broker carries them
    (realtime.events.wire: with their audiences), in id order."""
    try:
        query = select(Event).where(Event.id > after_id).order_by(Event.id).limit(limit)
        if until_id is not None:
            query = query.where(Event.id <= until_id)
        rows = db.session.scalars(query).all()
        recipients: dict[int, list[int]] = {}
        if rows:
            for event_id, user_id in db.session.execute(
                    select(EventRecipient.event_id, EventRecipient.user_id)
                    .where(EventRecipient.event_id.in_([row.id for row in rows]))):
                recipients.setdefault(event_id, []).append(user_id)
        return [wire(row.id, row.type, row.data, row.created_at.isoformat(), row.conversation_id,
                     recipients.get(row.id, [])) for row in rows]
    finally:
        db.session.remove()


# Built once with bound parameters (constructing a statement costs more than running it).
_STAYS = select(Membership.conversation_id, Membership.joined_event_id, Membership.left_event_id).where(
    Membership.user_id == bindparam("user_id"),
    or_(Membership.left_event_id.is_(None), Membership.left_event_id > bindparam("after_id", type_=BigInteger)))


def load_stays(user_id: int, after_id: int) -> dict[int, list[list]]:
    """`user_id`'s stays in conversations that can still matter for events after `after_id`:
    {conversation id: [[joined event id, left event id or None], ...]}."""
    try:
        stays: dict[int, list[list]] = {}
        rows = db.session.connection().execute(_STAYS, {"user_id": user_id, "after_id": after_id})
        for conversation_id, joined, left in rows:
            stays.setdefault(conversation_id, []).append([joined or 0, left])
        return stays
    finally:
        db.session.remove()


def _replay_rows(user_id: int, after_id: int, limit: int) -> tuple[list[dict], bool]:
    rows = events_for_user(user_id, after_id, limit + 1)
    events = [client_view(row.id, row.type, row.data, row.created_at.isoformat()) for row in rows[:limit]]
    return events, len(rows) > limit


def replay(user_id: int, after_id: int, limit: int) -> tuple[list[dict], bool]:
    """Events after `after_id` meant for `user_id` (client views), and whether more
    than `limit` wait. Membership is checked as of each event (eventlog.events_for_user)."""
    try:
        return _replay_rows(user_id, after_id, limit)
    finally:
        db.session.remove()


def checked_replay(user_id: int, after_id: int, limit: int) -> tuple[bool, list[dict], bool]:
    """The cursor check and `replay` in one statement (a reconnect or a long-poll does both):
    whether `after_id` is still a cursor served (no older than the oldest event kept, no
    newer than the newest), and if so the first `limit` events after it for `user_id` and
    whether more wait."""
    try:
        oldest, newest, rows = events_for_user_with_bounds(user_id, after_id, limit + 1)
        if after_id < oldest or after_id > newest:
            return False, [], False
        events = [client_view(event_id, kind, data, created_at.isoformat())
                  for event_id, kind, data, created_at in rows[:limit]]
        return True, events, len(rows) > limit
    finally:
        db.session.remove()


__all__ = ["checked_replay", "last_event_id", "load_stays", "read_events", "replay"]
