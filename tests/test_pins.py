"""Pins through /api/v1/messages/<id>/pin and /api/v1/conversations/<id>/pins: who may pin
(a group's owner, either person of a direct conversation), the limit, recalled messages, the
list members see, and the pin events the others receive live and replay."""
import re


from blueprints.pins import services
from core.errors import Conflict
from extensions import db
from models import User
from tests.support.api import API, assert_error, recall, send_text
from tests.support.events import cursor, events_of
from tests.support.factories import add_to_group, at_once, make_friends, make_user
from tests.support.races import during_open_recall


def pin(browser, message_id: int):
    client, headers = browser
    return client.post(f"{API}/messages/{message_id}/pin", headers=headers)


def unpin(browser, message_id: int):
    client, headers = browser
    return client.delete(f"{API}/messages/{message_id}/pin", headers=headers)


def pins(browser, conversation_id: int):
    client, _headers = browser
    return client.get(f"{API}/conversations/{conversation_id}/pins")


def pinned_ids(browser, conversation_id: int) -> list[int]:
    response = pins(browser, conversation_id)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["message_id"] for item in response.get_json()["items"]]


# Who may pin

def test_group_owner_pins_and_every_member_sees_it(app, group, as_):
    message = send_text(as_("bob"), group, "Meet at the trailhead at 7")
    response = pin(as_("alice"), message["id"])
    assert response.status_code == 201, response.get_data(as_text=True)
    item = response.get_json()
    assert item["message_id"] == message["id"] and item["pinned_by"]["nickname"] == "Alice"
    assert item["message"]["sender"]["nickname"] == "Bob"
    assert (item["message"]["kind"], item["message"]["snippet"]) == ("text", "Meet at the trailhead at 7")
    listed = pins(as_("carol"), group).get_json()
    assert listed["items"] == [item] and listed["can_pin"] is False
    assert pins(as_("alice"), group).get_json()["can_pin"] is True


def test_other_group_members_cannot_pin_or_unpin(app, group, as_):
    message = send_text(as_("bob"), group, "hi")
    assert_error(pin(as_("bob"), message["id"]), 403)
    pin(as_("alice"), message["id"])
    assert_error(unpin(as_("carol"), message["id"]), 403)
    assert pinned_ids(as_("bob"), group) == [message["id"]]


def test_either_person_of_a_direct_conversation_pins_and_unpins(app, direct, as_):
    first = send_text(as_("alice"), direct, "address: 1 Main St")
    second = send_text(as_("alice"), direct, "code 4321")
    assert pin(as_("bob"), first["id"]).status_code == 201
    assert pin(as_("alice"), second["id"]).status_code == 201
    assert pinned_ids(as_("bob"), direct) == [second["id"], first["id"]]  # newest pin first
    assert unpin(as_("alice"), first["id"]).status_code == 204
    assert pinned_ids(as_("alice"), direct) == [second["id"]]


def test_someone_outside_the_conversation_cannot_pin_or_list(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    assert_error(pin(as_("dave"), message["id"]), 404)
    assert_error(pins(as_("dave"), group), 404)
    assert_error(pin(as_("alice"), 10**6), 404)


def test_pinning_again_keeps_one_pin(app, group, as_):
    message = send_text(as_("alice"), group, "hi")
    assert pin(as_("alice"), message["id"]).status_code == 201
    assert pin(as_("alice"), message["id"]).status_code == 200
    assert pinned_ids(as_("alice"), group) == [message["id"]]


def test_unpinning_what_is_not_pinned_changes_nothing(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hi")
    after = cursor(app)
    assert unpin(as_("alice"), message["id"]).status_code == 204
    assert events_of(app, alice_and_friends[0], after) == []


def test_pins_beyond_the_limit_are_refused(app, group, as_):
    app.config["PINS_MAX"] = 2
    ids = [send_text(as_("alice"), group, f"note {n}")["id"] for n in range(3)]
    pin(as_("alice"), ids[0])
    pin(as_("alice"), ids[1])
    assert "2" in assert_error(pin(as_("alice"), ids[2]), 409)["message"]
    unpin(as_("alice"), ids[0])
    assert pin(as_("alice"), ids[2]).status_code == 201


def test_two_pins_at_once_cannot_pass_the_limit(app, alice_and_friends, group, as_):
    app.config["PINS_MAX"] = 1
    ids = [send_text(as_("alice"), group, f"note {n}")["id"] for n in range(2)]
    alice = alice_and_friends[0]

    def pinning(message_id):
        return lambda: services.pin_message(db.session.get(User, alice), message_id)[1]
    outcomes = at_once(app, pinning(ids[0]), pinning(ids[1]))
    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Conflict", "bool"]
    # One pin lands (pin_message says True); the other meets the limit (Conflict).
    assert [outcome for outcome in outcomes if outcome is True] == [True]
    assert len([outcome for outcome in outcomes if isinstance(outcome, Conflict)]) == 1
    assert len(pinned_ids(as_("bob"), group)) == 1


# Recalled messages

def test_a_pin_waiting_for_a_recall_finds_the_message_recalled(app, group, as_):
    # The recall's write is held open on a connection of its own; the pin, started meanwhile,
    # must not land on the recalled message once the recall commits.
    message = send_text(as_("alice"), group, "the old plan")
    response = during_open_recall(app, message["id"], lambda: pin(as_("alice"), message["id"]))
    assert_error(response, 409)
    assert pinned_ids(as_("alice"), group) == []


def test_recalled_message_cannot_be_pinned(app, group, as_):
    message = send_text(as_("alice"), group, "oops")
    recall(as_("alice"), message["id"])
    assert_error(pin(as_("alice"), message["id"]), 409)


def test_recalling_a_pinned_message_unpins_it_for_everyone(app, alice_and_friends, group, as_):
    alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("bob"), group, "wrong time")
    pin(as_("alice"), message["id"])
    after = cursor(app)
    assert recall(as_("bob"), message["id"]).status_code == 200
    assert pinned_ids(as_("carol"), group) == []
    for person in (alice, bob, carol):
        assert events_of(app, person, after, "message.unpinned") == [(
            "message.unpinned", {"conversation_id": group, "message_id": message["id"], "by": bob})]


# Events

def test_members_receive_pins_and_unpins_and_outsiders_do_not(app, alice_and_friends, group, as_):
    alice, bob, carol, dave = alice_and_friends
    message = send_text(as_("bob"), group, "hi")
    after = cursor(app)
    item = pin(as_("alice"), message["id"]).get_json()
    unpin(as_("alice"), message["id"])
    for person in (alice, bob, carol):
        assert events_of(app, person, after) == [
            ("message.pinned", {"conversation_id": group, "pin": item}),
            ("message.unpinned", {"conversation_id": group, "message_id": message["id"], "by": alice})]
    assert events_of(app, dave, after) == []


def test_a_member_who_joins_later_sees_no_pin_of_a_message_from_before(app, alice_and_friends, group, as_):
    # Erin cannot see what was said before she joined: neither its pin in the list, nor the
    # pin events (their `message` line would show her its text); pins of later messages, yes.
    alice, bob, _carol, _dave = alice_and_friends
    old = send_text(as_("alice"), group, "the old plan")
    pin(as_("alice"), old["id"])
    erin = make_user(app, "erin")
    make_friends(app, alice, erin)
    add_to_group(app, alice, group, erin)
    assert pinned_ids(as_("erin"), group) == []
    after = cursor(app)
    unpin(as_("alice"), old["id"])
    pin(as_("alice"), old["id"])
    assert [kind for kind, _data in events_of(app, erin, after)] == []
    assert [kind for kind, _data in events_of(app, bob, after)] == ["message.unpinned", "message.pinned"]
    new = send_text(as_("alice"), group, "the new plan")
    pin(as_("alice"), new["id"])
    assert pinned_ids(as_("erin"), group) == [new["id"]]
    assert [kind for kind, _data in events_of(app, erin, after)] == ["message.created", "message.pinned"]
    assert pinned_ids(as_("bob"), group) == [new["id"], old["id"]]
    after = cursor(app)
    recall(as_("alice"), old["id"])  # its unpin, too, is for those who can see it
    assert [kind for kind, _data in events_of(app, erin, after)] == ["message.recalled"]
    assert [kind for kind, _data in events_of(app, bob, after)] == ["message.unpinned", "message.recalled"]


def test_the_chat_page_comes_with_its_pins_newest_first(app, group, as_):
    first = send_text(as_("alice"), group, "first rule")
    second = send_text(as_("alice"), group, "second rule")
    pin(as_("alice"), first["id"])
    pin(as_("alice"), second["id"])
    client, _headers = as_("bob")
    html = client.get(f"/chat/{group}").get_data(as_text=True)
    bar = html[html.index('data-testid="pinned"'):html.index('<template id="pin-item">')]
    assert re.findall(r'data-pin-id="(\d+)"', bar) == [str(second["id"]), str(first["id"])]
    assert "second rule" in bar and "data-unpin" not in bar  # bob may not unpin
    owner_html = as_("alice")[0].get(f"/chat/{group}").get_data(as_text=True)
    assert "data-unpin" in owner_html[owner_html.index('data-testid="pinned"'):owner_html.index('<template id="pin-item">')]
