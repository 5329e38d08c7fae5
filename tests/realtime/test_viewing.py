"""Reading by viewing on the real server (realtime/viewing.py): a page that says its stream views a
conversation has each message of it read as the stream delivers it, with no request of its
own; the senders hear it in one receipts.updated each, the readers' streams hear nothing."""
import contextlib
import threading

import pytest
from sqlalchemy import select

from extensions import db
from models import Membership
from tests.realtime.actions import API, befriend, make_group, types
from tests.support.servers import stop_group
from tests.support.streams import durable


def send(server, person, group_id, body) -> int:
    response = server.call(person, "POST", f"{API}/conversations/{group_id}/messages", json={"body": body})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def read(server, person, group_id, message_id, **view) -> None:
    response = server.call(person, "POST", f"{API}/conversations/{group_id}/read",
                           json={"message_id": message_id, **view})
    assert response.status_code == 200, response.text


def receipts_of(stream) -> list[dict]:
    """The reads of the next receipts.updated on `stream`, and the event types before it."""
    frames = stream.until_type("receipts.updated")
    return durable(frames)[-1]["data"]["reads"]


def read_count(server, sender, group_id, message_id) -> tuple[int, int]:
    response = server.call(sender, "GET", f"{API}/conversations/{group_id}/receipts",
                           params={"message_ids": str(message_id)})
    assert response.status_code == 200, response.text
    [item] = response.json()["items"]
    return item["read"], item["members"]


def test_a_viewing_page_reads_each_message_as_it_arrives(server, trio_group):
    alice, bob, carol, group_id = trio_group
    first = send(server, alice, group_id, "first")
    with server.stream(bob, params={"tab": "bob-page"}) as bobs, server.stream(carol) as carols, \
            server.stream(alice) as alices:
        for stream in (bobs, carols, alices):
            stream.hello()
        read(server, bob, group_id, first, tab="bob-page", viewing=True)
        read(server, carol, group_id, first, tab="carol-page", viewing=True)  # no stream of that tab
        alices.until_type("read.updated")
        alices.until_type("read.updated")
        second = send(server, alice, group_id, "second")
        reads = receipts_of(alices)
        bobs_frames = bobs.until_type("message.created")
    assert reads == [{"user_id": bob.id, "previous_read_message_id": first, "last_read_message_id": second}]
    assert read_count(server, alice, group_id, second) == (1, 2)  # bob, not carol
    assert "receipts.updated" not in types(bobs_frames)


@contextlib.contextmanager
def both_viewing(server, trio_group):
    """Alice sends "first"; bob's and carol's pages, each on a stream named by its tab, view
    the group; alice's stream is open. Yields (first message id, alice's stream, bob's)."""
    alice, bob, carol, group_id = trio_group
    first = send(server, alice, group_id, "first")
    with server.stream(bob, params={"tab": "bob-page"}) as bobs, \
            server.stream(carol, params={"tab": "carol-page"}) as carols, server.stream(alice) as alices:
        for stream in (bobs, carols, alices):
            stream.hello()
        read(server, bob, group_id, first, tab="bob-page", viewing=True)
        read(server, carol, group_id, first, tab="carol-page", viewing=True)
        yield first, alices, bobs


def test_a_page_that_stops_viewing_reads_no_more(server, trio_group):
    alice, bob, carol, group_id = trio_group
    with both_viewing(server, trio_group) as (first, alices, _bobs):
        read(server, bob, group_id, first, tab="bob-page", viewing=False)  # scrolled up
        second = send(server, alice, group_id, "second")
        reads = receipts_of(alices)
    assert reads == [{"user_id": carol.id, "previous_read_message_id": first, "last_read_message_id": second}]
    assert read_count(server, alice, group_id, second) == (1, 2)


def test_a_message_delivered_before_the_view_begins_is_read_when_it_does(server, trio_group):
    alice, bob, _carol, group_id = trio_group
    first = send(server, alice, group_id, "first")
    with server.stream(bob, params={"tab": "bob-page"}) as bobs, server.stream(alice) as alices:
        bobs.hello()
        alices.hello()
        second = send(server, alice, group_id, "second")
        bobs.until_type("message.created")
        # The page asked to view while "second" was on its way: it said it had read "first".
        read(server, bob, group_id, first, tab="bob-page", viewing=True)
        reads = receipts_of(alices)
    assert reads[-1]["user_id"] == bob.id and reads[-1]["last_read_message_id"] == second


def test_a_tab_that_is_not_one_is_refused(server, trio_group):
    _alice, bob, _carol, _group_id = trio_group
    with server.stream(bob, params={"tab": "not a tab"}) as bobs:
        assert bobs.response.status_code == 400


def poll(server, person, after, timeout=0.0, **params):
    response = server.call(person, "GET", "/events/poll", params={"after": after, "timeout": timeout, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_long_polling_page_reads_what_its_polls_bring(server, trio_group):
    alice, bob, _carol, group_id = trio_group
    first = send(server, alice, group_id, "first")
    cursor = server.last_event_id()
    with server.stream(alice) as alices:
        alices.hello()
        read(server, bob, group_id, first, tab="bob-page", viewing=True)  # no stream yet: polls name the view
        alices.until_type("read.updated")
        second = send(server, alice, group_id, "second")  # between two polls: replayed by the next
        answer = poll(server, bob, cursor, tab="bob-page", view=group_id)
        assert [e["data"]["message"]["id"] for e in answer["events"] if e["type"] == "message.created"] == [second]
        assert receipts_of(alices)[-1] == {"user_id": bob.id, "previous_read_message_id": first,
                                            "last_read_message_id": second}
        held = {}
        waiting = threading.Thread(target=lambda: held.update(poll(server, bob, answer["cursor"], timeout=10,
                                                                   tab="bob-page", view=group_id)))
        waiting.start()
        third = send(server, alice, group_id, "third")  # reaches the poll live (or, if it came first, replayed)
        reads = receipts_of(alices)
        waiting.join(15)
    assert [e["data"]["message"]["id"] for e in held["events"] if e["type"] == "message.created"] == [third]
    assert reads[-1]["user_id"] == bob.id and reads[-1]["last_read_message_id"] == third


def test_a_poll_without_a_view_reads_nothing(server, trio_group):
    alice, bob, carol, group_id = trio_group
    cursor = server.last_event_id()
    message = send(server, alice, group_id, "hello")
    with server.stream(alice) as alices:
        alices.hello()
        poll(server, bob, cursor, tab="bob-page")
        poll(server, carol, cursor, tab="carol-page", view=group_id)
        reads = receipts_of(alices)
    assert reads == [{"user_id": carol.id, "previous_read_message_id": message - 1, "last_read_message_id": message}]


@pytest.mark.parametrize("params", [{"view": "1"}, {"view": "x", "tab": "t"}, {"view": "99999999999", "tab": "t"}])
def test_a_view_that_is_not_one_is_refused(server, trio_group, params):
    _alice, bob, _carol, _group_id = trio_group
    response = server.call(bob, "GET", "/events/poll", params={"after": 0, "timeout": 0, **params})
    assert response.status_code == 400, response.text
    assert "view" in response.text


def test_a_member_removed_and_added_again_must_view_again(server, trio_group):
    alice, bob, carol, group_id = trio_group
    with both_viewing(server, trio_group) as (first, alices, bobs):
        removed = server.call(alice, "DELETE", f"{API}/groups/{group_id}/members/{bob.id}")
        assert removed.status_code in (200, 204), removed.text
        added = server.call(alice, "POST", f"{API}/groups/{group_id}/members", json={"user_ids": [bob.id]})
        assert added.status_code == 200, added.text
        bobs.until_type("group.member_added")
        second = send(server, alice, group_id, "second")
        reads = receipts_of(alices)
    # Carol's page still views the group; bob's page, shown the group anew, has not said so.
    assert reads == [{"user_id": carol.id, "previous_read_message_id": first, "last_read_message_id": second}]


def test_a_worker_that_stops_writes_the_reads_it_gathered(start_server):
    """A deploy or restart ends workers gracefully: the moves gathered since the last flush
    are written before the worker exits (gunicorn.conf.py, worker_exit), not lost."""
    server = start_server(FLASK_READ_FLUSH=3600)  # no flush would come in time
    alice, bob = server.people(2)
    befriend(server, alice, bob)
    group_id = make_group(server, alice, [bob])
    first = send(server, alice, group_id, "first")
    with server.stream(bob, params={"tab": "bob-page"}) as bobs:
        bobs.hello()
        read(server, bob, group_id, first, tab="bob-page", viewing=True)
        second = send(server, alice, group_id, "second")
        bobs.until_type("message.created")
    stop_group(server.process, 25)  # SIGTERM: gunicorn's graceful stop (keep-alives end first)
    with server.app.app_context():
        position = db.session.scalar(select(Membership.last_read_message_id).where(
            Membership.conversation_id == group_id, Membership.user_id == bob.id))
    assert position == second, server.log()[-3000:]
