"""Changing a message already sent (an edit, a reaction, a pin; a recall's unpin): the lock a
change takes, and who hears of it: the members who can see the message (one who joined a group
after it never learns of it, nor of its changes)."""
from sqlalchemy import select

from blueprints.chat.senders import lock_conversations
from extensions import db
from models import Membership, Message
from realtime import events


def within_stays(stays: list[Membership], event_id: int | None) -> bool:
    """True when event `event_id` falls inside one of `stays` (the Python twin of the SQL
    `visible_in`)."""
    event_id = event_id or 0
    return any((stay.joined_event_id or 0) <= event_id
               and (stay.left_event_id is None or event_id <= stay.left_event_id) for stay in stays)


def to_its_readers(message: Message, event: events.NewEvent) -> events.NewEvent:
    """`event` (about `message`: its edit, pin, reactions, or unpinning on recall) for the
    conversation's members; when some current member cannot see the message (they joined a
    group after it), for the members who can only, by id: the conversation's audience would
    show the others its text. One query (every stay in the conversation)."""
    stays: dict[int, list[Membership]] = {}
    for stay in db.session.scalars(select(Membership).where(Membership.conversation_id == message.conversation_id)):
        stays.setdefault(stay.user_id, []).append(stay)
    current = [user_id for user_id, theirs in stays.items() if any(stay.left_at is None for stay in theirs)]
    readers = [user_id for user_id in current if within_stays(stays[user_id], message.event_id)]
    if len(readers) == len(current):
        return event
    return event._replace(conversation_id=None, user_ids=tuple(readers))


def lock_message(message: Message) -> None:
    """Lock `message` for a change to it until the transaction ends: its conversation's row
    lock first (`lock_conversations`: member changes take it too, so who can see the message,
    `to_its_readers`, stays true until COMMIT), then its own row, read again into
    `message`: a recall that committed meanwhile shows, a later one waits. On PostgreSQL the
    row lock is FOR NO KEY UPDATE: other rows may still refer to this one (a reply's
    reply_to_id), where FOR UPDATE would deadlock with a send batch holding the event counter."""
    lock_conversations(db.session.connection(), {message.conversation_id})
    db.session.scalar(select(Message).where(Message.id == message.id).with_for_update(key_share=True)
                      .execution_options(populate_existing=True))
