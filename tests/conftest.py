"""Fixtures: a fresh database per test on SQLite and (when DATABASE_URL points at one)
PostgreSQL, a real SMTP server, the test client, the CLI runner, an `auth` helper and the
browser (Debian's Chromium under Playwright)."""
import os
import re
import shutil
import uuid

import psycopg
import pytest
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db as _db
from tests.smtp import Mailbox

PG_URL = os.environ.get("DATABASE_URL", "")
HAS_PG = PG_URL.startswith(("postgres://", "postgresql"))
BACKENDS = ["sqlite"] + (["postgresql"] if HAS_PG else [])
PASSWORD = "correct horse battery staple"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_report_header(config):
    return f"database backends: {', '.join(BACKENDS)}"


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (never a downloaded browser), headless, for the whole session: here
    rather than in tests/browser because Playwright's sync API allows one instance at a time
    and tests/proxy drives it too. Skips without Chromium; fails under CI=true."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Debian's chromium is not installed (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed")
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


def _pg_conninfo() -> str:
    url = make_url(PG_URL).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database(request, tmp_path):
    """(SQLAlchemy URL, engine options) of an empty database for one test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'parley.sqlite3'}", {}
        return
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    yield url, {"connect_args": {"options": f"-csearch_path={schema}"}}
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


def make_app(database, mailbox, tmp_path, **overrides):
    url, engine_options = database
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, **engine_options},
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        # Flask-Mail drops every mail when TESTING is on unless told otherwise.
        "MAIL_SUPPRESS_SEND": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "CODE_RESEND_INTERVAL": 60,
        # Cheap hashing keeps the suite fast; the production parameters are tested once.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        _db.create_all()
    return app


@pytest.fixture
def app(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path)
    yield app
    with app.app_context():
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in `html`."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="[a-z_]*-?csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def csrf_token(client, path: str = "/login") -> str:
    """Load `path` and return the CSRF token of its first form."""
    return csrf_from(client.get(path).get_data(as_text=True))


def post_form(client, path: str, data: dict, page: str | None = None, **kwargs):
    """POST `data` to `path` with the CSRF token read from `page` (default: `path`)."""
    html = client.get(page or path).get_data(as_text=True)
    data = dict(data)
    data.setdefault("csrf_token", csrf_from(html))
    return client.post(path, data=data, **kwargs)


def create_user(app, username="alice", email=None, password=PASSWORD, nickname=None, **kw):
    """Create an account directly through the service (as the admin CLI does)."""
    from blueprints.auth import services

    with app.app_context():
        user = services.create_user(username, nickname or username.capitalize(),
                                    email or f"{username}@example.com", password, **kw)
        return user.id


class AuthActions:
    """Log in and out through the real pages (flaskr's `auth` helper)."""

    def __init__(self, client):
        self.client = client

    def login(self, login="alice", password=PASSWORD, remember=False, **kwargs):
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        return post_form(self.client, "/login", data, **kwargs)

    def logout(self):
        html = self.client.get("/").get_data(as_text=True)
        return self.client.post("/logout", data={"csrf_token": csrf_from(html)})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def user(app):
    """An account 'alice' with password PASSWORD; returns its id."""
    return create_user(app)
