"""Block actions: block and unblock a person, list whom one blocked, and the refusals a block
gives to sends and friend requests between the two people.

A block is one-way in the database (`Block(blocker_id, blocked_id)`) but stops both
directions of direct messages and friend requests. The blocked person is never told: their
refusal is the same sentence whatever the reason behind it (`undeliverable`,
`request_undeliverable`), and no event reaches them. The blocker is told why
(`unblock_first`, `unblock_to_ask`), so they know how to undo it.
"""
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.errors import DomainError, Forbidden, NotFound
from core.people import user_brief
from extensions import db
from models import Block, Conversation, User
from realtime import events
from realtime.eventlog import send_event_on_commit


def undeliverable() -> Forbidden:
    """The refusal of a direct message (text, attachment, typing) to someone who blocked the
    sender: deliberately says nothing of a block."""
    return Forbidden(_("Your message could not be delivered."))


def unblock_first(peer_id: int) -> Forbidden:
    """The refusal of a direct message from the blocker to person `peer_id` (a user id),
    naming them: "Unblock <nickname> to send them messages."."""
    peer = db.session.get(User, peer_id)
    return Forbidden(_("Unblock %(name)s to send them messages.", name=peer.nickname if peer else ""))


def request_undeliverable() -> Forbidden:
    """The refusal of a friend request (or an answer to one) to someone who blocked the
    sender, field "username": says nothing of a block."""
    return Forbidden(_("Your friend request could not be delivered."), "username")


def unblock_to_ask(peer: User) -> Forbidden:
    """The refusal of a friend request (or an answer to one) from the blocker to `peer`."""
    return Forbidden(_("Unblock %(name)s to be friends again.", name=peer.nickname), "username")


def block_standing(user_id: int, other_id: int) -> tuple[bool, bool]:
    """(`user_id` blocked `other_id`, `other_id` blocked `user_id`): one query."""
    rows = db.session.execute(select(Block.blocker_id).where(or_(
        and_(Block.blocker_id == user_id, Block.blocked_id == other_id),
        and_(Block.blocker_id == other_id, Block.blocked_id == user_id)))).scalars().all()
    return user_id in rows, other_id in rows


def blocked_by_among(user_id: int, user_ids: list[int]) -> list[int]:
    """Which of `user_ids` blocked `user_id` (ascending): people `user_id` may not pull into a
    group, where their messages would reach them after all. One query."""
    if not user_ids:
        return []
    return list(db.session.scalars(select(Block.blocker_id).where(
        Block.blocked_id == user_id, Block.blocker_id.in_(user_ids)).order_by(Block.blocker_id)))


def message_refusal(sender_id: int, peer_id: int) -> DomainError | None:
    """The refusal of a direct message from `sender_id` to `peer_id` when a block stands
    between them (`unblock_first` for the blocker, `undeliverable` for the blocked person;
    the blocker's wins when both blocked each other), else None."""
    blocked, blocked_by = block_standing(sender_id, peer_id)
    if blocked:
        return unblock_first(peer_id)
    return undeliverable() if blocked_by else None


def request_refusal(sender: User, receiver: User) -> DomainError | None:
    """As `message_refusal`, for a friend request (or its answer) from `sender` to `receiver`."""
    blocked, blocked_by = block_standing(sender.id, receiver.id)
    if blocked:
        return unblock_to_ask(receiver)
    return request_undeliverable() if blocked_by else None


def blocked_ids(user_id: int) -> list[int]:
    """The ids of the people `user_id` blocked, ascending."""
    return list(db.session.scalars(select(Block.blocked_id).where(Block.blocker_id == user_id)
                                   .order_by(Block.blocked_id)))


def block_json(block: Block, user: User) -> dict:
    """A block as the API lists it: {"user": brief, "created_at": ISO 8601}."""
    return {"user": user_brief(user), "created_at": block.created_at.isoformat()}


def _person(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None:
        raise NotFound(_("No one has this id."), "user_id")
    return person


def person_named(username: str) -> User:
    """The account called `username` (any case), for the profile page's block form. NotFound
    (field "username") otherwise."""
    person = db.session.scalar(select(User).where(User.username_key == (username or "").strip().lower()))
    if person is None:
        raise NotFound(_("No one has this username."), "username")
    return person


_CONVERSATIONS = Conversation.__table__
_LOCK_DIRECT = (update(_CONVERSATIONS).where(_CONVERSATIONS.c.direct_key == bindparam("pair"))
                .values(owner_id=_CONVERSATIONS.c.owner_id))


def block_user(user: User, user_id: int) -> tuple[Block, User, bool]:
    """`user` blocks person `user_id`: from now on neither can send the other direct messages
    or friend requests (`message_refusal`, `request_refusal`), `user` no longer sees their
    pending friend requests and sees their group messages collapsed. Records block.created
    for `user`'s devices only. Blocking again changes nothing. Returns (block, the person,
    created). Raises DomainError (yourself, field "user_id"), NotFound (no such person)."""
    if user_id == user.id:
        raise DomainError(_("You cannot block yourself."), "user_id")
    person = _person(user_id)
    existing = db.session.get(Block, (user.id, person.id))
    if existing is not None:
        return existing, person, False
    # The pair's direct conversation's row lock (SQLite: the write lock), which a send's batch
    # takes before it checks who may send (chat/senders.lock_conversations): a direct message
    # checked before this block commits is stored before it, and none after.
    db.session.execute(_LOCK_DIRECT, {"pair": f"{min(user.id, person.id)}:{max(user.id, person.id)}"})
    block = Block(blocker_id=user.id, blocked_id=person.id)
    db.session.add(block)
    try:
        db.session.flush()
    except IntegrityError:  # the same block from another device committed first
        db.session.rollback()
        return db.session.get(Block, (user.id, person.id)), person, False
    send_event_on_commit(events.block_changed(True, user.id, user_brief(person)))
    db.session.commit()
    return block, person, True


def unblock_user(user: User, user_id: int) -> bool:
    """`user` unblocks person `user_id`: everything a block stopped works again (friendship
    and conversation were never touched). Records block.deleted for `user`'s devices only.
    Returns False (and records nothing) when they were not blocked; NotFound when there is
    no such person."""
    person = _person(user_id)
    removed = db.session.execute(delete(Block).where(Block.blocker_id == user.id,
                                                     Block.blocked_id == person.id)).rowcount
    if not removed:
        db.session.rollback()
        return False
    send_event_on_commit(events.block_changed(False, user.id, user_brief(person)))
    db.session.commit()
    return True


def list_blocks(user: User) -> list[tuple[Block, User]]:
    """The people `user` blocked, most recent first: [(block, person)]."""
    return [(block, person) for block, person in db.session.execute(
        select(Block, User).join(User, User.id == Block.blocked_id).where(Block.blocker_id == user.id)
        .order_by(Block.created_at.desc(), Block.blocked_id.desc()))]
