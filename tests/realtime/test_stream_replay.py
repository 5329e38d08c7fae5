"""Reconnecting to GET /events with a cursor on the real server: replay in order without gaps
or duplicates, and cursors the server cannot serve."""
import random
import threading
import time

import httpx
import pytest
from sqlalchemy import delete, select

from extensions import db
from models import Event, EventRecipient
from realtime.eventlog import send_event_on_commit
from realtime.events import NewEvent
from tests.realtime.actions import ask, befriend, ids, make_group, rename
from tests.support.streams import durable


# -- replay ------------------------------------------------------------------------------------

@pytest.mark.parametrize("via", ["header", "query"])
def test_reconnect_replays_later_events_in_order_then_live(server, via):
    alice, bob, carol, dave = server.people(4)
    ask(server, carol, bob, "before the cursor")
    cursor = server.last_event_id()
    ask(server, alice, bob, "one")
    ask(server, dave, carol, "not for bob")
    others = server.last_event_id()
    ask(server, alice, bob, "two")  # renews: friend_request.updated
    ask(server, dave, bob, "three")
    expected = server.event_ids_for(bob, cursor)
    assert len(expected) == 3 and others not in expected
    kwargs = {"last_event_id": cursor} if via == "header" else {"params": {"last_event_id": cursor}}
    with server.stream(bob, **kwargs) as stream:
        replayed = stream.until(lambda f: f.id is not None and int(f.id) == expected[-1])
        assert ids(replayed) == expected
        assert [b["data"]["request"]["reason"] for b in durable(replayed)] == ["one", "two", "three"]
        assert ask(server, bob, carol)["outcome"] == "accepted"  # carol had asked first
        [live] = stream.until_type("friend_request.accepted")
    assert int(live.id) == server.last_event_id() > expected[-1]


def test_live_events_during_a_blocked_replay_arrive_once(start_server):
    # A backlog larger than the socket buffers can hold (about 4 MB here), replayed in batches
    # of 20 to a client that does not read yet: the server's write blocks mid-replay, and events
    # committed meanwhile both wait in the stream's live queue and turn up in the next batches.
    server = start_server(FLASK_EVENT_REPLAY_LIMIT=20)
    alice, bob = server.people(2)
    start = server.last_event_id()
    with server.app.app_context():
        for n in range(800):
            send_event_on_commit(NewEvent("test.backlog", {"n": n, "pad": "x" * 8000}, user_ids=[bob.id]))
        db.session.commit()
        db.session.remove()
    with server.stream(bob, last_event_id=start) as stream:
        with httpx.Client(base_url=server.url, timeout=10) as other:
            for n in range(20):  # while the replay is stuck on the unread socket
                ask(server, alice, bob, f"live {n}", client=other)
        expected = server.event_ids_for(bob, start)
        received = ids(stream.until(lambda f: f.id is not None and int(f.id) == expected[-1], timeout=10))
        ask(server, alice, bob, "after the replay")  # whatever was queued twice comes before it
        received += ids(stream.until(lambda f: f.id is not None and int(f.id) == expected[-1] + 1))
    assert len(expected) == 820
    assert received == server.event_ids_for(bob, start)


def test_no_gap_and_no_duplicate_when_sends_race_reconnects(server):
    alice, bob, erin, carol, dave = server.people(5)
    befriend(server, alice, bob)
    group_id = make_group(server, alice, [bob])
    ask(server, erin, bob, "first")
    ask(server, dave, carol, "first")
    start = server.last_event_id()
    done = threading.Event()
    failures = []

    def renew(sender, receiver, count):
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for n in range(count):
                ask(server, sender, receiver, f"again {n}", client=client)

    def renames(count):
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for n in range(count):
                rename(server, alice, group_id, f"Hikers {n}", client=client)

    def run(target, *args):
        try:
            target(*args)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    senders = [threading.Thread(target=run, args=args) for args in
               ((renew, erin, bob, 40), (renames, 20), (renew, dave, carol, 20))]

    def send_all():
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join(30)
        done.set()

    seen: list[int] = []
    cursor, final, reconnects, started = start, None, 0, False
    rng = random.Random(7)
    coordinator = threading.Thread(target=send_all)
    deadline = time.monotonic() + 20
    while final is None or cursor < final:
        assert time.monotonic() < deadline, f"stuck at {cursor}, expected up to {final}"
        with server.stream(bob, last_event_id=cursor) as stream:
            if not started:  # the sends begin once the reader is connected
                coordinator.start()
                started = True
            take = rng.randint(2, 6)
            for frame in stream.frames(timeout=10, pings=True):
                if frame.id is not None:
                    seen.append(int(frame.id))
                    cursor = int(frame.id)
                    take -= 1
                if done.is_set() and final is None:
                    final = server.event_ids_for(bob, start)[-1]
                if take <= 0 or (final is not None and cursor >= final):
                    break
        reconnects += 1
    coordinator.join(30)
    assert not failures, failures
    expected = server.event_ids_for(bob, start)
    assert len(expected) == 60  # 40 renewals by erin, 20 renames; none of dave's
    assert seen == expected  # each once, in increasing order, none missing
    assert reconnects >= 8


# -- cursors the server cannot serve -------------------------------------------------------------

def test_cursor_beyond_newest_event_gets_reset(server):
    alice = server.person()
    with server.stream(alice, last_event_id=server.last_event_id() + 1000) as stream:
        stream.hello()
        frames = stream.read_to_end(timeout=3)
    assert [(f.event, f.id) for f in frames] == [("reset", None)]
    assert frames[0].json() == {"reason": "cursor_too_old"}


def test_poll_with_cursor_beyond_newest_asks_for_reset(server):
    alice = server.person()
    after = server.last_event_id() + 1000
    response = server.call(alice, "GET", "/events/poll", params={"after": after, "timeout": 0})
    assert response.status_code == 409
    assert response.json() == {"reset": True, "events": [], "cursor": after}


def test_cursor_older_than_kept_events_gets_reset(server):
    alice, bob = server.people(2)
    ask(server, alice, bob, "one")
    old = server.last_event_id()
    ask(server, alice, bob, "two")
    ask(server, alice, bob, "three")
    with server.app.app_context():  # retention drops every event up to "two"
        db.session.execute(delete(EventRecipient).where(EventRecipient.event_id <= old + 1))
        db.session.execute(delete(Event).where(Event.id <= old + 1))
        db.session.commit()
        assert db.session.scalar(select(Event.id).order_by(Event.id)) == old + 2
        db.session.remove()
    with server.stream(bob, last_event_id=old) as stream:
        assert [f.event for f in stream.read_to_end(timeout=3)] == ["reset"]
    with server.stream(bob, last_event_id=old + 1) as stream:  # still in reach: replayed
        [frame] = stream.until_type("friend_request.updated")
        assert frame.json()["data"]["request"]["reason"] == "three"
