"""Stream tests against the real thing: `gunicorn -c gunicorn.conf.py wsgi:app` (one gevent
worker, the in-process broker, SQLite) on a free port, read by a real HTTP client (httpx).

People and tokens are made by an app in this process on the same database; everything that
records an event goes through the server's HTTP API, so the server's broker carries it.
"""
import hashlib
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest
from sqlalchemy import select

from app import create_app
from blueprints.auth import sessions
from extensions import db
from models import AccessToken
from realtime.eventlog import events_for_user, last_event_id
from tests.helpers import make_user
from tests.smtp import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 20  # seconds for gunicorn to answer /login
_names = itertools.count(1)


class Frame(NamedTuple):
    """One dispatched Server-Sent Event: its `event:` name ("message" when none), its `id:`
    (None when the frame had none) and its `data:` lines joined."""

    event: str
    id: str | None
    data: str

    def json(self):
        return json.loads(self.data)


@dataclass
class Person:
    """An account with a personal access token."""

    id: int
    username: str
    token: str
    token_id: int

    @property
    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class EventStream:
    """One open GET /events, read frame by frame. Every read has a deadline (and httpx a read
    timeout), so no test can hang on a silent server."""

    def __init__(self, base_url: str, *, person: Person | None = None, token: str | None = None,
                 last_event_id=None, params: dict | None = None, client: httpx.Client | None = None,
                 read_timeout: float = 4.0):
        headers = {"Accept": "text/event-stream"}
        token = token or (person.token if person else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._own_client = client is None
        self.client = client or httpx.Client(base_url=base_url)
        self.opened_at = time.monotonic()
        self._context = self.client.stream("GET", "/events", headers=headers, params=params,
                                           timeout=httpx.Timeout(5.0, read=read_timeout))
        self.response = self._context.__enter__()
        self.retry: int | None = None
        self.comments: list[str] = []
        self.ended = False
        self.ended_at: float | None = None
        self._frames = self._parse(self.response.iter_lines())

    # -- parsing (WHATWG HTML, "Interpreting an event stream") ----------------------------
    def _parse(self, lines):
        event, event_id, data = None, None, []
        for line in lines:
            if line == "":
                if event is not None or data:
                    yield Frame(event or "message", event_id, "\n".join(data))
                event, event_id, data = None, None, []
                continue
            if line.startswith(":"):
                self.comments.append(line[1:])
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
            elif name == "retry" and value.isdigit():
                self.retry = int(value)

    # -- reading --------------------------------------------------------------------------------
    def frames(self, timeout: float = 5.0, pings: bool = False, hello: bool = False):
        """Yield frames until the stream ends; AssertionError when `timeout` seconds pass
        first. Pings and the hello are left out unless asked for."""
        deadline = time.monotonic() + timeout
        while True:
            assert time.monotonic() < deadline, f"nothing more looked for arrived within {timeout} s"
            try:
                frame = next(self._frames)
            except StopIteration:
                self.ended, self.ended_at = True, time.monotonic()
                return
            if (frame.event == "ping" and not pings) or (frame.event == "hello" and not hello):
                continue
            yield frame

    def next(self, timeout: float = 5.0, **kinds) -> Frame | None:
        """The next frame (None when the stream ended)."""
        return next(self.frames(timeout, **kinds), None)

    def hello(self, timeout: float = 3.0) -> Frame:
        """Read up to and including the `hello` frame."""
        frame = self.next(timeout, hello=True)
        assert frame is not None and frame.event == "hello", frame
        return frame

    def until(self, predicate, timeout: float = 5.0) -> list[Frame]:
        """Frames (no pings) up to and including the first that `predicate` accepts."""
        seen = []
        for frame in self.frames(timeout):
            seen.append(frame)
            if predicate(frame):
                return seen
        raise AssertionError(f"the stream ended before the frame looked for; it sent {seen}")

    def until_type(self, event_type: str, timeout: float = 5.0) -> list[Frame]:
        """Frames up to and including the first durable event of type `event_type`."""
        return self.until(lambda f: f.event == "message" and f.json()["type"] == event_type, timeout)

    def read_to_end(self, timeout: float = 5.0) -> list[Frame]:
        """Every frame (no pings) until the server ends the stream."""
        return list(self.frames(timeout))

    def close(self) -> None:
        try:
            self._context.__exit__(None, None, None)
        finally:
            if self._own_client:
                self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def durable(frames) -> list[dict]:
    """The bodies of the frames that carry a durable event (an id)."""
    return [frame.json() for frame in frames if frame.id is not None]


class Server:
    """A gunicorn process serving Parley, and an app in this process on the same database."""

    def __init__(self, directory: Path, extra_env: dict | None = None):
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database = f"sqlite:///{directory / 'db.sqlite3'}"
        secret = secrets.token_hex(20)  # 40 characters
        self.env = {key: value for key, value in os.environ.items()
                    if key not in ("REDIS_URL", "DATABASE_URL", "WEB_CONCURRENCY")
                    and not key.startswith(("FLASK_", "PARLEY_"))}
        self.env.update({
            "FLASK_INSTANCE_PATH": str(directory),
            "FLASK_SECRET_KEY": secret,
            "FLASK_SQLALCHEMY_DATABASE_URI": database,
            "FLASK_EVENT_HEARTBEAT": "1",
            # The in-process app hashes passwords cheaply; the server checks them alike.
            "FLASK_ARGON2_TIME_COST": "1",
            "FLASK_ARGON2_MEMORY_COST": "1024",
            "FLASK_ARGON2_PARALLELISM": "1",
            "PARLEY_BIND": f"127.0.0.1:{self.port}",
            "PARLEY_ACCESS_LOG": "/dev/null",
            "WEB_CONCURRENCY": "1",
            **(extra_env or {}),
        })
        self.app = create_app({
            "TESTING": True, "SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": database,
            "INSTANCE_PATH": str(directory), "REDIS_URL": None, "RATELIMIT_STORAGE_URI": "memory://",
            "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1,
        })
        with self.app.app_context():
            db.create_all()
            db.session.remove()
        self.log_path = directory / "server.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=self.env,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        self.http = httpx.Client(base_url=self.url, timeout=10)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                if self.http.get("/login", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /login within {START_TIMEOUT} s:\n{self.log()}")

    def log(self) -> str:
        """The server's output so far (for failure messages)."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def alive(self) -> bool:
        return self.process.poll() is None and bool(self.worker_pids())

    def stop(self) -> None:
        """terminate, then kill (the whole process group: master and worker)."""
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # the group we started, by its id
        except ProcessLookupError:
            pass
        self.process.wait(5)
        self._log.close()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    # -- people, events, requests -----------------------------------------------------------
    def person(self, prefix: str = "user") -> Person:
        """A new account with a personal access token."""
        username = f"{prefix}{next(_names)}"
        user_id = make_user(self.app, username)
        token_id, raw = self.token(user_id)
        return Person(user_id, username, raw, token_id)

    def people(self, count: int, prefix: str = "user") -> list[Person]:
        return [self.person(prefix) for _ in range(count)]

    def token(self, user_id: int, name: str = "pytest") -> tuple[int, str]:
        """A new access token of `user_id`: (its id, the raw token)."""
        from models import User

        with self.app.app_context():
            raw = sessions.create_token(db.session.get(User, user_id), name)
            db.session.commit()
            token_id = db.session.scalar(select(AccessToken.id).where(
                AccessToken.token_hash == hashlib.sha256(raw.encode()).hexdigest()))
            db.session.remove()
        return token_id, raw

    def last_event_id(self) -> int:
        with self.app.app_context():
            try:
                return last_event_id()
            finally:
                db.session.remove()

    def event_ids_for(self, person: Person, after: int) -> list[int]:
        """The ids of every event `person` should receive after `after`, from the database."""
        with self.app.app_context():
            try:
                return [event.id for event in events_for_user(person.id, after, 100_000)]
            finally:
                db.session.remove()

    def call(self, person: Person, method: str, path: str, client: httpx.Client | None = None,
             **kwargs) -> httpx.Response:
        """An API request as `person` (Bearer token)."""
        headers = {**person.bearer, **kwargs.pop("headers", {})}
        return (client or self.http).request(method, path, headers=headers, **kwargs)

    def stream(self, person: Person | None = None, **kwargs) -> EventStream:
        """Open GET /events (as `person`, with a Bearer token)."""
        return EventStream(self.url, person=person, **kwargs)


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """The shared server: one gevent worker, heartbeats every second."""
    running = Server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture
def start_server(tmp_path_factory):
    """start_server(**env) -> a server of its own with extra environment (FLASK_*), stopped
    after the test."""
    started = []

    def start(**extra_env) -> Server:
        started.append(Server(tmp_path_factory.mktemp("server"), {k: str(v) for k, v in extra_env.items()}))
        return started[-1]

    yield start
    for running in started:
        running.stop()
