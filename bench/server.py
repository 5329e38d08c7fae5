"""The server under test: a fresh database filled in bulk with people, tokens and groups, and
`gunicorn -c gunicorn.conf.py wsgi:app` (gevent) started on it, pinned to the server's core,
with its worker's CPU time and memory read from /proc."""
import hashlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).parent / "gunicorn"
NOFILE = 200_000  # descriptors for the server and the load generator (15,000+ streams each)
START_TIMEOUT = 60  # seconds for gunicorn to answer


@dataclass
class Person:
    """A benchmark account: its id, raw Bearer token and the group it sends to."""

    id: int
    token: str
    group: int = 0


@dataclass
class Population:
    """People and groups written to a database: `groups[i]` lists the people of group i."""

    people: list[Person]
    groups: list[list[Person]] = field(default_factory=list)
    group_ids: list[int] = field(default_factory=list)


def raise_nofile() -> int:
    """Raise this process's descriptor limit (children inherit it); return the soft limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for wanted in (NOFILE, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(wanted, hard)))
            return wanted
        except (ValueError, OSError):
            continue
    return soft


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Database:
    """A fresh, empty Parley database: a SQLite file in `directory`, or a schema of its own
    in the PostgreSQL database at `pg_url` (dropped by `drop`)."""

    def __init__(self, kind: str, directory: Path, pg_url: str | None = None):
        self.kind = kind
        self.schema = None
        if kind == "sqlite":
            self.url = f"sqlite:///{directory / 'bench.sqlite3'}"
        else:
            if not pg_url:
                raise RuntimeError("PostgreSQL needs --pg-url (or DATABASE_URL)")
            self.schema = "bench_" + uuid.uuid4().hex[:10]
            base = make_url(pg_url).set(drivername="postgresql+psycopg")
            with create_engine(base, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f"CREATE SCHEMA {self.schema}"))
            # libpq's `options` puts the server and this process in the schema alike.
            self.url = base.update_query_dict({"options": f"-csearch_path={self.schema}"}) \
                .render_as_string(hide_password=False)
            self._base = base
        self.engine = create_engine(self.url)
        import models  # noqa: F401  (registers every table)
        from extensions import db

        db.metadata.create_all(self.engine)

    def count(self, table: str) -> int:
        """Rows in `table`."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(text(f'"{table}"'))).scalar_one()

    def drop(self) -> None:
        """Forget the database (the PostgreSQL schema is dropped)."""
        self.engine.dispose()
        if self.schema:
            with create_engine(self._base, isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text(f"DROP SCHEMA {self.schema} CASCADE"))


def _password_hash() -> str:
    # One cheap argon2 hash serves every account: nobody logs in with a password here.
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("bench-password")


def populate(database: Database, groups: int, group_size: int, loners: int = 0) -> Population:
    """Write `groups` groups of `group_size` people (each with an access token) and `loners`
    people in no group, in bulk. Memberships start at event 0 and no event is recorded, so
    the event log starts empty."""
    from core.timeutil import utcnow
    from models import AccessToken, Conversation, Membership, User

    count = groups * group_size + loners
    now = utcnow()
    password = _password_hash()
    tag = uuid.uuid4().hex[:6]
    tokens = ["pat_" + secrets.token_urlsafe(32) for _ in range(count)]
    with database.engine.begin() as conn:
        first = (conn.execute(select(func.max(User.id))).scalar() or 0) + 1
        conn.execute(insert(User.__table__), [
            {"id": first + i, "username": f"b{tag}{i}", "username_key": f"b{tag}{i}",
             "nickname": f"Bench {i}", "email": f"b{tag}{i}@bench.invalid",
             "password_hash": password, "created_at": now} for i in range(count)])
        # last_used_at = now: a token's first use would otherwise write it back, once per
        # person, during the ramp-up; the once-a-minute touch after that stays as deployed.
        conn.execute(insert(AccessToken.__table__), [
            {"user_id": first + i, "name": "bench", "token_hash": hashlib.sha256(raw.encode()).hexdigest(),
             "hint": raw[:8], "created_at": now, "last_used_at": now} for i, raw in enumerate(tokens)])
        people = [Person(first + i, raw) for i, raw in enumerate(tokens)]
        group_ids, members = [], []
        for g in range(groups):
            owner = people[g * group_size]
            group_id = conn.execute(insert(Conversation.__table__).values(
                kind="group", name=f"Bench group {g}", owner_id=owner.id, created_at=now,
                last_activity_at=now).returning(Conversation.__table__.c.id)).scalar_one()
            group_ids.append(group_id)
            members.append(people[g * group_size:(g + 1) * group_size])
            for person in members[-1]:
                person.group = group_id
        conn.execute(insert(Membership.__table__), [
            {"conversation_id": person.group, "user_id": person.id, "joined_at": now,
             "last_read_message_id": 0}
            for group in members for person in group])
    return Population(people, members, group_ids)


class Server:
    """`gunicorn -c gunicorn.conf.py wsgi:app` on `database`, pinned with taskset to `cpus`.

    `env` adds settings (FLASK_*, PARLEY_*, WEB_CONCURRENCY, REDIS_URL). The access log goes
    to a file in `directory`, as a deployment would keep it.
    """

    config = "gunicorn.conf.py"  # as deployed; investigations may point elsewhere

    def __init__(self, database: Database, directory: Path, cpus: str | None, env: dict | None = None,
                 host: str = "127.0.0.1"):
        self.directory = directory
        self.host = host
        self.port = free_port(host)
        clean = {k: v for k, v in os.environ.items()
                 if k not in ("REDIS_URL", "DATABASE_URL", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS")
                 and not k.startswith(("FLASK_", "PARLEY_"))}
        clean.update({
            "DATABASE_URL": database.url,
            "FLASK_INSTANCE_PATH": str(directory),
            "FLASK_SECRET_KEY": secrets.token_urlsafe(32),
            "PARLEY_BIND": f"{self.host}:{self.port}",
            "PARLEY_LOG_LEVEL": "warning",
            "WEB_CONCURRENCY": "1",
            # The big-group scenario holds 1,000 members (the default cap is 500; the bulk
            # set-up bypasses it, the setting only keeps the server's view consistent).
            "FLASK_GROUP_MAX_MEMBERS": "1000",
        })
        clean.update(env or {})
        self.env = clean
        command = [str(GUNICORN), "-c", self.config, "wsgi:app"]
        if cpus is not None:
            command = ["taskset", "-c", cpus] + command
        self.log_path = directory / f"server-{self.port}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, cwd=ROOT, env=clean, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_until_up(int(clean["WEB_CONCURRENCY"]))

    def _wait_until_up(self, workers: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as probe:
                    probe.sendall(b"GET /login HTTP/1.0\r\nHost: bench\r\n\r\n")
                    if probe.recv(64)[8:13] == b" 200 " and len(self.worker_pids()) >= workers:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        output = self.log()
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT} s:\n{output}")

    def log(self) -> str:
        """The server's output so far."""
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-5000:]

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master)."""
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by the workers."""
        return sum(process_cpu(pid) for pid in self.worker_pids())

    def memory(self) -> dict:
        """{"rss", "pss"} of the workers together, in bytes."""
        total = {"rss": 0, "pss": 0}
        for pid in self.worker_pids():
            for key, value in process_memory(pid).items():
                total[key] += value
        return total

    def stop(self) -> None:
        """Stop gunicorn (its own process group, by id), then close the log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, 9)
            except ProcessLookupError:
                pass
            self.process.wait(10)
        self._log.close()


_CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """Seconds of CPU used by `pid` (all its threads): the scheduler's nanosecond counts when
    the kernel keeps them, else utime + stime in clock ticks."""
    try:
        total = 0
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                total += int(handle.read().split()[0])
        return total / 1e9
    except (OSError, ValueError, IndexError):
        pass
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICK
    except OSError:
        return 0.0


def process_memory(pid: int) -> dict:
    """{"rss", "pss"} of `pid` in bytes (smaps_rollup)."""
    values = {"rss": 0, "pss": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                name, _, rest = line.partition(":")
                if name in ("Rss", "Pss"):
                    values[name.lower()] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    return values


def cleanup(directory: Path) -> None:
    """Remove a run directory."""
    shutil.rmtree(directory, ignore_errors=True)
