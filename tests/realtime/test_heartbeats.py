"""The heartbeat loop pings every stream once per EVENT_HEARTBEAT, spread over the interval in
slots rather than all at once (a burst of thousands of writes held every delivery behind it:
bench/RESULTS.md). Driven on a hub of the test's own, its loop run by gevent."""
import gevent

from realtime.broker import LocalBroker
from realtime.hub import Hub
from realtime.stream import PING_ITEM

STREAMS = 50


def pinged(streams) -> list[int]:
    return [stream.items.count(PING_ITEM) for stream in streams]


def quiet_hub(app) -> Hub:
    """A hub whose own greenlets are not started (its heartbeat loop is run by the test)."""
    hub = Hub(app, LocalBroker())
    hub._started = True
    return hub


def test_every_stream_is_pinged_once_an_interval_and_never_all_at_once(app):
    app.config["EVENT_HEARTBEAT"] = 1
    hub = quiet_hub(app)
    streams = [hub.register(user_id, f"token:{user_id}") for user_id in range(1, STREAMS + 1)]
    loop = gevent.spawn(hub._heartbeat_loop)
    try:
        gevent.sleep(0.5)
        halfway = pinged(streams)
        gevent.sleep(0.55)
        after_one = pinged(streams)
    finally:
        loop.kill()
    assert 0 < sum(1 for count in halfway if count) < STREAMS  # half an interval in: some, not all
    assert all(count >= 1 for count in after_one)  # one interval in: every stream


def test_a_closed_stream_is_pinged_no_more(app):
    app.config["EVENT_HEARTBEAT"] = 1
    hub = quiet_hub(app)
    kept, closed = hub.register(1, "token:1"), hub.register(2, "token:2")
    hub.close(closed)
    assert sum(len(slot) for slot in hub._beats) == 1
    loop = gevent.spawn(hub._heartbeat_loop)
    try:
        gevent.sleep(1.05)
    finally:
        loop.kill()
    kept_pings, closed_pings = pinged([kept, closed])
    assert kept_pings >= 1 and closed_pings == 0
