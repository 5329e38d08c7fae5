"""Chat actions: send a message (idempotent by client id), recall it, read history by
cursor, move the read position, count unread messages, list a person's conversations."""
import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from blueprints.chat.rendering import render_message
from blueprints.friends.services import are_friends, user_brief
from core.errors import DomainError, Forbidden, NotFound
from core.timeutil import utcnow
from extensions import db
from models import Attachment, Conversation, Membership, Message, User
from realtime import online_among, publish_ephemeral
from realtime.eventlog import record_event

BODY_MAX = 5000
HISTORY_MAX = 100
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# A conversation with the person's stays in it, in one query (every send and read asks),
# built once so its cache key is computed once.
_CONVERSATION_STAYS = (select(Conversation, Membership)
                       .join(Membership, Membership.conversation_id == Conversation.id)
                       .where(Conversation.id == bindparam("conversation_id"),
                              Membership.user_id == bindparam("user_id")))


def _visible(stays: list[Membership]):
    # Messages whose event falls inside one of the person's stays.
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
        raise NotFound(_("This conversation does not exist, or you are not in it."))
    return conversation, stays


def peer_of(conversation: Conversation, user_id: int) -> User | None:
    """The other person of a direct conversation."""
    low, high = (int(part) for part in conversation.direct_key.split(":"))
    return db.session.get(User, high if low == user_id else low)


def attachment_body(attachment: Attachment) -> dict:
    """An attachment as messages carry it: kind, name, size (bytes), sniffed type, pixel
    size of an image, and the URLs of its bytes and (for an image) its thumbnail."""
    url = f"/attachments/{attachment.public_id}"
    return {"id": attachment.public_id, "kind": attachment.kind, "name": attachment.name,
            "size": attachment.size, "mime": attachment.mime, "width": attachment.width,
            "height": attachment.height, "url": url,
            "thumbnail_url": f"{url}/thumbnail" if attachment.thumbnail_key else None}


def message_body(message: Message, sender: User | None) -> dict:
    """A message as events and the API carry it: its text (or caption) as typed and rendered
    to safe HTML, its attachment, and `recalled` (then text and attachment are empty)."""
    recalled = message.recalled_at is not None
    attachment = None if recalled or message.attachment is None else attachment_body(message.attachment)
    body = "" if recalled else message.body
    return {"id": message.id, "conversation_id": message.conversation_id, "kind": message.kind,
            "sender": user_brief(sender) if sender else None, "body": body,
            "html": str(render_message(body)) if body else "", "attachment": attachment,
            "recalled": recalled, "client_id": message.client_id,
            "created_at": message.created_at.isoformat()}


def message_bodies(messages: list[Message]) -> list[dict]:
    """`message_body` of each message, their senders read in one query."""
    ids = {m.sender_id for m in messages if m.sender_id}
    senders = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [message_body(m, senders.get(m.sender_id)) for m in messages]


def preview(message: Message) -> str:
    """A one-line summary of a message for the conversation list (at most 120 characters)."""
    if message.recalled_at is not None:
        return _("[Recalled]")
    if message.kind == "image":
        return (_("[Image]") + " " + message.body)[:120].strip()
    if message.kind == "file":
        name = message.attachment.name if message.attachment else ""
        return (_("[File]") + " " + name)[:120]
    return message.body[:120]


def sent_with_client_id(sender_id: int, client_id: str) -> Message | None:
    """The message `sender_id` already sent with `client_id`, if any."""
    return db.session.scalar(select(Message).where(Message.sender_id == sender_id,
                                                   Message.client_id == client_id))


def within_stays(stays: list[Membership], event_id: int | None) -> bool:
    """True when event `event_id` falls inside one of `stays` (the Python twin of the SQL
    `_visible`)."""
    event_id = event_id or 0
    return any((stay.joined_event_id or 0) <= event_id
               and (stay.left_event_id is None or event_id <= stay.left_event_id) for stay in stays)


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


@dataclass
class Sent:
    """The outcome of a send: whether this call stored the message (False: a retried client
    id found the stored one) and its `message_body` as delivered."""

    created: bool
    body: dict


def already_sent(sender_id: int, client_id: str | None) -> Sent | None:
    """The send `sender_id` already stored with `client_id`, as a Sent with created False,
    or None (always None without a client id)."""
    existing = sent_with_client_id(sender_id, client_id) if client_id else None
    return Sent(False, message_bodies([existing])[0]) if existing is not None else None


def send_message(sender: User, conversation_id: int, body: str, client_id: str | None = None) -> Sent:
    """Store a text message from `sender` and record its message.created event.

    A retried send with the same `client_id` returns the stored message with created False,
    even once the sender could no longer send there. Raises DomainError (empty, over 5,000
    characters, bad client id), NotFound (not in the conversation), Forbidden (a direct
    conversation with someone who is no longer a friend).
    """
    client_id = clean_client_id(client_id)
    try:
        if not isinstance(body, str) or not body.strip():
            raise DomainError(_("Type a message first."), "body")
        if len(body) > BODY_MAX:
            raise DomainError(_("A message can be at most %(n)d characters.", n=BODY_MAX), "body")
        conversation = sendable_conversation(sender, conversation_id)
    except (DomainError, NotFound, Forbidden):
        # A retry of a send that was stored is answered with it, whatever changed since.
        stored = already_sent(sender.id, client_id)
        if stored is None:
            raise
        return stored
    # attachment=None: a text message has none, and saying so spares a lazy load.
    message = Message(conversation_id=conversation.id, sender_id=sender.id, body=body, client_id=client_id,
                      attachment=None)
    return store_message(sender, conversation, message)


def store_message(sender: User, conversation: Conversation, message: Message) -> Sent:
    """Commit `message` (checked and built by the caller, with its attachment if any) with
    its message.created event. A client id already stored (a retry, or a twin that raced
    it in) is not stored again: the stored message is returned with created False. The
    unique index on (sender, client id) decides, so the common case costs no lookup."""
    db.session.add(message)
    conversation.last_activity_at = utcnow()
    try:
        # The insert itself meets the unique index (it waits there for a racing twin to commit).
        db.session.flush()
        body = message_body(message, sender)
        event = record_event("message.created", {"message": body}, conversation_id=conversation.id)
        event.stamp(message, "event_id")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        stored = already_sent(sender.id, message.client_id)
        if stored is None:
            raise
        return stored
    return Sent(True, body)


def recall_message(user: User, message_id: int) -> Message:
    """Take back a message `user` sent at most RECALL_WINDOW seconds ago: its text and
    attachment disappear from the conversation for everyone (a message.recalled event);
    favorites keep their own copy. Recalling twice is harmless. Raises NotFound (not a
    message the person can see), Forbidden (someone else's, or too old)."""
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
    record_event("message.recalled", {"conversation_id": message.conversation_id, "message_id": message.id},
                 conversation_id=message.conversation_id)
    db.session.commit()
    return message


def history(user: User, conversation_id: int, before: int | None, limit: int) -> tuple[list[Message], bool]:
    """Messages `user` may see, newest first, older than message id `before` (if given); at
    most `limit` (1–100); and whether older ones remain. NotFound for non-members."""
    if not 1 <= limit <= HISTORY_MAX:
        raise DomainError(_("limit must be between 1 and %(n)d.", n=HISTORY_MAX), "limit")
    _conversation, stays = readable_conversation(user, conversation_id)
    query = (select(Message).options(selectinload(Message.attachment))
             .where(Message.conversation_id == conversation_id, _visible(stays)))
    if before is not None:
        query = query.where(Message.id < before)
    rows = list(db.session.scalars(query.order_by(Message.id.desc()).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def messages_from(user: User, conversation_id: int, message_id: int, context: int, cap: int) -> list[Message] | None:
    """Messages `user` may see from `context` messages before `message_id` up to the newest,
    oldest first, for opening the chat at that message; None when `message_id` is not one
    they can see or more than `cap` messages follow it. NotFound for non-members."""
    _conversation, stays = readable_conversation(user, conversation_id)
    visible = and_(Message.conversation_id == conversation_id, _visible(stays))
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
    """Messages from others after `last_read` that the person may see."""
    return db.session.scalar(select(func.count()).select_from(Message).where(
        Message.conversation_id == conversation_id, Message.id > last_read,
        or_(Message.sender_id.is_(None), Message.sender_id != user_id), _visible(stays)))


def mark_read(user: User, conversation_id: int, message_id: int) -> dict:
    """Move `user`'s read position in the conversation forward to `message_id` (never back),
    and tell their other devices. Returns {"conversation_id", "last_read_message_id", "unread"}."""
    _conversation, stays = readable_conversation(user, conversation_id)
    stay = next(s for s in stays if s.left_at is None)
    newest = db.session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id)) or 0
    position = min(message_id, newest)
    moved = position > stay.last_read_message_id
    if moved:
        stay.last_read_message_id = position
    state = {"conversation_id": conversation_id, "last_read_message_id": stay.last_read_message_id,
             "unread": unread_count(user.id, stays, conversation_id, stay.last_read_message_id)}
    if moved:
        record_event("read.updated", state, user_ids=[user.id])
    db.session.commit()
    return state


def list_conversations(user: User) -> list[dict]:
    """`user`'s conversations, most recent activity first: name, avatar (the other person for
    a direct conversation), last message preview and unread count."""
    rows = db.session.execute(
        select(Conversation, Membership)
        .join(Membership, Membership.conversation_id == Conversation.id)
        .where(Membership.user_id == user.id, Membership.left_at.is_(None), Conversation.dissolved_at.is_(None))
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
    ).all()
    all_stays: dict[int, list[Membership]] = {}
    for one in db.session.scalars(select(Membership).where(
            Membership.user_id == user.id,
            Membership.conversation_id.in_([conversation.id for conversation, _stay in rows]))):
        all_stays.setdefault(one.conversation_id, []).append(one)
    result = []
    for conversation, stay in rows:
        stays = all_stays[conversation.id]
        last = db.session.scalar(select(Message).where(Message.conversation_id == conversation.id, _visible(stays))
                                 .order_by(Message.id.desc()).limit(1))
        item = {"id": conversation.id, "kind": conversation.kind, "name": conversation.name,
                "peer": None, "last_message": None, "last_activity_at": conversation.last_activity_at.isoformat(),
                "unread": unread_count(user.id, stays, conversation.id, stay.last_read_message_id),
                "last_read_message_id": stay.last_read_message_id}
        if conversation.kind == "direct":
            peer = peer_of(conversation, user.id)
            item["peer"] = user_brief(peer) if peer else None
            item["name"] = peer.nickname if peer else None
        if last is not None:
            sender = db.session.get(User, last.sender_id) if last.sender_id else None
            item["last_message"] = {"id": last.id, "preview": preview(last),
                                    "sender_id": last.sender_id,
                                    "sender_nickname": sender.nickname if sender else None,
                                    "created_at": last.created_at.isoformat()}
        result.append(item)
    return result


def sendable_conversation(user: User, conversation_id: int) -> Conversation:
    """The conversation if `user` may send in it: a member, and in a direct conversation
    still a friend of the other person. Raises NotFound or Forbidden."""
    conversation, _stays_ = readable_conversation(user, conversation_id)
    if conversation.kind == "direct":
        peer = peer_of(conversation, user.id)
        if peer is None or not are_friends(user.id, peer.id):
            raise Forbidden(_("You can only send messages to your friends. Add them again to chat."))
    return conversation


def announce_typing(user: User, conversation_id: int) -> None:
    """Tell the conversation's other members, live and without storing it, that `user` is
    typing. Raises NotFound or Forbidden as sending would."""
    conversation = sendable_conversation(user, conversation_id)
    publish_ephemeral({"kind": "typing", "conversation_id": conversation.id, "user": user_brief(user)})


def online_members(user: User, conversation_id: int) -> dict:
    """Who of the conversation's members is online now: {"online": [ids], "members": n}."""
    readable_conversation(user, conversation_id)
    member_ids = db.session.scalars(select(Membership.user_id).where(
        Membership.conversation_id == conversation_id, Membership.left_at.is_(None))).all()
    return {"online": online_among(member_ids), "members": len(member_ids)}


def total_unread(user_id: int) -> int:
    """Unread messages from others over all of the person's current conversations (one query)."""
    return db.session.scalar(
        select(func.count()).select_from(Message)
        .join(Membership, and_(Membership.conversation_id == Message.conversation_id,
                               Membership.user_id == user_id, Membership.left_at.is_(None)))
        .where(Message.id > Membership.last_read_message_id,
               or_(Message.sender_id.is_(None), Message.sender_id != user_id),
               Message.event_id >= func.coalesce(Membership.joined_event_id, 0))
    ) or 0
