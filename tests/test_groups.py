"""Group chats: creating, listing, members, owner powers, invite links, quitting and size."""
import re

import pytest
from sqlalchemy import func, select

from blueprints.groups import services as groups
from extensions import db
from models import Conversation, User
from tests.conftest import csrf_from, make_app
from tests.helpers import (add_to_group, assert_error, at_once, invite_code, join_group, make_friends,
                           make_group, make_user, member_ids, quick_client, quit_group)

API = "/api/v1"


def group_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Conversation)
                                 .where(Conversation.kind == "group"))


def group_row(app, group_id) -> Conversation:
    with app.app_context():
        group = db.session.get(Conversation, group_id)
        db.session.expunge(group)
        return group


def listed(client) -> list[tuple[str, int]]:
    response = client.get(f"{API}/groups")
    assert response.status_code == 200
    return [(g["name"], g["member_count"]) for g in response.get_json()["items"]]


@pytest.fixture
def people(app):
    """alice (friends with bob and carol), bob, carol, and dave who knows no one."""
    alice, bob, carol, dave = (make_user(app, name) for name in ("alice", "bob", "carol", "dave"))
    make_friends(app, alice, bob)
    make_friends(app, alice, carol)
    return alice, bob, carol, dave


@pytest.fixture
def as_alice(app, people):
    return quick_client(app, "alice")


@pytest.fixture
def group(app, people):
    """'Hikers', owned by alice, with bob and carol."""
    alice, bob, carol, _dave = people
    return make_group(app, alice, "Hikers", [bob, carol])


# Creating

def test_creator_owns_the_new_group(app, people, as_alice):
    alice, bob, *_ = people
    client, headers = as_alice
    response = client.post(f"{API}/groups", json={"name": "Book club", "member_ids": [bob]},
                           headers=headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["name"] == "Book club" and body["owner_id"] == alice and body["member_count"] == 2
    owners = {m["username"]: m["is_owner"] for m in body["members"]}
    assert owners == {"alice": True, "bob": False}


def test_group_with_no_initial_members_has_just_the_owner(app, people, as_alice):
    client, headers = as_alice
    body = client.post(f"{API}/groups", json={"name": "Solo"}, headers=headers).get_json()
    assert [m["username"] for m in body["members"]] == ["alice"]


def test_group_name_must_be_1_to_50_characters(app, people, as_alice):
    client, headers = as_alice
    for name in ("", "   ", "x" * 51):
        response = client.post(f"{API}/groups", json={"name": name}, headers=headers)
        body = assert_error(response, 400, "name")
        assert body["errors"]["name"] == ["Give the group a name of 1 to 50 characters."]
    assert group_count(app) == 0


def test_group_name_of_50_characters_is_kept_whole(app, people, as_alice):
    client, headers = as_alice
    response = client.post(f"{API}/groups", json={"name": "名" * 50}, headers=headers)
    assert response.get_json()["name"] == "名" * 50


def test_initial_members_must_be_your_friends(app, people, as_alice):
    _alice, bob, _carol, dave = people
    client, headers = as_alice
    response = client.post(f"{API}/groups", json={"name": "Mixed", "member_ids": [bob, dave]},
                           headers=headers)
    body = assert_error(response, 403, "member_ids")
    assert body["errors"]["member_ids"] == ["You can only add your own friends."]
    assert group_count(app) == 0


# Listing and reading

def test_group_list_shows_name_and_member_count(app, people, group, as_alice):
    client, _ = as_alice
    assert listed(client) == [("Hikers", 3)]
    html = client.get("/groups").get_data(as_text=True)
    assert "<strong>Hikers</strong>" in html and "3 members" in html


def test_group_list_puts_newest_activity_first(app, people, as_alice):
    alice, bob, carol, _ = people
    older = make_group(app, alice, "Older")
    make_group(app, alice, "Newer")
    assert listed(as_alice[0]) == [("Newer", 1), ("Older", 1)]
    add_to_group(app, alice, older, bob)
    assert listed(as_alice[0]) == [("Older", 2), ("Newer", 1)]


def test_group_page_shows_its_members(app, people, group, as_alice):
    client, _ = as_alice
    html = client.get(f"/groups/{group}").get_data(as_text=True)
    assert re.search(r'data-testid="group-name">Hikers<', html)
    names = re.findall(r'<li class="person" data-user-id="\d+" data-name="([^"]+)"', html)
    assert sorted(names) == ["Alice", "Bob", "Carol"]
    assert "3 members" in html


def test_api_shows_group_members(app, people, group, as_alice):
    body = as_alice[0].get(f"{API}/groups/{group}").get_json()
    assert sorted(m["username"] for m in body["members"]) == ["alice", "bob", "carol"]


def test_non_member_gets_404_everywhere_and_changes_nothing(app, people, group):
    alice, bob, carol, dave = people
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

def test_any_member_can_add_their_own_friends(app, people, group):
    _alice, bob, _carol, dave = people
    make_friends(app, bob, dave)  # dave is Bob's friend, not Alice's
    client, headers = quick_client(app, "bob")
    response = client.post(f"{API}/groups/{group}/members", json={"user_ids": [dave]}, headers=headers)
    assert response.status_code == 200
    assert "dave" in [m["username"] for m in response.get_json()["members"]]
    assert dave in member_ids(app, group)


def test_adding_a_non_friend_is_forbidden(app, people, group, as_alice):
    dave = people[3]
    client, headers = as_alice
    response = client.post(f"{API}/groups/{group}/members", json={"user_ids": [dave]}, headers=headers)
    body = assert_error(response, 403, "user_ids")
    assert body["message"] == "You can only add your own friends."
    assert dave not in member_ids(app, group)


def test_adding_only_people_already_in_is_refused(app, people, group, as_alice):
    client, headers = as_alice
    response = client.post(f"{API}/groups/{group}/members", json={"user_ids": [people[1]]},
                           headers=headers)
    assert_error(response, 400, "user_ids")
    assert len(member_ids(app, group)) == 3


def test_added_friend_sees_the_group(app, people, as_alice):
    alice, bob, *_ = people
    group = make_group(app, alice, "Later")
    client, headers = as_alice
    client.post(f"{API}/groups/{group}/members", json={"user_ids": [bob]}, headers=headers)
    bob_client, _ = quick_client(app, "bob")
    assert listed(bob_client) == [("Later", 2)]
    assert bob_client.get(f"/groups/{group}").status_code == 200


# Owner powers

def test_owner_renames_the_group(app, people, group, as_alice):
    client, headers = as_alice
    response = client.patch(f"{API}/groups/{group}", json={"name": "Climbers"}, headers=headers)
    assert response.get_json()["name"] == "Climbers"
    assert listed(quick_client(app, "bob")[0]) == [("Climbers", 3)]


def test_rename_to_a_bad_name_names_the_field(app, people, group, as_alice):
    client, headers = as_alice
    response = client.patch(f"{API}/groups/{group}", json={"name": "x" * 51}, headers=headers)
    assert_error(response, 400, "name")
    assert group_row(app, group).name == "Hikers"


def test_only_the_owner_may_rename_remove_manage_the_link_or_dissolve(app, people, group):
    alice, bob, carol, _ = people
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


def test_owner_removes_a_member(app, people, group, as_alice):
    carol = people[2]
    client, headers = as_alice
    assert client.delete(f"{API}/groups/{group}/members/{carol}", headers=headers).status_code == 204
    assert carol not in member_ids(app, group)
    carol_client, _ = quick_client(app, "carol")
    assert listed(carol_client) == []
    assert carol_client.get(f"/groups/{group}").status_code == 404


def test_owner_cannot_remove_themselves(app, people, group, as_alice):
    client, headers = as_alice
    body = assert_error(client.delete(f"{API}/groups/{group}/members/{people[0]}", headers=headers), 400)
    assert body["message"] == "To leave your own group, quit it."
    assert people[0] in member_ids(app, group)


def test_removing_someone_not_in_the_group_is_404(app, people, group, as_alice):
    client, headers = as_alice
    assert_error(client.delete(f"{API}/groups/{group}/members/{people[3]}", headers=headers), 404)


def test_owner_dissolves_the_group_for_everyone(app, people, group, as_alice):
    client, headers = as_alice
    assert client.delete(f"{API}/groups/{group}", headers=headers).status_code == 204
    for name in ("alice", "bob", "carol"):
        member_client, _ = quick_client(app, name)
        assert listed(member_client) == []
        assert member_client.get(f"/groups/{group}").status_code == 404


def test_only_the_owner_sees_the_invite_link(app, people, group):
    code = invite_code(app, people[0], group)
    owner_view = quick_client(app, "alice")[0].get(f"{API}/groups/{group}").get_json()
    member_view = quick_client(app, "bob")[0].get(f"{API}/groups/{group}").get_json()
    assert owner_view["invite_url"].endswith(f"/groups/join/{code}")
    assert member_view["invite_url"] is None
    assert code not in quick_client(app, "bob")[0].get(f"/groups/{group}").get_data(as_text=True)


# Invite links

def create_link(client, headers, group, enabled=True):
    response = client.put(f"{API}/groups/{group}/invite", json={"enabled": enabled}, headers=headers)
    assert response.status_code == 200
    return response.get_json()["invite_url"]


def path_of(url: str) -> str:
    return "/groups/join/" + url.rsplit("/", 1)[1]


def test_anyone_logged_in_can_join_with_the_link_page(app, people, group, as_alice):
    url = create_link(*as_alice, group)
    dave = people[3]
    client, _ = quick_client(app, "dave")
    page = client.get(path_of(url))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Join Hikers" in html and "3 members" in html
    response = client.post(path_of(url), data={"csrf_token": csrf_from(html)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/groups/{group}")
    assert dave in member_ids(app, group)
    assert "You joined Hikers." in client.get(f"/groups/{group}").get_data(as_text=True)


def test_joining_with_the_link_page_needs_the_csrf_token(app, people, group, as_alice):
    url = create_link(*as_alice, group)
    client, _ = quick_client(app, "dave")
    assert client.post(path_of(url), data={}).status_code == 400
    assert people[3] not in member_ids(app, group)


def test_join_page_needs_login(app, people, group, as_alice, client):
    url = create_link(*as_alice, group)
    response = client.get(path_of(url))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_join_page_tells_a_member_they_are_in(app, people, group, as_alice):
    url = create_link(*as_alice, group)
    html = quick_client(app, "bob")[0].get(path_of(url)).get_data(as_text=True)
    assert "You are already a member." in html and "Join group</button>" not in html


def test_posting_the_join_form_as_a_member_says_so_and_changes_nothing(app, people, group, as_alice):
    url = create_link(*as_alice, group)
    client, _ = quick_client(app, "bob")
    html = client.get(path_of(url)).get_data(as_text=True)
    response = client.post(path_of(url), data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "You are already a member." in page and "You joined" not in page
    assert len(member_ids(app, group)) == 3


def test_joining_through_the_api_with_the_code(app, people, group, as_alice):
    code = path_of(create_link(*as_alice, group)).rsplit("/", 1)[1]
    client, headers = quick_client(app, "dave")
    response = client.post(f"{API}/groups/join", json={"code": code}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["member_count"] == 4
    assert listed(client) == [("Hikers", 4)]


def test_joining_twice_changes_nothing(app, people, group):
    code = invite_code(app, people[0], group)
    client, headers = quick_client(app, "bob")
    response = client.post(f"{API}/groups/join", json={"code": code}, headers=headers)
    assert response.get_json()["member_count"] == 3


def test_resetting_the_link_kills_the_old_one(app, people, group, as_alice):
    old = create_link(*as_alice, group)
    new = create_link(*as_alice, group)
    assert new != old
    client, headers = quick_client(app, "dave")
    assert client.get(path_of(old)).status_code == 404
    old_code = old.rsplit("/", 1)[1]
    body = assert_error(client.post(f"{API}/groups/join", json={"code": old_code}, headers=headers), 404)
    assert body["message"] == "This invite link is not valid any more. Ask for a new one."
    assert client.get(path_of(new)).status_code == 200
    assert people[3] not in member_ids(app, group)


def test_turned_off_link_no_longer_works(app, people, group, as_alice):
    url = create_link(*as_alice, group)
    assert create_link(*as_alice, group, enabled=False) is None
    client, headers = quick_client(app, "dave")
    assert client.get(path_of(url)).status_code == 404
    response = client.post(f"{API}/groups/join", json={"code": url.rsplit("/", 1)[1]}, headers=headers)
    assert_error(response, 404)
    assert people[3] not in member_ids(app, group)


def test_link_of_a_dissolved_group_no_longer_works(app, people, group, as_alice):
    url = create_link(*as_alice, group)
    client, headers = as_alice
    client.delete(f"{API}/groups/{group}", headers=headers)
    assert quick_client(app, "dave")[0].get(path_of(url)).status_code == 404


# Size limit

@pytest.fixture
def small_app(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path, GROUP_MAX_MEMBERS=3)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def small(small_app):
    """An app whose groups hold 3 people; alice is friends with bob, carol and dave."""
    ids = [make_user(small_app, name) for name in ("alice", "bob", "carol", "dave", "erin")]
    for friend in ids[1:4]:
        make_friends(small_app, ids[0], friend)
    return small_app, ids


FULL = "A group can have at most 3 members."


def test_creating_a_group_over_the_size_limit_is_refused(small):
    app, (alice, bob, carol, dave, _erin) = small
    client, headers = quick_client(app, "alice")
    response = client.post(f"{API}/groups", json={"name": "Big", "member_ids": [bob, carol, dave]},
                           headers=headers)
    assert assert_error(response, 409, "member_ids")["errors"]["member_ids"] == [FULL]
    assert group_count(app) == 0


def test_adding_past_the_size_limit_is_refused(small):
    app, (alice, bob, carol, dave, _erin) = small
    group = make_group(app, alice, "Trio", [bob, carol])
    client, headers = quick_client(app, "alice")
    response = client.post(f"{API}/groups/{group}/members", json={"user_ids": [dave]}, headers=headers)
    assert assert_error(response, 409)["message"] == FULL
    assert member_ids(app, group) == {alice, bob, carol}


def test_joining_a_full_group_is_refused_with_a_clear_message(small):
    app, (alice, bob, carol, _dave, erin) = small
    group = make_group(app, alice, "Trio", [bob, carol])
    code = invite_code(app, alice, group)
    client, headers = quick_client(app, "erin")
    response = client.post(f"{API}/groups/join", json={"code": code}, headers=headers)
    assert assert_error(response, 409)["message"] == FULL
    page = client.get(f"/groups/join/{code}").get_data(as_text=True)
    response = client.post(f"/groups/join/{code}", data={"csrf_token": csrf_from(page)},
                           follow_redirects=True)
    assert FULL in response.get_data(as_text=True)
    assert erin not in member_ids(app, group)


def test_a_full_group_has_room_again_after_someone_quits(small):
    app, (alice, bob, carol, _dave, erin) = small
    group = make_group(app, alice, "Trio", [bob, carol])
    code = invite_code(app, alice, group)
    quit_group(app, carol, group)
    join_group(app, erin, code)
    assert member_ids(app, group) == {alice, bob, erin}


# Quitting

def test_member_quits_and_loses_the_group(app, people, group):
    alice, bob, carol, _ = people
    client, headers = quick_client(app, "bob")
    assert client.post(f"{API}/groups/{group}/quit", headers=headers).status_code == 204
    assert listed(client) == []
    assert client.get(f"/groups/{group}").status_code == 404
    assert member_ids(app, group) == {alice, carol}
    assert group_row(app, group).owner_id == alice


def test_owner_quitting_passes_ownership_to_the_earliest_joined(app, people):
    alice, bob, carol, _ = people
    group = make_group(app, alice, "Relay", [carol])  # carol joins first, though bob's id is lower
    add_to_group(app, alice, group, bob)
    client, headers = quick_client(app, "alice")
    client.post(f"{API}/groups/{group}/quit", headers=headers)
    assert group_row(app, group).owner_id == carol
    body = quick_client(app, "carol")[0].get(f"{API}/groups/{group}").get_json()
    assert {m["username"]: m["is_owner"] for m in body["members"]} == {"carol": True, "bob": False}


def test_new_owner_can_use_owner_powers(app, people, group):
    quit_group(app, people[0], group)
    new_owner = "bob" if group_row(app, group).owner_id == people[1] else "carol"
    client, headers = quick_client(app, new_owner)
    response = client.patch(f"{API}/groups/{group}", json={"name": "Renamed"}, headers=headers)
    assert response.status_code == 200


def test_last_member_quitting_dissolves_the_group(app, people, as_alice):
    group = make_group(app, people[0], "Alone")
    client, headers = as_alice
    assert client.post(f"{API}/groups/{group}/quit", headers=headers).status_code == 204
    assert listed(client) == []
    assert client.get(f"/groups/{group}").status_code == 404
    assert group_row(app, group).dissolved_at is not None


def test_groups_page_has_a_quit_menu(app, people, group, as_alice):
    html = as_alice[0].get("/groups").get_data(as_text=True)
    assert re.search(rf'data-menu="group-menu" data-group-id="{group}"', html)
    menu = re.search(r'<div id="group-menu"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert 'data-action="quit-group"' in menu and "Quit group" in menu


# Changes at the same moment

def joins(user_id, code):
    """An action for at_once: `user_id` joins with invite `code`."""
    def action():
        groups.join_by_invite(db.session.get(User, user_id), code)
        return "joined"
    return action


def quits(user_id, group_id):
    """An action for at_once: `user_id` quits the group."""
    def action():
        groups.quit_group(db.session.get(User, user_id), group_id)
        return "left"
    return action


def test_two_people_taking_the_last_place_at_once_do_not_overfill_the_group(small):
    app, (alice, bob, *_rest) = small
    for round_ in range(4):
        group = make_group(app, alice, f"Trio {round_}", [bob])
        code = invite_code(app, alice, group)
        first, second = make_user(app, f"first{round_}"), make_user(app, f"second{round_}")
        results = at_once(app, joins(first, code), joins(second, code))
        assert sorted(map(str, results)) == [FULL, "joined"]
        assert len(member_ids(app, group)) == 3


def test_joining_twice_at_once_adds_the_person_once(app, people, group):
    code = invite_code(app, people[0], group)
    dave = people[3]
    for _round in range(3):
        assert at_once(app, joins(dave, code), joins(dave, code)) == ["joined", "joined"]
        assert member_ids(app, group) == {*people}
        quit_group(app, dave, group)


def test_last_two_members_quitting_at_once_dissolve_the_group(app, people):
    alice, bob, *_ = people
    for round_ in range(4):
        group = make_group(app, alice, f"Pair {round_}", [bob])
        assert at_once(app, quits(alice, group), quits(bob, group)) == ["left", "left"]
        assert member_ids(app, group) == set()
        assert group_row(app, group).dissolved_at is not None
