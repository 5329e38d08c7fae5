"""Changing a message after it was sent: the sender edits its text (or an image's or file's
caption) within EDIT_WINDOW seconds, and anyone who sees it may delete it for themselves
("delete for me": hiding.py is how reads leave it out)."""
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from blueprints.chat import mentions as mention_rows
from blueprints.chat.mentions import checked_mentions
from blueprints.chat.payloads import message_jsons
from blueprints.chat.changes import lock_message
from blueprints.chat.changes import to_its_readers
from blueprints.chat.services import BODY_MAX, can_see, sendable_conversation
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.timeutil import utcnow
from extensions import db
from models import HiddenMessage, Mention, Message, MessageEdit, User
from realtime import events
from realtime.eventlog import send_event_on_commit
from search import index as search_index

EDITABLE_KINDS = ("text", "image", "file")  # a voice message has no text to edit


def _visible_message(user: User, message_id: int) -> Message:
    message = db.session.get(Message, message_id)
    if message is None or not can_see(user, message):
        raise NotFound(_("This message does not exist, or you cannot see it."))
    return message


def _window_refusal(window: int) -> Forbidden:
    if window >= 3600:
        return Forbidden(_("Messages can only be edited within %(n)d hours of sending.", n=window // 3600))
    return Forbidden(_("Messages can only be edited within %(n)d minutes of sending.", n=max(1, window // 60)))


def _checked_body(body) -> str:
    if not isinstance(body, str) or not body.strip():
        raise DomainError(_("Type a message first."), "body")
    if len(body) > BODY_MAX:
        raise DomainError(_("A message can be at most %(n)d characters.", n=BODY_MAX), "body")
    return body


def edit_message(user: User, message_id: int, body: str, mentions: list[int] | None = None,
                 mention_all: bool = False) -> tuple[dict, bool]:
    """Replace the text of `user`'s own message `message_id` (or its image's or file's
    caption) with `body` (1–5,000 characters, not blank: a caption is changed, not removed),
    within EDIT_WINDOW seconds of sending it, in one transaction: the text it replaces is kept
    as a `MessageEdit` row (never shown to members), `edited_at` is set, its search index rows
    and its `Mention` rows are rewritten (`mentions`, user ids, and `mention_all` as a send
    takes them: mentions.checked_mentions), and a message.edited event carries its new JSON
    to the conversation. Returns (the message's JSON, whether it changed): the same text as
    now changes nothing and records no event.

    Raises NotFound (not a message the person can see, or they can no longer send there),
    Forbidden (someone else's, a voice message, a forwarded copy, older than EDIT_WINDOW, a direct conversation
    with someone no longer a friend, @all from anyone but the group's owner), Conflict
    (recalled), DomainError (field "body": blank text, too long).
    """
    message = _visible_message(user, message_id)
    if message.sender_id != user.id:
        raise Forbidden(_("You can only edit your own messages."))
    if message.recalled_at is not None:
        raise Conflict(_("That message was recalled, so it can no longer be edited."))
    if message.kind not in EDITABLE_KINDS:
        raise Forbidden(_("Voice messages cannot be edited."))
    if message.forwarded:
        # The copy says whose words it carries: its text stays theirs.
        raise Forbidden(_("A forwarded message cannot be edited."))
    window = current_app.config["EDIT_WINDOW"]
    if utcnow() - message.created_at > timedelta(seconds=window):
        raise _window_refusal(window)
    sendable_conversation(user, message.conversation_id)
    body = _checked_body(body)
    if body == message.body:
        return message_jsons([message])[0], False
    mentioned = checked_mentions(user.id, message.conversation_id, mentions, mention_all)
    connection = db.session.connection()
    lock_message(message)
    if message.recalled_at is not None:
        raise Conflict(_("That message was recalled, so it can no longer be edited."))
    now = utcnow()
    db.session.add(MessageEdit(message_id=message.id, body=message.body, edited_at=now))
    message.body, message.edited_at, message.mention_all = body, now, mentioned.everyone
    search_index.remove(connection, message.id)
    search_index.write(connection, search_index.rows_for([(
        message.id, message.conversation_id, (body, message.attachment.name if message.attachment else ""))]))
    db.session.execute(delete(Mention).where(Mention.message_id == message.id))
    mention_rows.write(connection, mentioned.rows(message.id, message.conversation_id, now))
    db.session.flush()
    payload = message_jsons([message])[0]
    send_event_on_commit(to_its_readers(message, events.message_edited(message.conversation_id, payload)))
    db.session.commit()
    return payload, True


def hide_message(user: User, message_id: int) -> None:
    """Delete message `message_id` for `user` only ("delete for me"): it leaves their
    history, chat page, search and conversation list on every device (a message.hidden event
    to their devices only); everyone else still sees it, and a favorite of it stays. Hiding
    it again changes nothing and records no event. Raises NotFound when it is not a message
    they can see now."""
    message = _visible_message(user, message_id)
    if db.session.get(HiddenMessage, (user.id, message.id)) is not None:
        return
    db.session.add(HiddenMessage(user_id=user.id, message_id=message.id))
    send_event_on_commit(events.message_hidden(user.id, message.conversation_id, message.id))
    try:
        db.session.commit()
    except IntegrityError:  # another of their devices hid it at the same moment: one event is enough
        db.session.rollback()
