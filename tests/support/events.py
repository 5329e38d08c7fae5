"""What a person's event log holds: the newest event id, and the events a person would
replay after a cursor (read straight from the database)."""
from extensions import db
from realtime.eventlog import events_for_user, last_event_id


def cursor(app) -> int:
    """The id of the newest event so far (0 when none)."""
    with app.app_context():
        return last_event_id()


def events_of(app, user_id: int, after: int = 0, event_type: str | None = None) -> list[tuple[str, dict]]:
    """(type, data) of the events `user_id` would replay after `after`, of one type if given."""
    with app.app_context():
        events = [(e.type, e.data) for e in events_for_user(user_id, after)]
        db.session.remove()
    return [e for e in events if event_type is None or e[0] == event_type]


def events_seen(app, user_id: int, after: int = 0) -> list[tuple[int, str]]:
    """(id, type) of every event `user_id` would replay after event `after`, in id order."""
    with app.app_context():
        return [(event.id, event.type) for event in events_for_user(user_id, after)]
