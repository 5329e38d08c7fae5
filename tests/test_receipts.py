"""Read receipts through /api/v1: "Read" in a direct conversation, "Read by N of M" in a group,
the reader list, the reciprocal opt-out (both ways), one read.updated event per read-position
move (to the reader and the senders it passes, never to every member), its replay after a
cursor, and members who joined after a message never counting for it."""
import pytest
from sqlalchemy import func, select

from blueprints.chat import receipts as receipts_service
from extensions import db
from models import Event, EventRecipient, Membership
from tests.support.api import API, assert_error, send_text
from tests.support.events import cursor, events_of
from tests.support.factories import add_to_group, quit_group
from tests.support.login import login_client
from tests.support.pages import post_profile, section


def mark_read(browser, conversation_id, message_id) -> dict:
    client, headers = browser
    response = client.post(f"{API}/conversations/{conversation_id}/read", json={"message_id": message_id},
                           headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def counts(browser, conversation_id, *message_ids) -> dict:
    """{message id: (read, members)} of the receipts API, and whether sharing is off."""
    client, _headers = browser
    response = client.get(f"{API}/conversations/{conversation_id}/receipts",
                          query_string={"message_ids": ",".join(map(str, message_ids))})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return {item["message_id"]: (item["read"], item["members"]) for item in body["items"]} | (
        {"sharing_off": True} if body["sharing_off"] else {})


def readers(browser, conversation_id, message_id):
    client, _headers = browser
    return client.get(f"{API}/conversations/{conversation_id}/messages/{message_id}/receipts")


def names(briefs) -> list[str]:
    return [person["username"] for person in briefs]


def share(browser, on: bool) -> dict:
    client, headers = browser
    response = client.patch(f"{API}/me", json={"share_read_receipts": on}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def event_rows(app, after) -> list[tuple[int, str, set[int]]]:
    """(id, type, named recipients) of every event recorded after `after`."""
    with app.app_context():
        rows = db.session.execute(select(Event.id, Event.type).where(Event.id > after).order_by(Event.id)).all()
        recipients = {row.id: set(db.session.scalars(select(EventRecipient.user_id)
                                                     .where(EventRecipient.event_id == row.id)))
                      for row in rows}
        return [(row.id, row.type, recipients[row.id]) for row in rows]


# Direct conversations: "Read"

def test_direct_message_is_read_once_the_peer_reads_it(app, alice_and_friends, direct, as_):
    first = send_text(as_("alice"), direct, "one")["id"]
    second = send_text(as_("alice"), direct, "two")["id"]
    assert counts(as_("alice"), direct, first, second) == {first: (0, 1), second: (0, 1)}
    mark_read(as_("bob"), direct, first)
    assert counts(as_("alice"), direct, first, second) == {first: (1, 1), second: (0, 1)}
    mark_read(as_("bob"), direct, second)
    assert counts(as_("alice"), direct, first, second) == {first: (1, 1), second: (1, 1)}


def test_the_sender_hears_the_direct_read_live(app, alice_and_friends, direct, as_):
    alice, bob, *_ = alice_and_friends
    newest = send_text(as_("alice"), direct, "ping")["id"]
    after = cursor(app)
    mark_read(as_("bob"), direct, newest)
    [(event_type, data)] = events_of(app, alice, after)
    assert event_type == "read.updated"
    assert data == {"conversation_id": direct, "user_id": bob, "previous_read_message_id": 0,
                    "last_read_message_id": newest, "unread": 0}


# Groups: "Read by N of M"

def test_group_counts_who_has_read_each_message(app, alice_and_friends, group, as_):
    first = send_text(as_("alice"), group, "one")["id"]
    second = send_text(as_("alice"), group, "two")["id"]
    assert counts(as_("alice"), group, first, second) == {first: (0, 2), second: (0, 2)}
    mark_read(as_("bob"), group, first)
    assert counts(as_("alice"), group, first, second) == {first: (1, 2), second: (0, 2)}
    mark_read(as_("carol"), group, second)
    assert counts(as_("alice"), group, first, second) == {first: (2, 2), second: (1, 2)}


def test_counts_answer_only_for_ones_own_messages(app, alice_and_friends, group, as_):
    mine = send_text(as_("alice"), group, "mine")["id"]
    theirs = send_text(as_("bob"), group, "theirs")["id"]
    assert counts(as_("alice"), group, mine, theirs, 999999) == {mine: (0, 2)}


def test_counts_are_for_members_only(app, alice_and_friends, group, as_):
    mine = send_text(as_("alice"), group, "mine")["id"]
    client, _headers = as_("dave")
    response = client.get(f"{API}/conversations/{group}/receipts", query_string={"message_ids": str(mine)})
    assert_error(response, 404)


def test_counts_refuse_a_malformed_id_list(app, alice_and_friends, group, as_):
    client, _headers = as_("alice")
    for bad in ("", "1,,2", "a", "1;2", ",".join(["1"] * 101)):
        response = client.get(f"{API}/conversations/{group}/receipts", query_string={"message_ids": bad})
        assert response.status_code == 422, bad


def test_reader_list_names_who_has_read_and_who_has_not(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hello")["id"]
    mark_read(as_("carol"), group, message)
    response = readers(as_("alice"), group, message)
    assert response.status_code == 200
    body = response.get_json()
    assert names(body["read"]) == ["carol"] and names(body["unread"]) == ["bob"]
    assert body["not_sharing"] == 0 and body["sharing_off"] is False


def test_reader_list_is_only_for_ones_own_messages(app, alice_and_friends, group, as_):
    theirs = send_text(as_("bob"), group, "theirs")["id"]
    assert_error(readers(as_("alice"), group, theirs), 403)


def test_reader_list_is_not_for_outsiders_or_another_conversation(app, alice_and_friends, group, direct, as_):
    message = send_text(as_("alice"), group, "hello")["id"]
    assert_error(readers(as_("dave"), group, message), 404)
    assert_error(readers(as_("alice"), direct, message), 404)


def test_member_who_left_is_no_longer_counted(app, alice_and_friends, group, as_):
    _alice, _bob, carol, _dave = alice_and_friends
    message = send_text(as_("alice"), group, "hello")["id"]
    mark_read(as_("carol"), group, message)
    quit_group(app, carol, group)
    assert counts(as_("alice"), group, message) == {message: (0, 1)}


def test_member_who_joined_later_is_not_counted_for_older_messages(app, alice_and_friends, group, as_):
    alice, _bob, _carol, dave = alice_and_friends
    older = send_text(as_("alice"), group, "before dave")["id"]
    add_to_group(app, alice, group, dave)
    newer = send_text(as_("alice"), group, "after dave")["id"]
    after = cursor(app)
    mark_read(as_("dave"), group, newer)
    assert counts(as_("alice"), group, older, newer) == {older: (0, 2), newer: (1, 3)}
    listed = readers(as_("alice"), group, older).get_json()
    assert "dave" not in names(listed["read"]) + names(listed["unread"])
    # The event counts only from dave's first message, so a page never counts him for `older`.
    [(_type, data)] = events_of(app, alice, after)
    assert older <= data["previous_read_message_id"] < newer == data["last_read_message_id"]


# The opt-out, both ways

def test_the_setting_is_on_by_default_and_changes_through_the_api(app, alice_and_friends, as_):
    client, _headers = as_("bob")
    assert client.get(f"{API}/me").get_json()["share_read_receipts"] is True
    assert share(as_("bob"), False)["share_read_receipts"] is False
    assert client.get(f"{API}/me").get_json()["share_read_receipts"] is False


def test_the_setting_refuses_anything_but_true_or_false(app, alice_and_friends, as_):
    client, headers = as_("bob")
    for bad in ({"share_read_receipts": "no"}, {"share_read_receipts": 0}):
        assert client.patch(f"{API}/me", json=bad, headers=headers).status_code == 422


def test_a_non_sharer_is_not_counted_and_not_named(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hello")["id"]
    share(as_("bob"), False)
    mark_read(as_("bob"), group, message)
    assert counts(as_("alice"), group, message) == {message: (0, 1)}
    listed = readers(as_("alice"), group, message).get_json()
    assert names(listed["read"]) == [] and names(listed["unread"]) == ["carol"]
    assert listed["not_sharing"] == 1


def test_a_non_sharer_sees_nobodys_receipts(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hello")["id"]
    mark_read(as_("bob"), group, message)
    share(as_("alice"), False)
    assert counts(as_("alice"), group, message) == {"sharing_off": True}
    listed = readers(as_("alice"), group, message).get_json()
    assert listed["sharing_off"] is True and listed["read"] == [] and listed["unread"] == []


def test_a_non_sharers_reading_tells_only_their_own_devices(app, alice_and_friends, group, as_):
    alice, bob, *_ = alice_and_friends
    message = send_text(as_("alice"), group, "hello")["id"]
    share(as_("bob"), False)
    after = cursor(app)
    mark_read(as_("bob"), group, message)
    assert [(kind, recipients) for _id, kind, recipients in event_rows(app, after)] == [("read.updated", {bob})]
    assert events_of(app, alice, after) == []


def test_a_non_sharing_sender_hears_nothing(app, alice_and_friends, group, as_):
    alice, bob, *_ = alice_and_friends
    message = send_text(as_("alice"), group, "hello")["id"]
    share(as_("alice"), False)
    after = cursor(app)
    mark_read(as_("bob"), group, message)
    assert [recipients for _id, _kind, recipients in event_rows(app, after)] == [{bob}]


def test_turning_sharing_back_on_shows_receipts_again(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hello")["id"]
    share(as_("bob"), False)
    mark_read(as_("bob"), group, message)
    share(as_("bob"), True)
    assert counts(as_("alice"), group, message) == {message: (1, 2)}


def test_profile_page_turns_sharing_off_and_on(app, alice_and_friends):
    client = login_client(app, "bob")
    shown = section(client.get("/profile").get_data(as_text=True), "receipts")
    assert "If you turn this off, you won't see others' read receipts either." in shown
    assert 'checked id="receipts-share"' in shown
    assert post_profile(client, "/profile/receipts", "receipts").status_code == 302  # the box unticked
    assert client.get(f"{API}/me").get_json()["share_read_receipts"] is False
    assert 'checked id="receipts-share"' not in section(client.get("/profile").get_data(as_text=True), "receipts")
    post_profile(client, "/profile/receipts", "receipts", {"receipts-share": "y"})
    assert client.get(f"{API}/me").get_json()["share_read_receipts"] is True


# One event per move, to the reader and the senders it passes

def test_a_move_records_exactly_one_event_to_the_reader_and_the_passed_senders(app, alice_and_friends, group, as_):
    alice, bob, carol, dave = alice_and_friends
    add_to_group(app, alice, group, dave)
    send_text(as_("alice"), group, "one")
    send_text(as_("carol"), group, "two")
    newest = send_text(as_("alice"), group, "three")["id"]
    after = cursor(app)
    mark_read(as_("bob"), group, newest)
    [(event_id, kind, recipients)] = event_rows(app, after)
    assert kind == "read.updated"
    assert recipients == {bob, alice, carol}  # dave, who sent nothing, hears nothing
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EventRecipient)
                                 .where(EventRecipient.event_id == event_id)) == 3


def test_a_move_past_only_ones_own_messages_tells_only_the_reader(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    mine = send_text(as_("bob"), group, "mine")["id"]
    after = cursor(app)
    mark_read(as_("bob"), group, mine)
    assert [recipients for _id, _kind, recipients in event_rows(app, after)] == [{bob}]


def test_reading_again_records_no_event(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hello")["id"]
    mark_read(as_("bob"), group, message)
    after = cursor(app)
    mark_read(as_("bob"), group, message)
    assert event_rows(app, after) == []


def test_a_sender_who_left_is_not_told(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("carol"), group, "bye")["id"]
    quit_group(app, carol, group)
    after = cursor(app)
    mark_read(as_("bob"), group, message)
    assert [recipients for _id, _kind, recipients in event_rows(app, after)] == [{bob}]


def test_the_receipt_replays_after_a_cursor(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    message = send_text(as_("alice"), group, "hello")["id"]
    after = cursor(app)
    mark_read(as_("bob"), group, message)
    client, _headers = as_("alice")
    response = client.get("/events/poll", query_string={"after": after, "timeout": 0})
    assert response.status_code == 200, response.get_data(as_text=True)
    [event] = response.get_json()["events"]
    assert event["type"] == "read.updated"
    assert event["data"]["user_id"] == bob and event["data"]["last_read_message_id"] == message
    assert client.get("/events/poll", query_string={"after": event["id"], "timeout": 0}).get_json()["events"] == []


@pytest.mark.parametrize("readers_count", [1, 3])
def test_many_readers_make_one_event_each(app, alice_and_friends, group, as_, readers_count):
    alice, bob, carol, dave = alice_and_friends
    add_to_group(app, alice, group, dave)
    message = send_text(as_("alice"), group, "hello")["id"]
    after = cursor(app)
    for name in ("bob", "carol", "dave")[:readers_count]:
        mark_read(as_(name), group, message)
    rows = event_rows(app, after)
    assert len(rows) == readers_count
    assert all(recipients == {reader, alice} for (_id, _kind, recipients), reader
               in zip(rows, (bob, carol, dave)))


# -- reading by viewing (realtime/viewing.py): the moves the hub gathers, recorded at once ---------------
def positions(app, conversation_id) -> dict[int, int]:
    with app.app_context():
        return dict(db.session.execute(select(Membership.user_id, Membership.last_read_message_id)
                                       .where(Membership.conversation_id == conversation_id,
                                              Membership.left_at.is_(None))).all())


def record_viewed(app, moves) -> None:
    with app.app_context():
        receipts_service.record_viewed(moves)


def test_viewed_moves_go_forward_and_tell_each_sender_once_with_their_reads(app, alice_and_friends, group, as_):
    alice, bob, carol, dave = alice_and_friends
    add_to_group(app, alice, group, dave)
    first = send_text(as_("alice"), group, "one")["id"]
    second = send_text(as_("carol"), group, "two")["id"]
    mark_read(as_("dave"), group, second)
    after = cursor(app)
    record_viewed(app, {(group, bob): second, (group, carol): second, (group, dave): first})
    moved = positions(app, group)
    assert (moved[bob], moved[carol], moved[dave]) == (second, second, second)  # never back for dave
    rows = event_rows(app, after)
    assert [(kind, recipients) for _id, kind, recipients in rows] == [
        ("receipts.updated", {alice}), ("receipts.updated", {carol})]  # none to the readers
    with app.app_context():
        stored = {event.id: event.data for event in db.session.scalars(select(Event).where(Event.id > after))}
    data = {next(iter(recipients)): stored[event_id] for event_id, _kind, recipients in rows}
    assert data[alice] == {"conversation_id": group, "reads": [
        {"user_id": bob, "previous_read_message_id": 0, "last_read_message_id": second},
        {"user_id": carol, "previous_read_message_id": 0, "last_read_message_id": second}]}
    assert data[carol] == {"conversation_id": group, "reads": [  # carol's own read passed only alice's
        {"user_id": bob, "previous_read_message_id": 0, "last_read_message_id": second}]}


def test_viewed_moves_count_in_receipts_and_clear_unread(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("alice"), group, "hello")["id"]
    record_viewed(app, {(group, bob): message})
    assert counts(as_("alice"), group, message) == {message: (1, 2)}
    client, headers = as_("bob")
    listed = client.get(f"{API}/conversations", headers=headers).get_json()["items"]
    assert [item["unread"] for item in listed if item["id"] == group] == [0]
    assert names(readers(as_("alice"), group, message).get_json()["unread"]) == ["carol"]


def test_viewed_moves_of_people_no_longer_members_change_nothing(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("alice"), group, "hello")["id"]
    quit_group(app, carol, group)
    after = cursor(app)
    record_viewed(app, {(group, carol): message})
    assert carol not in positions(app, group)
    assert event_rows(app, after) == []


# A reader who does not share receipts, reading alice's message; bob reading past his own only.
@pytest.mark.parametrize("sender, bob_shares", [("alice", False), ("bob", True)])
def test_viewed_moves_that_nobody_may_hear_of_move_silently(app, alice_and_friends, group, as_, sender, bob_shares):
    _alice, bob, *_ = alice_and_friends
    if not bob_shares:
        share(as_("bob"), False)
    message = send_text(as_(sender), group, "hello")["id"]
    after = cursor(app)
    record_viewed(app, {(group, bob): message})
    assert positions(app, group)[bob] == message
    assert event_rows(app, after) == []


def test_the_read_request_names_the_viewing_stream(app, alice_and_friends, group, as_):
    message = send_text(as_("alice"), group, "hello")["id"]
    client, headers = as_("bob")
    url = f"{API}/conversations/{group}/read"
    for body in ({"message_id": message, "tab": "t1", "viewing": True}, {"message_id": message, "tab": "t1"}):
        assert client.post(url, json=body, headers=headers).status_code == 200
    for body, field in (({"message_id": message, "viewing": True}, "tab"),
                        ({"message_id": message, "tab": "a tab", "viewing": True}, "tab"),
                        ({"message_id": message, "tab": "t" * 65}, "tab"),
                        ({"message_id": message, "tab": "t1", "viewing": "yes"}, "viewing")):
        assert_error(client.post(url, json=body, headers=headers), 422, field)
