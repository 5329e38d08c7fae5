"""Conversations and messages through /api/v1/conversations: who shares which conversation,
sending (rendering, limits, idempotency, permissions, rate limit), history by cursor, read
positions and unread counts, and the message events each send records."""
import threading
import uuid

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Event, Message
from realtime.eventlog import events_for_user, last_event_id
from tests.support.api import assert_error
from tests.support.apps import make_app
from tests.support.factories import (add_to_group, invite_code, join_group, make_friends, make_group,
                                     make_user, quit_group, remove_from_group)
from tests.support.login import quick_client

API = "/api/v1"


@pytest.fixture
def friend_circle(app, alice_and_friends):
    """alice, bob, carol and dave. alice is friends with bob, carol and dave (the shared
    `alice_and_friends`); bob and carol are friends too. Returns their ids."""
    _alice, bob, carol, _dave = alice_and_friends
    make_friends(app, bob, carol)
    return alice_and_friends


def send(browser, conversation_id, body="hello", **extra):
    client, headers = browser
    return client.post(f"{API}/conversations/{conversation_id}/messages",
                       json={"body": body, **extra}, headers=headers)


def sent(browser, conversation_id, body="hello") -> dict:
    """Send `body` and return the stored message (the send must succeed)."""
    response = send(browser, conversation_id, body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def page(browser, conversation_id, **params):
    client, _headers = browser
    return client.get(f"{API}/conversations/{conversation_id}/messages", query_string=params)


def bodies(browser, conversation_id, **params) -> list[str]:
    response = page(browser, conversation_id, **params)
    assert response.status_code == 200, response.get_json()
    return [m["body"] for m in response.get_json()["items"]]


def listing(browser) -> dict:
    client, _headers = browser
    response = client.get(f"{API}/conversations")
    assert response.status_code == 200
    return response.get_json()


def item(browser, conversation_id) -> dict:
    return next(c for c in listing(browser)["items"] if c["id"] == conversation_id)


def unread(browser, conversation_id) -> int:
    return item(browser, conversation_id)["unread"]


def mark_read(browser, conversation_id, message_id):
    client, headers = browser
    return client.post(f"{API}/conversations/{conversation_id}/read", json={"message_id": message_id},
                       headers=headers)


def stored(app, conversation_id=None) -> list[str]:
    """Bodies of the messages in the database (of one conversation, if given), oldest first."""
    with app.app_context():
        query = select(Message.body).order_by(Message.id)
        if conversation_id is not None:
            query = query.where(Message.conversation_id == conversation_id)
        return list(db.session.scalars(query))


def cursor(app) -> int:
    with app.app_context():
        return last_event_id()


def events_of(app, user_id, after=0, event_type=None) -> list:
    """The events (rows: id, type, data, created_at) `user_id` would replay after `after`."""
    with app.app_context():
        events = events_for_user(user_id, after)
    return [e for e in events if event_type is None or e.type == event_type]


# Who shares which conversation

def test_two_friends_share_one_direct_conversation(app, friend_circle, direct, as_):
    alice, bob, *_ = friend_circle
    for me, other, other_name in (("alice", bob, "Bob"), ("bob", alice, "Alice")):
        items = [c for c in listing(as_(me))["items"] if c["kind"] == "direct" and c["peer"]["id"] == other]
        assert [c["id"] for c in items] == [direct]
        assert items[0]["name"] == other_name
        assert items[0]["peer"]["username"] == other_name.lower()


def test_each_group_is_one_conversation_listed_with_its_name(app, friend_circle, group, as_):
    alice, bob, carol, _dave = friend_circle
    second = make_group(app, alice, "Book club", [bob])
    for me in ("alice", "bob"):
        groups = {c["id"]: c["name"] for c in listing(as_(me))["items"] if c["kind"] == "group"}
        assert groups == {group: "Hikers", second: "Book club"}
    carols = {c["id"]: c["name"] for c in listing(as_("carol"))["items"] if c["kind"] == "group"}
    assert carols == {group: "Hikers"}


# Sending text

def test_sent_message_comes_back_as_typed(app, friend_circle, direct, as_):
    response = send(as_("alice"), direct, "Lunch at noon?\nBring a friend.")
    assert response.status_code == 201
    message = response.get_json()
    assert message["body"] == "Lunch at noon?\nBring a friend."
    assert message["sender"]["username"] == "alice" and message["conversation_id"] == direct
    assert bodies(as_("bob"), direct) == ["Lunch at noon?\nBring a friend."]


def test_html_in_a_message_is_shown_as_text(app, friend_circle, direct, as_):
    message = sent(as_("alice"), direct, "<b>bold</b> & <script>alert(1)</script>")
    assert message["body"] == "<b>bold</b> & <script>alert(1)</script>"
    assert "&lt;b&gt;bold&lt;/b&gt;" in message["html"]
    assert "&lt;script&gt;" in message["html"]
    assert "<script" not in message["html"] and "<b>" not in message["html"]


def test_links_in_a_message_are_clickable(app, friend_circle, direct, as_):
    html = sent(as_("alice"), direct, "see http://example.com/a?b=1, https://example.com/path, "
                                       "www.example.org or bob@example.com")["html"]
    for href, shown in (("http://example.com/a?b=1", "http://example.com/a?b=1"),
                        ("https://example.com/path", "https://example.com/path"),
                        ("http://www.example.org", "www.example.org"),
                        ("mailto:bob@example.com", "bob@example.com")):
        assert f'<a href="{href}" rel="noopener noreferrer nofollow" target="_blank">{shown}</a>' in html
    assert html.startswith("see <a ") and html.count("<a ") == 4


def test_javascript_url_is_not_a_link(app, friend_circle, direct, as_):
    html = sent(as_("alice"), direct, "javascript:alert(1)")["html"]
    assert "<a" not in html and "href" not in html
    assert html == "javascript:alert(1)"


@pytest.mark.parametrize("code", [":thumbs_up:", ":+1:"])
def test_emoji_shortcodes_become_emoji(app, friend_circle, direct, as_, code):
    message = sent(as_("alice"), direct, f"great {code}")
    assert message["html"] == "great \N{THUMBS UP SIGN}"
    assert message["body"] == f"great {code}"


def test_emoji_typed_directly_are_kept(app, friend_circle, direct, as_):
    text = "café \N{GRINNING FACE}\N{PARTY POPPER} 你好"
    message = sent(as_("alice"), direct, text)
    assert message["body"] == text and message["html"] == text


def test_message_of_5000_characters_is_accepted(app, friend_circle, direct, as_):
    message = sent(as_("alice"), direct, "x" * 5000)
    assert len(message["body"]) == 5000
    assert stored(app, direct) == ["x" * 5000]


def test_message_over_5000_characters_is_refused(app, friend_circle, direct, as_):
    assert_error(send(as_("alice"), direct, "x" * 5001), 400, "body")
    assert stored(app) == []


def test_empty_message_is_refused(app, friend_circle, direct, as_):
    for text in ("", "   ", " \n\t "):
        assert_error(send(as_("alice"), direct, text), 400, "body")
    assert stored(app) == []


# Idempotent sends

def test_retried_send_returns_the_stored_message(app, friend_circle, direct, as_):
    client_id = str(uuid.uuid4())
    first = send(as_("alice"), direct, "first try", client_id=client_id)
    again = send(as_("alice"), direct, "second try", client_id=client_id)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["body"] == "first try"
    assert stored(app) == ["first try"]


def test_retried_send_records_no_second_event(app, friend_circle, direct, as_):
    alice, bob, *_ = friend_circle
    client_id = str(uuid.uuid4())
    before = cursor(app)
    first = send(as_("alice"), direct, "once", client_id=client_id)
    again = send(as_("alice"), direct, "once", client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    created = events_of(app, bob, after=before, event_type="message.created")
    assert [event.data["message"]["id"] for event in created] == [first.get_json()["id"]]


def test_retry_after_the_friendship_ended_returns_the_stored_message(app, friend_circle, direct, as_):
    # The answer to the first try was lost; by the retry, bob had removed alice. The send
    # did happen, so the retry says so (200) instead of refusing it (403).
    _alice, bob, *_ = friend_circle
    client_id = str(uuid.uuid4())
    first = send(as_("alice"), direct, "sent before the end", client_id=client_id)
    client, headers = as_("bob")
    assert client.delete(f"{API}/friends/{_alice}", headers=headers).status_code == 204
    again = send(as_("alice"), direct, "sent before the end", client_id=client_id)
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert_error(send(as_("alice"), direct, "a new one", client_id=str(uuid.uuid4())), 403)
    assert stored(app) == ["sent before the end"]


def test_same_client_id_from_another_sender_is_another_message(app, friend_circle, direct, as_):
    client_id = str(uuid.uuid4())
    mine = send(as_("alice"), direct, "from alice", client_id=client_id)
    theirs = send(as_("bob"), direct, "from bob", client_id=client_id)
    assert mine.status_code == theirs.status_code == 201
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert stored(app) == ["from alice", "from bob"]


def test_malformed_client_id_is_refused(app, friend_circle, direct, as_):
    for client_id in ("not-a-uuid", "12345", str(uuid.uuid4())[:-1] + "g", str(uuid.uuid4()) + "0"):
        assert_error(send(as_("alice"), direct, "hi", client_id=client_id), 400, "client_id")
    assert stored(app) == []


def test_two_identical_sends_racing_store_one_message(app, friend_circle, direct):
    browsers = [quick_client(app, "alice") for _ in range(2)]
    client_id = str(uuid.uuid4())
    barrier = threading.Barrier(len(browsers))
    responses = [None] * len(browsers)

    def post(index):
        barrier.wait(10)
        try:
            responses[index] = send(browsers[index], direct, "only once", client_id=client_id)
        except Exception as exc:  # noqa: BLE001 - a crash is an outcome the test reports
            responses[index] = exc

    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(getattr(r, "status_code", repr(r)) for r in responses) == [200, 201]
    assert len({r.get_json()["id"] for r in responses}) == 1
    assert stored(app) == ["only once"]


# Who may send and read

def test_former_friend_cannot_send_in_the_direct_conversation(app, friend_circle, direct, as_):
    _alice, bob, *_ = friend_circle
    client, headers = as_("alice")
    assert client.delete(f"{API}/friends/{bob}", headers=headers).status_code == 204
    body = assert_error(send(as_("alice"), direct, "still there?"), 403)
    assert "friend" in body["message"]
    assert_error(send(as_("bob"), direct, "hello?"), 403)
    assert stored(app) == []


def test_direct_history_stays_readable_after_unfriending(app, friend_circle, direct, as_):
    _alice, bob, *_ = friend_circle
    sent(as_("alice"), direct, "before the end")
    client, headers = as_("alice")
    assert client.delete(f"{API}/friends/{bob}", headers=headers).status_code == 204
    assert bodies(as_("alice"), direct) == ["before the end"]
    assert bodies(as_("bob"), direct) == ["before the end"]


def test_friends_again_can_send_again(app, friend_circle, direct, as_):
    alice, bob, *_ = friend_circle
    client, headers = as_("alice")
    assert client.delete(f"{API}/friends/{bob}", headers=headers).status_code == 204
    assert make_friends(app, bob, alice) == direct
    sent(as_("bob"), direct, "welcome back")
    assert bodies(as_("alice"), direct) == ["welcome back"]


def test_non_member_cannot_send_to_or_read_a_group(app, friend_circle, group, as_):
    sent(as_("alice"), group, "members only")
    assert_error(send(as_("dave"), group, "let me in"), 404)
    assert_error(page(as_("dave"), group), 404)
    assert stored(app) == ["members only"]


def test_removed_member_cannot_send_to_or_read_the_group(app, friend_circle, group, as_):
    alice, _bob, carol, _dave = friend_circle
    sent(as_("carol"), group, "while I was in")
    remove_from_group(app, alice, group, carol)
    assert_error(send(as_("carol"), group, "still here?"), 404)
    assert_error(page(as_("carol"), group), 404)
    assert stored(app) == ["while I was in"]


# What group members see

def test_added_member_does_not_see_earlier_messages(app, friend_circle, group, as_):
    alice, _bob, _carol, dave = friend_circle
    sent(as_("alice"), group, "before dave")
    add_to_group(app, alice, group, dave)
    sent(as_("bob"), group, "after dave")
    assert bodies(as_("dave"), group) == ["after dave"]
    assert bodies(as_("bob"), group) == ["after dave", "before dave"]


def test_member_who_left_cannot_read_the_group(app, friend_circle, group, as_):
    _alice, bob, *_ = friend_circle
    sent(as_("alice"), group, "hello")
    assert bodies(as_("bob"), group) == ["hello"]
    quit_group(app, bob, group)
    assert_error(page(as_("bob"), group), 404)


def test_rejoining_member_sees_their_stays_but_not_the_gap(app, friend_circle, group, as_):
    alice, _bob, carol, _dave = friend_circle
    sent(as_("alice"), group, "first stay")
    quit_group(app, carol, group)
    sent(as_("alice"), group, "while carol was away")
    join_group(app, carol, invite_code(app, alice, group))
    sent(as_("alice"), group, "second stay")
    assert bodies(as_("carol"), group) == ["second stay", "first stay"]


def test_messages_read_before_leaving_stay_read_after_rejoining(app, friend_circle, group, as_):
    alice, _bob, carol, _dave = friend_circle
    welcome = sent(as_("alice"), group, "welcome")["id"]
    mark_read(as_("carol"), group, welcome)
    quit_group(app, carol, group)
    join_group(app, carol, invite_code(app, alice, group))
    assert unread(as_("carol"), group) == 0


# History by cursor

def test_history_is_newest_first(app, friend_circle, direct, as_):
    for text in ("one", "two", "three"):
        sent(as_("alice"), direct, text)
    assert bodies(as_("bob"), direct) == ["three", "two", "one"]


def test_history_pages_backwards(app, friend_circle, direct, as_):
    ids = [sent(as_("alice"), direct, f"m{n}")["id"] for n in range(1, 6)]
    first = page(as_("bob"), direct, limit=2).get_json()
    assert [m["body"] for m in first["items"]] == ["m5", "m4"] and first["next_before"] == ids[3]
    second = page(as_("bob"), direct, limit=2, before=first["next_before"]).get_json()
    assert [m["body"] for m in second["items"]] == ["m3", "m2"] and second["next_before"] == ids[1]
    last = page(as_("bob"), direct, limit=2, before=second["next_before"]).get_json()
    assert [m["body"] for m in last["items"]] == ["m1"] and last["next_before"] is None


def test_bad_history_cursor_is_refused(app, friend_circle, direct, as_):
    for params, field in (({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"before": "abc"}, "before")):
        response = page(as_("alice"), direct, **params)
        assert 400 <= response.status_code < 500, params
        assert_error(response, response.status_code, field)


# Read positions and unread counts

def test_new_message_is_unread_for_the_receiver_only(app, friend_circle, direct, as_):
    sent(as_("alice"), direct, "ping")
    assert unread(as_("bob"), direct) == 1
    assert unread(as_("alice"), direct) == 0


def test_own_messages_never_count_as_unread(app, friend_circle, group, as_):
    for text in ("a", "b", "c"):
        sent(as_("alice"), group, text)
    assert unread(as_("alice"), group) == 0
    assert listing(as_("alice"))["total_unread"] == 0
    assert unread(as_("carol"), group) == 3


def test_reading_up_to_the_newest_clears_unread(app, friend_circle, direct, as_):
    sent(as_("alice"), direct, "one")
    newest = sent(as_("alice"), direct, "two")["id"]
    response = mark_read(as_("bob"), direct, newest)
    assert response.status_code == 200
    assert response.get_json() == {"conversation_id": direct, "last_read_message_id": newest, "unread": 0}
    assert unread(as_("bob"), direct) == 0


def test_read_position_never_moves_backwards(app, friend_circle, direct, as_):
    older = sent(as_("alice"), direct, "one")["id"]
    newest = sent(as_("alice"), direct, "two")["id"]
    mark_read(as_("bob"), direct, newest)
    response = mark_read(as_("bob"), direct, older)
    assert response.get_json()["last_read_message_id"] == newest
    assert item(as_("bob"), direct)["last_read_message_id"] == newest
    assert unread(as_("bob"), direct) == 0


def test_read_position_beyond_the_newest_is_clamped(app, friend_circle, direct, as_):
    newest = sent(as_("alice"), direct, "one")["id"]
    response = mark_read(as_("bob"), direct, newest + 1000)
    assert response.get_json()["last_read_message_id"] == newest
    sent(as_("alice"), direct, "two")
    assert unread(as_("bob"), direct) == 1


def test_total_unread_sums_all_conversations(app, friend_circle, direct, group, as_):
    sent(as_("alice"), direct, "one")
    sent(as_("alice"), direct, "two")
    sent(as_("carol"), group, "three")
    bobs = listing(as_("bob"))
    assert bobs["total_unread"] == 3
    assert {c["id"]: c["unread"] for c in bobs["items"] if c["unread"]} == {direct: 2, group: 1}


def test_moving_the_read_position_tells_that_person_and_the_sender_only(app, friend_circle, group, as_):
    alice, bob, carol, _dave = friend_circle
    newest = sent(as_("alice"), group, "ping")["id"]
    after = cursor(app)
    mark_read(as_("bob"), group, newest)
    [event] = events_of(app, bob, after)
    assert event.type == "read.updated"
    assert event.data == {"conversation_id": group, "user_id": bob, "previous_read_message_id": 0,
                          "last_read_message_id": newest, "unread": 0}
    assert [e.id for e in events_of(app, alice, after)] == [event.id]  # a read receipt (tests/test_receipts.py)
    assert events_of(app, carol, after) == []


def test_reading_again_at_the_same_position_records_nothing(app, friend_circle, direct, as_):
    _alice, bob, *_ = friend_circle
    newest = sent(as_("alice"), direct, "ping")["id"]
    mark_read(as_("bob"), direct, newest)
    after = cursor(app)
    assert mark_read(as_("bob"), direct, newest).status_code == 200
    assert events_of(app, bob, after) == []


# Rate limit

@pytest.fixture
def limited_app(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path, MESSAGE_RATE_LIMIT="3 per minute")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_fourth_send_in_a_minute_is_refused(limited_app):
    alice, bob = make_user(limited_app, "alice"), make_user(limited_app, "bob")
    direct = make_friends(limited_app, alice, bob)
    browser = quick_client(limited_app, "alice")
    for n in range(3):
        assert send(browser, direct, f"m{n}").status_code == 201
    response = send(browser, direct, "one too many")
    assert_error(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert stored(limited_app) == ["m0", "m1", "m2"]


def test_one_persons_rate_limit_does_not_limit_another(limited_app):
    alice, bob = make_user(limited_app, "alice"), make_user(limited_app, "bob")
    direct = make_friends(limited_app, alice, bob)
    alices, bobs = quick_client(limited_app, "alice"), quick_client(limited_app, "bob")
    for n in range(4):
        send(alices, direct, f"a{n}")
    assert send(alices, direct, "still limited").status_code == 429
    assert send(bobs, direct, "my turn").status_code == 201


# Message events

def test_each_send_records_one_message_event(app, friend_circle, group, as_):
    after = cursor(app)
    message = sent(as_("alice"), group, "hello all")
    with app.app_context():
        created = db.session.execute(select(Event.conversation_id, Event.data)
                                     .where(Event.id > after, Event.type == "message.created")).all()
        total = db.session.scalar(select(func.count()).select_from(Event).where(Event.id > after))
    assert total == 1
    assert [(conv, data["message"]["id"], data["message"]["body"]) for conv, data in created] == \
        [(group, message["id"], "hello all")]


def test_a_send_answers_the_message_as_history_and_its_event_show_it(app, friend_circle, group, as_):
    # The send path builds its answer from what it inserted, not from a reloaded row, and
    # sends it without the response schema: all three views must still agree, in the
    # documented shape, and the stored row must name its event.
    from blueprints.chat.schemas import MessageSchema
    after = cursor(app)
    message = sent(as_("alice"), group, "see :thumbs_up: www.example.com")
    assert MessageSchema().validate(message) == {}
    [listed] = page(as_("bob"), group).get_json()["items"]
    assert listed == message
    with app.app_context():
        event_id, data = db.session.execute(select(Event.id, Event.data).where(Event.id > after)).one()
        stored = db.session.get(Message, message["id"])
        assert stored.event_id == event_id and stored.created_at.isoformat() == message["created_at"]
    assert data["message"] == message


def test_message_event_reaches_members_but_not_others(app, friend_circle, group, as_):
    alice, bob, carol, dave = friend_circle
    after = cursor(app)
    message = sent(as_("bob"), group, "hello all")
    for member in (alice, bob, carol):
        events = events_of(app, member, after, "message.created")
        assert [e.data["message"]["id"] for e in events] == [message["id"]]
    assert events_of(app, dave, after) == []


def test_removed_member_gets_no_later_message_events(app, friend_circle, group, as_):
    alice, _bob, carol, _dave = friend_circle
    remove_from_group(app, alice, group, carol)
    after = cursor(app)
    sent(as_("alice"), group, "carol is gone")
    assert events_of(app, carol, after) == []
    assert len(events_of(app, alice, after, "message.created")) == 1
