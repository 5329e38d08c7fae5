"""How long a stream on the real server lives: heartbeats, clients that vanish, credentials
that are revoked or logged out, and streams that end themselves after their maximum age."""
import os
import socket
import threading
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from tests.realtime.actions import ask, ids, types
from tests.support.factories import PASSWORD
from tests.support.login import csrf_from
from tests.support.streams import EventStream, durable


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


# -- streams end themselves ---------------------------------------------------------------------------

def test_a_stream_outlives_the_request_that_opened_it(server):
    # Under gunicorn the stream takes its connection over once its replay is out, and the
    # request's greenlet ends (realtime/writer.py). gunicorn closes its own descriptor of the
    # connection after its keep-alive wait (5 s): the stream must go on through its own.
    alice, bob = server.people(2)
    start = server.last_event_id()
    with server.stream(bob, last_event_id=start) as stream:
        stream.hello()
        time.sleep(6.0)
        asked = ask(server, alice, bob, "still there?")
        frames = stream.until(lambda f: f.id is not None, timeout=5)
        assert [f.json()["data"]["request"]["id"] for f in frames if f.id] == [asked["request"]["id"]]
        assert sum(c.strip() == "heartbeat" for c in stream.comments) >= 5  # heartbeats all along


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
