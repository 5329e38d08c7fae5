"""Who may send where: the send path's checks, run by the batch's leader in its transaction
(sending.py), and the refusals they give. A sender may send in a conversation they are a
current member of, not dissolved; in a direct conversation, only while still friends with
the other person and neither blocked the other (the same rules as
services.readable_conversation and services.sendable_conversation, which check one
conversation for a page or an attachment; blueprints/blocks/services.py words the refusals)."""
from collections.abc import Callable
from functools import partial

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, exists, select, update

from blueprints.blocks.services import undeliverable, unblock_first
from core.errors import DomainError, Forbidden, NotFound
from core.prepared import Prepared, in_list, padded
from models import Block, Conversation, Friendship, Membership

_CONVERSATIONS = Conversation.__table__
# Run on the DBAPI cursor (core/prepared.py): these are statements of every send's batch.
# Takes a conversation's row lock (SQLite: the write lock) without changing it, as
# groups/services._lock_members does before a member change.
_LOCK_CONVERSATION = Prepared(lambda: update(_CONVERSATIONS).where(_CONVERSATIONS.c.id == bindparam("conversation_id"))
                              .values(owner_id=_CONVERSATIONS.c.owner_id))
# Of the conversations and senders asked, the pairs where the sender is a current member of
# a conversation not dissolved, with its kind and direct key. Two IN lists rather than a list
# of pairs: SQLite searches the (conversation_id, user_id) index for every combination, while
# for a list of row values it scans the table. Compiled once per pair of list lengths (padded).
_SENDERS_IN = Prepared(lambda conversations, users: (
    select(Membership.conversation_id, Membership.user_id, Conversation.kind, Conversation.direct_key)
    .join(Conversation, Conversation.id == Membership.conversation_id)
    .where(Membership.conversation_id.in_(in_list("conversation", conversations)),
           Membership.user_id.in_(in_list("user", users)),
           Membership.left_at.is_(None), Conversation.dissolved_at.is_(None))))
_MAX_COMBINATIONS = 1024  # index searches in one such query; beyond, a query per conversation
# Of the users and friends asked, the pairs that are friends, and whether the user blocked
# the friend, or the friend the user: the block checks ride on the friendship rows found (two
# primary-key probes each), no query of their own.
_FRIENDS_AMONG = Prepared(lambda users, friends: (
    select(Friendship.user_id, Friendship.friend_id,
           exists().where(and_(Block.blocker_id == Friendship.user_id, Block.blocked_id == Friendship.friend_id)),
           exists().where(and_(Block.blocker_id == Friendship.friend_id, Block.blocked_id == Friendship.user_id)))
    .where(Friendship.user_id.in_(in_list("user", users)), Friendship.friend_id.in_(in_list("friend", friends)))))


def not_in_conversation() -> NotFound:
    """The refusal of a send (or read) in a conversation the person is not in, translated
    for the current request."""
    return NotFound(_("This conversation does not exist, or you are not in it."))


def not_friends() -> Forbidden:
    """The refusal of a send in a direct conversation with someone no longer a friend,
    translated for the current request."""
    return Forbidden(_("You can only send messages to your friends. Add them again to chat."))


def direct_peer(direct_key: str, user_id: int) -> int:
    """The other person of a direct conversation whose key is `direct_key` ("low:high")."""
    low, high = (int(part) for part in direct_key.split(":"))
    return high if low == user_id else low


def lock_conversations(connection, conversation_ids: set[int]) -> None:
    """Take the row locks of `conversation_ids` (SQLite: the write lock), in id order as every
    writer takes them, until the transaction ends: a group's member changes take the same lock
    (groups/services._lock_members), so what `refusals` reads next stays true until COMMIT."""
    _LOCK_CONVERSATION.run_many(connection, [{"conversation_id": conversation_id}
                                             for conversation_id in sorted(conversation_ids)])


def refusals(connection, pairs: set[tuple[int, int]]) -> dict[tuple[int, int], Callable[[], DomainError]]:
    """Of `pairs` (conversation id, sender id), those whose sender may not send in that
    conversation now, each with the callable that makes its refusal (`not_in_conversation`,
    `not_friends`, blocks' `unblock_first` or `undeliverable`): not a current member of a
    conversation not dissolved, or in a direct conversation no longer friends, or one of the
    two blocked the other (the sender's own block answers first). Usually one query, one more
    when a direct conversation is among them; run on `connection`, in the caller's
    transaction."""
    senders_by_conversation: dict[int, set[int]] = {}
    for conversation_id, sender_id in pairs:
        senders_by_conversation.setdefault(conversation_id, set()).add(sender_id)
    found = {}
    for conversation_ids, user_ids in _combinations(senders_by_conversation):
        conversation_count, conversation_params = padded(conversation_ids, "conversation")
        user_count, user_params = padded(user_ids, "user")
        for row in _SENDERS_IN.run(connection, conversation_params | user_params, conversation_count, user_count):
            found[(row[0], row[1])] = row
    direct = {(sender_id, direct_peer(row[3], sender_id))
              for (_conversation_id, sender_id), row in found.items() if row[2] == "direct"}
    friends = {}  # (sender, peer) -> (sender blocked peer, peer blocked sender)
    if direct:
        user_count, user_params = padded(sorted({a for a, _b in direct}), "user")
        friend_count, friend_params = padded(sorted({b for _a, b in direct}), "friend")
        rows = _FRIENDS_AMONG.run(connection, user_params | friend_params, user_count, friend_count)
        friends = {(row[0], row[1]): (bool(row[2]), bool(row[3])) for row in rows if (row[0], row[1]) in direct}
    refused = {}
    for conversation_id, sender_id in pairs:
        row = found.get((conversation_id, sender_id))
        if row is None:
            refused[(conversation_id, sender_id)] = not_in_conversation
        elif row[2] == "direct":
            peer = direct_peer(row[3], sender_id)
            blocked, blocked_by = friends.get((sender_id, peer), (False, False))
            if (sender_id, peer) not in friends:
                refused[(conversation_id, sender_id)] = not_friends
            elif blocked:
                refused[(conversation_id, sender_id)] = partial(unblock_first, peer)
            elif blocked_by:
                refused[(conversation_id, sender_id)] = undeliverable
    return refused


def _combinations(senders_by_conversation: dict[int, set[int]]) -> list[tuple[list[int], list[int]]]:
    """(conversation ids, sender ids) to ask `_SENDERS_IN` with: all at once while that is at
    most _MAX_COMBINATIONS index searches, else one conversation at a time."""
    senders = sorted(set().union(*senders_by_conversation.values()))
    if len(senders_by_conversation) * len(senders) <= _MAX_COMBINATIONS:
        return [(sorted(senders_by_conversation), senders)]
    return [([conversation_id], sorted(user_ids)) for conversation_id, user_ids in sorted(senders_by_conversation.items())]
