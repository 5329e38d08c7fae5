"""What people do to messages besides sending them: the earlier versions an edit replaced,
reactions, pins, and messages a person hid from their own view."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow
from extensions import db
from models.types import UTCDateTime


class MessageEdit(db.Model):
    """A version of a message's text that an edit replaced: `body` as it read until
    `edited_at`. Kept for moderation, never shown to members."""

    __tablename__ = "message_edit"
    __table_args__ = (Index("ix_message_edit_message_id_id", "message_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reaction(db.Model):
    """`user_id` reacted to `message_id` with `emoji` (one fully-qualified emoji sequence);
    a person adds each emoji at most once per message."""

    __tablename__ = "reaction"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id", "emoji", name="uq_reaction_message_id_user_id_emoji"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    emoji: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Pin(db.Model):
    """Message `message_id`, pinned in its conversation `conversation_id` by `pinned_by_id`
    (the group's owner, or either person of a direct conversation)."""

    __tablename__ = "pin"
    __table_args__ = (Index("ix_pin_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), unique=True)
    pinned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class HiddenMessage(db.Model):
    """Message `message_id`, deleted from `user_id`'s own view ("delete for me") on every
    device; everyone else still sees it."""

    __tablename__ = "hidden_message"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
