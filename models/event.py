"""The event log: commit-ordered, gapless event ids and each event's audience."""
from datetime import datetime

from sqlalchemy import DDL, JSON, BigInteger, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow
from extensions import db
from models.types import UTCDateTime


class EventCounter(db.Model):
    """The one-row counter that hands out event ids (see realtime/eventlog.py)."""

    __tablename__ = "event_counter"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    last_id: Mapped[int] = mapped_column(BigInteger, default=0)


# create_all (tests, first runs) gets the row too; the migration inserts it itself.
event.listen(EventCounter.__table__, "after_create",
             DDL("INSERT INTO event_counter (id, last_id) VALUES (1, 0)"))


class Event(db.Model):
    """A durable change some people should see. The audience is the members of
    `conversation_id` (as of this event), or the users listed in event_recipient."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    data: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EventRecipient(db.Model):
    """A person an event is addressed to by name (friend requests, personal notices)."""

    __tablename__ = "event_recipient"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
