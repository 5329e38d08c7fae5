"""Group actions. Each change members should see is recorded as an event of the group's
conversation in the same transaction, and membership stays are stamped with event ids."""
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select, update

from blueprints.blocks.services import blocked_by_among
from blueprints.friends.services import friend_ids
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.people import user_brief
from core.timeutil import utcnow
from extensions import db
from models import Conversation, Membership, User
from realtime import events
from realtime.eventlog import send_event_on_commit

NAME_MAX = 50


def clean_name(name: str) -> str:
    """Return the group name stripped; DomainError(field name) unless 1–50 characters."""
    name = (name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise DomainError(_("Give the group a name of 1 to %(n)d characters.", n=NAME_MAX), "name")
    return name


def _membership(group_id: int, user_id: int) -> Membership | None:
    return db.session.scalar(select(Membership).where(
        Membership.conversation_id == group_id, Membership.user_id == user_id, Membership.left_at.is_(None)))


def is_member(group_id: int, user_id: int) -> bool:
    """True when `user_id` is in group `group_id` now."""
    return _membership(group_id, user_id) is not None


def get_group(user: User, group_id: int) -> Conversation:
    """The group `group_id` if `user` is a member of it; NotFound otherwise (so non-members
    cannot even tell that it exists)."""
    group = db.session.get(Conversation, group_id)
    if group is None or group.kind != "group" or group.dissolved_at or _membership(group_id, user.id) is None:
        raise NotFound(_("This group does not exist, or you are not a member."))
    return group


def _lock_members(group: Conversation) -> None:
    """Take `group`'s row lock (SQLite: the write lock) until commit and reload it, so member
    changes of one group run one at a time and each sees the ones committed before it (two
    joins cannot both pass the size check). NotFound if it was dissolved meanwhile."""
    locked = db.session.execute(
        update(Conversation).where(Conversation.id == group.id, Conversation.dissolved_at.is_(None))
        .values(owner_id=Conversation.owner_id).execution_options(synchronize_session=False)
    ).rowcount
    if not locked:
        raise NotFound(_("This group does not exist, or you are not a member."))
    db.session.refresh(group)


def _owned_group(user: User, group_id: int) -> Conversation:
    group = get_group(user, group_id)
    if group.owner_id != user.id:
        raise Forbidden(_("Only the group's owner can do this."))
    return group


def members(group: Conversation) -> list[tuple[Membership, User]]:
    """The current members of `group`, earliest joined first."""
    return list(db.session.execute(
        select(Membership, User).join(User, User.id == Membership.user_id)
        .where(Membership.conversation_id == group.id, Membership.left_at.is_(None))
        .order_by(Membership.joined_at, Membership.id)
    ).all())


def member_count(group_id: int) -> int:
    """How many people are in group `group_id` now."""
    return db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.conversation_id == group_id, Membership.left_at.is_(None)))


def group_brief(group: Conversation, joining: int = 0) -> dict:
    """A group as events and the API carry it (never its invite code). `joining`: people
    being added in this transaction and not yet in the session, counted as members."""
    return {"id": group.id, "name": group.name, "owner_id": group.owner_id,
            "member_count": member_count(group.id) + joining,
            "last_activity_at": group.last_activity_at.isoformat()}


def _check_room(group_id: int | None, adding: int, field: str = "user_ids") -> None:
    limit = current_app.config["GROUP_MAX_MEMBERS"]
    current = member_count(group_id) if group_id else 0
    if current + adding > limit:
        raise Conflict(_("A group can have at most %(n)d members.", n=limit), field)


def _friends_only(actor: User, user_ids: list[int], field: str = "user_ids") -> list[User]:
    # `field` is the request's name for the list, so the error lands beside it.
    wanted = list(dict.fromkeys(int(uid) for uid in user_ids if int(uid) != actor.id))
    allowed = friend_ids(actor.id)
    if any(uid not in allowed for uid in wanted):
        raise Forbidden(_("You can only add your own friends."), field)
    people = db.session.scalars(select(User).where(User.id.in_(wanted))).all() if wanted else []
    if any(not person.is_active for person in people):
        raise DomainError(_("A disabled account cannot be added."), field)
    return list(people)


def _not_blocked_by(actor: User, people: list[User], field: str = "user_ids") -> None:
    # Someone who blocked the actor is not pulled into a group with them (the actor's
    # messages would reach them there); worded as for a direct message, naming no block.
    refusing = blocked_by_among(actor.id, [person.id for person in people])
    if refusing:
        name = next(person.nickname for person in people if person.id == refusing[0])
        raise Forbidden(_("%(name)s could not be added.", name=name), field)


def _join(group: Conversation, people: list[User], event) -> None:
    now = utcnow()
    # Someone coming back keeps their read position: what they read before stays read.
    read_before = dict(db.session.execute(
        select(Membership.user_id, func.max(Membership.last_read_message_id))
        .where(Membership.conversation_id == group.id, Membership.user_id.in_([p.id for p in people]))
        .group_by(Membership.user_id)).all()) if group.id else {}
    for person in people:
        stay = Membership(conversation_id=group.id, user_id=person.id, joined_at=now,
                          last_read_message_id=read_before.get(person.id) or 0)
        db.session.add(stay)
        event.stamp(stay, "joined_event_id")


def create_group(owner: User, name: str, member_ids: list[int]) -> Conversation:
    """Create a group named `name` owned by `owner`, with `owner`'s friends `member_ids`.
    Raises DomainError (name), Forbidden (not a friend, or one who blocked `owner`), Conflict
    (over GROUP_MAX_MEMBERS)."""
    name = clean_name(name)
    people = _friends_only(owner, member_ids or [], "member_ids")
    _not_blocked_by(owner, people, "member_ids")
    _check_room(None, len(people) + 1, "member_ids")
    group = Conversation(kind="group", name=name, owner_id=owner.id)
    db.session.add(group)
    db.session.flush()
    everyone = [owner, *people]
    event = send_event_on_commit(events.group_created({"id": group.id, "name": name, "owner_id": owner.id},
                                                      [user_brief(p) for p in everyone]))
    _join(group, everyone, event)
    db.session.commit()
    return group


def list_groups(user: User) -> list[tuple[Conversation, int]]:
    """`user`'s groups with their member counts, newest activity first."""
    counts = (select(Membership.conversation_id, func.count().label("n"))
              .where(Membership.left_at.is_(None)).group_by(Membership.conversation_id).subquery())
    return list(db.session.execute(
        select(Conversation, counts.c.n)
        .join(Membership, Membership.conversation_id == Conversation.id)
        .join(counts, counts.c.conversation_id == Conversation.id)
        .where(Membership.user_id == user.id, Membership.left_at.is_(None), Conversation.kind == "group")
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
    ).all())


def add_members(actor: User, group_id: int, user_ids: list[int]) -> list[User]:
    """Add `actor`'s friends `user_ids` to the group (members already in are skipped); return
    who was added. Raises NotFound, Forbidden (not a friend, or one who blocked `actor`),
    Conflict (full)."""
    group = get_group(actor, group_id)
    people = _friends_only(actor, user_ids)
    _lock_members(group)
    people = [p for p in people if _membership(group.id, p.id) is None]
    if not people:
        raise DomainError(_("Choose at least one friend who is not in the group yet."), "user_ids")
    _not_blocked_by(actor, people)
    _check_room(group.id, len(people))
    group.last_activity_at = utcnow()
    # "group": the newcomers' clients know nothing of the group yet.
    event = send_event_on_commit(events.group_member_added(group.id, actor.id, [user_brief(p) for p in people],
                                                           group_brief(group, joining=len(people))))
    _join(group, people, event)
    db.session.commit()
    return people


def _leave(group: Conversation, stay: Membership, event) -> None:
    stay.left_at = utcnow()
    event.stamp(stay, "left_event_id")


def remove_member(owner: User, group_id: int, user_id: int) -> None:
    """The owner removes member `user_id`. Raises NotFound, Forbidden, DomainError (yourself)."""
    group = _owned_group(owner, group_id)
    if user_id == owner.id:
        raise DomainError(_("To leave your own group, quit it."))
    _lock_members(group)
    stay = _membership(group.id, user_id)
    if stay is None:
        raise NotFound(_("This person is not in the group."))
    event = send_event_on_commit(events.group_member_removed(group.id, user_id, owner.id))
    _leave(group, stay, event)
    db.session.commit()


def quit_group(user: User, group_id: int) -> Conversation:
    """`user` leaves the group, which is returned. An owner's ownership passes to the member
    who joined earliest; the last member leaving dissolves the group. Raises NotFound."""
    group = get_group(user, group_id)
    _lock_members(group)
    stay = _membership(group.id, user.id)
    if stay is None:  # they left meanwhile (a second click)
        raise NotFound(_("This group does not exist, or you are not a member."))
    others = [m for m, _u in members(group) if m.user_id != user.id]
    if not others:
        _dissolve(group, user)
        return group
    new_owner = others[0].user_id if group.owner_id == user.id else group.owner_id
    event = send_event_on_commit(events.group_member_left(group.id, user.id, new_owner))
    if new_owner != group.owner_id:
        # The invite link is the owner's alone: the new owner's clients learn it now.
        send_event_on_commit(events.group_invite_changed(group.id, group.invite_code, new_owner))
    group.owner_id = new_owner
    _leave(group, stay, event)
    db.session.commit()
    return group


def rename_group(owner: User, group_id: int, name: str) -> Conversation:
    """The owner renames the group. Raises NotFound, Forbidden, DomainError (name)."""
    group = _owned_group(owner, group_id)
    group.name = clean_name(name)
    send_event_on_commit(events.group_renamed(group.id, group.name))
    db.session.commit()
    return group


def set_invite(owner: User, group_id: int, enabled: bool) -> str | None:
    """Create or reset (enabled) or turn off the group's invite link; return the new code.
    Raises NotFound, Forbidden."""
    group = _owned_group(owner, group_id)
    group.invite_code = secrets.token_urlsafe(16) if enabled else None
    send_event_on_commit(events.group_invite_changed(group.id, group.invite_code, owner.id))
    db.session.commit()
    return group.invite_code


def group_for_invite(code: str) -> Conversation:
    """The live group whose invite code is `code`; NotFound otherwise."""
    group = db.session.scalar(select(Conversation).where(Conversation.invite_code == (code or "")))
    if group is None or not code or group.dissolved_at:
        raise NotFound(_("This invite link is not valid any more. Ask for a new one."))
    return group


def join_by_invite(user: User, code: str) -> Conversation:
    """`user` joins the group of invite `code` (nothing happens if already a member).
    Raises NotFound (bad link), Conflict (full)."""
    group = group_for_invite(code)
    _lock_members(group)
    if group.invite_code != code:  # reset or turned off while we waited for the lock
        db.session.rollback()
        raise NotFound(_("This invite link is not valid any more. Ask for a new one."))
    if _membership(group.id, user.id) is not None:
        db.session.rollback()
        return group
    _check_room(group.id, 1)
    group.last_activity_at = utcnow()
    event = send_event_on_commit(events.group_member_joined(group.id, user_brief(user), group_brief(group, joining=1)))
    _join(group, [user], event)
    db.session.commit()
    return group


def dissolve_group(owner: User, group_id: int) -> None:
    """The owner dissolves the group: everyone leaves; its history stays in the database."""
    group = _owned_group(owner, group_id)
    _lock_members(group)
    _dissolve(group, owner)


def _dissolve(group: Conversation, by: User) -> None:
    event = send_event_on_commit(events.group_dissolved(group.id, by.id))
    for stay, _user in members(group):
        _leave(group, stay, event)
    group.dissolved_at = utcnow()
    group.invite_code = None
    db.session.commit()
