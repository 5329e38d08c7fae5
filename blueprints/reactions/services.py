"""Reaction actions: add or take back one's emoji reaction on a message (a message's
reactions, and which are a person's own, are read by blueprints/chat/payloads.py)."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from blueprints.chat import services as chat
from blueprints.chat.changes import lock_message, to_its_readers
from blueprints.reactions.emojis import reaction_emoji
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.people import user_brief
from extensions import db
from models import Message, Reaction, User
from realtime import events
from realtime.eventlog import send_event_on_commit


def _reactable(user: User, message_id: int) -> Message:
    """Message `message_id`, locked until the transaction ends (so that two new emoji at once
    cannot pass REACTIONS_MAX together), if `user` may react to it: they see it, it was not
    recalled, and they may still send in its conversation (a friend, in a direct one)."""
    message = db.session.get(Message, message_id)
    if message is None or not chat.can_see(user, message):
        raise NotFound(_("This message does not exist, or you cannot see it."))
    lock_message(message)
    if message.recalled_at is not None:
        raise Conflict(_("This message was recalled: it takes no reactions."))
    try:
        chat.sendable_conversation(user, message.conversation_id)
    except Forbidden:
        raise Forbidden(_("You can only react in a conversation with a friend.")) from None
    return message


def _checked_emoji(value: str) -> str:
    emoji = reaction_emoji(value)
    if emoji is None:
        raise DomainError(_("React with one emoji, such as 👍."), "emoji")
    return emoji


def add_reaction(user: User, message_id: int, emoji: str) -> tuple[Message, bool]:
    """`user` reacts to message `message_id` with `emoji` (one emoji; stored fully qualified,
    emojis.reaction_emoji). Returns (message, added): added False when they had already
    reacted with it (a retry, or a double click that raced itself: the unique constraint
    decides). Records reaction.added to the members who can see the message.

    Raises DomainError (not one emoji, field "emoji"), NotFound (not a message the person can
    see), Conflict (recalled; or a new emoji beyond REACTIONS_MAX distinct ones on the
    message: adding one already there is always allowed), Forbidden (a direct conversation
    with someone no longer a friend)."""
    emoji = _checked_emoji(emoji)
    message = _reactable(user, message_id)
    present = set(db.session.scalars(select(Reaction.emoji).where(Reaction.message_id == message.id)
                                     .where(Reaction.user_id == user.id)))
    if emoji in present:
        db.session.rollback()  # ends the lock; nothing changed
        return db.session.get(Message, message_id), False
    distinct = set(db.session.scalars(select(Reaction.emoji).distinct().where(Reaction.message_id == message.id)))
    limit = current_app.config["REACTIONS_MAX"]
    if emoji not in distinct and len(distinct) >= limit:
        raise Conflict(_("A message can have at most %(n)d different reactions.", n=limit), "emoji")
    db.session.add(Reaction(message_id=message.id, user_id=user.id, emoji=emoji))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return db.session.get(Message, message_id), False
    send_event_on_commit(to_its_readers(
        message, events.reaction_changed(True, message.conversation_id, message.id, emoji, user_brief(user))))
    db.session.commit()
    return message, True


def remove_reaction(user: User, message_id: int, emoji: str) -> tuple[Message, bool]:
    """`user` takes back their reaction `emoji` on message `message_id`. Returns (message,
    removed): removed False when there was none (nothing is recorded). Records
    reaction.removed to the members who can see the message. Raises DomainError (not one emoji), NotFound (not a
    message the person can see), Conflict (recalled: its reactions are gone already),
    Forbidden (a direct conversation with someone no longer a friend)."""
    emoji = _checked_emoji(emoji)
    message = _reactable(user, message_id)
    removed = db.session.execute(delete(Reaction).where(
        Reaction.message_id == message.id, Reaction.user_id == user.id, Reaction.emoji == emoji)).rowcount
    if not removed:
        db.session.rollback()
        return db.session.get(Message, message_id), False
    send_event_on_commit(to_its_readers(
        message, events.reaction_changed(False, message.conversation_id, message.id, emoji, user_brief(user))))
    db.session.commit()
    return message, True

