"""`flask events prune` drops old events as a prefix of ids, and replay then starts after them."""
from datetime import timedelta

from sqlalchemy import func, select, update

from core.timeutil import utcnow
from extensions import db
from models import Event, EventRecipient
from tests.support.factories import make_user, send_request


def oldest_retained_id() -> int:
    """The id before the oldest event still kept: the oldest cursor a stream still serves."""
    return db.session.scalar(select(func.min(Event.id))) - 1


def test_prune_deletes_only_events_older_than_the_retention(app, runner):
    alice, bob, carol = make_user(app, "alice"), make_user(app, "bob"), make_user(app, "carol")
    send_request(app, alice, bob)
    send_request(app, alice, carol)
    with app.app_context():
        first = db.session.scalar(select(Event.id).order_by(Event.id))
        db.session.execute(update(Event).where(Event.id == first)
                           .values(created_at=utcnow() - timedelta(days=40)))
        db.session.commit()
    result = runner.invoke(args=["events", "prune", "--days", "30"])
    assert result.exit_code == 0 and "Deleted 1 events" in result.output
    with app.app_context():
        assert db.session.scalars(select(Event.id)).all() == [first + 1]
        assert db.session.scalar(select(EventRecipient).where(EventRecipient.event_id == first)) is None
        # A cursor before the pruned event is now too old: the stream answers `reset`.
        assert oldest_retained_id() == first


def test_prune_with_nothing_old_changes_nothing(app, runner):
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    send_request(app, alice, bob)
    result = runner.invoke(args=["events", "prune"])
    assert result.exit_code == 0 and "No events older than 30 days." in result.output
    with app.app_context():
        assert len(db.session.scalars(select(Event.id)).all()) == 1
