"""Group chats: creating, listing and reading, adding members and the owner's powers."""
import re

from tests.support.api import API, assert_error
from tests.support.factories import add_to_group, invite_code, make_friends, make_group, make_user, member_ids
from tests.support.groups import group_count, group_row, listed
from tests.support.login import quick_client


# Creating

def test_creator_owns_the_new_group(app, friends_and_stranger, as_alice):
    alice, bob, *_ = friends_and_stranger
    client, headers = as_alice
    response = client.post(f"{API}/groups", json={"name": "Book club", "member_ids": [bob]},
                           headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "Book club" and body["owner_id"] == alice and body["member_count"] == 2
    owners = {m["username"]: m["is_owner"] for m in body["members"]}
    assert owners == {"alice": True, "bob": False}


def test_group_with_no_initial_members_has_just_the_owner(app, friends_and_stranger, as_alice):
    client, headers = as_alice
    body = client.post(f"{API}/groups", json={"name": "Solo"}, headers=headers).get_json()
    assert [m["username"] for m in body["members"]] == ["alice"]


def test_group_name_must_be_1_to_50_characters(app, friends_and_stranger, as_alice):
    client, headers = as_alice
    for name in ("", "   ", "x" * 51):
        response = client.post(f"{API}/groups", json={"name": name}, headers=headers)
        body = assert_error(response, 400, "name")
        assert body["errors"]["name"] == ["Give the group a name of 1 to 50 characters."]
    assert group_count(app) == 0


def test_group_name_of_50_characters_is_kept_whole(app, friends_and_stranger, as_alice):
    client, headers = as_alice
    response = client.post(f"{API}/groups", json={"name": "名" * 50}, headers=headers)
    assert response.get_json()["name"] == "名" * 50


def test_initial_members_must_be_your_friends(app, friends_and_stranger, as_alice):
    _alice, bob, _carol, dave = friends_and_stranger
    client, headers = as_alice
    response = client.post(f"{API}/groups", json={"name": "Mixed", "member_ids": [bob, dave]},
                           headers=headers)
    body = assert_error(response, 403, "member_ids")
    assert body["errors"]["member_ids"] == ["You can only add your own friends."]
    assert group_count(app) == 0


# Listing and reading

def test_group_list_shows_name_and_member_count(app, friends_and_stranger, group, as_alice):
    client, _ = as_alice
    assert listed(client) == [("Hikers", 3)]
    html = client.get("/groups").get_data(as_text=True)
    assert "<strong>Hikers</strong>" in html and "3 members" in html


def test_group_list_puts_newest_activity_first(app, friends_and_stranger, as_alice):
    alice, bob, carol, _ = friends_and_stranger
    older = make_group(app, alice, "Older")
    make_group(app, alice, "Newer")
    assert listed(as_alice[0]) == [("Newer", 1), ("Older", 1)]
    add_to_group(app, alice, older, bob)
    assert listed(as_alice[0]) == [("Older", 2), ("Newer", 1)]


def test_group_page_shows_its_members(app, friends_and_stranger, group, as_alice):
    client, _ = as_alice
    html = client.get(f"/groups/{group}").get_data(as_text=True)
    assert re.search(r'data-testid="group-name">Hikers<', html)
    names = re.findall(r'<li class="person" data-user-id="\d+" data-name="([^"]+)"', html)
    assert sorted(names) == ["Alice", "Bob", "Carol"]
    assert "3 members" in html


def test_api_shows_group_members(app, friends_and_stranger, group, as_alice):
    body = as_alice[0].get(f"{API}/groups/{group}").get_json()
    assert sorted(m["username"] for m in body["members"]) == ["alice", "bob", "carol"]


def test_non_member_gets_404_everywhere_and_changes_nothing(app, friends_and_stranger, group):
    alice, bob, carol, dave = friends_and_stranger
    erin = make_user(app, "erin")
    make_friends(app, dave, erin)
    client, headers = quick_client(app, "dave")
    calls = [
        ("get", f"/groups/{group}", None),
        ("get", f"{API}/groups/{group}", None),
        ("patch", f"{API}/groups/{group}", {"name": "Taken over"}),
        ("delete", f"{API}/groups/{group}", None),
        ("post", f"{API}/groups/{group}/members", {"user_ids": [erin]}),
        ("delete", f"{API}/groups/{group}/members/{bob}", None),
        ("post", f"{API}/groups/{group}/quit", None),
        ("put", f"{API}/groups/{group}/invite", {"enabled": True}),
    ]
    for method, path, body in calls:
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 404, (method, path)
        if path.startswith(API):
            assert_error(response, 404)
    assert member_ids(app, group) == {alice, bob, carol}
    row = group_row(app, group)
    assert (row.name, row.owner_id, row.invite_code, row.dissolved_at) == ("Hikers", alice, None, None)


# Adding members

def test_any_member_can_add_their_own_friends(app, friends_and_stranger, group):
    _alice, bob, _carol, dave = friends_and_stranger
    make_friends(app, bob, dave)  # dave is Bob's friend, not Alice's
    client, headers = quick_client(app, "bob")
    response = client.post(f"{API}/groups/{group}/members", json={"user_ids": [dave]}, headers=headers)
    assert response.status_code == 200
    assert "dave" in [m["username"] for m in response.get_json()["members"]]
    assert dave in member_ids(app, group)


def test_adding_a_non_friend_is_forbidden(app, friends_and_stranger, group, as_alice):
    dave = friends_and_stranger[3]
    client, headers = as_alice
    response = client.post(f"{API}/groups/{group}/members", json={"user_ids": [dave]}, headers=headers)
    body = assert_error(response, 403, "user_ids")
    assert body["message"] == "You can only add your own friends."
    assert dave not in member_ids(app, group)


def test_adding_only_people_already_in_is_refused(app, friends_and_stranger, group, as_alice):
    client, headers = as_alice
    response = client.post(f"{API}/groups/{group}/members", json={"user_ids": [friends_and_stranger[1]]},
                           headers=headers)
    assert_error(response, 400, "user_ids")
    assert len(member_ids(app, group)) == 3


def test_added_friend_sees_the_group(app, friends_and_stranger, as_alice):
    alice, bob, *_ = friends_and_stranger
    group = make_group(app, alice, "Later")
    client, headers = as_alice
    client.post(f"{API}/groups/{group}/members", json={"user_ids": [bob]}, headers=headers)
    bob_client, _ = quick_client(app, "bob")
    assert listed(bob_client) == [("Later", 2)]
    assert bob_client.get(f"/groups/{group}").status_code == 200


# Owner powers

def test_owner_renames_the_group(app, friends_and_stranger, group, as_alice):
    client, headers = as_alice
    response = client.patch(f"{API}/groups/{group}", json={"name": "Climbers"}, headers=headers)
    assert response.get_json()["name"] == "Climbers"
    assert listed(quick_client(app, "bob")[0]) == [("Climbers", 3)]


def test_rename_to_a_bad_name_names_the_field(app, friends_and_stranger, group, as_alice):
    client, headers = as_alice
    response = client.patch(f"{API}/groups/{group}", json={"name": "x" * 51}, headers=headers)
    assert_error(response, 400, "name")
    assert group_row(app, group).name == "Hikers"


def test_only_the_owner_may_rename_remove_manage_the_link_or_dissolve(app, friends_and_stranger, group):
    alice, bob, carol, _ = friends_and_stranger
    client, headers = quick_client(app, "bob")
    calls = [
        ("patch", f"{API}/groups/{group}", {"name": "Mine now"}),
        ("delete", f"{API}/groups/{group}/members/{carol}", None),
        ("put", f"{API}/groups/{group}/invite", {"enabled": True}),
        ("delete", f"{API}/groups/{group}", None),
    ]
    for method, path, body in calls:
        response = getattr(client, method)(path, json=body, headers=headers)
        assert assert_error(response, 403)["message"] == "Only the group's owner can do this.", path
    assert member_ids(app, group) == {alice, bob, carol}
    row = group_row(app, group)
    assert (row.name, row.invite_code, row.dissolved_at) == ("Hikers", None, None)


def test_owner_removes_a_member(app, friends_and_stranger, group, as_alice):
    carol = friends_and_stranger[2]
    client, headers = as_alice
    assert client.delete(f"{API}/groups/{group}/members/{carol}", headers=headers).status_code == 204
    assert carol not in member_ids(app, group)
    carol_client, _ = quick_client(app, "carol")
    assert listed(carol_client) == []
    assert carol_client.get(f"/groups/{group}").status_code == 404


def test_owner_cannot_remove_themselves(app, friends_and_stranger, group, as_alice):
    client, headers = as_alice
    alice = friends_and_stranger[0]
    body = assert_error(client.delete(f"{API}/groups/{group}/members/{alice}", headers=headers), 400)
    assert body["message"] == "To leave your own group, quit it."
    assert friends_and_stranger[0] in member_ids(app, group)


def test_removing_someone_not_in_the_group_is_404(app, friends_and_stranger, group, as_alice):
    client, headers = as_alice
    assert_error(client.delete(f"{API}/groups/{group}/members/{friends_and_stranger[3]}", headers=headers), 404)


def test_owner_dissolves_the_group_for_everyone(app, friends_and_stranger, group, as_alice):
    client, headers = as_alice
    assert client.delete(f"{API}/groups/{group}", headers=headers).status_code == 204
    for name in ("alice", "bob", "carol"):
        member_client, _ = quick_client(app, name)
        assert listed(member_client) == []
        assert member_client.get(f"/groups/{group}").status_code == 404


def test_only_the_owner_sees_the_invite_link(app, friends_and_stranger, group):
    code = invite_code(app, friends_and_stranger[0], group)
    owner_view = quick_client(app, "alice")[0].get(f"{API}/groups/{group}").get_json()
    member_view = quick_client(app, "bob")[0].get(f"{API}/groups/{group}").get_json()
    assert owner_view["invite_url"].endswith(f"/groups/join/{code}")
    assert member_view["invite_url"] is None
    assert code not in quick_client(app, "bob")[0].get(f"/groups/{group}").get_data(as_text=True)
