"""The rate limiter's in-memory storage (core/ratelimit.py SweptMemoryStorage): it counts and
refuses as limits' memory:// storage does, starts no timer (limits 5 starts one after every
count, a thread, or a greenlet under gevent, walking every key), and still frees what has
expired. Not timed: the waits below only let short windows run out."""
import threading
import time

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from core.ratelimit import SweptMemoryStorage
from extensions import db, limiter
from tests.support.apps import make_app
from tests.support.factories import direct_conversation, make_friends, make_user
from tests.support.login import quick_client


def test_the_app_counts_in_memory_without_a_timer(app):
    """memory:// (the default without Redis) and the fallback both get the timer-free storage."""
    assert isinstance(limiter.storage, SweptMemoryStorage)
    assert isinstance(limiter._fallback_storage, SweptMemoryStorage)
    before = threading.active_count()
    window = FixedWindowRateLimiter(limiter.storage)
    for person in range(200):
        assert window.hit(parse("5 per minute"), f"person:{person}")
    # limits' MemoryStorage would have a Timer thread alive here for 10 ms after the first hit.
    assert threading.active_count() == before


@pytest.mark.parametrize("strategy", [FixedWindowRateLimiter, MovingWindowRateLimiter])
def test_refuses_beyond_the_limit_and_admits_once_the_window_has_passed(strategy):
    window = strategy(SweptMemoryStorage())
    limit = parse("2 per 1 second")
    assert window.hit(limit, "person:1") and window.hit(limit, "person:1")
    assert not window.hit(limit, "person:1")
    assert window.hit(limit, "person:2")  # each key its own budget
    time.sleep(1.05)
    assert window.hit(limit, "person:1")


def test_expired_counts_are_freed_by_a_later_count():
    storage = SweptMemoryStorage(sweep_seconds=0)
    for person in range(100):
        storage.incr(f"person:{person}", expiry=0.05)
        storage.acquire_entry(f"moving:{person}", limit=5, expiry=0.05)
    assert len(storage.storage) == 100 and len(storage.events) == 100
    time.sleep(0.1)
    assert storage.incr("person:new", expiry=60) == 1
    assert set(storage.storage) == {"person:new"}
    assert storage.events == {}


def test_the_walk_waits_for_its_interval():
    storage = SweptMemoryStorage(sweep_seconds=3600)
    storage.incr("person:1", expiry=0.01)
    time.sleep(0.05)
    storage.incr("person:2", expiry=60)
    assert "person:1" in storage.storage  # not walked yet: kept, but no longer counted
    assert storage.get("person:1") == 0


def test_the_app_starts_and_sends_with_rate_limiting_switched_off(database, mailbox, tmp_path):
    """RATELIMIT_ENABLED=False (FLASK_RATELIMIT_ENABLED=false) leaves Flask-Limiter without a
    storage: the app must still start, and a send beyond MESSAGE_RATE_LIMIT goes through."""
    was_enabled = limiter.enabled  # Flask-Limiter keeps it on its one instance for later apps
    app = make_app(database, mailbox, tmp_path, RATELIMIT_ENABLED=False, MESSAGE_RATE_LIMIT="1 per minute")
    try:
        alice, bob = make_user(app, "alice"), make_user(app, "bob")
        make_friends(app, alice, bob)
        conversation = direct_conversation(app, alice, bob)
        client, headers = quick_client(app, "alice")
        for n in range(3):
            answer = client.post(f"/api/v1/conversations/{conversation}/messages", json={"body": f"hi {n}"}, headers=headers)
            assert answer.status_code == 201, answer.get_data(as_text=True)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        limiter.enabled = was_enabled
