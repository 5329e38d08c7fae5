"""Blocking a person through /api/v1/blocks and the profile page: neither can send the other
direct messages (text, files, typing) or friend requests, the blocked person's refusal says
nothing of a block, the blocker no longer sees their pending requests, only the blocker's
devices hear of it, and unblocking restores everything."""
import pytest

from tests.support.api import API, assert_error, send_text
from tests.support.events import cursor, events_of
from tests.support.factories import direct_conversation, make_user, send_request
from tests.support.login import csrf_from, quick_client
from tests.support.uploads import noise, upload

UNDELIVERABLE = "Your message could not be delivered."


def block(browser, user_id):
    client, headers = browser
    return client.post(f"{API}/blocks", json={"user_id": user_id}, headers=headers)


def unblock(browser, user_id):
    client, headers = browser
    return client.delete(f"{API}/blocks/{user_id}", headers=headers)


def blocked_list(browser) -> list[int]:
    client, _headers = browser
    return [item["user"]["id"] for item in client.get(f"{API}/blocks").get_json()["items"]]


def send(browser, conversation_id, body="hello"):
    client, headers = browser
    return client.post(f"{API}/conversations/{conversation_id}/messages", json={"body": body}, headers=headers)


def ask(browser, username):
    client, headers = browser
    return client.post(f"{API}/friend-requests", json={"username": username, "reason": "hi"}, headers=headers)


def received(browser) -> list[int]:
    client, _headers = browser
    body = client.get(f"{API}/friend-requests", query_string={"direction": "received"}).get_json()
    return [item["sender"]["id"] for item in body["items"] if item["status"] == "pending"] + [body["pending_received"]]


# Blocking itself

def test_blocked_person_appears_in_my_block_list(app, alice_and_friends, as_):
    bob = alice_and_friends[1]
    response = block(as_("alice"), bob)
    assert response.status_code == 201
    assert response.get_json()["user"]["username"] == "bob"
    assert blocked_list(as_("alice")) == [bob]
    assert blocked_list(as_("bob")) == []


def test_blocking_twice_is_harmless(app, alice_and_friends, as_):
    bob = alice_and_friends[1]
    block(as_("alice"), bob)
    assert block(as_("alice"), bob).status_code == 200
    assert blocked_list(as_("alice")) == [bob]


def test_blocking_myself_or_nobody_is_refused(app, alice_and_friends, as_):
    alice = alice_and_friends[0]
    assert_error(block(as_("alice"), alice), 400, "user_id")
    assert_error(block(as_("alice"), 999999), 404)
    assert_error(unblock(as_("alice"), 999999), 404)


def test_unblocking_someone_not_blocked_is_harmless(app, alice_and_friends, as_):
    assert unblock(as_("alice"), alice_and_friends[1]).status_code == 204


def test_block_events_reach_the_blocker_only(app, alice_and_friends, as_):
    alice, bob, *_ = alice_and_friends
    before = cursor(app)
    block(as_("alice"), bob)
    unblock(as_("alice"), bob)
    assert [kind for kind, _data in events_of(app, alice, before)] == ["block.created", "block.deleted"]
    assert events_of(app, alice, before)[0][1]["user"]["id"] == bob
    assert events_of(app, bob, before) == []


# Direct messages

def test_blocked_person_cannot_message_me_and_is_not_told_why(app, alice_and_friends, direct, as_):
    block(as_("alice"), alice_and_friends[1])
    body = assert_error(send(as_("bob"), direct), 403)
    assert body["message"] == UNDELIVERABLE
    assert "block" not in body["message"].lower()


def test_blocker_cannot_message_them_either_and_is_told_to_unblock(app, alice_and_friends, direct, as_):
    block(as_("alice"), alice_and_friends[1])
    body = assert_error(send(as_("alice"), direct), 403)
    assert body["message"] == "Unblock Bob to send them messages."


def test_attachments_and_typing_into_a_blocked_direct_conversation_are_refused(app, alice_and_friends, direct, as_):
    block(as_("alice"), alice_and_friends[1])
    assert assert_error(upload(as_("bob"), direct, noise(100)), 403)["message"] == UNDELIVERABLE
    client, headers = as_("bob")
    assert_error(client.post(f"{API}/conversations/{direct}/typing", headers=headers), 403)


def test_unblocking_lets_both_write_again(app, alice_and_friends, direct, as_):
    block(as_("alice"), alice_and_friends[1])
    unblock(as_("alice"), alice_and_friends[1])
    send_text(as_("bob"), direct, "back again")
    send_text(as_("alice"), direct, "hi")


def test_a_block_leaves_groups_we_share_open(app, alice_and_friends, group, as_):
    block(as_("alice"), alice_and_friends[1])
    send_text(as_("bob"), group, "still here")
    send_text(as_("alice"), group, "me too")


def test_a_block_between_others_changes_nothing_for_me(app, alice_and_friends, as_):
    alice, bob, carol, _dave = alice_and_friends
    block(as_("bob"), carol)
    send_text(as_("carol"), direct_conversation(app, alice, carol), "hello alice")


# Friend requests

def test_blocked_person_cannot_send_me_a_friend_request_until_unblocked(app):
    zoe_id, erin_id = make_user(app, "zoe"), make_user(app, "erin")
    zoe, erin = quick_client(app, "zoe"), quick_client(app, "erin")
    block(zoe, erin_id)
    body = assert_error(ask(erin, "zoe"), 403, "username")
    assert "block" not in body["message"].lower()
    assert assert_error(ask(zoe, "erin"), 403)["message"] == "Unblock Erin to be friends again."
    unblock(zoe, erin_id)
    assert ask(erin, "zoe").get_json()["outcome"] == "sent"
    assert received(zoe) == [erin_id, 1]


def test_pending_request_from_someone_i_block_is_hidden_not_deleted(app):
    zoe_id, erin_id = make_user(app, "zoe"), make_user(app, "erin")
    send_request(app, erin_id, zoe_id)
    zoe = quick_client(app, "zoe")
    assert received(zoe) == [erin_id, 1]
    block(zoe, erin_id)
    assert received(zoe) == [0]
    assert 'data-pending-count' not in zoe[0].get("/notifications").get_data(as_text=True)
    unblock(zoe, erin_id)
    assert received(zoe) == [erin_id, 1]


def test_a_pending_request_cannot_be_accepted_across_a_block(app):
    zoe_id, erin_id = make_user(app, "zoe"), make_user(app, "erin")
    request_id = send_request(app, zoe_id, erin_id)
    zoe, erin = quick_client(app, "zoe"), quick_client(app, "erin")
    block(zoe, erin_id)
    client, headers = erin
    response = client.post(f"{API}/friend-requests/{request_id}/accept", headers=headers)
    assert "block" not in assert_error(response, 403)["message"].lower()


# The profile page

@pytest.fixture
def zoe_and_erin(app):
    return make_user(app, "zoe"), make_user(app, "erin", nickname="Erin E")


def test_profile_page_blocks_by_username_and_unblocks(app, zoe_and_erin):
    _zoe_id, erin_id = zoe_and_erin
    client, _headers = quick_client(app, "zoe")
    html = client.get("/profile").get_data(as_text=True)
    assert "You have not blocked anyone." in html
    response = client.post("/profile/blocks", data={"username": "ERIN", "csrf_token": csrf_from(html)},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Erin E is blocked." in html and f'data-blocked-id="{erin_id}"' in html
    response = client.post(f"/profile/blocks/{erin_id}/unblock", data={"csrf_token": csrf_from(html)},
                           follow_redirects=True)
    assert f'data-blocked-id="{erin_id}"' not in response.get_data(as_text=True)


def test_profile_page_says_when_no_one_has_that_username(app, zoe_and_erin):
    client, _headers = quick_client(app, "zoe")
    html = client.get("/profile").get_data(as_text=True)
    response = client.post("/profile/blocks", data={"username": "nobody", "csrf_token": csrf_from(html)},
                           follow_redirects=True)
    assert "No one has this username." in response.get_data(as_text=True)


# The chat page

def test_chat_page_knows_whom_i_blocked_and_offers_to_unblock(app, alice_and_friends, direct, as_):
    bob = alice_and_friends[1]
    block(as_("alice"), bob)
    html = as_("alice")[0].get(f"/chat/{direct}").get_data(as_text=True)
    assert f'data-blocked="[{bob}]"' in html
    assert 'data-block-toggle' in html and '>Unblock</button>' in html


def test_a_friend_request_row_can_block_its_sender(app):
    zoe_id, erin_id = make_user(app, "zoe"), make_user(app, "erin")
    send_request(app, erin_id, zoe_id, "let me in")
    zoe = quick_client(app, "zoe")
    client, _headers = zoe
    html = client.get("/notifications").get_data(as_text=True)
    assert 'data-testid="block-sender"' in html
    response = client.post("/profile/blocks", data={"username": "erin", "next": "notifications",
                                                    "csrf_token": csrf_from(html)})
    assert response.headers["Location"].endswith("/notifications")
    html = client.get("/notifications").get_data(as_text=True)
    assert "let me in" not in html
    assert blocked_list(zoe) == [erin_id]


def test_a_blocked_friend_asking_again_hears_only_that_they_are_friends(app, alice_and_friends, as_):
    # Any friend asking to be friends again gets 409: a 403 would tell bob he is blocked.
    bob = alice_and_friends[1]
    block(as_("alice"), bob)
    assert assert_error(ask(as_("bob"), "alice"), 409)["message"] == assert_error(ask(as_("carol"), "alice"), 409)["message"]


def test_a_blocked_person_cannot_pull_the_blocker_into_a_group(app, alice_and_friends, as_):
    alice, bob, _carol, _dave = alice_and_friends
    block(as_("alice"), bob)
    client, headers = as_("bob")
    created = client.post(f"{API}/groups", json={"name": "Sneaky", "member_ids": [alice]}, headers=headers)
    assert assert_error(created, 403, "member_ids")["message"] == "Alice could not be added."
    assert client.get(f"{API}/groups").get_json()["items"] == []
    group = client.post(f"{API}/groups", json={"name": "Hikers", "member_ids": []}, headers=headers).get_json()
    assert_error(client.post(f"{API}/groups/{group['id']}/members", json={"user_ids": [alice]}, headers=headers),
                 403, "user_ids")
    # The blocker may still bring the person she blocked into a group of hers.
    alice_client, alice_headers = as_("alice")
    assert alice_client.post(f"{API}/groups", json={"name": "Family", "member_ids": [bob]},
                             headers=alice_headers).status_code == 201


def test_a_member_who_blocked_me_does_not_stop_me_adding_others(app, alice_and_friends, as_):
    # Carol is in alice's group already and blocked alice later: adding dave still works.
    alice, _bob, carol, dave = alice_and_friends
    client, headers = as_("alice")
    group = client.post(f"{API}/groups", json={"name": "Hikers", "member_ids": [carol]}, headers=headers).get_json()
    block(as_("carol"), alice)
    added = client.post(f"{API}/groups/{group['id']}/members", json={"user_ids": [carol, dave]}, headers=headers)
    assert added.status_code == 200, added.get_data(as_text=True)
