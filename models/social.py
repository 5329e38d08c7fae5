"""The social graph: friend requests and friendships."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow
from extensions import db
from models.types import UTCDateTime


class FriendRequest(db.Model):
    """A request from `sender_id` to `receiver_id`, with a reason.

    `pair_key` is "<lower id>:<higher id>"; at most one request per pair is pending at a time
    (a partial unique index), which settles two people asking each other at the same moment.
    """

    __tablename__ = "friend_request"
    __table_args__ = (
        Index(
            "uq_friend_request_pending_pair", "pair_key", unique=True,
            sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_friend_request_receiver_id_updated_at", "receiver_id", "updated_at"),
        Index("ix_friend_request_sender_id_updated_at", "sender_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    pair_key: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending|accepted|rejected
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Friendship(db.Model):
    """One direction of a friendship; a friendship is two rows (a→b and b→a), so listing a
    person's friends is one indexed range."""

    __tablename__ = "friendship"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    friend_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Block(db.Model):
    """`blocker_id` blocked `blocked_id`: the blocked person can no longer send the blocker
    friend requests or direct messages, and the blocker sees neither their pending requests
    nor (collapsed) their messages in shared groups. The blocked person is not told."""

    __tablename__ = "block"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
