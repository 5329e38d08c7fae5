"""Delete for me: a person hides a message from their own view on all their devices; it leaves
their history, chat page, search and conversation list, and nobody else's; their favorite of
it stays; doing it twice is harmless."""
import html
import json
import re

from tests.support.api import API, assert_error, favorite, send_text
from tests.support.events import cursor, events_of


def hide(browser, message_id: int):
    client, headers = browser
    return client.post(f"{API}/messages/{message_id}/hide", headers=headers)


def history_ids(browser, conversation_id: int) -> list[int]:
    client, _headers = browser
    return [m["id"] for m in client.get(f"{API}/conversations/{conversation_id}/messages").get_json()["items"]]


def page_ids(browser, conversation_id: int, **params) -> list[int]:
    client, _headers = browser
    response = client.get(f"/chat/{conversation_id}", query_string=params)
    found = re.search(r'id="initial-messages" data-json="([^"]*)"', response.get_data(as_text=True))
    return [m["id"] for m in json.loads(html.unescape(found.group(1)))]


def search_ids(browser, q: str) -> list[int]:
    client, _headers = browser
    return [item["message"]["id"] for item in client.get(f"{API}/search", query_string={"q": q}).get_json()["items"]]


def preview(browser, conversation_id: int) -> dict | None:
    client, _headers = browser
    rows = client.get(f"{API}/conversations").get_json()["items"]
    return next(row for row in rows if row["id"] == conversation_id)["last_message"]


def test_a_hidden_message_leaves_my_history_and_page_only(app, group, as_):
    kept = send_text(as_("alice"), group, "keep this")
    gone = send_text(as_("alice"), group, "hide this")
    assert hide(as_("bob"), gone["id"]).status_code == 204
    assert history_ids(as_("bob"), group) == [kept["id"]]
    assert page_ids(as_("bob"), group) == [kept["id"]]
    assert history_ids(as_("carol"), group) == [gone["id"], kept["id"]]
    assert history_ids(as_("alice"), group) == [gone["id"], kept["id"]]


def test_a_hidden_message_is_not_found_by_my_search(app, group, as_):
    message = send_text(as_("alice"), group, "secret rendezvous")
    hide(as_("bob"), message["id"])
    assert search_ids(as_("bob"), "rendezvous") == []
    assert search_ids(as_("carol"), "rendezvous") == [message["id"]]


def test_the_conversation_list_previews_the_newest_message_i_still_see(app, group, as_):
    older = send_text(as_("alice"), group, "older")
    newest = send_text(as_("alice"), group, "newest")
    hide(as_("bob"), newest["id"])
    assert preview(as_("bob"), group)["id"] == older["id"]
    assert preview(as_("carol"), group)["id"] == newest["id"]


def test_my_other_devices_are_told_and_nobody_else(app, alice_and_friends, group, as_):
    alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("alice"), group, "hmm")
    after = cursor(app)
    hide(as_("bob"), message["id"])
    assert events_of(app, bob, after) == [("message.hidden", {"conversation_id": group, "message_id": message["id"]})]
    assert events_of(app, alice, after) == [] and events_of(app, carol, after) == []


def test_hiding_twice_is_harmless(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    message = send_text(as_("alice"), group, "twice")
    after = cursor(app)
    assert hide(as_("bob"), message["id"]).status_code == 204
    assert hide(as_("bob"), message["id"]).status_code == 204
    assert len(events_of(app, bob, after)) == 1


def test_my_favorite_of_a_hidden_message_stays(app, group, as_):
    message = send_text(as_("alice"), group, "worth keeping")
    favorite(as_("bob"), message["id"])
    hide(as_("bob"), message["id"])
    client, _headers = as_("bob")
    assert [item["body"] for item in client.get(f"{API}/favorites").get_json()["items"]] == ["worth keeping"]


def test_a_message_i_cannot_see_cannot_be_hidden(app, group, as_):
    message = send_text(as_("alice"), group, "members only")
    assert_error(hide(as_("dave"), message["id"]), 404)
    assert_error(hide(as_("bob"), 987654), 404)


def test_a_hidden_mention_leaves_my_mentions_list(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    client, headers = as_("alice")
    message = client.post(f"{API}/conversations/{group}/messages", json={"body": "@Bob look", "mentions": [bob]},
                          headers=headers).get_json()
    hide(as_("bob"), message["id"])
    client, _headers = as_("bob")
    assert client.get(f"{API}/mentions").get_json()["items"] == []


def test_a_message_hidden_before_reading_it_is_not_left_unread(app, group, as_):
    # Hidden unread, it could never be read (it is not shown): it leaves the counts instead.
    send_text(as_("bob"), group, "spam")
    hidden = send_text(as_("bob"), group, "more spam")
    hide(as_("alice"), hidden["id"])
    client, _headers = as_("alice")
    listed = client.get(f"{API}/conversations").get_json()
    assert [item["unread"] for item in listed["items"] if item["id"] == group] == [1]
    assert listed["total_unread"] == 1
    assert 'data-total-unread title="Unread messages" >1</span>' in client.get("/chat").get_data(as_text=True)
