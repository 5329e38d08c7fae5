"""Read positions and read receipts: moving a person's read position (one read.updated event at
most, never one per member), and the receipts of one's own messages, counted when asked.

Each member's read position is `Membership.last_read_message_id`. A member has read message m
when their position is at or past m.id *and their current stay covers m* (joined_event_id <=
m.event_id): someone who joined after a message was sent never counts as its reader, nor in its
number of members. Receipts are reciprocal: a person who turned `User.share_read_receipts` off
is counted nowhere (neither read nor unread) and sees nobody's (`sharing_off` answers).
"""
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from blueprints.chat.services import can_see, readable_conversation, unread_count, visible_in
from core.errors import Forbidden, NotFound
from core.people import user_brief
from core.sorting import name_sort_key
from extensions import db
from models import Membership, Message, User
from realtime import events
from realtime.eventlog import send_event_on_commit

RECEIPTS_MAX = 100  # message ids one receipts query may ask about (a page of history)


def mark_read(user: User, conversation_id: int, message_id: int) -> dict:
    """Move `user`'s read position in the conversation forward to `message_id` (never back;
    capped at the conversation's newest message) and record one read.updated event: to the
    reader's devices, and to the senders of the messages the move passed who would see it
    (`passed_senders`). Returns {"conversation_id", "last_read_message_id", "unread"} (the
    reader's unread count). NotFound for non-members."""
    _conversation, stays = readable_conversation(user, conversation_id)
    stay = next(s for s in stays if s.left_at is None)
    newest = db.session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id)) or 0
    position = min(message_id, newest)
    previous = stay.last_read_message_id
    moved = position > previous
    if moved:
        stay.last_read_message_id = position
    state = {"conversation_id": conversation_id, "last_read_message_id": stay.last_read_message_id,
             "unread": unread_count(user.id, stays, conversation_id, stay.last_read_message_id)}
    if moved:
        senders, counted_from = passed_senders(user, stay, previous, position)
        send_event_on_commit(events.read_updated(
            {"conversation_id": conversation_id, "user_id": user.id, "previous_read_message_id": counted_from,
             "last_read_message_id": position, "unread": state["unread"]}, senders))
    db.session.commit()
    return state


def passed_senders(reader: User, stay: Membership, previous: int, position: int) -> tuple[list[int], int]:
    """Who hears that `reader` (in their current `stay`) moved from message id `previous` to
    `position`: the distinct senders of messages in (previous, position] that the stay covers,
    other than the reader, who are current members and share read receipts; none when the
    reader does not share. Also returns the position the move counts from: `previous`, or,
    when the stay began later, just before the first message it covers (so a client counting
    messages in (counted_from, position] never counts one the reader could not see).
    Two indexed queries at most, whatever the group's size."""
    rows = db.session.execute(
        select(Message.sender_id, func.min(Message.id))
        .where(Message.conversation_id == stay.conversation_id, Message.id > previous, Message.id <= position,
               Message.event_id >= (stay.joined_event_id or 0))
        .group_by(Message.sender_id)).all()
    if not rows:
        return [], position
    counted_from = max(previous, min(first for _sender, first in rows) - 1)
    candidates = {sender for sender, _first in rows if sender is not None and sender != reader.id}
    if not candidates or not reader.share_read_receipts:
        return [], counted_from
    senders = db.session.scalars(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(User.id.in_(sorted(candidates)), User.share_read_receipts.is_(True),
               Membership.conversation_id == stay.conversation_id, Membership.left_at.is_(None))).all()
    return sorted(set(senders)), counted_from


def _with_counted_members(query, asker_id: int):
    """`query` (over Message) joined to the stays that count for each message: current
    members other than the asker whose stay began at or before the message, with their User."""
    return (query.join(Membership, (Membership.conversation_id == Message.conversation_id)
                       & Membership.left_at.is_(None) & (Membership.user_id != asker_id)
                       & (func.coalesce(Membership.joined_event_id, 0) <= func.coalesce(Message.event_id, 0)))
            .join(User, User.id == Membership.user_id))


def receipt_counts(user: User, conversation_id: int, message_ids: list[int]) -> dict:
    """How many have read each of `user`'s own messages among `message_ids` (at most
    RECEIPTS_MAX; others' messages and ids not in the conversation are left out), counted now.

    Returns {"conversation_id", "sharing_off", "items": [{"message_id", "read", "members"}]},
    oldest first: `members` counts the current members other than `user` who share receipts
    and whose stay covers the message, `read` those of them whose read position is at or past
    it. `sharing_off` is True, with no items, when `user` does not share receipts. NotFound for
    non-members."""
    _conversation, stays = readable_conversation(user, conversation_id)
    answer = {"conversation_id": conversation_id, "sharing_off": not user.share_read_receipts, "items": []}
    if answer["sharing_off"] or not message_ids:
        return answer
    mine = db.session.scalars(
        select(Message.id).where(Message.conversation_id == conversation_id, Message.sender_id == user.id,
                                 Message.id.in_(sorted(set(message_ids))[:RECEIPTS_MAX]), visible_in(stays))
        .order_by(Message.id)).all()
    if not mine:
        return answer
    counts = dict((message_id, (members, int(read or 0))) for message_id, members, read in db.session.execute(
        _with_counted_members(select(Message.id, func.count(Membership.id),
                                     func.sum(case((Membership.last_read_message_id >= Message.id, 1), else_=0)))
                              .select_from(Message), user.id)
        .where(Message.id.in_(mine), User.share_read_receipts.is_(True))
        .group_by(Message.id)).all())
    answer["items"] = [{"message_id": message_id, "members": counts.get(message_id, (0, 0))[0],
                        "read": counts.get(message_id, (0, 0))[1]} for message_id in mine]
    return answer


def message_readers(user: User, conversation_id: int, message_id: int) -> dict:
    """Who has read `user`'s own message `message_id` and who has not yet, now.

    Returns {"message_id", "sharing_off", "read": [user briefs], "unread": [user briefs],
    "not_sharing": int}: among the current members other than `user` whose stay covers the
    message, those who share receipts, by name; those who do not are only counted. With
    `sharing_off` (the asker does not share) both lists are empty and the count 0. Raises
    NotFound (not a message the person can see in that conversation), Forbidden (someone
    else's message: receipts are for one's own)."""
    message = db.session.get(Message, message_id)
    if message is None or message.conversation_id != conversation_id or not can_see(user, message):
        raise NotFound(_("This message does not exist, or you cannot see it."))
    if message.sender_id != user.id:
        raise Forbidden(_("Read receipts are shown only for your own messages."))
    answer = {"message_id": message.id, "sharing_off": not user.share_read_receipts, "read": [], "unread": [],
              "not_sharing": 0}
    if answer["sharing_off"]:
        return answer
    rows = db.session.execute(_with_counted_members(select(Membership, User).select_from(Message), user.id)
                              .where(Message.id == message.id)).all()
    for stay, person in sorted(rows, key=lambda row: name_sort_key(row[1].nickname)):
        if not person.share_read_receipts:
            answer["not_sharing"] += 1
        else:
            answer["read" if stay.last_read_message_id >= message.id else "unread"].append(user_brief(person))
    return answer
