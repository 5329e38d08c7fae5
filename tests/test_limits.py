"""Rate limits on every action that records an event or sends mail (issue 12.9): beyond its
budget a call answers 429 with a message and Retry-After, and stores and records nothing. The
limits here are made small through the app's settings; each test spends a budget through the
real interface (API or page), then meets the refusal."""
import io
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from limits import parse
from sqlalchemy import func, select

from blueprints.favorites import services as favorites
from blueprints.friends import services as friends
from config import Config
from extensions import db
from models import FriendRequest, Message, User
from tests.support.api import API, assert_error
from tests.support.apps import make_app
from tests.support.events import cursor, events_of
from tests.support.factories import (direct_conversation, invite_code, make_user, send_message,
                                     send_request)
from tests.support.login import csrf_token, quick_client
from tests.support.pages import post_profile
from tests.support.uploads import image_bytes, upload

ROOT = Path(__file__).resolve().parent.parent
SMALL_LIMITS = {
    "MESSAGE_RATE_LIMIT": "2 per minute",
    "TYPING_LIMIT": "2 per minute",
    "FRIEND_REQUEST_LIMIT": "3 per hour",
    "FRIEND_REQUEST_PAIR_LIMIT": "2 per day",
    "PROFILE_CHANGE_LIMIT": "2 per hour",
    "GROUP_RENAME_LIMIT": "2 per hour",
    "ACTION_LIMIT": "1 per minute",
    "CODE_LIMIT_PER_ADDRESS": "1 per hour",
}
WAIT = re.compile(r"[Pp]lease wait \d+ (seconds?|minutes?|hours?)")


@pytest.fixture
def app(database, mailbox, tmp_path):
    """The app with SMALL_LIMITS (the people fixtures of tests/support/people.py use it too)."""
    app = make_app(database, mailbox, tmp_path, **SMALL_LIMITS)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def call(browser, method: str, path: str, **kwargs):
    client, headers = browser
    return client.open(path, method=method, headers=headers, **kwargs)


def assert_refused(response) -> str:
    """A 429 with Retry-After (seconds, > 0) and a message saying how long to wait, as JSON
    or on the page; returns the answer's text."""
    assert response.status_code == 429, response.get_data(as_text=True)[:2000]
    assert int(response.headers["Retry-After"]) > 0
    if response.is_json:
        message = assert_error(response, 429)["message"]
        assert WAIT.search(message), message
        return message
    html = response.get_data(as_text=True)
    assert WAIT.search(html), html
    return html


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


# Sending: text messages and attachments share one budget

def send_text(browser, conversation_id: int, n: int):
    return call(browser, "POST", f"{API}/conversations/{conversation_id}/messages", json={"body": f"text {n}"})


def send_file(browser, conversation_id: int, n: int):
    return upload(browser, conversation_id, f"file {n}".encode(), f"notes-{n}.txt")


SENDS = {"text": send_text, "attachment": send_file}


@pytest.mark.parametrize("spent_on, refused", [("text", "attachment"), ("attachment", "text"),
                                               ("text", "text")])
def test_text_and_attachments_share_one_send_budget(app, direct, as_, spent_on, refused):
    alice = as_("alice")
    for n in range(2):
        assert SENDS[spent_on](alice, direct, n).status_code == 201
    after = cursor(app)
    assert "sending messages too fast" in assert_refused(SENDS[refused](alice, direct, 9))
    assert count(app, Message) == 2
    assert cursor(app) == after


def test_one_persons_send_budget_leaves_anothers_alone(app, direct, as_):
    for n in range(2):
        send_file(as_("alice"), direct, n)
    assert send_text(as_("alice"), direct, 3).status_code == 429
    assert send_file(as_("bob"), direct, 4).status_code == 201


def forward(browser, message_id: int, conversation_ids: list[int]):
    return call(browser, "POST", f"{API}/messages/forward",
                json={"message_ids": [message_id], "conversation_ids": conversation_ids})


def test_a_forward_spends_one_send_per_conversation_it_goes_to(app, alice_and_friends, direct, group, as_):
    alice, *_ = alice_and_friends
    original = send_message(app, alice, group, "pass it on")
    assert forward(as_("alice"), original, [direct, group]).status_code == 201
    assert "sending messages too fast" in assert_refused(send_text(as_("alice"), direct, 1))


def test_a_forward_to_more_conversations_than_the_budget_is_refused(app, alice_and_friends, direct, group, as_):
    alice, _bob, carol, _dave = alice_and_friends
    original = send_message(app, alice, group, "pass it on")
    after = cursor(app)
    assert_refused(forward(as_("alice"), original, [direct, group, direct_conversation(app, alice, carol)]))
    assert cursor(app) == after


# Typing

def test_typing_beyond_its_budget_is_refused(app, direct, as_):
    typing = f"{API}/conversations/{direct}/typing"
    for _ in range(2):
        assert call(as_("alice"), "POST", typing).status_code == 204
    assert_refused(call(as_("alice"), "POST", typing))
    assert call(as_("bob"), "POST", typing).status_code == 204


def test_the_composer_never_types_into_the_default_typing_limit():
    # The chat page pings "typing" at most every TYPING_PING_MS while someone types without
    # a pause; that steady rate must fit the default budget with room to spare.
    script = (ROOT / "static/js/chat/composer.js").read_text(encoding="utf-8")
    every_ms = int(re.search(r"const TYPING_PING_MS = (\d+);", script).group(1))
    limit = parse(Config.TYPING_LIMIT)
    window_ms = limit.get_expiry() * 1000
    assert window_ms / every_ms + 1 <= limit.amount * 0.75


# Friend requests

def ask(browser, username: str):
    return call(browser, "POST", f"{API}/friend-requests", json={"username": username, "reason": "hi"})


def requests_events(app, user_id: int, after: int) -> list[str]:
    return [kind for kind, _data in events_of(app, user_id, after) if kind.startswith("friend_request.")]


def test_friend_requests_beyond_the_personal_budget_are_refused(app):
    alice = make_user(app, "alice")
    others = [make_user(app, name) for name in ("bob", "carol", "dave", "erin")]
    browser = quick_client(app, "alice")
    for name in ("bob", "carol", "dave"):
        assert ask(browser, name).status_code == 200
    after = cursor(app)
    assert "too many friend requests" in assert_refused(ask(browser, "erin"))
    assert requests_events(app, others[-1], 0) == []
    assert count(app, FriendRequest, FriendRequest.sender_id == alice) == 3
    assert cursor(app) == after


def reject_last(app, receiver: int, sender: int) -> None:
    with app.app_context():
        pending = db.session.scalar(select(FriendRequest).where(
            FriendRequest.sender_id == sender, FriendRequest.receiver_id == receiver,
            FriendRequest.status == "pending"))
        friends.reject_friend_request(db.session.get(User, receiver), pending.id)


@pytest.mark.parametrize("between", ["renewing while pending", "asking again after a rejection"])
def test_asking_the_same_person_again_and_again_is_refused(app, between):
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    browser = quick_client(app, "alice")
    for _ in range(2):
        assert ask(browser, "BOB ").status_code == 200  # any case, spaces around: one person
        if between == "asking again after a rejection":
            reject_last(app, bob, alice)
    after = cursor(app)
    assert "asked this person too many times" in assert_refused(ask(browser, "bob"))
    assert requests_events(app, bob, after) == []
    assert cursor(app) == after


def test_being_refused_for_one_person_leaves_asking_others(app):
    for name in ("alice", "bob", "carol"):
        make_user(app, name)
    browser = quick_client(app, "alice")
    for _ in range(3):  # the third is refused, and spends nothing of alice's own budget
        ask(browser, "bob")
    assert ask(browser, "carol").status_code == 200


def test_requests_the_service_refuses_spend_no_budget(app):
    for name in ("alice", "bob", "carol", "dave"):
        make_user(app, name)
    browser = quick_client(app, "alice")
    for _ in range(3):
        assert ask(browser, "bobb").status_code == 404  # a typo
    for name in ("bob", "carol", "dave"):
        assert ask(browser, name).status_code == 200


# Profile: nickname and avatar changes share one budget

def change_nickname(client, n: int):
    return post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": f"Nick {n}"})


def change_avatar(client, n: int):
    picture = image_bytes(colour=(10 * n, 80, 160))
    return post_profile(client, "/profile/avatar", "avatar", {"avatar-file": (io.BytesIO(picture), "me.png")},
                        content_type="multipart/form-data")


def remove_avatar(client, _n: int):
    return post_profile(client, "/profile/avatar/remove", None)


CHANGES = {"nickname": change_nickname, "avatar": change_avatar, "avatar removal": remove_avatar}


@pytest.mark.parametrize("spent_on, refused", [("nickname", "avatar"), ("avatar", "nickname"),
                                               ("avatar", "avatar removal")])
def test_nickname_and_avatar_changes_share_one_budget(app, alice_and_friends, as_, spent_on, refused):
    alice, bob, *_ = alice_and_friends
    client, _headers = as_("alice")
    for n in range(2):
        assert CHANGES[spent_on](client, n + 1).status_code == 302
    with app.app_context():
        before = db.session.get(User, alice)
        stored = (before.nickname, before.avatar_key)
    after = cursor(app)
    assert "changed your profile too many times" in assert_refused(CHANGES[refused](client, 9))
    with app.app_context():
        now = db.session.get(User, alice)
        assert (now.nickname, now.avatar_key) == stored
    assert events_of(app, bob, after) == []


def test_refused_nickname_stays_in_the_box(app, alice_and_friends, as_):
    client, _headers = as_("alice")
    for n in range(2):
        change_nickname(client, n)
    response = post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": "Typed again"})
    html = assert_refused(response)
    assert re.search(r'id="nickname-nickname"[^>]*value="Typed again"', html)


# Groups: renames

def test_group_renames_beyond_their_budget_are_refused(app, group, as_):
    for n in range(2):
        assert call(as_("alice"), "PATCH", f"{API}/groups/{group}", json={"name": f"Hikers {n}"}).status_code == 200
    after = cursor(app)
    assert "renamed groups too many times" in assert_refused(
        call(as_("alice"), "PATCH", f"{API}/groups/{group}", json={"name": "Climbers"}))
    assert call(as_("alice"), "GET", f"{API}/groups/{group}").get_json()["name"] == "Hikers 1"
    assert cursor(app) == after


# Every other action that records an event: one general budget per person

@pytest.fixture
def world(app, alice_and_friends, group):
    """alice, bob, carol, dave (alice friends with all), the group "Hikers" (alice, bob,
    carol) with an invite code, erin's pending request to alice, alice's messages in the
    group (`spare` and `target`, and `fresh` never favorited) and to dave, and alice's
    favorite of `target`."""
    alice, bob, carol, dave = alice_and_friends
    erin = make_user(app, "erin")
    messages = {name: send_message(app, alice, group, name) for name in ("spare", "target", "fresh")}
    to_dave = send_message(app, alice, direct_conversation(app, alice, dave), "hi dave")
    with app.app_context():
        favorite, _created = favorites.add_favorite(db.session.get(User, alice), messages["target"])
        favorite_id = favorite.id
    return SimpleNamespace(alice=alice, bob=bob, dave=dave, group=group, code=invite_code(app, alice, group),
                           request=send_request(app, erin, alice), favorite=favorite_id, to_dave=to_dave,
                           **messages)


# (who acts, what spends their budget, the action then refused); `w` is the world above.
ACTIONS = {
    "create a group": ("alice", lambda w: ("POST", f"{API}/groups", {"json": {"name": "Climbers", "member_ids": []}})),
    "add a member": ("alice", lambda w: ("POST", f"{API}/groups/{w.group}/members", {"json": {"user_ids": [w.dave]}})),
    "remove a member": ("alice", lambda w: ("DELETE", f"{API}/groups/{w.group}/members/{w.bob}", {})),
    "change the invite link": ("alice", lambda w: ("PUT", f"{API}/groups/{w.group}/invite", {"json": {"enabled": True}})),
    "quit a group": ("alice", lambda w: ("POST", f"{API}/groups/{w.group}/quit", {})),
    "dissolve a group": ("alice", lambda w: ("DELETE", f"{API}/groups/{w.group}", {})),
    "join a group": ("dave", lambda w: ("POST", f"{API}/groups/join", {"json": {"code": w.code}})),
    "join a group (page)": ("dave", lambda w: ("POST", f"/groups/join/{w.code}", {})),
    "accept a friend request": ("alice", lambda w: ("POST", f"{API}/friend-requests/{w.request}/accept", {})),
    "reject a friend request": ("alice", lambda w: ("POST", f"{API}/friend-requests/{w.request}/reject", {})),
    "delete a friend": ("alice", lambda w: ("DELETE", f"{API}/friends/{w.bob}", {})),
    "favorite a message": ("alice", lambda w: ("POST", f"{API}/favorites", {"json": {"message_id": w.fresh}})),
    "remove a favorite": ("alice", lambda w: ("DELETE", f"{API}/favorites/{w.favorite}", {})),
    "remove a favorite (page)": ("alice", lambda w: ("POST", f"/favorites/{w.favorite}/remove", {})),
    "unfavorite a message": ("alice", lambda w: ("DELETE", f"{API}/messages/{w.target}/favorite", {})),
    "recall a message": ("alice", lambda w: ("POST", f"{API}/messages/{w.target}/recall", {})),
}


def spend_action_budget(app, world, who: str):
    """Use up `who`'s general budget (1 per minute here) with a favorite of a message they see."""
    message = world.to_dave if who == "dave" else world.spare
    browser = quick_client(app, who)
    assert call(browser, "POST", f"{API}/favorites", json={"message_id": message}).status_code == 201
    return browser


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_beyond_the_general_budget_are_refused_and_record_nothing(app, world, action):
    who, request_of = ACTIONS[action]
    browser = spend_action_budget(app, world, who)
    method, path, kwargs = request_of(world)
    after = cursor(app)
    assert "doing that too often" in assert_refused(call(browser, method, path, **kwargs))
    assert cursor(app) == after


@pytest.mark.parametrize("action", ["join a group (page)", "remove a favorite (page)"])
def test_a_refused_page_action_says_why_on_the_page(app, world, action):
    who, request_of = ACTIONS[action]
    browser = spend_action_budget(app, world, who)
    method, path, _kwargs = request_of(world)
    response = call(browser, method, path)
    assert response.mimetype == "text/html"
    assert "doing that too often" in assert_refused(response)


def test_the_general_budget_is_one_persons_own(app, world):
    spend_action_budget(app, world, "alice")
    assert call(quick_client(app, "dave"), "POST", f"{API}/groups/join", json={"code": world.code}).status_code == 200


def test_read_positions_have_a_budget_that_leaves_actions_alone(app, world):
    # The chat page moves the read position by itself as messages arrive: a busy group must
    # not use up the budget of what a person does by hand.
    bob = quick_client(app, "bob")
    read = f"{API}/conversations/{world.group}/read"
    assert call(bob, "POST", read, json={"message_id": world.spare}).status_code == 200
    after = cursor(app)
    assert_refused(call(bob, "POST", read, json={"message_id": world.target}))
    assert cursor(app) == after
    assert call(bob, "POST", f"{API}/favorites", json={"message_id": world.target}).status_code == 201


# Mail: every page that mails a code has a budget (per client address)

def ask_for_code(client, page: str, address: str):
    if page == "profile":
        return post_profile(client, "/profile/email", "email",
                            {"email-email": address, "email-send_code": "Send code"})
    path = {"register": "/register", "forgot password": "/password/forgot"}[page]
    return client.post(path, data={"email": address, "send_code": "Send code",
                                   "csrf_token": csrf_token(client, path)})


@pytest.mark.parametrize("page", ["register", "forgot password", "profile"])
def test_codes_beyond_the_mail_budget_are_refused_and_not_mailed(app, mailbox, page):
    if page == "profile":
        make_user(app, "alice")
        client, _headers = quick_client(app, "alice")
    else:
        client = app.test_client()
    assert ask_for_code(client, page, "first@example.com").status_code in (200, 302)
    assert_refused(ask_for_code(client, page, "second@example.com"))
    assert mailbox.to("second@example.com") == []


@pytest.mark.parametrize("page, field", [("register", "email"), ("forgot password", "email"),
                                         ("profile", "email-email")])
def test_a_refused_code_keeps_the_typed_address_in_its_form(app, mailbox, page, field):
    if page == "profile":
        make_user(app, "alice")
        client, _headers = quick_client(app, "alice")
    else:
        client = app.test_client()
    ask_for_code(client, page, "first@example.com")
    html = assert_refused(ask_for_code(client, page, "second@example.com"))
    assert re.search(rf'id="{field}"[^>]*value="second@example.com"', html)


def test_a_default_limit_configured_for_the_whole_site_still_applies(database, mailbox, tmp_path):
    # Parley's own limits sit on their views, so the limiter skips its before-view pass; a
    # site-wide default (RATELIMIT_DEFAULT) must still be checked there.
    from extensions import limiter
    try:
        app = make_app(database, mailbox, tmp_path, RATELIMIT_DEFAULT="2 per minute")
        client = app.test_client()
        statuses = [client.get("/login").status_code for _ in range(3)]
    finally:
        # The limiter is one object for every app of the process: the apps of later tests
        # (which set no default) must not inherit this one.
        limiter.limit_manager.set_default_limits([])
    assert statuses == [200, 200, 429]
