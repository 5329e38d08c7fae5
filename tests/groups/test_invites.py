"""Group invite links (joining through the link page, turning it off or renewing it) and the
size limit a group may not pass, by creating, adding or joining."""
from tests.support.api import API, assert_error
from tests.support.factories import invite_code, join_group, make_group, member_ids, quit_group
from tests.support.groups import FULL, group_count, listed
from tests.support.login import csrf_from, quick_client


# Invite links

def create_link(client, headers, group, enabled=True):
    response = client.put(f"{API}/groups/{group}/invite", json={"enabled": enabled}, headers=headers)
    assert response.status_code == 200
    return response.get_json()["invite_url"]


def path_of(url: str) -> str:
    return "/groups/join/" + url.rsplit("/", 1)[1]


def test_anyone_logged_in_can_join_with_the_link_page(app, friends_and_stranger, group, as_alice):
    url = create_link(*as_alice, group)
    dave = friends_and_stranger[3]
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


def test_joining_with_the_link_page_needs_the_csrf_token(app, friends_and_stranger, group, as_alice):
    url = create_link(*as_alice, group)
    client, _ = quick_client(app, "dave")
    assert client.post(path_of(url), data={}).status_code == 400
    assert friends_and_stranger[3] not in member_ids(app, group)


def test_join_page_needs_login(app, friends_and_stranger, group, as_alice, client):
    url = create_link(*as_alice, group)
    response = client.get(path_of(url))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_join_page_tells_a_member_they_are_in(app, friends_and_stranger, group, as_alice):
    url = create_link(*as_alice, group)
    html = quick_client(app, "bob")[0].get(path_of(url)).get_data(as_text=True)
    assert "You are already a member." in html and "Join group</button>" not in html


def test_posting_the_join_form_as_a_member_says_so_and_changes_nothing(app, friends_and_stranger, group, as_alice):
    url = create_link(*as_alice, group)
    client, _ = quick_client(app, "bob")
    html = client.get(path_of(url)).get_data(as_text=True)
    response = client.post(path_of(url), data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "You are already a member." in page and "You joined" not in page
    assert len(member_ids(app, group)) == 3


def test_joining_through_the_api_with_the_code(app, friends_and_stranger, group, as_alice):
    code = path_of(create_link(*as_alice, group)).rsplit("/", 1)[1]
    client, headers = quick_client(app, "dave")
    response = client.post(f"{API}/groups/join", json={"code": code}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["member_count"] == 4
    assert listed(client) == [("Hikers", 4)]


def test_joining_twice_changes_nothing(app, friends_and_stranger, group):
    code = invite_code(app, friends_and_stranger[0], group)
    client, headers = quick_client(app, "bob")
    response = client.post(f"{API}/groups/join", json={"code": code}, headers=headers)
    assert response.get_json()["member_count"] == 3


def test_resetting_the_link_kills_the_old_one(app, friends_and_stranger, group, as_alice):
    old = create_link(*as_alice, group)
    new = create_link(*as_alice, group)
    assert new != old
    client, headers = quick_client(app, "dave")
    assert client.get(path_of(old)).status_code == 404
    old_code = old.rsplit("/", 1)[1]
    body = assert_error(client.post(f"{API}/groups/join", json={"code": old_code}, headers=headers), 404)
    assert body["message"] == "This invite link is not valid any more. Ask for a new one."
    assert client.get(path_of(new)).status_code == 200
    assert friends_and_stranger[3] not in member_ids(app, group)


def test_turned_off_link_no_longer_works(app, friends_and_stranger, group, as_alice):
    url = create_link(*as_alice, group)
    assert create_link(*as_alice, group, enabled=False) is None
    client, headers = quick_client(app, "dave")
    assert client.get(path_of(url)).status_code == 404
    response = client.post(f"{API}/groups/join", json={"code": url.rsplit("/", 1)[1]}, headers=headers)
    assert_error(response, 404)
    assert friends_and_stranger[3] not in member_ids(app, group)


def test_link_of_a_dissolved_group_no_longer_works(app, friends_and_stranger, group, as_alice):
    url = create_link(*as_alice, group)
    client, headers = as_alice
    client.delete(f"{API}/groups/{group}", headers=headers)
    assert quick_client(app, "dave")[0].get(path_of(url)).status_code == 404


# Size limit (the `small` app of tests/groups/conftest.py)

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
