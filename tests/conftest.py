"""Fixtures: a fresh database per test on SQLite and (when DATABASE_URL points at one)
PostgreSQL, a real SMTP server, the test client, the CLI runner, an `auth` helper and the
browser (Debian's Chromium under Playwright); the people fixtures of tests/support/people.py;
and the markers each directory's tests get (pytest.ini lists them).

Helpers live in tests/support (one module per job); this file holds only fixtures and hooks."""
import os
import shutil
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from blueprints.push import sender as push_sender
from extensions import db as _db
from tests.support.apps import BACKENDS, HAS_PG, PG_URL, make_app, pg_conninfo
from tests.support.factories import create_user
from tests.support.login import AuthActions
from tests.support.mail import Mailbox
# The shared people fixtures, registered here so any test may ask for them by name.
from tests.support.people import alice_and_friends, as_, direct, group  # noqa: F401
from tests.support.servers import REDIS_URL, require

TESTS = Path(__file__).resolve().parent
# Which tests get which marker (pytest.ini registers them; `make test-fast` leaves all three
# out): by directory or file below tests/, so a new file there gets its marker too.
MARKED_PATHS = {
    "browser": ("browser/",),  # Debian's Chromium under Playwright
    "process": ("proxy/", "realtime/", "test_redis_delivery.py", "test_rate_limit_redis.py"),
    "fuzz": ("test_api_fuzz.py",),
}
# A test anywhere that starts a gunicorn server or needs Redis is a `process` test too.
PROCESS_FIXTURES = {"server", "start_server", "redis_url"}
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_report_header(config):
    return f"database backends: {', '.join(BACKENDS)}"


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        where = item.path.relative_to(TESTS).as_posix()
        for marker, paths in MARKED_PATHS.items():
            if where.startswith(paths):
                item.add_marker(marker)
        if PROCESS_FIXTURES & set(item.fixturenames):
            item.add_marker("process")


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (never a downloaded browser), headless, for the whole session: here
    rather than in tests/browser because Playwright's sync API allows one instance at a time
    and tests/proxy drives it too. Skips without Chromium; fails under CI=true."""
    require(os.path.exists(CHROMIUM), "Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def mailbox_server():
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture
def mailbox(mailbox_server):
    """The real SMTP server's inbox, emptied for each test."""
    mailbox_server.clear()
    return mailbox_server


def drop_schema(schema: str) -> None:
    """Drop a test's PostgreSQL schema once this process's push thread is done with it: a
    message's notification may still be reading it (a DROP under a running read deadlocks)."""
    push_sender.flush(5.0)
    with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    """(SQLAlchemy URL, engine options) of an empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'parley.sqlite3'}", {}
        return
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    yield url, {"connect_args": {"options": f"-csearch_path={schema}"}}
    drop_schema(schema)


@pytest.fixture
def pg_database(tmp_path):
    """A PostgreSQL `database` fixture value with a pool of one connection, for tests of
    the pool itself (fails under CI=true without DATABASE_URL)."""
    require(HAS_PG, "DATABASE_URL does not point at PostgreSQL")
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    yield url, {"connect_args": {"options": f"-csearch_path={schema}"}, "pool_size": 1, "max_overflow": 0}
    drop_schema(schema)


@pytest.fixture
def app(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path)
    yield app
    push_sender.flush(5.0)  # the push thread's reads of this database end before it goes
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_url():
    """REDIS_URL, once Redis answers there. Skips without REDIS_URL (fails under CI=true)."""
    require(bool(REDIS_URL), "REDIS_URL is not set")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"REDIS_URL is set but Redis does not answer: {exc}")
    return REDIS_URL


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def user(app):
    """An account 'alice' with password PASSWORD; returns its id."""
    return create_user(app)
