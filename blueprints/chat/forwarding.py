"""Forwarding: copies of messages a person can see, sent by them into conversations where they
may send, each marked "Forwarded from <the original's sender>".

A copy is a new message of the same kind and text; an image, file or voice copy gets an
`Attachment` row of its own (its own public id, so it is served to the target's members)
pointing at the same stored bytes: nothing is uploaded or stored twice. The bytes stay while
any attachment row of a message not recalled refers to them (`flask uploads cleanup` counts
every such row). A copy counts against the forwarder's upload quota by what it keeps stored
(chat/quota.storage_used: each content once, so forwarding one's own file costs
nothing more, and one's copy of another's file its size once).
"""
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints.chat import senders
from blueprints.chat.quota import check_quota, new_to_keep
from blueprints.chat.sending import TOUCH_CONVERSATION
from blueprints.chat.services import SendTarget, can_see, sendable_conversation, write_message
from core.errors import Conflict, DomainError, NotFound
from core.timeutil import utcnow
from extensions import db
from models import Attachment, Message, User

# What a copy's attachment keeps of the original's: the same bytes, described the same way.
_ATTACHMENT_FIELDS = ("kind", "name", "mime", "size", "blob_key", "thumbnail_key", "width", "height", "duration")


def _distinct(ids, limit: int, field: str, none: str, too_many: str) -> list[int]:
    wanted = list(dict.fromkeys(ids or ()))
    if not wanted:
        raise DomainError(none, field)
    if len(wanted) > limit:
        raise DomainError(too_many, field)
    return wanted


def _originals(user: User, message_ids: list[int]) -> list[Message]:
    """The messages to forward, oldest first; NotFound unless `user` can see each, Conflict
    when one was recalled."""
    found = {m.id: m for m in db.session.scalars(
        select(Message).options(selectinload(Message.attachment)).where(Message.id.in_(message_ids)))}
    originals = []
    for message_id in sorted(message_ids):
        message = found.get(message_id)
        if message is None or not can_see(user, message):
            raise NotFound(_("This message does not exist, or you cannot see it."), "message_ids")
        if message.recalled_at is not None:
            raise Conflict(_("A recalled message cannot be forwarded."), "message_ids")
        originals.append(message)
    return originals


def forward_messages(user: User, message_ids: list[int], conversation_ids: list[int]) -> list[dict]:
    """Forward `message_ids` (messages `user` can see, at most FORWARD_MAX_MESSAGES) to each
    of `conversation_ids` (at most FORWARD_MAX_CONVERSATIONS, each one where `user` may send:
    sendable_conversation), all or nothing, in one transaction. In each conversation, in the
    order given, a copy of each message in the order they were sent (oldest first), each with
    its message.created event; a copy of a forwarded copy names the first sender. Returns the
    copies' JSON (`message_json`), conversation by conversation.

    Raises DomainError (none, or too many, of either), PayloadTooLarge (the copies' files
    would take `user` past UPLOAD_QUOTA_BYTES: quota.storage_used), NotFound (field "message_ids": a
    message they cannot see; or not in a target conversation), Conflict (a recalled message),
    Forbidden (a direct conversation with someone no longer a friend, or as
    sendable_conversation refuses).
    """
    config = current_app.config
    most = config["FORWARD_MAX_MESSAGES"]
    message_ids = _distinct(message_ids, most, "message_ids", _("Choose at least one message to forward."),
                            _("At most %(n)d messages can be forwarded at once.", n=most))
    most = config["FORWARD_MAX_CONVERSATIONS"]
    conversation_ids = _distinct(conversation_ids, most, "conversation_ids",
                                 _("Choose at least one conversation to forward to."),
                                 _("Forward to at most %(n)d conversations at once.", n=most))
    originals = _originals(user, message_ids)
    more = new_to_keep(user.id, {m.attachment.blob_key: m.attachment.size for m in originals if m.attachment})
    if more:  # text, or files the forwarder keeps already, cost nothing
        check_quota(user.id, more)
    # As a send's batch does: the targets' row locks first, so who may send there stays true
    # until COMMIT (a member removed meanwhile waits for it, or is seen as removed).
    senders.lock_conversations(db.session.connection(), set(conversation_ids))
    targets = [sendable_conversation(user, conversation_id) for conversation_id in conversation_ids]
    first_senders = {m.id: (m.forwarded_from_id if m.forwarded else m.sender_id) for m in originals}
    people = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({i for i in first_senders.values() if i})))}
    now = utcnow()
    copies = []
    for target in targets:
        db.session.execute(TOUCH_CONVERSATION, {"conversation_id": target.id, "now": now})
        for original in originals:
            copies.append(_store_copy(user, target, original, people.get(first_senders[original.id]), now))
    db.session.commit()
    return copies


def _store_copy(user: User, target: SendTarget, original: Message, first_sender: User | None, now) -> dict:
    message = Message(conversation_id=target.id, sender_id=user.id, kind=original.kind, body=original.body,
                      created_at=now, forwarded=True, forwarded_from_id=first_sender.id if first_sender else None)
    if original.attachment is not None:
        message.attachment = Attachment(public_id=secrets.token_urlsafe(18), uploader_id=user.id, created_at=now,
                                        **{name: getattr(original.attachment, name) for name in _ATTACHMENT_FIELDS})
    return write_message(user, target.id, message, forwarded_from=first_sender)
