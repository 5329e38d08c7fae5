"""Mentions: whom a new message may mention, the rows that record them, and the mentions that
messages, the conversation list and the navigation show.

A send names people by id (`mentions`) and, in a group, its owner may mention everyone
(`mention_all`, "@all"). Only current members of the conversation other than the sender are
kept (one query); an id of anyone else, made up or not, is dropped without a word, as Slack
and WeChat drop a mention that reaches nobody. Each person reached gets one `Mention` row,
written in the message's transaction; the message carries the people named (`mentions`:
[{"id", "nickname"}], nicknames as they are now) and `mention_all`, never the whole group an
@all reached. A mention counts for its person ("[@you]" on the conversation's row) while its
message is after their read position, not recalled, and within their current stay.
"""
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import and_, func, select, true

from blueprints.chat.senders import not_in_conversation
from core.errors import Forbidden
from core.prepared import PreparedInsert
from extensions import db
from models import Conversation, Membership, Mention, Message, User

MENTIONS_MAX = 50  # people one message may name (an @all reaches every member besides)

_INSERT_MENTIONS = PreparedInsert(Mention.__table__, ("message_id", "user_id", "conversation_id", "named",
                                                      "created_at"))


class Mentions(NamedTuple):
    """Whom a send mentions, checked: `named` the people named ([{"id", "nickname"}], in the
    order given), `everyone` an owner's @all, `user_ids` everyone to record a row for (each
    once, named people first; with @all every current member but the sender)."""

    named: list[dict]
    everyone: bool
    user_ids: list[int]

    def rows(self, message_id: int, conversation_id: int, created_at) -> list[dict]:
        """The `Mention` rows of message `message_id`, for `write`."""
        named = {person["id"] for person in self.named}
        return [{"message_id": message_id, "user_id": user_id, "conversation_id": conversation_id,
                 "named": user_id in named, "created_at": created_at} for user_id in self.user_ids]


NO_MENTIONS = Mentions([], False, [])


def checked_mentions(sender_id: int, conversation_id: int, user_ids: list[int] | None,
                     mention_all: bool = False) -> Mentions:
    """Of `user_ids` (people a send from `sender_id` in `conversation_id` names; at most
    MENTIONS_MAX are looked at), the current members other than the sender, with `mention_all`
    (a group owner's @all; ignored in a direct conversation, where the other person is named
    by id). One query, none when nothing is mentioned; the caller (the send's batch) still
    checks that the sender may send there: a conversation that does not exist mentions nobody.

    Raises Forbidden beside "mention_all" when a member other than the owner asks for @all,
    NotFound when someone who is not a member does.
    """
    wanted = list(dict.fromkeys(user_ids or ()))[:MENTIONS_MAX]
    if not wanted and not mention_all:
        return NO_MENTIONS
    # With @all, every member (the sender among them: is it their group?); else the named.
    who = true() if mention_all else Membership.user_id.in_(wanted)
    rows = db.session.execute(
        select(Conversation.kind, Conversation.owner_id, User.id, User.nickname)
        .outerjoin(Membership, and_(Membership.conversation_id == Conversation.id, Membership.left_at.is_(None), who))
        .outerjoin(User, User.id == Membership.user_id)
        .where(Conversation.id == conversation_id)).all()
    if not rows:
        return NO_MENTIONS
    kind, owner_id = rows[0][0], rows[0][1]
    members = {user_id: nickname for _kind, _owner, user_id, nickname in rows if user_id is not None}
    everyone = mention_all and kind == "group"
    if everyone and sender_id not in members:
        raise not_in_conversation()
    if everyone and owner_id != sender_id:
        raise Forbidden(_("Only the group's owner can mention everyone (@all)."), "mention_all")
    named = [{"id": user_id, "nickname": members[user_id]} for user_id in wanted
             if user_id in members and user_id != sender_id]
    reached = [person["id"] for person in named]
    if everyone:
        reached += sorted(set(members) - set(reached) - {sender_id})
    return Mentions(named, everyone, reached)


def write(connection, rows: list[dict]) -> None:
    """Insert `rows` (from `Mentions.rows`) in one statement on `connection`, in its
    transaction; nothing at all for none (a send without mentions costs no statement)."""
    if rows:
        _INSERT_MENTIONS.run(connection, rows)


def named_in(message_ids: list[int]) -> dict[int, list[dict]]:
    """The people each of `message_ids` names ([{"id", "nickname"}], nicknames as they are
    now), by message id; one query."""
    if not message_ids:
        return {}
    named: dict[int, list[dict]] = {}
    for message_id, user_id, nickname in db.session.execute(
            select(Mention.message_id, User.id, User.nickname).join(User, User.id == Mention.user_id)
            .where(Mention.message_id.in_(sorted(set(message_ids))), Mention.named.is_(True))
            .order_by(Mention.id)):
        named.setdefault(message_id, []).append({"id": user_id, "nickname": nickname})
    return named


def unread_mentions(user_id: int) -> dict[int, int]:
    """The conversations where someone mentioned `user_id` after their read position, each
    with the newest such message's id, by conversation id: current stays of conversations not
    dissolved, messages within that stay and not recalled. One query."""
    return dict(db.session.execute(
        select(Mention.conversation_id, func.max(Mention.message_id))
        .join(Membership, and_(Membership.conversation_id == Mention.conversation_id,
                               Membership.user_id == user_id, Membership.left_at.is_(None)))
        .join(Conversation, Conversation.id == Mention.conversation_id)
        .join(Message, Message.id == Mention.message_id)
        .where(Mention.user_id == user_id, Mention.message_id > Membership.last_read_message_id,
               Conversation.dissolved_at.is_(None), Message.recalled_at.is_(None),
               func.coalesce(Message.event_id, 0) >= func.coalesce(Membership.joined_event_id, 0))
        .group_by(Mention.conversation_id)).all())
