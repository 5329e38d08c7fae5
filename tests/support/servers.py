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
# A server start waits for as long as the server lives and makes progress (uses CPU, reads its
# code, writes output), so a slow start on a busy machine still succeeds; it fails once the
# server exits, makes no progress for START_STALL seconds (hung, or listening elsewhere), or
# passes START_TIMEOUT seconds in all, however busy the machine.
START_TIMEOUT = 180
START_STALL = 10
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
    env.update(ROOMY_LIMITS)
    env.update(settings)
    return env


# Server tests repeat actions quickly to make events (renewing a friend request, renaming a
# group); the action limits have tests of their own (tests/test_limits.py).
ROOMY_LIMITS = {"FLASK_FRIEND_REQUEST_LIMIT": "10000 per hour", "FLASK_FRIEND_REQUEST_PAIR_LIMIT": "10000 per day",
                "FLASK_GROUP_RENAME_LIMIT": "10000 per hour", "FLASK_PROFILE_CHANGE_LIMIT": "10000 per hour",
                "FLASK_ACTION_LIMIT": "100000 per minute"}


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
    """The last 5000 characters a server wrote to `log` (a file object on `path`, open or
    already closed), for failure messages."""
    if not log.closed:
        log.flush()
    return path.read_text(errors="replace")[-5000:]


class StartError(RuntimeError):
    """A server process did not come up: it exited, stopped making progress, or outlasted
    START_TIMEOUT. The message says which, then gives the end of the server's own output."""


def _progress(process: subprocess.Popen, output: Path) -> tuple[float, int, int]:
    """What a starting server has done so far: (CPU seconds, bytes read, bytes of output) of
    `process` and its children (a gunicorn master and its workers), from /proc."""
    cpu, read = 0.0, 0
    for pid in [process.pid, *worker_pids(process)]:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
            read += int(Path(f"/proc/{pid}/io").read_text().split()[1])  # rchar
        except (OSError, IndexError, ValueError):
            pass  # gone between the listing and the read, or /proc/<pid>/io not ours to read
    return cpu, read, output.stat().st_size


def wait_until_ready(process: subprocess.Popen, ready, log, output: Path, what: str, *,
                     stall: float = START_STALL, ceiling: float = START_TIMEOUT) -> None:
    """Wait until `ready()` (a quick probe: True once the server serves) returns True, for as
    long as `process` (the started server, writing to the file object `log` on the path
    `output`) lives and makes progress: each 50 ms of CPU, 64 KiB read or byte of output by
    it or its children starts another `stall` seconds; `ceiling` seconds is the most it waits
    in all. So a start on a busy machine waits as long as it needs, and a hung one fails fast.

    Raises StartError naming `what` and the reason, followed by the end of the server's own
    output; the caller still owns `process` (stop it)."""
    started = last_progress = time.monotonic()
    mark = _progress(process, output)
    while True:
        if process.poll() is not None:
            raise StartError(f"{what} exited ({process.returncode}) before answering:\n{log_tail(log, output)}")
        if ready():
            return
        now = time.monotonic()
        cpu, read, written = _progress(process, output)
        if cpu >= mark[0] + 0.05 or read >= mark[1] + 65536 or written > mark[2]:
            mark, last_progress = (cpu, read, written), now
        if now - last_progress > stall:
            raise StartError(f"{what} did not answer, and made no progress for {stall:g} s "
                             f"(alive {now - started:.0f} s):\n{log_tail(log, output)}")
        if now - started > ceiling:
            raise StartError(f"{what} did not answer within {ceiling:g} s:\n{log_tail(log, output)}")
        time.sleep(0.05)


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
        self.http = httpx.Client(base_url=self.url, timeout=10)
        try:
            self.start()
        except StartError:
            self.stop()  # nothing of a failed start stays behind: process, log, engine
            raise

    def start(self) -> None:
        """Start gunicorn (again, after `halt`: same port, database and log) and wait until it
        answers /login. Raises StartError (with the server's output) if it exits, hangs, or
        outlasts START_TIMEOUT; the process is then still this Server's to stop."""
        self.process = start_gunicorn(self.env, self._log)
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        def answers() -> bool:
            try:
                return self.http.get("/login", timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_until_ready(self.process, answers, self._log, self.log_path, f"gunicorn on port {self.port}")

    def log(self) -> str:
        """The server's output so far (for failure messages), also after `stop`."""
        return log_tail(self._log, self.log_path)

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        return worker_pids(self.process)

    def alive(self) -> bool:
        return self.process.poll() is None and bool(self.worker_pids())

    def halt(self) -> None:
        """End gunicorn (terminate, then kill the whole process group: master and worker) as
        a crash or a deploy would; `start` brings it back on the same port and database."""
        stop_group(self.process, 5)

    def stop(self) -> None:
        """`halt`, then release what this Server holds (its client, log and database engine)."""
        self.http.close()
        self.halt()
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
