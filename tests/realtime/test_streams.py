"""GET /events and GET /events/poll served by the real server (gunicorn, one gevent worker)
to a real client: what a person with an open page or a script would notice."""
import os
import random
import socket
import threading
import time
from contextlib import closing
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from core.timeutil import utcnow
from extensions import db
from models import Event, EventRecipient, User
from realtime.eventlog import record_event
from tests.conftest import PASSWORD, csrf_from
from tests.helpers import send_request
from tests.realtime.conftest import EventStream, durable

API = "/api/v1"


# -- actions through the server's API (so its broker carries the events) ----------------------

def ask(server, sender, receiver, reason: str = "", client=None) -> dict:
    """`sender` asks `receiver` to be friends (or renews the pending request)."""
    response = server.call(sender, "POST", f"{API}/friend-requests", client=client,
                           json={"username": receiver.username, "reason": reason})
    assert response.status_code == 200, response.text
    return response.json()


def befriend(server, a, b) -> None:
    request_id = ask(server, a, b)["request"]["id"]
    response = server.call(b, "POST", f"{API}/friend-requests/{request_id}/accept")
    assert response.status_code == 200, response.text


def make_group(server, owner, members, name: str = "Hikers") -> int:
    """`owner` (already friends with `members`) creates a group with them; returns its id."""
    response = server.call(owner, "POST", f"{API}/groups",
                           json={"name": name, "member_ids": [m.id for m in members]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def rename(server, owner, group_id: int, name: str, client=None) -> None:
    response = server.call(owner, "PATCH", f"{API}/groups/{group_id}", client=client, json={"name": name})
    assert response.status_code == 200, response.text


def types(frames) -> list[str]:
    return [body["type"] for body in durable(frames)]


def ids(frames) -> list[int]:
    return [body["id"] for body in durable(frames)]


# -- opening a stream --------------------------------------------------------------------------

def test_stream_opens_at_once_with_event_stream_headers(server):
    alice = server.person()
    started = time.monotonic()
    with server.stream(alice) as stream:
        assert stream.response.status_code == 200
        headers = stream.response.headers
        assert headers["content-type"].split(";")[0] == "text/event-stream"
        assert headers["cache-control"] == "no-cache, no-transform"
        assert headers["x-accel-buffering"] == "no"
        stream.hello()
        assert time.monotonic() - started < 0.5  # no event needed to get the first bytes out
        assert stream.retry == 2000
        assert any(len(comment) >= 2048 for comment in stream.comments)  # padding for proxies


def test_unauthenticated_stream_and_poll_get_401_not_a_redirect(server):
    for path in ("/events", "/events/poll?after=0"):
        response = server.http.get(path, headers={"Accept": "text/event-stream"})
        assert response.status_code == 401, (path, response.status_code)
    response = server.http.get("/events", headers={"Authorization": "Bearer pat_not-a-token"})
    assert response.status_code == 401


def test_disabled_account_cannot_open_a_stream(server):
    alice = server.person()
    with server.app.app_context():
        db.session.get(User, alice.id).disabled_at = utcnow()
        db.session.commit()
        db.session.remove()
    assert server.call(alice, "GET", "/events").status_code == 401
    assert server.call(alice, "GET", "/events/poll", params={"after": 0}).status_code == 401


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "²", "٣", str(2**63)])
def test_malformed_cursor_is_refused_with_400(server, cursor):
    alice = server.person()
    raw = cursor.encode("latin-1") if cursor.isascii() or cursor == "²" else cursor.encode()  # as sent
    by_header = server.call(alice, "GET", "/events", headers={"Last-Event-ID": raw})
    by_query = server.call(alice, "GET", "/events", params={"last_event_id": cursor})
    assert (by_header.status_code, by_query.status_code) == (400, 400)


def test_many_idle_streams_hold_no_database_connection(server):
    # More streams than the pool has connections (5 + 10 overflow): were a stream to keep one,
    # the 16th would wait for the pool instead of saying hello.
    alice, bob = server.people(2)
    streams = []
    try:
        for _ in range(30):
            streams.append(server.stream(bob))
            streams[-1].hello(timeout=3)
        started = time.monotonic()
        ask(server, alice, bob, "to every tab")
        assert time.monotonic() - started < 1.0
        for stream in streams:
            [body] = durable(stream.until_type("friend_request.received", timeout=3))
            assert body["data"]["request"]["reason"] == "to every tab"
    finally:
        for stream in streams:
            stream.close()


# -- live delivery -------------------------------------------------------------------------------

def test_friend_request_reaches_receiver_and_senders_other_stream_live(server):
    alice, bob = server.people(2)
    with server.stream(bob) as bobs, server.stream(alice) as alices_other_tab:
        bobs.hello()
        alices_other_tab.hello()
        sent = ask(server, alice, bob, "we met at the lake")
        [frame] = bobs.until_type("friend_request.received")
        [also] = alices_other_tab.until_type("friend_request.received")
    assert frame.event == "message" and frame.id is not None
    body = frame.json()
    assert set(body) == {"id", "type", "data", "created_at"}
    assert body["id"] == int(frame.id) == server.last_event_id()
    assert body["data"]["request"]["id"] == sent["request"]["id"]
    assert body["data"]["request"]["reason"] == "we met at the lake"
    assert body["data"]["request"]["sender"]["username"] == alice.username
    assert body["data"]["request"]["receiver"]["username"] == bob.username
    datetime.fromisoformat(body["created_at"])
    assert also == frame  # the same bytes for everyone in the audience


def test_event_the_broker_never_carried_arrives_with_the_next_one(server):
    # An event committed by another process (here: this test's own app, whose broker does not
    # reach the server), as if its publisher died between commit and publish.
    alice, bob, carol = server.people(3)
    with server.stream(bob) as stream:
        stream.hello()
        send_request(server.app, alice.id, bob.id, "unannounced")
        unannounced = server.last_event_id()
        ask(server, carol, bob, "announced")
        frames = stream.until(lambda f: f.id is not None and f.json()["data"]["request"]["reason"] == "announced")
    assert [(b["id"], b["data"]["request"]["reason"]) for b in durable(frames)] == [
        (unannounced, "unannounced"), (unannounced + 1, "announced")]


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
            record_event("test.backlog", {"n": n, "pad": "x" * 8000}, user_ids=[bob.id])
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


# -- heartbeats and dead clients ---------------------------------------------------------------

def test_heartbeat_ping_arrives_every_second_without_id(server):
    alice = server.person()
    with server.stream(alice) as stream:
        stream.hello()
        arrivals = []
        for frame in stream.frames(timeout=5, pings=True):
            assert frame.event == "ping" and frame.id is None, frame
            arrivals.append(time.monotonic())
            if len(arrivals) == 3:
                break
    assert arrivals[0] - stream.opened_at < 1.5
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:])]
    assert all(0.6 < gap < 1.5 for gap in gaps), gaps
    assert sum(comment.strip() == "heartbeat" for comment in stream.comments) >= 3  # for proxies


def _server_socket_inode(server_port: int, client_port: int) -> str | None:
    """The inode of the server's end of the TCP connection from `client_port` (/proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].split(":")[1], 16)
        remote_port = int(fields[2].split(":")[1], 16)
        if (local_port, remote_port) == (server_port, client_port):
            return fields[9]
    return None


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")
def test_vanished_client_is_freed(server):
    alice, bob = server.people(2)
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    raw.sendall((f"GET /events HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                 f"Authorization: Bearer {alice.token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    received = b""
    while b"event: hello" not in received:
        chunk = raw.recv(65536)
        assert chunk, received
        received += chunk
    assert received.startswith(b"HTTP/1.1 200")
    [worker] = server.worker_pids()
    inode = _server_socket_inode(server.port, raw.getsockname()[1])
    assert inode is not None and inode in _socket_inodes(worker)
    raw.close()  # gone without a word: the server only learns it by writing
    deadline = time.monotonic() + 5
    while inode in _socket_inodes(worker):
        assert time.monotonic() < deadline, "the server still holds the vanished client's socket"
        time.sleep(0.1)
    assert server.alive() and server.worker_pids() == [worker]
    with server.stream(alice) as stream:  # the same person, a new stream: still served live
        stream.hello()
        ask(server, bob, alice)
        assert types(stream.until_type("friend_request.received")) == ["friend_request.received"]


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


# -- permissions are live --------------------------------------------------------------------------

@pytest.fixture
def trio_group(server):
    """(owner, bob, carol, group id): bob and carol are members of the owner's group."""
    owner, bob, carol = server.people(3)
    befriend(server, owner, bob)
    befriend(server, owner, carol)
    return owner, bob, carol, make_group(server, owner, [bob, carol])


def test_removed_member_stops_receiving(server, trio_group):
    owner, bob, carol, group_id = trio_group
    stranger = server.person()
    cursor = server.last_event_id()
    with server.stream(bob) as bobs, server.stream(carol) as carols:
        bobs.hello()
        carols.hello()
        response = server.call(owner, "DELETE", f"{API}/groups/{group_id}/members/{bob.id}")
        assert response.status_code == 204, response.text
        [removed] = durable(bobs.until_type("group.member_removed"))
        assert removed["data"]["user_id"] == bob.id
        rename(server, owner, group_id, "Without Bob")
        assert types(carols.until_type("group.renamed")) == ["group.member_removed", "group.renamed"]
        ask(server, stranger, bob, "later")  # a later event that is bob's
        assert types(bobs.until_type("friend_request.received")) == ["friend_request.received"]
    with server.stream(bob, last_event_id=cursor) as replay:
        frames = replay.until_type("friend_request.received")
    assert types(frames) == ["group.member_removed", "friend_request.received"]


def test_member_who_quits_stops_receiving(server, trio_group):
    owner, bob, carol, group_id = trio_group
    stranger = server.person()
    cursor = server.last_event_id()
    with server.stream(bob) as bobs, server.stream(carol) as carols:
        bobs.hello()
        carols.hello()
        response = server.call(bob, "POST", f"{API}/groups/{group_id}/quit")
        assert response.status_code == 204, response.text
        [left] = durable(bobs.until_type("group.member_left"))
        assert left["data"]["user_id"] == bob.id
        rename(server, owner, group_id, "Without Bob")
        assert types(carols.until_type("group.renamed")) == ["group.member_left", "group.renamed"]
        ask(server, stranger, bob, "later")
        assert types(bobs.until_type("friend_request.received")) == ["friend_request.received"]
    with server.stream(bob, last_event_id=cursor) as replay:
        assert types(replay.until_type("friend_request.received")) == [
            "group.member_left", "friend_request.received"]


def test_member_added_later_gets_nothing_from_before(server, trio_group):
    owner, bob, _carol, group_id = trio_group
    dave = server.person()
    befriend(server, owner, dave)
    cursor = server.last_event_id()
    with server.stream(dave, last_event_id=cursor) as daves:
        daves.hello()
        rename(server, owner, group_id, "Before Dave")
        response = server.call(owner, "POST", f"{API}/groups/{group_id}/members", json={"user_ids": [dave.id]})
        assert response.status_code == 200, response.text
        rename(server, owner, group_id, "With Dave")
        live = daves.until(lambda f: f.id is not None and f.json()["data"].get("name") == "With Dave")
    assert types(live) == ["group.member_added", "group.renamed"]
    with server.stream(dave, last_event_id=cursor) as replay:
        replayed = replay.until_type("group.renamed")
    assert durable(replayed) == durable(live)
    assert set(server.event_ids_for(bob, cursor)) > set(ids(live))  # bob, there before, got more


# -- credentials -------------------------------------------------------------------------------------

def test_revoked_token_closes_its_stream(server):
    alice = server.person()
    _other_id, other_token = server.token(alice.id, "laptop")
    with server.stream(alice) as revoked, server.stream(token=other_token) as other:
        revoked.hello()
        other.hello()
        response = server.http.post(f"/profile/tokens/{alice.token_id}/revoke",
                                    headers={"Authorization": f"Bearer {other_token}"})
        assert response.status_code == 302, response.text
        revoked_at = time.monotonic()
        assert revoked.read_to_end(timeout=3) == []
        assert revoked.ended_at - revoked_at < 1.0
        assert other.next(timeout=3, pings=True).event == "ping"  # the other token's stream lives on
    with server.stream(alice) as again:
        assert again.response.status_code == 401


def _log_in(server, person) -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=10)
    csrf = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"login": person.username, "password": PASSWORD, "csrf_token": csrf})
    assert response.status_code == 302, response.text
    return client


def test_logged_in_browser_streams_with_its_cookie(server):
    alice, bob = server.people(2)
    with closing(_log_in(server, alice)) as browser:
        with EventStream(server.url, client=browser) as stream:
            assert stream.response.status_code == 200
            stream.hello()
            ask(server, bob, alice, "hello from bob")
            [frame] = durable(stream.until_type("friend_request.received"))
    assert frame["data"]["request"]["reason"] == "hello from bob"


def test_logging_out_closes_the_browsers_stream(server):
    alice = server.person()
    with closing(_log_in(server, alice)) as browser:
        with EventStream(server.url, client=browser) as stream:
            stream.hello()
            response = browser.post("/logout", data={"csrf_token": csrf_from(browser.get("/").text)})
            assert response.status_code == 302
            logged_out_at = time.monotonic()
            assert durable(stream.read_to_end(timeout=3)) == []
            assert stream.ended_at - logged_out_at < 1.0
        assert browser.get("/events").status_code == 401


# -- long-polling ------------------------------------------------------------------------------------

def poll(server, person, **params) -> httpx.Response:
    return server.call(person, "GET", "/events/poll", params=params, timeout=15)


def test_poll_answers_at_once_when_events_wait(server):
    alice, bob = server.people(2)
    cursor = server.last_event_id()
    ask(server, alice, bob, "one")
    ask(server, alice, bob, "two")
    started = time.monotonic()
    response = poll(server, bob, after=cursor, timeout=10)
    assert time.monotonic() - started < 0.5
    assert response.status_code == 200
    body = response.json()
    assert [e["id"] for e in body["events"]] == server.event_ids_for(bob, cursor)
    assert [e["type"] for e in body["events"]] == ["friend_request.received", "friend_request.updated"]
    assert body["cursor"] == body["events"][-1]["id"]
    assert set(body["events"][0]) == {"id", "type", "data", "created_at"}


def test_poll_wakes_up_when_an_event_arrives(server):
    alice, bob = server.people(2)
    cursor = server.last_event_id()
    answer = {}

    def wait():
        answer["response"] = poll(server, bob, after=cursor, timeout=10)
        answer["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive(), "the poll answered with nothing to say"
    sent_at = time.monotonic()
    with httpx.Client(base_url=server.url) as other:
        ask(server, alice, bob, "wake up", client=other)
    waiter.join(12)
    assert answer["at"] - sent_at < 1.0
    body = answer["response"].json()
    assert [e["data"]["request"]["reason"] for e in body["events"]] == ["wake up"]
    assert body["cursor"] == body["events"][0]["id"] == server.last_event_id()


def test_poll_times_out_with_no_events_and_the_same_cursor(server):
    alice = server.person()
    cursor = server.last_event_id()
    started = time.monotonic()
    response = poll(server, alice, after=cursor, timeout=1)
    waited = time.monotonic() - started
    assert response.status_code == 200
    assert (response.json()["events"], response.json()["cursor"]) == ([], cursor)
    assert 0.9 < waited < 2.0


def test_friends_long_polling_do_not_wake_each_other(server):
    # Each poll opens and closes a stream; were every close to announce "offline" at once, two
    # friends' polls would wake each other with presence news in a busy loop.
    alice, bob = server.people(2)
    befriend(server, alice, bob)
    cursor = server.last_event_id()
    answers = {alice.id: [], bob.id: []}
    until = time.monotonic() + 2.5

    def keep_polling(person):
        after = cursor
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while time.monotonic() < until:
                response = server.call(person, "GET", "/events/poll", client=client,
                                       params={"after": after, "timeout": 1})
                answers[person.id].append(response.json())
                after = response.json()["cursor"]

    pollers = [threading.Thread(target=keep_polling, args=(person,)) for person in (alice, bob)]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join(10)
    assert [len(answers[alice.id]) <= 5, len(answers[bob.id]) <= 5] == [True, True], answers
    news = [item["data"] for person in answers.values() for body in person for item in body["ephemeral"]]
    assert all(item["online"] for item in news), news  # nobody flickered offline between polls


@pytest.mark.parametrize("params", [{"after": "abc"}, {"after": "-1"}, {"after": "²"}, {"after": "٣"},
                                    {"timeout": "1"}, {"after": "0", "timeout": "99"},
                                    {"after": "0", "timeout": "x"}, {"after": "0", "timeout": "nan"}])
def test_poll_rejects_a_bad_cursor_or_timeout(server, params):
    alice = server.person()
    response = poll(server, alice, **params)
    assert response.status_code == 400, response.text


# -- streams end themselves ---------------------------------------------------------------------------

def test_stream_ends_after_max_age_and_resuming_loses_nothing(start_server):
    server = start_server(FLASK_EVENT_STREAM_MAX_AGE=2)
    alice, bob = server.people(2)
    start = server.last_event_id()
    failures = []

    def keep_asking(until):  # across the end of the first stream and into the second
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                n = 0
                while time.monotonic() < until:
                    ask(server, alice, bob, f"#{n}", client=client)
                    n += 1
                    time.sleep(0.05)
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    with server.stream(bob, last_event_id=start) as first:
        first.hello()
        sender = threading.Thread(target=keep_asking, args=(first.opened_at + 3.0,))
        sender.start()
        before_end = ids(first.read_to_end(timeout=4))
        lived = first.ended_at - first.opened_at
    assert 1.75 < lived < 2.6, lived  # 2 s less up to 10%
    assert before_end, "no event arrived before the stream ended"
    with server.stream(bob, last_event_id=before_end[-1]) as resumed:  # as EventSource does
        resumed.hello()
        sender.join(10)
        assert not failures, failures
        expected = server.event_ids_for(bob, start)
        after_end = ids(resumed.until(lambda f: f.id is not None and int(f.id) == expected[-1], timeout=3))
    assert after_end, "no event was sent after the first stream ended"
    assert before_end + after_end == expected


# -- presence -------------------------------------------------------------------------------------

def test_members_coming_back_together_light_up_in_one_write(server):
    # After a blip everyone reconnects at once; each arrival reaching every member already back
    # one write at a time would cost n(n-1)/2 writes per group. Presence frames gathered over
    # PRESENCE_BATCH (1 s) reach each stream together, and none is lost.
    owner, *members = server.people(4)
    for member in members:
        befriend(server, owner, member)
    make_group(server, owner, members)
    arrived = {}
    with server.stream(owner) as owners:
        owners.hello()

        def watch():  # note when each member's presence reaches the owner
            for frame in owners.frames(timeout=6):
                if frame.event == "presence" and frame.json()["online"]:
                    arrived[frame.json()["user_id"]] = time.monotonic()
                if len(arrived) == len(members):
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        others = []
        try:
            for member in members:  # 0.15 s apart: one write each would arrive as spread
                others.append(server.stream(member))
                others[-1].hello()
                time.sleep(0.15)
            watcher.join(6)
        finally:
            for stream in others:
                stream.close()
    assert sorted(arrived) == sorted(member.id for member in members)
    assert max(arrived.values()) - min(arrived.values()) < 0.1
