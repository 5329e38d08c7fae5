"""Quitting a group (the owner's place passing on, the last member dissolving it) and changes
to one group made at the same moment."""
import re

from blueprints.groups import services as groups
from extensions import db
from models import User
from tests.support.api import API
from tests.support.factories import (add_to_group, at_once, invite_code, make_group, make_user, member_ids,
                                     quit_group)
from tests.support.groups import FULL, group_row, listed
from tests.support.login import quick_client


# Quitting

def test_member_quits_and_loses_the_group(app, friends_and_stranger, group):
    alice, bob, carol, _ = friends_and_stranger
    client, headers = quick_client(app, "bob")
    assert client.post(f"{API}/groups/{group}/quit", headers=headers).status_code == 204
    assert listed(client) == []
    assert client.get(f"/groups/{group}").status_code == 404
    assert member_ids(app, group) == {alice, carol}
    assert group_row(app, group).owner_id == alice


def test_owner_quitting_passes_ownership_to_the_earliest_joined(app, friends_and_stranger):
    alice, bob, carol, _ = friends_and_stranger
    group = make_group(app, alice, "Relay", [carol])  # carol joins first, though bob's id is lower
    add_to_group(app, alice, group, bob)
    client, headers = quick_client(app, "alice")
    client.post(f"{API}/groups/{group}/quit", headers=headers)
    assert group_row(app, group).owner_id == carol
    body = quick_client(app, "carol")[0].get(f"{API}/groups/{group}").get_json()
    assert {m["username"]: m["is_owner"] for m in body["members"]} == {"carol": True, "bob": False}


def test_new_owner_can_use_owner_powers(app, friends_and_stranger, group):
    quit_group(app, friends_and_stranger[0], group)
    new_owner = "bob" if group_row(app, group).owner_id == friends_and_stranger[1] else "carol"
    client, headers = quick_client(app, new_owner)
    response = client.patch(f"{API}/groups/{group}", json={"name": "Renamed"}, headers=headers)
    assert response.status_code == 200


def test_last_member_quitting_dissolves_the_group(app, friends_and_stranger, as_alice):
    group = make_group(app, friends_and_stranger[0], "Alone")
    client, headers = as_alice
    assert client.post(f"{API}/groups/{group}/quit", headers=headers).status_code == 204
    assert listed(client) == []
    assert client.get(f"/groups/{group}").status_code == 404
    assert group_row(app, group).dissolved_at is not None


def test_groups_page_has_a_quit_menu(app, friends_and_stranger, group, as_alice):
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


def test_joining_twice_at_once_adds_the_person_once(app, friends_and_stranger, group):
    code = invite_code(app, friends_and_stranger[0], group)
    dave = friends_and_stranger[3]
    for _round in range(3):
        assert at_once(app, joins(dave, code), joins(dave, code)) == ["joined", "joined"]
        assert member_ids(app, group) == {*friends_and_stranger}
        quit_group(app, dave, group)


def test_last_two_members_quitting_at_once_dissolve_the_group(app, friends_and_stranger):
    alice, bob, *_ = friends_and_stranger
    for round_ in range(4):
        group = make_group(app, alice, f"Pair {round_}", [bob])
        assert at_once(app, quits(alice, group), quits(bob, group)) == ["left", "left"]
        assert member_ids(app, group) == set()
        assert group_row(app, group).dissolved_at is not None
