"""A person's conversation list, unread counts, unread mentions and who of a conversation is
online."""
from sqlalchemy import and_, func, or_, select

from blueprints.chat.hiding import not_hidden
from blueprints.chat.mentions import unread_mentions
from blueprints.chat.payloads import preview
from blueprints.chat.services import peer_of, readable_conversation, unread_count, visible_in
from core.people import user_brief
from extensions import db
from models import Conversation, Membership, Message, User
from realtime import online_among


def list_conversations(user: User) -> list[dict]:
    """`user`'s conversations, most recent activity first: name, avatar (the other person for
    a direct conversation), last message preview (of a message they have not hidden), unread count, and `mentioned` (someone
    mentioned them after their read position; `mentioned_message_id` the newest such
    message: mentions.unread_mentions, one query for every row), and `muted` (chat/muting.py)."""
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
    mentioned = unread_mentions(user.id) if rows else {}
    result = []
    for conversation, stay in rows:
        stays = all_stays[conversation.id]
        last = db.session.scalar(select(Message).where(Message.conversation_id == conversation.id, visible_in(stays),
                                                       not_hidden(user.id))
                                 .order_by(Message.id.desc()).limit(1))
        item = {"id": conversation.id, "kind": conversation.kind, "name": conversation.name,
                "peer": None, "last_message": None, "last_activity_at": conversation.last_activity_at.isoformat(),
                "unread": unread_count(user.id, stays, conversation.id, stay.last_read_message_id),
                "last_read_message_id": stay.last_read_message_id,
                "mentioned": conversation.id in mentioned, "mentioned_message_id": mentioned.get(conversation.id),
                "muted": stay.muted}
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


def online_members(user: User, conversation_id: int) -> dict:
    """Who of the conversation's members is online now: {"online": [ids], "members": n}."""
    readable_conversation(user, conversation_id)
    member_ids = db.session.scalars(select(Membership.user_id).where(
        Membership.conversation_id == conversation_id, Membership.left_at.is_(None))).all()
    return {"online": online_among(member_ids), "members": len(member_ids)}


def total_mentioned(user_id: int) -> int:
    """How many of the person's conversations have a mention of them after their read
    position (one query): the count beside the navigation's unread badge."""
    return len(unread_mentions(user_id))


def total_unread(user_id: int) -> int:
    """Unread messages from others over the person's current conversations, leaving out the
    muted ones (their mentions still count in `total_mentioned`) and those the person hid:
    one query."""
    return db.session.scalar(
        select(func.count()).select_from(Message)
        .join(Membership, and_(Membership.conversation_id == Message.conversation_id,
                               Membership.user_id == user_id, Membership.left_at.is_(None),
                               Membership.muted.is_(False)))
        .where(Message.id > Membership.last_read_message_id,
               or_(Message.sender_id.is_(None), Message.sender_id != user_id),
               Message.event_id >= func.coalesce(Membership.joined_event_id, 0), not_hidden(user_id))
    ) or 0
