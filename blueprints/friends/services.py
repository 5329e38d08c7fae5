"""Friend actions: search people, send and answer friend requests, list and delete friends.

Every change another person should see is recorded with
realtime.eventlog.send_event_on_commit in the same transaction (published after COMMIT).
"""
from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, not_, or_, select, update
from sqlalchemy.exc import IntegrityError

from blueprints.blocks.services import request_refusal
from core.errors import Conflict, DomainError, Forbidden, NotFound
from core.people import user_brief
from core.sorting import name_sort_key
from core.timeutil import utcnow
from extensions import db
from models import Block, Conversation, FriendRequest, Friendship, Membership, User
from realtime import events
from realtime.eventlog import send_event_on_commit

REASON_MAX = 200
SEARCH_LIMIT = 20


def pair_key(a: int, b: int) -> str:
    """The key of an unordered pair of user ids: "<lower>:<higher>"."""
    return f"{min(a, b)}:{max(a, b)}"


def are_friends(a: int, b: int) -> bool:
    """True when users `a` and `b` are friends."""
    return db.session.get(Friendship, (a, b)) is not None


def friend_ids(user_id: int) -> set[int]:
    """The ids of `user_id`'s friends."""
    return set(db.session.scalars(select(Friendship.friend_id).where(Friendship.user_id == user_id)))


def relations(viewer_id: int, other_ids: list[int]) -> dict[int, str]:
    """Where `viewer_id` stands with each of `other_ids`: self, friend, request_sent,
    request_received or none (two queries, whatever the number of people)."""
    friends = friend_ids(viewer_id)
    pending = {req.sender_id if req.receiver_id == viewer_id else req.receiver_id: req.sender_id
               for req in db.session.scalars(select(FriendRequest).where(
                   FriendRequest.status == "pending",
                   FriendRequest.pair_key.in_([pair_key(viewer_id, other) for other in other_ids])))}
    result = {}
    for other in other_ids:
        if other == viewer_id:
            result[other] = "self"
        elif other in friends:
            result[other] = "friend"
        elif other in pending:
            result[other] = "request_sent" if pending[other] == viewer_id else "request_received"
        else:
            result[other] = "none"
    return result


def search_users(viewer: User, query: str) -> list[tuple[User, str]]:
    """Find active people whose username is `query` or starts with it (any case; never by
    email). Exact match first, then by username; at most SEARCH_LIMIT. Returns (user, relation)."""
    key = (query or "").strip().lower()
    if not key:
        raise DomainError(_("Type a username to search for."), "q")
    if len(key) > 32:
        return []
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    users = db.session.scalars(
        select(User)
        .where(User.username_key.like(escaped + "%", escape="\\"), User.disabled_at.is_(None))
        .order_by((User.username_key != key), User.username_key)
        .limit(SEARCH_LIMIT)
    ).all()
    standing = relations(viewer.id, [user.id for user in users])
    return [(user, standing[user.id]) for user in users]


def _active_user(username_or_id: str | int) -> User:
    if isinstance(username_or_id, int):
        user = db.session.get(User, username_or_id)
    else:
        user = db.session.scalar(select(User).where(User.username_key == (username_or_id or "").strip().lower()))
    if user is None:
        raise NotFound(_("No one has this username."), "username")
    if not user.is_active:
        raise DomainError(_("This account is disabled and cannot receive friend requests."), "username")
    return user


def request_brief(req: FriendRequest, sender: User, receiver: User) -> dict:
    """A friend request as events and the API carry it."""
    return {"id": req.id, "sender": user_brief(sender), "receiver": user_brief(receiver),
            "reason": req.reason, "status": req.status,
            "created_at": req.created_at.isoformat(), "updated_at": req.updated_at.isoformat()}


def send_friend_request(sender: User, username: str, reason: str) -> tuple[str, FriendRequest]:
    """Ask `username` to be `sender`'s friend, with `reason` (at most 200 characters).

    Returns ("sent", request), ("updated", request) when a pending request was renewed (new
    reason and time, no second request), or ("accepted", request) when the other person had
    already asked `sender`. Raises DomainError (yourself, too long, disabled), NotFound (no such
    user), Conflict (already friends), Forbidden (a block between the two:
    blocks.services.request_refusal).
    """
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise DomainError(_("Keep the reason to %(n)d characters.", n=REASON_MAX), "reason")
    receiver = _active_user(username)
    if receiver.id == sender.id:
        raise DomainError(_("You cannot send a friend request to yourself."), "username")
    if are_friends(sender.id, receiver.id):
        # Before the block check: a friend asking again hears "already friends" whether or
        # not they are blocked (a 403 here would tell them they are).
        raise Conflict(_("%(name)s is already your friend.", name=receiver.nickname), "username")
    refusal = request_refusal(sender, receiver)
    if refusal is not None:
        raise refusal
    for attempt in range(2):
        try:
            return _send(sender, receiver, reason)
        except IntegrityError:
            # The other person's request for the same pair committed first: on the second
            # pass we see it, and ours accepts theirs.
            db.session.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _send(sender: User, receiver: User, reason: str) -> tuple[str, FriendRequest]:
    if are_friends(sender.id, receiver.id):
        raise Conflict(_("%(name)s is already your friend.", name=receiver.nickname), "username")
    pending = db.session.scalar(select(FriendRequest).where(
        FriendRequest.pair_key == pair_key(sender.id, receiver.id), FriendRequest.status == "pending"))
    now = utcnow()
    if pending is not None and pending.sender_id == receiver.id:
        return "accepted", _accept(pending, receiver, sender)
    if pending is not None:
        pending.reason, pending.updated_at = reason, now
        outcome = "updated"
    else:
        pending = FriendRequest(sender_id=sender.id, receiver_id=receiver.id, reason=reason,
                                pair_key=pair_key(sender.id, receiver.id), created_at=now, updated_at=now)
        db.session.add(pending)
        outcome = "sent"
    db.session.flush()
    send_event_on_commit(events.friend_request_sent(request_brief(pending, sender, receiver), new=outcome == "sent",
                                                    sender_id=sender.id, receiver_id=receiver.id))
    db.session.commit()
    return outcome, pending


def _load_request(user: User, request_id: int) -> FriendRequest:
    req = db.session.get(FriendRequest, request_id)
    if req is None or user.id not in (req.sender_id, req.receiver_id):
        raise NotFound(_("This friend request does not exist."))
    if req.receiver_id != user.id:
        raise Forbidden(_("Only the person you asked can answer this request."))
    return req


def _answer(req: FriendRequest, status: str) -> None:
    # Compare-and-set: of two answers racing, exactly one finds the request still pending.
    changed = db.session.execute(
        update(FriendRequest).where(FriendRequest.id == req.id, FriendRequest.status == "pending")
        .values(status=status, responded_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        current = db.session.get(FriendRequest, req.id)
        raise Conflict(_("This request was already answered (%(status)s).",
                         status=status_label(current.status)))
    db.session.refresh(req)


def status_label(status: str) -> str:
    """The translated name of a request status."""
    return {"pending": _("pending"), "accepted": _("accepted"), "rejected": _("rejected")}.get(status, status)


def direct_conversation(a: int, b: int, create: bool = False) -> Conversation | None:
    """The direct conversation of users `a` and `b` (created, with both as members, if asked)."""
    conv = db.session.scalar(select(Conversation).where(Conversation.direct_key == pair_key(a, b)))
    if conv is None and create:
        conv = Conversation(kind="direct", direct_key=pair_key(a, b))
        db.session.add(conv)
        db.session.flush()
        for uid in (a, b):
            db.session.add(Membership(conversation_id=conv.id, user_id=uid, joined_event_id=0))
    return conv


def _accept(req: FriendRequest, sender: User, receiver: User) -> FriendRequest:
    _answer(req, "accepted")
    for a, b in ((sender.id, receiver.id), (receiver.id, sender.id)):
        if db.session.get(Friendship, (a, b)) is None:
            db.session.add(Friendship(user_id=a, friend_id=b))
    conv = direct_conversation(sender.id, receiver.id, create=True)
    db.session.flush()
    send_event_on_commit(events.friend_request_accepted(request_brief(req, sender, receiver), conv.id,
                                                        sender_id=sender.id, receiver_id=receiver.id))
    db.session.commit()
    return req


def accept_friend_request(user: User, request_id: int) -> FriendRequest:
    """Accept request `request_id` addressed to `user`: both become friends and share a
    direct conversation. Raises NotFound (not theirs to answer), Conflict (already answered),
    Forbidden (a block between the two)."""
    req = _load_request(user, request_id)
    sender = db.session.get(User, req.sender_id)
    refusal = request_refusal(user, sender)
    if refusal is not None:
        raise refusal
    return _accept(req, sender, user)


def reject_friend_request(user: User, request_id: int) -> FriendRequest:
    """Reject request `request_id` addressed to `user`. Raises NotFound or Conflict."""
    req = _load_request(user, request_id)
    _answer(req, "rejected")
    sender = db.session.get(User, req.sender_id)
    send_event_on_commit(events.friend_request_rejected(request_brief(req, sender, user),
                                                        sender_id=sender.id, receiver_id=user.id))
    db.session.commit()
    return req


def _not_hidden(user_id: int):
    """The SQL condition: a request `user_id` sees, i.e. not a pending one from someone they
    blocked (hidden, not deleted: it shows again once unblocked)."""
    return not_(and_(FriendRequest.status == "pending", exists().where(
        Block.blocker_id == user_id, Block.blocked_id == FriendRequest.sender_id)))


def list_requests(user: User, direction: str, page: int = 1, per_page: int = 20):
    """`user`'s received or sent friend requests, newest first, leaving out pending ones from
    people they blocked: (rows of (request, other user), total count). Raises DomainError
    for an unknown direction."""
    if direction not in ("received", "sent"):
        raise DomainError(_("Choose received or sent requests."), "direction")
    mine = FriendRequest.receiver_id if direction == "received" else FriendRequest.sender_id
    other = FriendRequest.sender_id if direction == "received" else FriendRequest.receiver_id
    shown = and_(mine == user.id, _not_hidden(user.id))
    total = db.session.scalar(select(func.count()).select_from(FriendRequest).where(shown))
    rows = db.session.execute(
        select(FriendRequest, User).join(User, User.id == other).where(shown)
        .order_by(FriendRequest.updated_at.desc(), FriendRequest.id.desc())
        .offset((max(page, 1) - 1) * per_page).limit(per_page)
    ).all()
    return [(req, other_user) for req, other_user in rows], total


def pending_count(user_id: int) -> int:
    """How many friend requests wait for `user_id`'s answer (not counting those from people
    they blocked)."""
    return db.session.scalar(select(func.count()).select_from(FriendRequest).where(
        FriendRequest.receiver_id == user_id, FriendRequest.status == "pending", _not_hidden(user_id)))


def list_friends(user: User) -> list[User]:
    """`user`'s friends, sorted by nickname (Chinese by pinyin)."""
    friends = db.session.scalars(
        select(User).join(Friendship, and_(Friendship.friend_id == User.id, Friendship.user_id == user.id))
    ).all()
    return sorted(friends, key=lambda u: name_sort_key(u.nickname))


def delete_friend(user: User, friend_id: int) -> None:
    """End the friendship of `user` and `friend_id` for both. Their direct conversation's
    history stays readable; sending in it is refused until they are friends again.
    Raises NotFound when they are not friends."""
    removed = db.session.execute(delete(Friendship).where(or_(
        and_(Friendship.user_id == user.id, Friendship.friend_id == friend_id),
        and_(Friendship.user_id == friend_id, Friendship.friend_id == user.id),
    ))).rowcount
    if not removed:
        db.session.rollback()
        raise NotFound(_("This person is not your friend."))
    conv = direct_conversation(user.id, friend_id)
    send_event_on_commit(events.friend_removed(user.id, friend_id, conv.id if conv else None))
    db.session.commit()
