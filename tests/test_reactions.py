"""Reactions through /api/v1/messages/<id>/reactions: who may react to what, the emoji rule,
the limit of distinct emoji, what history shows (counts and who), and the reaction events
the others receive live and replay."""
import html as html_lib
import json
import re

import pytest

from tests.support.api import API, assert_error, recall, send_text
from tests.support.events import cursor, events_of
from blueprints.chat.payloads import REACTORS_SHOWN
from blueprints.reactions import services
from extensions import db
from models import User
from tests.support.factories import add_to_group, at_once, make_friends, make_user, user_by_name
from tests.support.login import quick_client

THUMBS = "👍"


def id_of(app, username: str) -> int:
    with app.app_context():
        return user_by_name(username).id


def react(browser, message_id: int, emoji: str = THUMBS):
    client, headers = browser
    return client.post(f"{API}/messages/{message_id}/reactions", json={"emoji": emoji}, headers=headers)


def unreact(browser, message_id: int, emoji: str = THUMBS):
    client, headers = browser
    return client.delete(f"{API}/messages/{message_id}/reactions", json={"emoji": emoji}, headers=headers)


def reactions_in_history(browser, conversation_id: int, message_id: int) -> list[dict]:
    client, _headers = browser
    page = client.get(f"{API}/conversations/{conversation_id}/messages").get_json()
    return next(m for m in page["items"] if m["id"] == message_id)["reactions"]


def summary(reactions: list[dict]) -> list[tuple[str, int, list[str]]]:
    return [(r["emoji"], r["count"], [u["nickname"] for u in r["users"]]) for r in reactions]


# Who may react, and to what

def test_member_reacts_and_everyone_sees_the_count_and_who(app, group, as_):
    message = send_text(as_("alice"), group, "summit at noon?")
    response = react(as_("bob"), message["id"])
    assert response.status_code == 201, response.get_data(as_text=True)
    assert summary(response.get_json()["reactions"]) == [(THUMBS, 1, ["Bob"])]
    assert react(as_("carol"), message["id"]).status_code == 201
    assert summary(reactions_in_history(as_("alice"), group, message["id"])) == [(THUMBS, 2, ["Bob", "Carol"])]


def test_reacting_again_with_the_same_emoji_counts_once(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    assert react(as_("bob"), message["id"]).status_code == 201
    again = react(as_("bob"), message["id"])
    assert again.status_code == 200
    assert summary(again.get_json()["reactions"]) == [(THUMBS, 1, ["Bob"])]


def test_emoji_are_listed_in_the_order_first_added(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    react(as_("bob"), message["id"], "🎉")
    react(as_("carol"), message["id"], THUMBS)
    react(as_("alice"), message["id"], "🎉")
    assert summary(reactions_in_history(as_("bob"), group, message["id"])) == [
        ("🎉", 2, ["Bob", "Alice"]), (THUMBS, 1, ["Carol"])]


def test_removing_the_last_reaction_removes_the_emoji(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    react(as_("bob"), message["id"])
    react(as_("bob"), message["id"], "🎉")
    response = unreact(as_("bob"), message["id"])
    assert response.status_code == 200
    assert summary(response.get_json()["reactions"]) == [("🎉", 1, ["Bob"])]
    assert summary(reactions_in_history(as_("carol"), group, message["id"])) == [("🎉", 1, ["Bob"])]


def test_removing_a_reaction_one_never_made_changes_nothing(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    react(as_("bob"), message["id"])
    after = cursor(app)
    response = unreact(as_("carol"), message["id"])
    assert response.status_code == 200
    assert summary(response.get_json()["reactions"]) == [(THUMBS, 1, ["Bob"])]
    assert events_of(app, id_of(app, "alice"), after) == []


def test_either_person_of_a_direct_conversation_reacts(app, direct, as_):
    message = send_text(as_("alice"), direct, "hi Bob")
    assert react(as_("bob"), message["id"]).status_code == 201
    assert react(as_("alice"), message["id"], "❤️").status_code == 201


def test_someone_outside_the_group_cannot_react(app, group, as_):
    message = send_text(as_("alice"), group, "members only")
    assert_error(react(as_("dave"), message["id"]), 404)
    assert_error(react(as_("dave"), 10**6), 404)


def test_ex_friend_cannot_react_in_the_old_direct_conversation(app, direct, as_):
    message = send_text(as_("bob"), direct, "hi")
    client, headers = as_("alice")
    assert client.delete(f"{API}/friends/{id_of(app, 'bob')}", headers=headers).status_code == 204
    assert_error(react(as_("alice"), message["id"]), 403)


def test_recalled_message_takes_no_reactions_and_loses_its_own(app, group, as_):
    message = send_text(as_("alice"), group, "oops")
    react(as_("bob"), message["id"])
    assert recall(as_("alice"), message["id"]).status_code == 200
    assert_error(react(as_("carol"), message["id"]), 409)
    assert reactions_in_history(as_("bob"), group, message["id"]) == []


# The emoji rule and the limit

@pytest.mark.parametrize("value", ["a", "👍👍", ":thumbs_up:", "", " 👍", "👍\n", "1", "x" * 40])
def test_anything_but_one_emoji_is_refused(app, group, as_, value):
    message = send_text(as_("alice"), group, "hi")
    assert_error(react(as_("bob"), message["id"], value), 400, "emoji")


@pytest.mark.parametrize("value", ["👍🏽", "👩‍👩‍👧", "🏳️‍🌈", "#️⃣", "🇨🇳"])
def test_emoji_with_skin_tones_joins_flags_and_keycaps_are_one_emoji(app, group, as_, value):
    message = send_text(as_("alice"), group, "hi")
    assert react(as_("bob"), message["id"], value).status_code == 201


def test_heart_with_or_without_its_variation_selector_is_one_reaction(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    react(as_("bob"), message["id"], "\u2764")
    react(as_("carol"), message["id"], "\u2764\ufe0f")
    assert summary(reactions_in_history(as_("alice"), group, message["id"])) == [("\u2764\ufe0f", 2, ["Bob", "Carol"])]


def test_a_new_emoji_beyond_the_limit_is_refused_but_joining_one_is_not(app, group, as_):
    app.config["REACTIONS_MAX"] = 2
    message = send_text(as_("alice"), group, "hi")
    react(as_("bob"), message["id"], THUMBS)
    react(as_("bob"), message["id"], "🎉")
    body = assert_error(react(as_("carol"), message["id"], "🔥"), 409)
    assert "2" in body["message"]
    assert react(as_("carol"), message["id"], "🎉").status_code == 201


# Events: live to the conversation, and replayed

def test_members_receive_the_reaction_and_its_removal(app, alice_and_friends, group, as_):
    alice, bob, carol, dave = alice_and_friends
    message = send_text(as_("alice"), group, "hi")
    after = cursor(app)
    react(as_("bob"), message["id"])
    unreact(as_("bob"), message["id"])
    for person in (alice, bob, carol):
        seen = events_of(app, person, after)
        assert [t for t, _d in seen] == ["reaction.added", "reaction.removed"]
        data = seen[0][1]
        assert (data["conversation_id"], data["message_id"], data["emoji"]) == (group, message["id"], THUMBS)
        assert data["user"]["id"] == bob and data["user"]["nickname"] == "Bob"
    assert events_of(app, dave, after) == []


def test_a_repeated_reaction_records_no_second_event(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hi")
    after = cursor(app)
    react(as_("bob"), message["id"])
    react(as_("bob"), message["id"])
    assert len(events_of(app, alice_and_friends[0], after, "reaction.added")) == 1


def test_history_tells_each_person_their_own_reactions(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    react(as_("bob"), message["id"], "🎉")
    client, _headers = as_("bob")
    page = client.get(f"{API}/conversations/{group}/messages").get_json()
    assert page["reacted"] == [{"message_id": message["id"], "emoji": "🎉"}]
    other = as_("carol")[0].get(f"{API}/conversations/{group}/messages").get_json()
    assert other["reacted"] == []


def test_more_reactors_than_named_are_still_counted(app, group, as_):
    alice = id_of(app, "alice")
    hikers = [make_user(app, f"hiker{n}") for n in range(REACTORS_SHOWN + 1)]
    for person in hikers:
        make_friends(app, alice, person)
    add_to_group(app, alice, group, *hikers)
    message = send_text(as_("alice"), group, "hi")
    for n in range(len(hikers)):
        assert react(quick_client(app, f"hiker{n}"), message["id"]).status_code == 201
    (reaction,) = reactions_in_history(as_("bob"), group, message["id"])
    assert reaction["count"] == REACTORS_SHOWN + 1 and len(reaction["users"]) == REACTORS_SHOWN


def test_double_click_racing_itself_adds_one_reaction(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hi")
    bob = alice_and_friends[1]
    after = cursor(app)

    def click():
        return services.add_reaction(db.session.get(User, bob), message["id"], THUMBS)[1]
    assert sorted(at_once(app, click, click)) == [False, True]
    assert summary(reactions_in_history(as_("carol"), group, message["id"])) == [(THUMBS, 1, ["Bob"])]
    assert len(events_of(app, bob, after, "reaction.added")) == 1


def test_the_events_keep_a_page_that_applies_them_right(app, alice_and_friends, group, as_):
    # Zulip's verify_action: reactions loaded at a cursor, with the reaction events after it
    # applied as the page applies them, equal the reactions loaded afresh.
    first = send_text(as_("alice"), group, "one")
    second = send_text(as_("bob"), group, "two")
    react(as_("carol"), first["id"], "🎉")
    client, _headers = as_("alice")
    start = cursor(app)
    shown = {m["id"]: m["reactions"] for m in client.get(f"{API}/conversations/{group}/messages").get_json()["items"]}
    react(as_("bob"), first["id"])
    react(as_("carol"), first["id"])
    unreact(as_("carol"), first["id"], "🎉")
    react(as_("alice"), second["id"], "🔥")
    unreact(as_("alice"), second["id"], "🔥")
    react(as_("carol"), second["id"], "🔥")
    for kind, data in events_of(app, alice_and_friends[0], start):
        reactions = shown[data["message_id"]]
        reaction = next((r for r in reactions if r["emoji"] == data["emoji"]), None)
        person = {"id": data["user"]["id"], "nickname": data["user"]["nickname"]}
        if kind == "reaction.added":
            if reaction is None:
                reaction = {"emoji": data["emoji"], "count": 0, "users": []}
                reactions.append(reaction)
            reaction["count"] += 1
            reaction["users"].append(person)
        else:
            reaction["count"] -= 1
            reaction["users"].remove(person)
            if not reaction["count"]:
                reactions.remove(reaction)
    fresh = {m["id"]: m["reactions"] for m in client.get(f"{API}/conversations/{group}/messages").get_json()["items"]}
    assert shown == fresh


def test_the_chat_page_comes_with_the_reactions_and_which_are_mine(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    react(as_("bob"), message["id"], "🎉")
    react(as_("carol"), message["id"], THUMBS)
    html = as_("bob")[0].get(f"/chat/{group}").get_data(as_text=True)
    data = html_lib.unescape(re.search(r'<template id="initial-messages" data-json="([^"]*)"', html).group(1))
    (shown,) = [m for m in json.loads(data) if m["id"] == message["id"]]
    assert summary(shown["reactions"]) == [("🎉", 1, ["Bob"]), (THUMBS, 1, ["Carol"])]
    assert shown["reacted"] == ["🎉"]


def test_someone_who_joined_after_the_message_hears_nothing_of_its_reactions(app, alice_and_friends, group, as_):
    alice, bob, _carol, _dave = alice_and_friends
    old = send_text(as_("alice"), group, "from before erin")
    erin = make_user(app, "erin")
    make_friends(app, alice, erin)
    add_to_group(app, alice, group, erin)
    after = cursor(app)
    react(as_("bob"), old["id"])
    unreact(as_("bob"), old["id"])
    assert events_of(app, erin, after) == []
    assert [kind for kind, _data in events_of(app, alice, after)] == ["reaction.added", "reaction.removed"]
