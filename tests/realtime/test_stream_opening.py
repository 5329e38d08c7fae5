"""Opening GET /events on the real server (gunicorn, one gevent worker) and live delivery to
a real client: headers, refusals, idle streams, events arriving as they happen."""
import time
from datetime import datetime

import pytest

from core.timeutil import utcnow
from extensions import db
from models import User
from tests.realtime.actions import ask
from tests.support.factories import send_request
from tests.support.streams import durable


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
