"""The Mentions list: the messages that mention a person (named, or an owner's @all) that
they can still see, newest first, by cursor."""
from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from blueprints.chat.hiding import not_hidden
from blueprints.search.services import placed, searchable_conversations
from core.errors import DomainError
from extensions import db
from models import Membership, Mention, Message, User

LIMIT_MAX = 50

# The message falls inside one of the viewer's stays in its conversation (chat/services.visible_in).
_WITHIN_STAYS = (exists().where(Membership.user_id == Mention.user_id,
                                Membership.conversation_id == Message.conversation_id,
                                func.coalesce(Membership.joined_event_id, 0) <= func.coalesce(Message.event_id, 0),
                                or_(Membership.left_event_id.is_(None), Message.event_id <= Membership.left_event_id)))


def list_mentions(user: User, before: int | None = None, limit: int = 20) -> dict:
    """The messages that mention `user`, newest first, older than message id `before` when
    given; at most `limit` (1–50). Only what they can still see in the chat: conversations they
    are in now (not dissolved), messages within their stays there, not recalled, not hidden
    (deleted for themselves: chat/hiding.py).

    Returns {"items": [{"message" (as the chat carries it), "conversation" ({"id", "kind",
    "name"}), "url" (the chat opened at the message)}], "next_before" (pass as `before` for
    older ones, or None)}. Three queries (conversations, mentions, their messages' JSON
    reads), whatever the page's size. Raises DomainError for a `limit` out of range."""
    if not 1 <= limit <= LIMIT_MAX:
        raise DomainError(_("limit must be between 1 and %(n)d.", n=LIMIT_MAX), "limit")
    conversations = searchable_conversations(user)
    if not conversations:
        return {"items": [], "next_before": None}
    query = (select(Message).join(Mention, Mention.message_id == Message.id)
             .options(selectinload(Message.attachment))
             .where(Mention.user_id == user.id, Mention.conversation_id.in_(sorted(conversations)),
                    Message.recalled_at.is_(None), _WITHIN_STAYS, not_hidden(user.id)))
    if before is not None:
        query = query.where(Mention.message_id < before)
    rows = list(db.session.scalars(query.order_by(Mention.message_id.desc()).limit(limit + 1)))
    more, messages = len(rows) > limit, rows[:limit]
    return {"items": placed(user, messages, conversations), "next_before": messages[-1].id if more else None}
