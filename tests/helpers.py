"""Plain factories for the social tests: people, logged-in browsers, friendships, groups and
a person's events (CTFd's tests/helpers.py style: functions, no fixtures)."""
import re
import threading
from functools import lru_cache

import flask
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from blueprints.auth import passwords, sessions
from blueprints.friends import services as friends
from blueprints.groups import services as groups
from core.timeutil import utcnow
from extensions import db
from models import User
from realtime.eventlog import events_for_user
from tests.conftest import PASSWORD, AuthActions


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


def user_by_name(username: str) -> User:
    """The account `username` (inside an app context)."""
    return db.session.scalar(select(User).where(User.username_key == username.lower()))


def meta_csrf(html: str) -> str:
    """The CSRF token of a page's <meta name="csrf-token">, which the pages' scripts send."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no csrf-token meta in page"
    return match.group(1)


def _with_csrf(client) -> tuple:
    html = client.get("/friends").get_data(as_text=True)
    return client, {"X-CSRFToken": meta_csrf(html)}


def login_client(app, username: str, password: str = PASSWORD):
    """A new browser logged in as `username` through the /login form.

    Returns (client, headers): headers carry the page's CSRF token as X-CSRFToken, as the
    pages' scripts send it with every API write.
    """
    client = app.test_client()
    response = AuthActions(client).login(username, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return _with_csrf(client)


def quick_client(app, username: str):
    """Like login_client, but faster: the login session is started directly (the same
    server-side session row and cookie that /login makes, skipping /login's deliberately slow
    password check), and the CSRF token is made by Flask-WTF's generate_csrf, as the page's
    <meta> would carry it (rendering a first page costs a template compile per app). Most
    tests use it to keep the suite fast; login_client proves the real path."""
    with app.test_request_context():
        user = user_by_name(username)
        raw = sessions.start_session(user, False, "pytest", "127.0.0.1")
        db.session.commit()
        user_id = user.id
        token = generate_csrf()
        csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        csrf_secret = flask.session[csrf_field]
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = raw
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session[csrf_field] = csrf_secret
    return client, {"X-CSRFToken": token}


def assert_error(response, status: int, field: str | None = None) -> dict:
    """The API answered `status` with an error body {code, message} and, when `field` is
    given, errors: {field: [messages]}. Returns the body."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == status
    assert isinstance(body["message"], str) and body["message"]
    if field:
        messages = body["errors"][field]
        assert messages and all(isinstance(m, str) and m for m in messages)
    return body


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
        group = db.session.get(groups.Conversation, group_id)
        return {user.id for _stay, user in groups.members(group)}


def events_seen(app, user_id: int, after: int = 0) -> list[tuple[int, str]]:
    """(id, type) of every event `user_id` would replay after event `after`, in id order."""
    with app.app_context():
        return [(event.id, event.type) for event in events_for_user(user_id, after)]
