"""The event vocabulary: every durable event type, one builder per type, the broker messages
never stored, and the two dicts an event is turned into (docs/delivery.md, "The vocabulary";
which types start or end a stay is realtime/memberships.py's rule).

A builder takes plain arguments (ids, and the dicts services already build, such as a
message's JSON) and returns a `NewEvent`: its type, its data exactly as clients receive it,
and its audience, either the members of `conversation_id` as of the event or `user_ids`.
Services hand it to `realtime.eventlog.send_event_on_commit`.
"""
from collections.abc import Iterable
from typing import NamedTuple

FRIEND_REQUEST_RECEIVED = "friend_request.received"
FRIEND_REQUEST_UPDATED = "friend_request.updated"
FRIEND_REQUEST_ACCEPTED = "friend_request.accepted"
FRIEND_REQUEST_REJECTED = "friend_request.rejected"
FRIEND_REMOVED = "friend.removed"
GROUP_CREATED = "group.created"
GROUP_RENAMED = "group.renamed"
GROUP_DISSOLVED = "group.dissolved"
GROUP_MEMBER_ADDED = "group.member_added"
GROUP_MEMBER_JOINED = "group.member_joined"
GROUP_MEMBER_LEFT = "group.member_left"
GROUP_MEMBER_REMOVED = "group.member_removed"
GROUP_INVITE_CHANGED = "group.invite_changed"
MESSAGE_CREATED = "message.created"
MESSAGE_RECALLED = "message.recalled"
MESSAGE_EDITED = "message.edited"
MESSAGE_HIDDEN = "message.hidden"
MESSAGE_PINNED = "message.pinned"
MESSAGE_UNPINNED = "message.unpinned"
REACTION_ADDED = "reaction.added"
REACTION_REMOVED = "reaction.removed"
CONVERSATION_MUTE_CHANGED = "conversation.mute_changed"
BLOCK_CREATED = "block.created"
BLOCK_DELETED = "block.deleted"
READ_UPDATED = "read.updated"
RECEIPTS_UPDATED = "receipts.updated"
FAVORITE_CREATED = "favorite.created"
FAVORITE_DELETED = "favorite.deleted"
USER_UPDATED = "user.updated"


class NewEvent(NamedTuple):
    """An event to record: `type` (one of the constants above), `data` (JSON-serialisable, as
    clients see it) and its audience: `conversation_id`, or else `user_ids` (a sequence;
    deduplicated when recorded)."""

    type: str
    data: dict
    conversation_id: int | None = None
    user_ids: tuple[int, ...] = ()


# -- friends (audience: the two people) ---------------------------------------------------------
def friend_request_sent(request: dict, *, new: bool, sender_id: int, receiver_id: int) -> NewEvent:
    """A request sent (`new`: friend_request.received) or sent again while one was still
    pending (friend_request.updated). `request` is the request's brief."""
    return NewEvent(FRIEND_REQUEST_RECEIVED if new else FRIEND_REQUEST_UPDATED, {"request": request},
                    user_ids=(receiver_id, sender_id))


def friend_request_accepted(request: dict, conversation_id: int, *, sender_id: int, receiver_id: int) -> NewEvent:
    """The receiver accepted; both now share direct conversation `conversation_id` (it starts
    both their stays, from the conversation's very beginning: see realtime/memberships.stays_started)."""
    return NewEvent(FRIEND_REQUEST_ACCEPTED, {"request": request, "conversation_id": conversation_id},
                    user_ids=(sender_id, receiver_id))


def friend_request_rejected(request: dict, *, sender_id: int, receiver_id: int) -> NewEvent:
    """The receiver turned the request down."""
    return NewEvent(FRIEND_REQUEST_REJECTED, {"request": request}, user_ids=(sender_id, receiver_id))


def friend_removed(user_id: int, friend_id: int, conversation_id: int | None) -> NewEvent:
    """`user_id` ended the friendship with `friend_id` (their direct conversation, if any, stays)."""
    return NewEvent(FRIEND_REMOVED, {"user_ids": [user_id, friend_id], "conversation_id": conversation_id},
                    user_ids=(user_id, friend_id))


# -- groups (audience: the members as of the event) ---------------------------------------------
def group_created(group: dict, members: list[dict]) -> NewEvent:
    """Group `group` ({"id", "name", "owner_id"}) made with `members` (briefs, owner first)."""
    return NewEvent(GROUP_CREATED, {"group": group, "members": members}, conversation_id=group["id"])


def group_member_added(group_id: int, by: int, members: list[dict], group: dict) -> NewEvent:
    """Member `by` added `members` (briefs); `group` is the group's brief, for the newcomers'
    clients that know nothing of it yet."""
    return NewEvent(GROUP_MEMBER_ADDED, {"group_id": group_id, "by": by, "members": members, "group": group},
                    conversation_id=group_id)


def group_member_joined(group_id: int, member: dict, group: dict) -> NewEvent:
    """`member` (a brief) joined through the invite link."""
    return NewEvent(GROUP_MEMBER_JOINED, {"group_id": group_id, "member": member, "group": group},
                    conversation_id=group_id)


def group_member_removed(group_id: int, user_id: int, by: int) -> NewEvent:
    """The owner `by` removed `user_id`."""
    return NewEvent(GROUP_MEMBER_REMOVED, {"group_id": group_id, "user_id": user_id, "by": by},
                    conversation_id=group_id)


def group_member_left(group_id: int, user_id: int, owner_id: int) -> NewEvent:
    """`user_id` quit; `owner_id` is the owner from now on (maybe a new one)."""
    return NewEvent(GROUP_MEMBER_LEFT, {"group_id": group_id, "user_id": user_id, "owner_id": owner_id},
                    conversation_id=group_id)


def group_renamed(group_id: int, name: str) -> NewEvent:
    """The group is now called `name`."""
    return NewEvent(GROUP_RENAMED, {"group_id": group_id, "name": name}, conversation_id=group_id)


def group_invite_changed(group_id: int, invite_code: str | None, owner_id: int) -> NewEvent:
    """The invite code is now `invite_code` (None: no link). Only the owner sees it."""
    return NewEvent(GROUP_INVITE_CHANGED, {"group_id": group_id, "invite_code": invite_code},
                    user_ids=(owner_id,))


def group_dissolved(group_id: int, by: int) -> NewEvent:
    """The group is gone; everyone's stay ends with this event."""
    return NewEvent(GROUP_DISSOLVED, {"group_id": group_id, "by": by}, conversation_id=group_id)


# -- messages, read state, favorites, profiles --------------------------------------------------
def message_created(conversation_id: int, message: dict) -> NewEvent:
    """A message sent; `message` is its JSON as the API returns it."""
    return NewEvent(MESSAGE_CREATED, {"message": message}, conversation_id=conversation_id)


def message_recalled(conversation_id: int, message_id: int) -> NewEvent:
    """The sender recalled message `message_id`."""
    return NewEvent(MESSAGE_RECALLED, {"conversation_id": conversation_id, "message_id": message_id},
                    conversation_id=conversation_id)


def message_edited(conversation_id: int, message: dict) -> NewEvent:
    """The sender edited a message's text; `message` is its JSON after the edit."""
    return NewEvent(MESSAGE_EDITED, {"message": message}, conversation_id=conversation_id)


def message_hidden(user_id: int, conversation_id: int, message_id: int) -> NewEvent:
    """`user_id` deleted message `message_id` from their own view ("delete for me")."""
    return NewEvent(MESSAGE_HIDDEN, {"conversation_id": conversation_id, "message_id": message_id},
                    user_ids=(user_id,))


def message_pinned(conversation_id: int, pin: dict) -> NewEvent:
    """A message was pinned; `pin` is its JSON as the conversation's pins list shows it."""
    return NewEvent(MESSAGE_PINNED, {"conversation_id": conversation_id, "pin": pin}, conversation_id=conversation_id)


def message_unpinned(conversation_id: int, message_id: int, by: int) -> NewEvent:
    """Member `by` unpinned message `message_id` (or recalled it)."""
    return NewEvent(MESSAGE_UNPINNED, {"conversation_id": conversation_id, "message_id": message_id, "by": by},
                    conversation_id=conversation_id)


def reaction_changed(added: bool, conversation_id: int, message_id: int, emoji: str, user: dict) -> NewEvent:
    """`user` (a brief) added (reaction.added) or took back (reaction.removed) `emoji` on a message."""
    return NewEvent(REACTION_ADDED if added else REACTION_REMOVED,
                    {"conversation_id": conversation_id, "message_id": message_id, "emoji": emoji, "user": user},
                    conversation_id=conversation_id)


def conversation_mute_changed(user_id: int, conversation_id: int, muted: bool) -> NewEvent:
    """`user_id` muted or unmuted conversation `conversation_id`: their own devices hear of it."""
    return NewEvent(CONVERSATION_MUTE_CHANGED, {"conversation_id": conversation_id, "muted": muted},
                    user_ids=(user_id,))


def block_changed(blocked: bool, blocker_id: int, user: dict) -> NewEvent:
    """`blocker_id` blocked (block.created) or unblocked (block.deleted) `user` (a brief): to
    the blocker alone, the blocked person is never told."""
    return NewEvent(BLOCK_CREATED if blocked else BLOCK_DELETED, {"user": user}, user_ids=(blocker_id,))


def read_updated(state: dict, senders: Iterable[int] = ()) -> NewEvent:
    """A reader's read position moved: `state` is {"conversation_id", "user_id" (the reader),
    "previous_read_message_id", "last_read_message_id", "unread" (the reader's own count)}.

    One event per move, whatever the conversation's size: to the reader's devices (their
    unread count), and to `senders`, the people whose messages the move passed and who see
    read receipts (blueprints/chat/receipts.py picks them); never to every member. Message
    ids in (previous_read_message_id, last_read_message_id] are the ones newly read."""
    reader = state["user_id"]
    return NewEvent(READ_UPDATED, state, user_ids=(reader, *sorted(set(senders) - {reader})))


def receipts_updated(conversation_id: int, sender_id: int, reads: list[dict]) -> NewEvent:
    """Read positions that moved past `sender_id`'s messages as the server delivered them to
    pages viewing the conversation (blueprints/chat/receipts.record_viewed): `reads` is a list
    of {"user_id", "previous_read_message_id", "last_read_message_id"}, the reads that passed
    this sender's messages (as in read.updated, message ids in (previous, last] are newly
    read). One event per sender for all such moves in a conversation within FLASK_READ_FLUSH
    seconds: a group of 500 all reading each message records one or two events a second,
    not 500. The readers are not told (the page viewing it knows)."""
    return NewEvent(RECEIPTS_UPDATED, {"conversation_id": conversation_id, "reads": reads}, user_ids=(sender_id,))


def favorite_created(user_id: int, favorite: dict) -> NewEvent:
    """`user_id` saved `favorite` (its JSON as the API returns it)."""
    return NewEvent(FAVORITE_CREATED, {"favorite": favorite}, user_ids=(user_id,))


def favorite_deleted(user_id: int, favorite_id: int, message_id: int) -> NewEvent:
    """`user_id` removed favorite `favorite_id` (of message `message_id`)."""
    return NewEvent(FAVORITE_DELETED, {"id": favorite_id, "message_id": message_id}, user_ids=(user_id,))


def user_updated(user: dict, audience: Iterable[int]) -> NewEvent:
    """`user` (a brief) changed their name or picture; `audience` is everyone who shows it."""
    return NewEvent(USER_UPDATED, {"user": user}, user_ids=tuple(sorted(set(audience))))


# -- broker messages that are never stored -----------------------------------------------------
# Carried between workers like events but never recorded or replayed: control messages (handed
# to eventlog.send_control_on_commit, so they go out only if the change commits) and typing.
# Presence messages are the presence relay's own (realtime/presence.py).
EVENTS = "events"  # a batch of committed events (realtime.publish_committed)
REVOKE = "revoke"
DISABLE = "disable"
TYPING = "typing"
VIEW = "view"


def credential(kind: str, token_hash: str) -> str:
    """What a stream is opened with and revoked by: `kind` "session" (a login session) or
    "token" (a personal access token), and the SHA-256 hex digest of its secret."""
    return f"{kind}:{token_hash}"


def revoke(credential: str) -> dict:
    """A control message: close every stream opened with `credential` (see `credential`)."""
    return {"kind": REVOKE, "credential": credential}


def disable(user_id: int) -> dict:
    """A control message: close every stream of `user_id` (a disabled account)."""
    return {"kind": DISABLE, "user_id": user_id}


def view(user_id: int, tab: str, conversation_id: int | None, message_id: int) -> dict:
    """A control message: the stream of `user_id`'s page `tab` (the id the page opened its
    stream with) now views `conversation_id` (visible, at its newest message, read up to
    `message_id`), or nothing (None). While it does, each message of that conversation
    delivered to it moves the person's read position (realtime/viewing.py)."""
    return {"kind": VIEW, "user_id": user_id, "tab": tab, "conversation_id": conversation_id,
            "message_id": message_id}


def typing(conversation_id: int, user: dict) -> dict:
    """`user` (a person's brief) is typing in `conversation_id`: for the other current members."""
    return {"kind": TYPING, "conversation_id": conversation_id, "user": user}


# -- the two dicts of a committed event ---------------------------------------------------------
def client_view(event_id: int, type: str, data: dict, created_at: str) -> dict:
    """The event as clients see it (stream frames, replay, long-polls): {"id", "type",
    "data", "created_at" (ISO 8601)}, in that order."""
    return {"id": event_id, "type": type, "data": data, "created_at": created_at}


def wire(event_id: int, type: str, data: dict, created_at: str, conversation_id: int | None,
         user_ids: list[int]) -> dict:
    """The event as the broker carries it between workers: the client view plus its
    audience, "conversation_id" (or None) and "user_ids" (a list, maybe empty)."""
    return {"id": event_id, "type": type, "data": data, "created_at": created_at,
            "conversation_id": conversation_id, "user_ids": user_ids}
