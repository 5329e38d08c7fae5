"""Read positions and read receipts: moving a person's read position (one read.updated event at
most, never one per member), moving the positions of the pages viewing a conversation as its
messages reach them (`record_viewed`: one receipts.updated event per sender passed, for all of
them), and the receipts of one's own messages, counted when asked.

Each member's read position is `Membership.last_read_message_id`. A member has read message m
when their position is at or past m.id *and their current stay covers m* (joined_event_id <=
m.event_id): someone who joined after a message was sent never counts as its reader, nor in its
number of members. Receipts are reciprocal: a person who turned `User.share_read_receipts` off
is counted nowhere (neither read nor unread) and sees nobody's (`sharing_off` answers).
"""
from collections import defaultdict

from flask_babel import gettext as _
from sqlalchemy import bindparam, case, false, func, select, update

from blueprints.chat.services import can_see, readable_conversation, unread_count, visible_in
from core.errors import Forbidden, NotFound
from core.people import user_brief
from core.sorting import name_sort_key
from extensions import db
from models import Membership, Message, User
from realtime import events
from realtime.eventlog import send_control_on_commit, send_event_on_commit

RECEIPTS_MAX = 100  # message ids one receipts query may ask about (a page of history)
PASSED_MAX = 1000  # messages record_viewed reads at once to find whom the moves passed


def mark_read(user: User, conversation_id: int, message_id: int, tab: str | None = None,
              viewing: bool = False) -> dict:
    """Move `user`'s read position in the conversation forward to `message_id` (never back;
    capped at the conversation's newest message) and record one read.updated event: to the
    reader's devices, and to the senders of the messages the move passed who would see it
    (`passed_senders`). With `tab` (the page's stream id, GET /events?tab=), the page's
    stream starts viewing the conversation (`viewing`: its messages are then read as they
    reach it, `record_viewed`) or stops viewing anything. Returns {"conversation_id",
    "last_read_message_id", "unread"} (the reader's unread count). NotFound for non-members."""
    _conversation, stays = readable_conversation(user, conversation_id)
    stay = next(s for s in stays if s.left_at is None)
    newest = db.session.scalar(select(func.max(Message.id)).where(Message.conversation_id == conversation_id)) or 0
    position = min(message_id, newest)
    previous = stay.last_read_message_id
    moved = position > previous
    if moved:  # (a position read without the lock can only be behind: not moving stays right)
        previous = locked_positions([stay.id])[stay.id]
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
    if tab is not None:
        send_control_on_commit(events.view(user.id, tab, conversation_id if viewing else None,
                                           stay.last_read_message_id))
    db.session.commit()
    return state


_STAYS = Membership.__table__


_TAKE_WRITE_LOCK = update(_STAYS).where(false()).values(last_read_message_id=_STAYS.c.last_read_message_id)


def locked_positions(stay_ids: list[int]) -> dict[int, int]:
    """{stay id: read position} of `stay_ids`, read under `locked` (see there)."""
    return dict(db.session.execute(locked(
        select(Membership.id, Membership.last_read_message_id).where(Membership.id.in_(sorted(stay_ids)))
        .order_by(Membership.id))).all())


def locked(query):
    """`query` (a SELECT of membership rows, in id order) made to lock the rows it reads for
    the rest of the transaction, so that two movers of one read position (a page's POST
    .../read, the flush of a viewing page's reads, on any worker) take turns and each computes
    its move, and the receipts it announces, from where the other left it. PostgreSQL: FOR
    UPDATE of those rows. SQLite: an UPDATE that matches no row is run first, which still takes
    the database's write lock (its only lock; pysqlite runs a SELECT outside any transaction)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(_TAKE_WRITE_LOCK)
        return query
    return query.with_for_update(of=Membership)


# The stays moved to one position, in one statement (a flush's readers mostly share theirs:
# the conversation's newest message). Never back: the stays are locked; this only restates it.
_MOVE = (update(_STAYS).where(_STAYS.c.id.in_(bindparam("stay_ids", expanding=True)),
                              _STAYS.c.last_read_message_id < bindparam("position"))
         .values(last_read_message_id=bindparam("position")))


def record_viewed(moves: dict[tuple[int, int], int]) -> None:
    """Move read positions forward as the hub delivered messages to pages viewing their
    conversation (realtime/viewing.py): `moves` is {(conversation id, user
    id): message id}. In one transaction: positions move only forward and only for current
    members; then, per conversation, one receipts.updated event for each sender whose
    messages the moves passed (both sharing read receipts, the sender a current member),
    listing just those moves. The readers get no event: the page viewing it knows, and their
    other pages learn it when they next load the conversation list."""
    by_conversation: defaultdict[int, dict[int, int]] = defaultdict(dict)
    for (conversation_id, user_id), message_id in moves.items():
        by_conversation[conversation_id][user_id] = message_id
    for conversation_id in sorted(by_conversation):  # one lock order for every writer
        _record_viewed_in(conversation_id, by_conversation[conversation_id])
    db.session.commit()


def _record_viewed_in(conversation_id: int, readers: dict[int, int]) -> None:
    # Locked in id order: two flushes (or a flush and a POST) never wait on each other in a cycle.
    stays = db.session.execute(locked(
        select(Membership.id, Membership.user_id, Membership.last_read_message_id, Membership.joined_event_id,
               User.share_read_receipts)
        .join(User, User.id == Membership.user_id)
        .where(Membership.conversation_id == conversation_id, Membership.left_at.is_(None),
               Membership.user_id.in_(sorted(readers)))
        .order_by(Membership.id))).all()
    moved = [(stay_id, user_id, previous, readers[user_id], joined or 0, shares)
             for stay_id, user_id, previous, joined, shares in stays if previous < readers[user_id]]
    if not moved:
        return
    by_position: defaultdict[int, list[int]] = defaultdict(list)
    for stay_id, _user, _previous, position, _joined, _shares in moved:
        by_position[position].append(stay_id)
    for position, stay_ids in sorted(by_position.items()):
        db.session.execute(_MOVE, {"stay_ids": stay_ids, "position": position})
    sharing = [move for move in moved if move[5]]
    if not sharing:
        return
    low, high = min(move[2] for move in sharing), max(move[3] for move in sharing)
    passed = db.session.execute(
        select(Message.id, Message.sender_id, Message.event_id)
        .where(Message.conversation_id == conversation_id, Message.id > low, Message.id <= high)
        .order_by(Message.id).limit(PASSED_MAX + 1)).all()
    reads_by_sender: defaultdict[int, list[dict]] = defaultdict(list)
    for _stay, user_id, previous, position, joined, _shares in sharing:
        if len(passed) > PASSED_MAX:  # a long way behind: ask for this reader's senders alone
            firsts = _first_passed(conversation_id, previous, position, joined)
        else:
            found: dict[int | None, int] = {}
            for message_id, sender_id, event_id in passed:
                if previous < message_id <= position and (event_id or 0) >= joined:
                    found.setdefault(sender_id, message_id)
            firsts = list(found.items())
        if not firsts:
            continue
        read = {"user_id": user_id, "last_read_message_id": position,
                "previous_read_message_id": _counted_from(previous, firsts)}
        for sender_id in _others(firsts, user_id):
            reads_by_sender[sender_id].append(read)
    for sender_id in _hearing(conversation_id, reads_by_sender):
        send_event_on_commit(events.receipts_updated(conversation_id, sender_id, reads_by_sender[sender_id]))


def _first_passed(conversation_id: int, previous: int, position: int, joined_event_id: int) -> list[tuple]:
    """[(sender id, the id of their first message)] of the messages in (previous, position]
    of `conversation_id` that a stay which began with event `joined_event_id` covers."""
    return db.session.execute(
        select(Message.sender_id, func.min(Message.id))
        .where(Message.conversation_id == conversation_id, Message.id > previous, Message.id <= position,
               Message.event_id >= joined_event_id)
        .group_by(Message.sender_id)).all()


def _counted_from(previous: int, firsts: list[tuple]) -> int:
    """Where a move from `previous` counts from, given `_first_passed`'s answer (not empty):
    `previous`, or, when the stay began later, just before the first message it covers."""
    return max(previous, min(first for _sender, first in firsts) - 1)


def _others(firsts: list[tuple], reader_id: int) -> set[int]:
    """The senders of `firsts` other than the reader (and other than nobody)."""
    return {sender for sender, _first in firsts if sender is not None and sender != reader_id}


def _hearing(conversation_id: int, candidates) -> list[int]:
    """Those of `candidates` (user ids) who see read receipts of `conversation_id`: current
    members who share them; sorted. One query (none for no candidates)."""
    if not candidates:
        return []
    return sorted(set(db.session.scalars(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(User.id.in_(sorted(candidates)), User.share_read_receipts.is_(True),
               Membership.conversation_id == conversation_id, Membership.left_at.is_(None))).all()))


def passed_senders(reader: User, stay: Membership, previous: int, position: int) -> tuple[list[int], int]:
    """Who hears that `reader` (in their current `stay`) moved from message id `previous` to
    `position`: the distinct senders of messages in (previous, position] that the stay covers,
    other than the reader, who are current members and share read receipts; none when the
    reader does not share. Also returns the position the move counts from: `previous`, or,
    when the stay began later, just before the first message it covers (so a client counting
    messages in (counted_from, position] never counts one the reader could not see).
    Two indexed queries at most, whatever the group's size."""
    firsts = _first_passed(stay.conversation_id, previous, position, stay.joined_event_id or 0)
    if not firsts:
        return [], position
    counted_from = _counted_from(previous, firsts)
    if not reader.share_read_receipts:
        return [], counted_from
    return _hearing(stay.conversation_id, _others(firsts, reader.id)), counted_from


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
