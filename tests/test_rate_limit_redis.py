"""With REDIS_URL set, failed-login counters live in Redis, shared by every worker."""
import uuid

from tests.support.apps import make_app
from tests.support.factories import create_user
from tests.support.login import AuthActions


def test_failed_logins_on_one_worker_count_on_another(redis_url, database, mailbox, tmp_path):
    # Two app instances stand for two workers sharing the database and Redis. The second is
    # built after the failures: its limiter starts with fresh storage, so only counts kept in
    # Redis can refuse it (with memory:// it would answer 401).
    # Redis outlives test runs: a fresh username keeps this run's counter its own.
    settings = {"RATELIMIT_STORAGE_URI": redis_url, "LOGIN_LIMIT_PER_ACCOUNT": "2 per minute"}
    username = "u" + uuid.uuid4().hex[:12]
    first = make_app(database, mailbox, tmp_path, **settings)
    create_user(first, username)
    for _ in range(2):
        assert AuthActions(first.test_client()).login(username, "wrong password!").status_code == 401
    second = make_app(database, mailbox, tmp_path, **settings)
    refused = AuthActions(second.test_client()).login(username, "wrong password!")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
