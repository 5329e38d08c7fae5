"""Reading by viewing on the real server (realtime/hub.py): a page that says its stream views a
conversation has each message of it read as the stream delivers it, with no request of its
own; the senders hear it in one receipts.updated each, the readers' streams hear nothing."""
from tests.realtime.actions import API, types
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


def test_a_page_that_stops_viewing_reads_no_more(server, trio_group):
    alice, bob, carol, group_id = trio_group
    first = send(server, alice, group_id, "first")
    with server.stream(bob, params={"tab": "bob-page"}) as bobs, \
            server.stream(carol, params={"tab": "carol-page"}) as carols, server.stream(alice) as alices:
        for stream in (bobs, carols, alices):
            stream.hello()
        read(server, bob, group_id, first, tab="bob-page", viewing=True)
        read(server, bob, group_id, first, tab="bob-page", viewing=False)  # scrolled up
        read(server, carol, group_id, first, tab="carol-page", viewing=True)
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
