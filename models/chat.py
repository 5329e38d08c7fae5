"""Conversations (one per pair of friends, one per group) and their members."""
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.timeutil import utcnow
from extensions import db
from models.types import UTCDateTime


class Conversation(db.Model):
    """A direct conversation between two friends, or a group chat.

    Direct conversations have `direct_key` "<lower user id>:<higher user id>". Groups have a
    name, an owner, and optionally an `invite_code`; a dissolved group keeps its row (with
    `dissolved_at`) so its history and event log stay consistent.
    """

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # direct | group
    name: Mapped[str | None] = mapped_column(String(50))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    direct_key: Mapped[str | None] = mapped_column(String(32), unique=True)
    invite_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    dissolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    memberships: Mapped[list["Membership"]] = relationship(back_populates="conversation")


class Membership(db.Model):
    """One stay of a person in a conversation: from the event that added them to the event
    that removed them (None while they are a member). A person who rejoins gets a new row, so
    replay can check membership as of each event."""

    __tablename__ = "membership"
    __table_args__ = (
        Index("ix_membership_user_id_conversation_id", "user_id", "conversation_id"),
        Index(
            "uq_membership_active", "conversation_id", "user_id", unique=True,
            sqlite_where=text("left_at IS NULL"), postgresql_where=text("left_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Event-id range of the stay: events of the conversation with joined_event_id <= id
    # (and id <= left_event_id once left) are this person's.
    joined_event_id: Mapped[int | None] = mapped_column(BigInteger)
    left_event_id: Mapped[int | None] = mapped_column(BigInteger)
    # The newest message this person has read here; unread counts follow it on every device.
    last_read_message_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Muted ("do not disturb"): no notification and no share of the total unread count, except
    # messages that mention the person.
    muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    conversation: Mapped[Conversation] = relationship(back_populates="memberships")


class Message(db.Model):
    """A message in a conversation, stored as the sender typed it (rendered escaped).

    `client_id` is the UUID the sender's browser made for this send: the same one from the
    same sender returns the stored message instead of a second copy. `event_id` is the id of
    its message.created event, which also decides who may read it (membership as of that event).
    `reply_to_id` names the original a reply quotes (None for a message that quotes nothing).
    `mention_all` is an `@all` of a group's owner (its `Mention` rows name everyone reached).
    """

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("sender_id", "client_id", name="uq_message_sender_id_client_id"),
        Index("ix_message_conversation_id_id", "conversation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(8), default="text")  # text | image | file | voice
    body: Mapped[str] = mapped_column(Text)  # the text, or an attachment's caption ("" for none)
    client_id: Mapped[str | None] = mapped_column(String(36))
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when the sender took the message back: its text and attachment are no longer shown
    # in the conversation (favorites keep their own copy).
    recalled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The message this one replies to (its quoted original), in the same conversation. No index:
    # nothing looks replies up by their original, and messages are never deleted one by one.
    reply_to_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"))
    mention_all: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Set by the sender's last edit of the text (earlier versions: models.actions.MessageEdit).
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A forwarded copy: the person who sent the message it copies (None for an own message,
    # and once that account is gone).
    forwarded_from_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    forwarded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    attachment: Mapped["Attachment | None"] = relationship(back_populates="message", uselist=False)


class Mention(db.Model):
    """A person a message mentions: named by the sender (`named`), or reached by the owner's
    `@all` only. Written in the message's transaction, one row per person, for current
    members other than the sender (blueprints/chat/mentions.py). `conversation_id` is the
    message's, kept here so the conversation list finds unread mentions without the message.
    """

    __tablename__ = "mention"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id", name="uq_mention_message_id_user_id"),
        Index("ix_mention_user_id_message_id", "user_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    named: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attachment(db.Model):
    """The image or file of a message of kind image or file.

    `public_id` is the random id in its URLs (144 bits, URL-safe base64), never a path or a
    counter. `name` is the original file name as sent (cleaned of control characters and
    path separators; shown and used in Content-Disposition, never on disk). Bytes live in the
    blob store: `blob_key` is what is served (for an image, re-encoded without metadata),
    `thumbnail_key` a small WebP for the chat view. `mime` is sniffed from the bytes.
    """

    __tablename__ = "attachment"
    # Where the attachments blueprint serves the bytes (its url_prefix): the one place the
    # URL scheme is written, so JSON built outside a request needs no url_for.
    URL_PREFIX = "/attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id", ondelete="SET NULL"), unique=True)
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # image | file | voice
    name: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(BigInteger)  # bytes served
    blob_key: Mapped[str] = mapped_column(String(64), index=True)
    thumbnail_key: Mapped[str | None] = mapped_column(String(64))
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    # Seconds of sound, for a voice message or an audio file whose length could be read.
    duration: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    message: Mapped[Message | None] = relationship(back_populates="attachment")

    @property
    def url(self) -> str:
        """The path that serves the attachment's bytes (to those who may see its message)."""
        return f"{self.URL_PREFIX}/{self.public_id}"

    @property
    def thumbnail_url(self) -> str | None:
        """The path of an image's small WebP thumbnail; None for a file."""
        return f"{self.url}/thumbnail" if self.thumbnail_key else None

    def to_json(self) -> dict:
        """The attachment as messages and favorites carry it: id (the public id), kind, name,
        size (bytes), sniffed type, pixel size of an image, duration (seconds) of sound, and
        the URLs of its bytes and thumbnail."""
        return {"id": self.public_id, "kind": self.kind, "name": self.name, "size": self.size,
                "mime": self.mime, "width": self.width, "height": self.height, "duration": self.duration,
                "url": self.url, "thumbnail_url": self.thumbnail_url}
