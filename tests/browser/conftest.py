"""Browser tests: Debian's Chromium driven by Playwright against a real server on a free port.

Chromium comes from Debian's `chromium` package (.ci/run installs it); Playwright never
downloads a browser here. Without /usr/bin/chromium these tests skip, except under CI=true,
where they fail. The `browser` fixture itself lives in tests/conftest.py, shared with
tests/proxy: Playwright's sync API runs one instance at a time.
"""
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.support.apps import make_app
from tests.support.servers import Server, free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


class LiveServer:
    """The app served by a threaded WSGI server on 127.0.0.1:<free port>."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = make_server("127.0.0.1", self.port, app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(5)


@pytest.fixture
def live_server(mailbox, tmp_path):
    # The pages do not depend on the database backend; one (SQLite) keeps browser tests quick.
    app = make_app((f"sqlite:///{tmp_path / 'live.sqlite3'}", {}), mailbox, tmp_path)
    with LiveServer(app) as server:
        yield server


@contextmanager
def page_factory(browser, base_url: str):
    """A function making Pages on `base_url`, each in a fresh browser context (its own
    cookies), English UI; every context is closed afterwards. Service workers are blocked
    unless a test asks for them (`factory(service_workers="allow")`): Parley's would precache
    its shell in every context, and Playwright's request routing misses what a worker fetches."""
    contexts = []

    def factory(service_workers: str = "block"):
        context = browser.new_context(base_url=base_url, locale="en-US",
                                      viewport={"width": 1280, "height": 860}, service_workers=service_workers)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    try:
        yield factory
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def new_page(browser, live_server):
    """new_page() -> a Page in a fresh browser context on the threaded test server."""
    with page_factory(browser, live_server.url) as factory:
        yield factory


@pytest.fixture
def chat_server(tmp_path_factory):
    """Parley under gunicorn (gevent), as deployed, for the chat page's live tests."""
    running = Server(tmp_path_factory.mktemp("chat"))
    yield running
    running.stop()


@pytest.fixture
def chat_page(browser, chat_server):
    """chat_page() -> a Page on the real (gunicorn) server, in a fresh browser context."""
    with page_factory(browser, chat_server.url) as factory:
        yield factory


def send(page, text: str) -> None:
    """Type `text` in the chat page's composer and press Enter (send)."""
    box = page.locator("#composer-text")
    box.fill(text)
    box.press("Enter")


def screenshot(page, name: str) -> None:
    """Save a screenshot of `page` as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, password: str) -> None:
    """Log in through the login page."""
    page.goto("/login")
    page.fill("#login", username)
    page.fill("#password", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/")
