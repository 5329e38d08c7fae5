"""Replies: a message that quotes an original of the same conversation the sender can see.
Sending one (text and attachments), what is refused (invisible, elsewhere, missing,
recalled), and the quote that history, the chat page, events and replay carry, recalled
once its original is."""
import html
import json
import re

import pytest

from blueprints.chat import services
from blueprints.chat.schemas import MessageSchema
from extensions import db
from models import User
from tests.support.api import API, assert_error, recall, send_text
from tests.support.events import cursor, events_of
from tests.support.factories import add_to_group, at_once, make_group, quit_group
from tests.support.uploads import image_bytes, upload, uploaded


def reply(browser, conversation_id: int, reply_to, body: str = "a reply", **extra):
    client, headers = browser
    return client.post(f"{API}/conversations/{conversation_id}/messages",
                       json={"body": body, "reply_to": reply_to, **extra}, headers=headers)


def replied(browser, conversation_id: int, reply_to: int, body: str = "a reply") -> dict:
    """Reply and return the stored message (the send must succeed)."""
    response = reply(browser, conversation_id, reply_to, body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def history(browser, conversation_id: int) -> dict:
    """The conversation's newest messages by id."""
    client, _headers = browser
    response = client.get(f"{API}/conversations/{conversation_id}/messages")
    assert response.status_code == 200, response.get_data(as_text=True)
    return {m["id"]: m for m in response.get_json()["items"]}


def page_messages(browser, conversation_id: int, **params) -> dict:
    """The messages the chat page is rendered with (its initial JSON), by id."""
    client, _headers = browser
    response = client.get(f"/chat/{conversation_id}", query_string=params)
    assert response.status_code == 200
    found = re.search(r'id="initial-messages" data-json="([^"]*)"', response.get_data(as_text=True))
    return {m["id"]: m for m in json.loads(html.unescape(found.group(1)))}


def test_reply_carries_the_quote_of_its_original(app, alice_and_friends, group, as_):
    alice, *_ = alice_and_friends
    original = send_text(as_("alice"), group, "Lunch at\nnoon?")
    message = replied(as_("bob"), group, original["id"], "Yes!")
    assert MessageSchema().validate(message) == {}
    assert message["reply_to"] == {"id": original["id"], "sender": original["sender"], "kind": "text",
                                   "snippet": "Lunch at noon?", "recalled": False}
    assert original["sender"]["id"] == alice


def test_message_that_replies_to_nothing_has_no_quote(app, group, as_):
    message = send_text(as_("alice"), group, "plain")
    assert message["reply_to"] is None
    assert reply(as_("alice"), group, None, "also plain").get_json()["reply_to"] is None


def test_quote_snippet_is_one_short_line(app, group, as_):
    original = send_text(as_("alice"), group, "word " * 100)
    snippet = replied(as_("bob"), group, original["id"])["reply_to"]["snippet"]
    assert len(snippet) <= 120 and "\n" not in snippet and snippet.endswith("…")


def test_reply_to_a_message_from_before_joining_is_refused(app, alice_and_friends, group, as_):
    alice, _bob, _carol, dave = alice_and_friends
    before = send_text(as_("alice"), group, "before dave")
    add_to_group(app, alice, group, dave)
    body = assert_error(reply(as_("dave"), group, before["id"]), 404, "reply_to")
    assert "see" in body["message"]
    after = send_text(as_("alice"), group, "after dave")
    assert replied(as_("dave"), group, after["id"])["reply_to"]["id"] == after["id"]


def test_reply_to_a_message_of_another_conversation_is_refused(app, direct, group, as_):
    elsewhere = send_text(as_("alice"), direct, "private")
    assert_error(reply(as_("bob"), group, elsewhere["id"]), 404, "reply_to")
    assert history(as_("bob"), group) == {}


def test_reply_to_a_message_that_does_not_exist_is_refused(app, group, as_):
    assert_error(reply(as_("bob"), group, 999999), 404, "reply_to")


@pytest.mark.parametrize("bad", ["1", 1.5, -1, True, 2 ** 63])
def test_reply_to_that_is_not_an_id_is_refused(app, group, as_, bad):
    assert_error(reply(as_("bob"), group, bad), 422, "reply_to")


def test_reply_to_a_recalled_message_is_refused(app, group, as_):
    original = send_text(as_("alice"), group, "oops")
    assert recall(as_("alice"), original["id"]).status_code == 200
    body = assert_error(reply(as_("bob"), group, original["id"]), 409, "reply_to")
    assert "recalled" in body["message"]


def test_refused_reply_is_not_stored(app, group, as_):
    assert_error(reply(as_("bob"), group, 999999), 404, "reply_to")
    assert history(as_("alice"), group) == {}


def test_retried_reply_returns_the_stored_message(app, group, as_):
    original = send_text(as_("alice"), group, "question")
    client_id = "6f1c2d3e-4a5b-4c6d-8e7f-8091a2b3c4d5"
    first = reply(as_("bob"), group, original["id"], client_id=client_id)
    again = reply(as_("bob"), group, original["id"], client_id=client_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()


def test_history_carries_the_quote(app, group, as_):
    original = send_text(as_("alice"), group, "where?")
    message = replied(as_("bob"), group, original["id"], "here")
    listed = history(as_("carol"), group)
    assert listed[message["id"]] == message
    assert listed[original["id"]]["reply_to"] is None


def test_recalled_original_shows_recalled_in_history_and_the_page(app, group, as_):
    original = send_text(as_("alice"), group, "secret plan")
    message = replied(as_("bob"), group, original["id"])
    assert recall(as_("alice"), original["id"]).status_code == 200
    quote = history(as_("carol"), group)[message["id"]]["reply_to"]
    assert quote["recalled"] is True and quote["snippet"] == ""
    assert quote["id"] == original["id"] and quote["sender"]["id"] == original["sender"]["id"]
    assert page_messages(as_("carol"), group)[message["id"]]["reply_to"] == quote


def test_page_opened_at_a_message_carries_quotes(app, group, as_):
    original = send_text(as_("alice"), group, "the plan")
    message = replied(as_("bob"), group, original["id"])
    shown = page_messages(as_("carol"), group, message=original["id"])
    assert shown[message["id"]]["reply_to"]["snippet"] == "the plan"


def test_later_member_sees_the_quote_of_an_earlier_original(app, alice_and_friends, group, as_):
    # The quote is part of the reply: whoever sees the reply sees what it quotes.
    alice, _bob, _carol, dave = alice_and_friends
    original = send_text(as_("alice"), group, "old news")
    message = replied(as_("bob"), group, original["id"])
    add_to_group(app, alice, group, dave)
    listed = history(as_("dave"), group)
    assert original["id"] not in listed
    assert listed.get(message["id"]) is None  # sent before dave joined: not his to see either
    later = replied(as_("bob"), group, original["id"], "again")
    assert history(as_("dave"), group)[later["id"]]["reply_to"]["snippet"] == "old news"


def test_created_event_carries_the_quote_and_replays_it(app, alice_and_friends, group, as_):
    alice, _bob, carol, _dave = alice_and_friends
    original = send_text(as_("alice"), group, "ping")
    after = cursor(app)
    message = replied(as_("bob"), group, original["id"], "pong")
    [(_type, data)] = events_of(app, carol, after, "message.created")
    assert data["message"] == message
    assert data["message"]["reply_to"]["id"] == original["id"]


def test_recall_of_the_original_replays_after_the_reply(app, alice_and_friends, group, as_):
    # The page marks every quote of a recalled message from the message.recalled event.
    _alice, _bob, carol, _dave = alice_and_friends
    original = send_text(as_("alice"), group, "ping")
    after = cursor(app)
    message = replied(as_("bob"), group, original["id"])
    recall(as_("alice"), original["id"])
    replayed = events_of(app, carol, after)
    assert [t for t, _data in replayed] == ["message.created", "message.recalled"]
    assert replayed[0][1]["message"]["reply_to"]["id"] == replayed[1][1]["message_id"] == original["id"]
    assert replayed[0][1]["message"]["id"] == message["id"]


def test_reply_in_a_direct_conversation(app, alice_and_friends, direct, as_):
    original = send_text(as_("bob"), direct, "hi")
    message = replied(as_("alice"), direct, original["id"], "hello")
    assert message["reply_to"]["sender"]["username"] == "bob"


def test_batch_of_replies_and_plain_messages_keeps_each_quote(app, alice_and_friends, group, as_):
    alice, bob, carol, _dave = alice_and_friends
    first = send_text(as_("alice"), group, "one")
    second = send_text(as_("alice"), group, "two")

    def send(user_id, body, reply_to):
        return lambda: services.send_message(db.session.get(User, user_id), group, body, None, reply_to).message

    results = at_once(app, send(bob, "re one", first["id"]), send(carol, "re two", second["id"]),
                      send(alice, "none", None))
    assert [r["reply_to"] and r["reply_to"]["id"] for r in results] == [first["id"], second["id"], None]
    listed = history(as_("alice"), group)
    assert [listed[r["id"]]["reply_to"] for r in results] == [r["reply_to"] for r in results]


def test_image_reply_and_a_reply_quoting_an_image(app, group, as_):
    picture = uploaded(as_("alice"), group, image_bytes(), "cat.png", content_type="image/png")
    quote = replied(as_("bob"), group, picture["id"], "cute")["reply_to"]
    assert (quote["kind"], quote["snippet"]) == ("image", "cat.png")
    answer = uploaded(as_("carol"), group, b"notes", "notes.txt", reply_to=str(picture["id"]))
    assert answer["reply_to"]["id"] == picture["id"]
    assert MessageSchema().validate(answer) == {}
    file_quote = replied(as_("alice"), group, answer["id"])["reply_to"]
    assert (file_quote["kind"], file_quote["snippet"]) == ("file", "notes.txt")
    assert history(as_("bob"), group)[answer["id"]] == answer


def test_attachment_reply_to_an_invisible_message_is_refused(app, alice_and_friends, direct, group, as_):
    elsewhere = send_text(as_("alice"), direct, "private")
    assert_error(upload(as_("bob"), group, b"notes", reply_to=str(elsewhere["id"])), 404, "reply_to")
    assert_error(upload(as_("bob"), group, b"notes", reply_to="x"), 422, "reply_to")
    assert history(as_("bob"), group) == {}


def test_reply_to_own_earlier_stay_is_allowed(app, alice_and_friends, as_):
    # Messages from an earlier stay stay visible after rejoining; so they can be quoted.
    alice, bob, _carol, _dave = alice_and_friends
    crew = make_group(app, alice, "Crew", [bob])
    original = send_text(as_("bob"), crew, "first stay")
    quit_group(app, bob, crew)
    add_to_group(app, alice, crew, bob)
    assert replied(as_("bob"), crew, original["id"])["reply_to"]["snippet"] == "first stay"


def test_refusal_speaks_the_senders_language(app, group, as_):
    client, headers = as_("bob")
    response = client.post(f"{API}/conversations/{group}/messages", json={"body": "hi", "reply_to": 999999},
                           headers={**headers, "Accept-Language": "zh-CN"})
    assert assert_error(response, 404, "reply_to")["errors"]["reply_to"] == ["你回复的消息不在此会话中，或你无法查看它。"]
