"""Muting a conversation through PUT /api/v1/conversations/<id>/mute: per person on all their
devices, out of the total unread count but still counting its own unread, and never
silencing a mention of the person."""
import re

from tests.support.api import API, assert_error, send_text
from tests.support.events import cursor, events_of


def mute(browser, conversation_id: int, muted: bool = True):
    client, headers = browser
    return client.put(f"{API}/conversations/{conversation_id}/mute", json={"muted": muted}, headers=headers)


def listing(browser) -> dict:
    client, _headers = browser
    response = client.get(f"{API}/conversations")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def row(browser, conversation_id: int) -> dict:
    return next(item for item in listing(browser)["items"] if item["id"] == conversation_id)


def nav_badges(browser) -> tuple[str, str]:
    """The navigation's Chat badges as a page renders them: (unread, "@mentioned")."""
    client, _headers = browser
    html = client.get("/profile").get_data(as_text=True)
    unread = re.search(r'data-total-unread[^>]*>(\d+)<', html).group(1)
    mentioned = re.search(r'data-total-mentioned[^>]*>(@\d+)<', html).group(1)
    return unread, mentioned


def test_a_conversation_starts_unmuted(app, group, as_):
    assert row(as_("bob"), group)["muted"] is False


def test_muted_conversation_leaves_the_total_unread_but_keeps_its_own_count(app, group, direct, as_):
    assert mute(as_("bob"), group).get_json() == {"conversation_id": group, "muted": True}
    send_text(as_("alice"), group, "in the group")
    send_text(as_("alice"), direct, "just to you")
    listed = listing(as_("bob"))
    group_row = next(item for item in listed["items"] if item["id"] == group)
    assert (group_row["muted"], group_row["unread"]) == (True, 1)
    assert listed["total_unread"] == 1
    assert nav_badges(as_("bob"))[0] == "1"


def test_unmuting_brings_the_unread_back_into_the_total(app, group, as_):
    mute(as_("bob"), group)
    send_text(as_("alice"), group, "one")
    assert listing(as_("bob"))["total_unread"] == 0
    assert mute(as_("bob"), group, False).get_json()["muted"] is False
    assert listing(as_("bob"))["total_unread"] == 1
    assert nav_badges(as_("bob"))[0] == "1"


def test_muting_is_mine_alone(app, group, as_):
    mute(as_("bob"), group)
    send_text(as_("alice"), group, "hello all")
    assert row(as_("carol"), group)["muted"] is False
    assert listing(as_("carol"))["total_unread"] == 1


def test_mute_does_not_silence_a_mention_of_me(app, alice_and_friends, group, as_):
    _alice, bob, _carol, _dave = alice_and_friends
    mute(as_("bob"), group)
    client, headers = as_("alice")
    response = client.post(f"{API}/conversations/{group}/messages",
                           json={"body": "@Bob look", "mentions": [bob]}, headers=headers)
    assert response.status_code == 201
    listed = listing(as_("bob"))
    group_row = next(item for item in listed["items"] if item["id"] == group)
    assert group_row["mentioned"] is True and group_row["muted"] is True
    assert listed["total_mentioned"] == 1
    assert nav_badges(as_("bob"))[1] == "@1"


def test_mute_reaches_my_devices_only(app, alice_and_friends, group, as_):
    alice, bob, carol, _dave = alice_and_friends
    before = cursor(app)
    mute(as_("bob"), group)
    assert events_of(app, bob, before) == [("conversation.mute_changed", {"conversation_id": group, "muted": True})]
    assert events_of(app, alice, before) == [] and events_of(app, carol, before) == []


def test_muting_twice_records_one_event(app, alice_and_friends, group, as_):
    bob = alice_and_friends[1]
    before = cursor(app)
    mute(as_("bob"), group)
    assert mute(as_("bob"), group).status_code == 200
    assert len(events_of(app, bob, before, "conversation.mute_changed")) == 1


def test_only_members_can_mute(app, group, as_):
    assert_error(mute(as_("dave"), group), 404)
    assert_error(mute(as_("dave"), 999999), 404)


def test_muted_must_be_true_or_false(app, group, as_):
    client, headers = as_("bob")
    response = client.put(f"{API}/conversations/{group}/mute", json={"muted": "yes"}, headers=headers)
    assert_error(response, 422)


def test_chat_page_shows_the_muted_mark_and_the_unmute_button(app, group, as_):
    mute(as_("bob"), group)
    html = as_("bob")[0].get(f"/chat/{group}").get_data(as_text=True)
    assert f'data-conversation-id="{group}"' in html
    assert 'data-muted="true"' in html
    assert 'aria-pressed="true">Unmute</button>' in html
