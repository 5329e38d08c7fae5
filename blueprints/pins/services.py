"""Pin actions: pin and unpin a message (the pins' JSON, the list and who may pin are read by
blueprints/chat/pinned.py, which the chat page uses too)."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from blueprints.chat import services as chat
from blueprints.chat.changes import lock_message, to_its_readers
from blueprints.chat.pinned import may_pin, pin_jsons
from core.errors import Conflict, Forbidden, NotFound
from extensions import db
from models import Conversation, Message, Pin, User
from realtime import events
from realtime.eventlog import send_event_on_commit


def _pinnable(user: User, message_id: int) -> tuple[Message, Conversation]:
    """Message `message_id` and its conversation (locked until the transaction ends, so that
    two pins at once cannot pass PINS_MAX together), if `user` may pin it. Raises NotFound,
    Forbidden."""
    message = db.session.get(Message, message_id)
    if message is None or not chat.can_see(user, message):
        raise NotFound(_("This message does not exist, or you cannot see it."))
    # The conversation's lock as every writer takes it (FOR UPDATE deadlocked with other
    # transactions' event rows referring to it), so two pins cannot pass PINS_MAX together.
    lock_message(message)
    conversation = db.session.get(Conversation, message.conversation_id, populate_existing=True)
    if not may_pin(user, conversation):
        raise Forbidden(_("Only the group's owner can pin or unpin messages."))
    try:
        chat.sendable_conversation(user, conversation.id)
    except Forbidden:
        raise Forbidden(_("You can only pin messages in a conversation with a friend.")) from None
    return message, conversation


def pin_message(user: User, message_id: int) -> tuple[dict, bool]:
    """Pin message `message_id` in its conversation. Returns (its `pin_jsons` item, pinned):
    pinned False when it already was (the unique constraint decides a race). Records
    message.pinned to the members who can see the message. Raises NotFound (not a message the person can see),
    Forbidden (a group member other than the owner; a direct conversation with someone no
    longer a friend), Conflict (recalled; or PINS_MAX pins already)."""
    message, conversation = _pinnable(user, message_id)
    if message.recalled_at is not None:
        raise Conflict(_("This message was recalled: it cannot be pinned."))
    existing = db.session.scalar(select(Pin).where(Pin.message_id == message.id))
    if existing is not None:
        payload = pin_jsons([existing])[0]
        db.session.rollback()  # ends the lock; nothing changed
        return payload, False
    limit = current_app.config["PINS_MAX"]
    if db.session.scalar(select(func.count()).select_from(Pin).where(Pin.conversation_id == conversation.id)) >= limit:
        raise Conflict(_("A conversation can have at most %(n)d pinned messages: unpin one first.", n=limit))
    pin = Pin(conversation_id=conversation.id, message_id=message.id, pinned_by_id=user.id)
    db.session.add(pin)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        twin = db.session.scalar(select(Pin).where(Pin.message_id == message_id))
        if twin is None:  # pinned and unpinned again meanwhile
            raise Conflict(_("This message was just unpinned: try again."))
        return pin_jsons([twin])[0], False
    payload = pin_jsons([pin])[0]
    send_event_on_commit(to_its_readers(message, events.message_pinned(conversation.id, payload)))
    db.session.commit()
    return payload, True


def unpin_message(user: User, message_id: int) -> None:
    """Unpin message `message_id`; nothing happens when it is not pinned (a repeated click).
    Records message.unpinned to the members who can see the message. Raises NotFound, Forbidden as pinning
    does."""
    message, conversation = _pinnable(user, message_id)
    pin = db.session.scalar(select(Pin).where(Pin.message_id == message.id))
    if pin is None:
        db.session.rollback()
        return
    db.session.delete(pin)
    send_event_on_commit(to_its_readers(message, events.message_unpinned(conversation.id, message.id, user.id)))
    db.session.commit()
