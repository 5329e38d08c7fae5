"""Plain factories: people, friendships, groups and their members, made straight through the
services (CTFd's tests/helpers.py style: functions, no fixtures). Each takes the app and ids and
returns ids."""
import threading
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select

from blueprints.auth import passwords
from blueprints.chat import services as chat
from blueprints.friends import services as friends
from blueprints.groups import services as groups
from core.timeutil import utcnow
from extensions import db
from models import Conversation, Message, User

PASSWORD = "correct horse battery staple"  # every test account's password


@lru_cache(maxsize=1)
def _password_hash() -> str:
    # argon2id costs ~0.3 s a hash here; one hash of PASSWORD serves every account.
    return passwords.hash_password(PASSWORD)


def make_user(app, username: str, nickname: str | None = None, email: str | None = None,
              disabled: bool = False) -> int:
    """Create an account (password PASSWORD) directly in the database; return its id."""
    with app.app_context():
        user = User(username=username, username_key=username.lower(),
                    nickname=nickname or username.capitalize(),
                    email=(email or f"{username}@example.com").lower(),
                    password_hash=_password_hash(), disabled_at=utcnow() if disabled else None)
        db.session.add(user)
        db.session.commit()
        return user.id


def make_users(app, *usernames: str) -> list[int]:
    """Create one account per username; return their ids in the same order."""
    return [make_user(app, name) for name in usernames]


def create_user(app, username="alice", email=None, password=PASSWORD, nickname=None, **kw):
    """Create an account through the service (as the admin CLI does), hashing `password` with
    the app's parameters; return its id."""
    from blueprints.auth import services

    with app.app_context():
        user = services.create_user(username, nickname or username.capitalize(),
                                    email or f"{username}@example.com", password, **kw)
        return user.id


def user_by_name(username: str) -> User:
    """The account `username` (inside an app context)."""
    return db.session.scalar(select(User).where(User.username_key == username.lower()))


def make_friends(app, a_id: int, b_id: int) -> int:
    """Make users `a_id` and `b_id` friends (a asks, b accepts); return their direct
    conversation's id."""
    with app.app_context():
        a, b = db.session.get(User, a_id), db.session.get(User, b_id)
        _outcome, req = friends.send_friend_request(a, b.username, "")
        if req.status == "pending":
            friends.accept_friend_request(b, req.id)
        return friends.direct_conversation(a_id, b_id).id


def send_request(app, sender_id: int, receiver_id: int, reason: str = "") -> int:
    """`sender_id` asks `receiver_id` to be friends; return the request's id."""
    with app.app_context():
        sender, receiver = db.session.get(User, sender_id), db.session.get(User, receiver_id)
        _outcome, req = friends.send_friend_request(sender, receiver.username, reason)
        return req.id


def direct_conversation(app, a_id: int, b_id: int) -> int:
    """The id of the direct conversation of friends `a_id` and `b_id`."""
    with app.app_context():
        return friends.direct_conversation(a_id, b_id).id


def make_group(app, owner_id: int, name: str = "Hikers", member_ids=()) -> int:
    """Create a group owned by `owner_id` with their friends `member_ids`; return its id."""
    with app.app_context():
        return groups.create_group(db.session.get(User, owner_id), name, list(member_ids)).id


def add_to_group(app, actor_id: int, group_id: int, *user_ids: int) -> None:
    """`actor_id` adds their friends `user_ids` to the group."""
    with app.app_context():
        groups.add_members(db.session.get(User, actor_id), group_id, list(user_ids))


def invite_code(app, owner_id: int, group_id: int) -> str:
    """Create (or reset) the group's invite link; return its code."""
    with app.app_context():
        return groups.set_invite(db.session.get(User, owner_id), group_id, True)


def join_group(app, user_id: int, code: str) -> None:
    """`user_id` joins the group of invite `code`."""
    with app.app_context():
        groups.join_by_invite(db.session.get(User, user_id), code)


def quit_group(app, user_id: int, group_id: int) -> None:
    """`user_id` leaves the group."""
    with app.app_context():
        groups.quit_group(db.session.get(User, user_id), group_id)


def remove_from_group(app, owner_id: int, group_id: int, user_id: int) -> None:
    """The owner removes `user_id` from the group."""
    with app.app_context():
        groups.remove_member(db.session.get(User, owner_id), group_id, user_id)


def rename_group(app, owner_id: int, group_id: int, name: str) -> None:
    """The owner renames the group."""
    with app.app_context():
        groups.rename_group(db.session.get(User, owner_id), group_id, name)


def member_ids(app, group_id: int) -> set[int]:
    """The ids of the group's current members."""
    with app.app_context():
        group = db.session.get(Conversation, group_id)
        return {user.id for _stay, user in groups.members(group)}


def send_message(app, sender_id: int, conversation_id: int, body: str, at: datetime | None = None) -> int:
    """`sender_id` sends text `body` to the conversation; return the message's id. With `at`
    (an aware UTC datetime), the message is dated then instead of now: history seeded as if sent
    earlier (its event keeps the real time; pages read history from the messages)."""
    with app.app_context():
        message_id = chat.send_message(db.session.get(User, sender_id), conversation_id, body).message["id"]
        if at is not None:
            db.session.get(Message, message_id).created_at = at
            db.session.commit()
        return message_id


def at_once(app, *actions) -> list:
    """Run each `action()` in its own thread, app context and database session, all
    released together by a barrier. Returns, in order, what each returned or the exception
    it raised."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            try:
                barrier.wait(10)
                results[index] = action()
            except Exception as exc:  # noqa: BLE001 - the caller judges every outcome
                results[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
