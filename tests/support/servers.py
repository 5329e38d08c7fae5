"""Real processes for the tests: free ports, skipping a test whose service is missing (failing
it under CI=true instead, where everything must run), and Parley served by a real gunicorn
(`Server`: one gevent worker, the in-process broker, SQLite) beside an app in this process on
the same database that makes people and tokens and reads the event record.

Everything that records an event in a server test goes through the server's HTTP API, so the
server's broker carries it.
"""
import hashlib
import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app import create_app
from blueprints.auth import sessions
from extensions import db
from models import AccessToken, User
from realtime.eventlog import events_for_user, last_event_id
from tests.support.factories import make_user
from tests.support.streams import EventStream, Person

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT = 20  # seconds for gunicorn to answer /login
REDIS_URL = os.environ.get("REDIS_URL", "")
# Cheap password hashing, for the server as for the in-process app (FLASK_* settings).
CHEAP_ARGON2 = {"FLASK_ARGON2_TIME_COST": "1", "FLASK_ARGON2_MEMORY_COST": "1024",
                "FLASK_ARGON2_PARALLELISM": "1"}
_names = itertools.count(1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def require(present: bool, what: str) -> None:
    """Skip the test when `what` is missing, or fail it under CI=true (CI must run it)."""
    if present:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {what}")
    pytest.skip(what)


def server_env(**settings: str) -> dict:
    """The environment of a test's gunicorn: this process's, without what would point the
    server elsewhere (REDIS_URL, DATABASE_URL, WEB_CONCURRENCY, FLASK_*, PARLEY_*), with
    `settings` added."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("REDIS_URL", "DATABASE_URL", "WEB_CONCURRENCY")
           and not key.startswith(("FLASK_", "PARLEY_"))}
    env.update(settings)
    return env


def start_gunicorn(env: dict, log) -> subprocess.Popen:
    """`gunicorn -c gunicorn.conf.py wsgi:app` from the repository root, writing to the open
    file `log`, in a process group of its own (so `stop_group` ends the workers too)."""
    return subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py", "wsgi:app"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def worker_pids(process: subprocess.Popen) -> list[int]:
    """The children of `process` (a gunicorn master's workers)."""
    try:
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
    except OSError:
        return []
    return [int(pid) for pid in children.split()]


def stop_group(process: subprocess.Popen, grace: float) -> None:
    """SIGTERM `process` (if it still runs), wait up to `grace` seconds, then SIGKILL the
    process group we started for it, by its id."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(max(0.0, grace))
        except subprocess.TimeoutExpired:
            pass
    kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the process group we started for `process` (a master and its workers) at once."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(10)


def log_tail(log, path: Path) -> str:
    """The last 5000 characters a server wrote to `log` (open on `path`), for failure messages."""
    log.flush()
    return path.read_text(errors="replace")[-5000:]


class InProcessApp:
    """What a server test does beside the server, through `self.app` (an app in this process
    on the server's database): make people with tokens, and read the event record."""

    app = None  # set by the subclass

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


class Server(InProcessApp):
    """A gunicorn process serving Parley, and an app in this process on the same database."""

    def __init__(self, directory: Path, extra_env: dict | None = None):
        self.directory = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        database = f"sqlite:///{directory / 'db.sqlite3'}"
        secret = secrets.token_hex(20)  # 40 characters
        self.env = server_env(**{
            "FLASK_INSTANCE_PATH": str(directory),
            "FLASK_SECRET_KEY": secret,
            "FLASK_SQLALCHEMY_DATABASE_URI": database,
            "FLASK_EVENT_HEARTBEAT": "1",
            # The in-process app hashes passwords cheaply; the server checks them alike.
            **CHEAP_ARGON2,
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
        self.process = start_gunicorn(self.env, self._log)
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
        return log_tail(self._log, self.log_path)

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        return worker_pids(self.process)

    def alive(self) -> bool:
        return self.process.poll() is None and bool(self.worker_pids())

    def stop(self) -> None:
        """terminate, then kill (the whole process group: master and worker)."""
        self.http.close()
        stop_group(self.process, 5)
        self._log.close()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()

    # -- requests ---------------------------------------------------------------------------
    def call(self, person: Person, method: str, path: str, client: httpx.Client | None = None,
             **kwargs) -> httpx.Response:
        """An API request as `person` (Bearer token)."""
        headers = {**person.bearer, **kwargs.pop("headers", {})}
        return (client or self.http).request(method, path, headers=headers, **kwargs)

    def stream(self, person: Person | None = None, **kwargs) -> EventStream:
        """Open GET /events (as `person`, with a Bearer token)."""
        return EventStream(self.url, person=person, **kwargs)
