"""Favorite actions: favorite a message (keeping a copy), unfavorite, list with filters."""
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from blueprints.chat import services as chat
from blueprints.chat.rendering import render_message
from core.errors import DomainError, NotFound
from core.people import user_brief
from extensions import db
from models import Attachment, Conversation, Favorite, Membership, Message, User
from realtime import events
from realtime.eventlog import send_event_on_commit

KINDS = ("text", "image", "file", "voice")


def _conversation_name(conversation: Conversation, viewer: User) -> str:
    if conversation.kind == "direct":
        peer = chat.peer_of(conversation, viewer.id)
        return peer.nickname if peer else ""
    return conversation.name or ""


def _chat_urls(user: User, favorites: list[Favorite]) -> dict[int, str]:
    """favorite id -> the URL of its message in the chat, for those the person can still see
    there (their stays read in one query)."""
    messages = {f.id: f.message_id for f in favorites if f.message_id}
    if not messages:
        return {}
    rows = db.session.execute(
        select(Message.id, Message.conversation_id, Message.event_id, Message.recalled_at,
               Conversation.dissolved_at)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.id.in_(set(messages.values())))).all()
    stays: dict[int, list[Membership]] = {}
    for stay in db.session.scalars(select(Membership).where(
            Membership.user_id == user.id, Membership.conversation_id.in_({row[1] for row in rows}))):
        stays.setdefault(stay.conversation_id, []).append(stay)
    visible = {}
    for message_id, conversation_id, event_id, recalled_at, dissolved_at in rows:
        mine = stays.get(conversation_id, [])
        if recalled_at or dissolved_at or not any(s.left_at is None for s in mine):
            continue
        if chat.within_stays(mine, event_id):
            visible[message_id] = f"/chat/{conversation_id}?message={message_id}"
    return {fid: visible[mid] for fid, mid in messages.items() if mid in visible}


def favorite_json(favorite: Favorite, sender: User | None, chat_url: str | None) -> dict:
    """A favorite as the API and events carry it (from its own copy of the message)."""
    return {"id": favorite.id, "message_id": favorite.message_id, "conversation_id": favorite.conversation_id,
            "conversation_name": favorite.conversation_name, "kind": favorite.kind, "body": favorite.body,
            "html": str(render_message(favorite.body)) if favorite.body else "",
            "sender": user_brief(sender) if sender else None, "sender_nickname": favorite.sender_nickname,
            "attachment": favorite.attachment.to_json() if favorite.attachment else None,
            "sent_at": favorite.sent_at.isoformat(), "created_at": favorite.created_at.isoformat(),
            "chat_url": chat_url}


def favorite_jsons(user: User, favorites: list[Favorite]) -> list[dict]:
    """`favorite_json` of each of `user`'s favorites, in few queries."""
    ids = {f.sender_id for f in favorites if f.sender_id}
    senders = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    urls = _chat_urls(user, favorites)
    return [favorite_json(f, senders.get(f.sender_id), urls.get(f.id)) for f in favorites]


def add_favorite(user: User, message_id: int) -> tuple[Favorite, bool]:
    """Favorite a message `user` can see (text, image or file), keeping a copy of its text,
    sender, conversation name and attachment. Returns (favorite, created); favoriting again
    returns the existing one. Raises NotFound (not a message the person can see, or
    recalled). Records favorite.created for the person's other devices."""
    message = db.session.get(Message, message_id) if isinstance(message_id, int) else None
    if message is None or message.recalled_at is not None or not chat.can_see(user, message):
        raise NotFound(_("This message does not exist, or you cannot see it."))
    existing = db.session.scalar(select(Favorite).where(Favorite.user_id == user.id, Favorite.message_id == message.id))
    if existing is not None:
        return existing, False
    sender = db.session.get(User, message.sender_id) if message.sender_id else None
    conversation = db.session.get(Conversation, message.conversation_id)
    favorite = Favorite(user_id=user.id, message_id=message.id, conversation_id=conversation.id, kind=message.kind,
                        body=message.body, sender_id=message.sender_id,
                        sender_nickname=sender.nickname if sender else "",
                        conversation_name=_conversation_name(conversation, user)[:64],
                        attachment=message.attachment, sent_at=message.created_at)
    db.session.add(favorite)
    try:
        db.session.flush()
    except IntegrityError:  # a double click raced itself: the first one stored wins
        db.session.rollback()
        return db.session.scalar(select(Favorite).where(Favorite.user_id == user.id,
                                                        Favorite.message_id == message_id)), False
    payload = favorite_jsons(user, [favorite])[0]
    send_event_on_commit(events.favorite_created(user.id, payload))
    db.session.commit()
    return favorite, True


def remove_favorite(user: User, favorite_id: int) -> None:
    """Remove one of `user`'s favorites. NotFound when it is not theirs (or gone already).
    Records favorite.deleted for the person's other devices."""
    favorite = db.session.get(Favorite, favorite_id) if isinstance(favorite_id, int) else None
    if favorite is None or favorite.user_id != user.id:
        raise NotFound(_("This favorite does not exist."))
    send_event_on_commit(events.favorite_deleted(user.id, favorite.id, favorite.message_id))
    db.session.delete(favorite)
    db.session.commit()


def remove_favorite_of_message(user: User, message_id: int) -> None:
    """Unfavorite message `message_id`; nothing happens when it is not (or no longer) among
    the person's favorites, so a repeated click or a retried request is harmless."""
    favorite_id = db.session.scalar(select(Favorite.id).where(Favorite.user_id == user.id,
                                                              Favorite.message_id == message_id))
    if favorite_id is not None:
        remove_favorite(user, favorite_id)


def list_favorites(user: User, kind: str = "all", q: str = "", page: int = 1,
                   per_page: int = 20) -> tuple[list[Favorite], int]:
    """`user`'s favorites newest first: of one kind ("text", "image", "file", "voice"; "all" for
    every kind), whose text or file name contains `q` (case-insensitive, at most 100
    characters), page `page` (from 1) of `per_page`. Returns (favorites, total matching).
    Raises DomainError for an unknown kind."""
    if kind not in ("all", *KINDS):
        raise DomainError(_("Choose all, text, image, file or voice."), "type")
    query = (select(Favorite).outerjoin(Attachment, Attachment.id == Favorite.attachment_id)
             .where(Favorite.user_id == user.id))
    if kind != "all":
        query = query.where(Favorite.kind == kind)
    q = (q or "").strip()[:100]
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Favorite.body.ilike(pattern, escape="\\"),
                                and_(Attachment.id.is_not(None), Attachment.name.ilike(pattern, escape="\\"))))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(db.session.scalars(query.options(selectinload(Favorite.attachment))
                                   .order_by(Favorite.id.desc()).limit(per_page).offset((page - 1) * per_page)))
    return rows, total
