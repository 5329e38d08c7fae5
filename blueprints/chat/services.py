"""Chat actions: who may read and send where, send a message (idempotent by client id),
recall it, read history by cursor. The conversation list lives in
`conversations`, a message's JSON in `payloads`, read positions and receipts in `receipts`."""
import re
from datetime import timedelta
from typing import NamedTuple

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from blueprints.blocks.services import message_refusal
from blueprints.chat import mentions as mention_rows
from blueprints.chat.changes import to_its_readers, within_stays
from blueprints.chat.hiding import not_hidden
from blueprints.chat.mentions import NO_MENTIONS, Mentions, checked_mentions
from blueprints.chat.payloads import message_json, new_text_json
from blueprints.chat.replies import quote_for_reply
from blueprints.chat.senders import direct_peer, not_friends, not_in_conversation
from blueprints.chat.sending import TOUCH_CONVERSATION, Sent, TextSend, already_sent, batches, stored_twin
from blueprints.friends.services import are_friends
from core.errors import DomainError, Forbidden, NotFound
from core.people import user_brief
from core.timeutil import utcnow
from extensions import db
from models import Conversation, Membership, Message, MessageEdit, Pin, Reaction, User
from realtime import events, publish_ephemeral
from realtime.eventlog import send_event_on_commit
from search import index as search_index

BODY_MAX = 5000
HISTORY_MAX = 100
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# A conversation with the person's stays in it, in one query (every send and read asks),
# built once so its cache key is computed once.
_CONVERSATION_STAYS = (select(Conversation, Membership)
                       .join(Membership, Membership.conversation_id == Conversation.id)
                       .where(Conversation.id == bindparam("conversation_id"),
                              Membership.user_id == bindparam("user_id")))


def visible_in(stays: list[Membership]):
    """The SQL condition: messages whose event falls inside one of `stays` (a person's stays
    in one conversation)."""
    return or_(*[and_(Message.event_id >= (stay.joined_event_id or 0),
                      True if stay.left_event_id is None else Message.event_id <= stay.left_event_id)
                 for stay in stays])


def readable_conversation(user: User, conversation_id: int) -> tuple[Conversation, list[Membership]]:
    """The conversation and `user`'s stays in it, if `user` may read it: a current member of
    a group, or either person of a direct conversation (its history stays readable after the
    friendship ends). NotFound otherwise."""
    rows = db.session.execute(_CONVERSATION_STAYS, {"conversation_id": conversation_id, "user_id": user.id}).all()
    conversation = rows[0][0] if rows else None
    stays = [stay for _conversation, stay in rows]
    active = any(stay.left_at is None for stay in stays)
    if conversation is None or not active or conversation.dissolved_at is not None:
        raise not_in_conversation()
    return conversation, stays


def peer_of(conversation: Conversation, user_id: int) -> User | None:
    """The other person of a direct conversation."""
    return db.session.get(User, direct_peer(conversation.direct_key, user_id))


def can_see(user: User, message: Message) -> bool:
    """True when `user` may read `message` in its conversation now: they are in the
    conversation and the message falls within one of their stays."""
    try:
        _conversation, stays = readable_conversation(user, message.conversation_id)
    except NotFound:
        return False
    return within_stays(stays, message.event_id)


def clean_client_id(client_id: str | None) -> str | None:
    """Return the client id in lower case; DomainError unless it is a UUID (or absent)."""
    if client_id in (None, ""):
        return None
    if not isinstance(client_id, str) or not UUID_RE.fullmatch(client_id):
        raise DomainError(_("client_id must be a UUID such as the browser's crypto.randomUUID() makes."),
                          "client_id")
    return client_id.lower()


def send_message(sender: User, conversation_id: int, body: str, client_id: str | None = None,
                 reply_to: int | None = None, mentions: list[int] | None = None, mention_all: bool = False) -> Sent:
    """Store a text message from `sender` and record its message.created event; with
    `reply_to` (a message id), as a reply quoting that original (replies.quote_for_reply);
    mentioning the people of `mentions` (user ids: only current members other than the
    sender are kept, the rest dropped) and, with `mention_all`, everyone in a group
    (mentions.checked_mentions). Each person mentioned gets a `Mention` row in the message's
    transaction.

    A retried send with the same `client_id` returns the stored message with created False,
    even once the sender could no longer send there. Raises DomainError (empty, over 5,000
    characters, bad client id), NotFound (not in the conversation; or, field "reply_to",
    `reply_to` is not a message of this conversation the sender can see), Conflict (the
    original was recalled), Forbidden (a direct conversation with someone who is no longer a
    friend; or, field "mention_all", @all from someone other than the group's owner).
    """
    client_id = clean_client_id(client_id)
    try:
        if not isinstance(body, str) or not body.strip():
            raise DomainError(_("Type a message first."), "body")
        if len(body) > BODY_MAX:
            raise DomainError(_("A message can be at most %(n)d characters.", n=BODY_MAX), "body")
        quote = None if reply_to is None else quote_for_reply(sender.id, conversation_id, reply_to)
        mentioned = checked_mentions(sender.id, conversation_id, mentions, mention_all)
        send = TextSend(sender.id, conversation_id,
                        new_text_json(user_brief(sender), conversation_id, body, client_id, quote, mentioned),
                        mentioned)
        # The request's read is over: its connection goes back to the pool while the send
        # waits for its batch (blueprints/chat/sending.py), which the leader checks (may the
        # sender send there?) and writes in a new transaction.
        db.session.close()
        return batches().store(send)
    except (DomainError, NotFound, Forbidden):
        # A retry of a send that was stored is answered with it, whatever changed since.
        stored = already_sent(sender.id, client_id)
        if stored is None:
            raise
        return stored


def store_message(sender: User, conversation: "SendTarget", message: Message, quote: dict | None = None,
                  mentions: Mentions = NO_MENTIONS) -> Sent:
    """Commit `message` (checked and built by the caller, with its attachment: an image,
    file or voice send) in `conversation` (from `sendable_conversation`), as `write_message`
    writes it: `quote` is the `quote_json` of the original it replies to, or None; `mentions`
    (mentions.checked_mentions) whom its caption mentions. A client id already stored (a
    retry, or a twin that raced it in) is not stored again: the stored message is returned
    with created False; the unique index on (sender, client id) decides, at no lookup."""
    db.session.execute(TOUCH_CONVERSATION, {"conversation_id": conversation.id, "now": utcnow()})
    try:
        # The insert itself meets the unique index (it waits there for a racing twin to commit).
        payload = write_message(sender, conversation.id, message, quote, mentions)
        db.session.commit()
    except IntegrityError:
        return stored_twin(sender.id, message.client_id)
    return Sent(True, payload)


def write_message(sender: User, conversation_id: int, message: Message, quote: dict | None = None,
                  mentions: Mentions = NO_MENTIONS, forwarded_from: User | None = None) -> dict:
    """Write `sender`'s `message` in conversation `conversation_id` in the session's
    transaction, uncommitted: its row and attachment, search index and mention rows, and its
    message.created event (stamped with its id); `quote`, `mentions` and `forwarded_from` as
    `message_json` takes them. Returns its JSON. IntegrityError: its client id is stored."""
    message.mention_all = mentions.everyone
    db.session.add(message)
    db.session.flush()
    connection = db.session.connection()
    search_index.write(connection, search_index.rows_for([(
        message.id, conversation_id, (message.body, message.attachment.name if message.attachment else ""))]))
    mention_rows.write(connection, mentions.rows(message.id, conversation_id, message.created_at))
    payload = message_json(message, sender, quote, mentions.named, forwarded_from=forwarded_from)
    send_event_on_commit(events.message_created(conversation_id, payload)).stamp(message, "event_id")
    return payload


def recall_message(user: User, message_id: int) -> Message:
    """Take back a message `user` sent at most RECALL_WINDOW seconds ago: its text and
    attachment disappear from the conversation for everyone (a message.recalled event), and
    so do its reactions and its pin (message.unpinned); favorites keep their own copy.
    Recalling twice is harmless. Raises NotFound (not a message the person can see),
    Forbidden (someone else's, or too old)."""
    message = db.session.get(Message, message_id)
    if message is None or not can_see(user, message):
        raise NotFound(_("This message does not exist, or you cannot see it."))
    if message.sender_id != user.id:
        raise Forbidden(_("You can only recall your own messages."))
    if message.recalled_at is not None:
        return message
    window = current_app.config["RECALL_WINDOW"]
    if utcnow() - message.created_at > timedelta(seconds=window):
        raise Forbidden(_("Messages can only be recalled within %(n)d minutes of sending.", n=max(1, window // 60)))
    message.recalled_at = utcnow()
    message.body = ""
    search_index.remove(db.session.connection(), message.id)
    # A recalled message keeps no reactions, no pin (the pinned bars drop it live) and none of
    # the texts its edits replaced.
    db.session.execute(delete(Reaction).where(Reaction.message_id == message.id))
    db.session.execute(delete(MessageEdit).where(MessageEdit.message_id == message.id))
    if db.session.execute(delete(Pin).where(Pin.message_id == message.id)).rowcount:
        send_event_on_commit(to_its_readers(message, events.message_unpinned(message.conversation_id, message.id,
                                                                             user.id)))
    send_event_on_commit(events.message_recalled(message.conversation_id, message.id))
    db.session.commit()
    return message


def history(user: User, conversation_id: int, before: int | None, limit: int) -> tuple[list[Message], bool]:
    """Messages `user` may see and has not hidden (hiding.py), newest first, older than
    message id `before` (if given); at most `limit` (1–100); and whether older ones remain.
    NotFound for non-members."""
    if not 1 <= limit <= HISTORY_MAX:
        raise DomainError(_("limit must be between 1 and %(n)d.", n=HISTORY_MAX), "limit")
    _conversation, stays = readable_conversation(user, conversation_id)
    query = (select(Message).options(selectinload(Message.attachment))
             .where(Message.conversation_id == conversation_id, visible_in(stays), not_hidden(user.id)))
    if before is not None:
        query = query.where(Message.id < before)
    rows = list(db.session.scalars(query.order_by(Message.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def messages_from(user: User, conversation_id: int, message_id: int, context: int, cap: int) -> list[Message] | None:
    """Messages `user` may see (and has not hidden) from `context` messages before
    `message_id` up to the newest, oldest first, for opening the chat at that message; None
    when `message_id` is not one they can see or more than `cap` messages follow it. NotFound
    for non-members."""
    _conversation, stays = readable_conversation(user, conversation_id)
    visible = and_(Message.conversation_id == conversation_id, visible_in(stays), not_hidden(user.id))
    target = db.session.scalar(select(Message.id).where(visible, Message.id == message_id))
    if target is None:
        return None
    start = db.session.scalar(select(func.min(Message.id)).where(
        Message.id.in_(select(Message.id).where(visible, Message.id < target).order_by(Message.id.desc()).limit(context))))
    rows = list(db.session.scalars(select(Message).options(selectinload(Message.attachment))
                                   .where(visible, Message.id >= (start or target))
                                   .order_by(Message.id).limit(context + cap + 1)))
    return None if len(rows) > context + cap else rows


def unread_count(user_id: int, stays: list[Membership], conversation_id: int, last_read: int) -> int:
    """Messages from others after `last_read` that the person may see and has not hidden."""
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.conversation_id == conversation_id, Message.id > last_read,
        or_(Message.sender_id.is_(None), Message.sender_id != user_id), visible_in(stays), not_hidden(user_id)))


class SendTarget(NamedTuple):
    """What a send needs of its conversation (one row of `_SEND_TARGET`)."""

    id: int
    kind: str
    direct_key: str | None


# The conversation, if the person is in it now and it was not dissolved: one indexed query.
_SEND_TARGET = (select(Conversation.id, Conversation.kind, Conversation.direct_key)
                .join(Membership, Membership.conversation_id == Conversation.id)
                .where(Conversation.id == bindparam("conversation_id"),
                       Membership.user_id == bindparam("user_id"),
                       Membership.left_at.is_(None), Conversation.dissolved_at.is_(None))
                .limit(1))


def sendable_conversation(user: User, conversation_id: int) -> SendTarget:
    """The conversation (id, kind, direct_key) if `user` may send in it: a current member,
    and in a direct conversation still a friend of the other person, neither having blocked
    the other (the same rules as `readable_conversation`, and as the text send path's batch
    check, senders.refusals, in one query). Raises NotFound or Forbidden (not friends; a
    block: blocks.services.message_refusal words it)."""
    row = db.session.connection().execute(_SEND_TARGET, {"conversation_id": conversation_id,
                                                         "user_id": user.id}).first()
    if row is None:
        raise not_in_conversation()
    target = SendTarget(*row)
    if target.kind == "direct":
        peer_id = direct_peer(target.direct_key, user.id)
        if not are_friends(user.id, peer_id):
            raise not_friends()
        refusal = message_refusal(user.id, peer_id)
        if refusal is not None:
            raise refusal
    return target


def announce_typing(user: User, conversation_id: int) -> None:
    """Tell the conversation's other members, live and without storing it, that `user` is
    typing. Raises NotFound or Forbidden as sending would."""
    conversation = sendable_conversation(user, conversation_id)
    publish_ephemeral(events.typing(conversation.id, user_brief(user)))
