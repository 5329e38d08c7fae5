"""Favorites: messages a person keeps, with a copy of what is needed to show them later."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.timeutil import utcnow
from extensions import db
from models.chat import Attachment
from models.types import UTCDateTime


class Favorite(db.Model):
    """A message `user_id` favorited.

    The text, kind, sender's nickname and conversation name are copied when it is made, and
    the attachment (never deleted while a favorite refers to it) stays reachable, so the
    favorite stays viewable after the person leaves the conversation or the sender recalls
    the message. `message_id` and `conversation_id` lead back to the original place while it
    still exists.
    """

    __tablename__ = "favorite"
    __table_args__ = (
        UniqueConstraint("user_id", "message_id", name="uq_favorite_user_id_message_id"),
        Index("ix_favorite_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8))  # text | image | file
    body: Mapped[str] = mapped_column(Text)
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    sender_nickname: Mapped[str] = mapped_column(String(64))
    conversation_name: Mapped[str] = mapped_column(String(64))
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id", ondelete="RESTRICT"), index=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    attachment: Mapped[Attachment | None] = relationship()
