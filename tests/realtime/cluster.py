"""Several real Parley servers for the cross-process tests: gunicorn processes on their own
ports sharing one PostgreSQL schema and one Redis channel, a private Redis that a test may kill
and start again, and `LiveClient`, a person's page that keeps its stream open across ends,
errors and killed processes by reconnecting with Last-Event-ID, as a browser's EventSource does.
"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import redis
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app import create_app
from extensions import db
from models import Message
from realtime import EXTENSION_KEY, store
from realtime.broker import LocalBroker
from tests.support.apps import PG_URL, pg_conninfo
from tests.support.servers import (CHEAP_ARGON2, REDIS_URL, InProcessApp, free_port, kill_group, log_tail, require,
                                   server_env, start_gunicorn, stop_group, wait_until_ready, worker_pids)
from tests.support.streams import EventStream, Frame, Person

API = "/api/v1"


def require_services(redis_url: str | None) -> None:
    """PostgreSQL, and Redis unless the test brings its own: what a cluster needs."""
    require(PG_URL.startswith(("postgres://", "postgresql")), "DATABASE_URL does not point at PostgreSQL")
    require(bool(redis_url or REDIS_URL), "REDIS_URL is not set")


def eventually(check, timeout: float = 15.0, what: str = "the condition"):
    """Poll `check()` until it returns something truthy, and return that; AssertionError
    after `timeout` seconds. For state that no stream announces (an HTTP answer, a process)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"{what} not met within {timeout} s"
        time.sleep(0.05)


class PrivateRedis:
    """A redis-server of the test's own on a free port (no persistence), so a test can kill it
    and start it again without touching the Redis other tests share."""

    def __init__(self, directory: Path):
        binary = shutil.which("redis-server")
        require(binary is not None, "the redis-server program is not installed")
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        """Start the server on the same port and wait until it answers PING."""
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        with redis.Redis(port=self.port, socket_connect_timeout=1) as client:
            while True:
                try:
                    client.ping()
                    return
                except redis.RedisError:
                    assert self.process.poll() is None, "redis-server exited at start"
                    assert time.monotonic() < deadline, "redis-server did not answer within 10 s"
                    time.sleep(0.05)

    def running(self) -> bool:
        """True while the redis-server process is alive."""
        return self.process is not None and self.process.poll() is None

    def pause(self) -> None:
        """SIGSTOP the server: it holds every connection and answers nothing (a hung Redis)."""
        self.process.send_signal(signal.SIGSTOP)

    def kill(self) -> None:
        """SIGKILL the server (paused or not): every connection to it drops at once."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def cut_listeners_and_publish(self, channel: str, message: bytes) -> tuple[int, int]:
        """Drop every subscriber's connection and publish `message` in one atomic step (MULTI),
        as when Redis kills a slow subscriber at its output-buffer limit while events flow:
        the message reaches nobody. Returns (connections dropped, receivers)."""
        with redis.Redis(port=self.port, socket_connect_timeout=1) as client:
            pipe = client.pipeline(transaction=True)
            pipe.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            pipe.publish(channel, message)
            dropped, receivers = pipe.execute()
        return dropped, receivers

    def subscribers(self, channel: str) -> int:
        """How many connections are subscribed to `channel` (PUBSUB NUMSUB)."""
        with redis.Redis(port=self.port, socket_connect_timeout=1) as client:
            return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)


class Node:
    """One gunicorn master (and its workers) serving Parley on its own port."""

    def __init__(self, cluster: "Cluster", name: str, workers: int):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = cluster.directory / f"{name}.log"
        self._log = open(self.log_path, "wb")
        env = {**cluster.env, "PARLEY_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(workers)}
        self.process = start_gunicorn(env, self._log)
        self.workers = workers

    def wait_until_up(self) -> None:
        """Wait until every worker answers (the master forks them all before any serves), as
        long as the server makes progress (tests/support/servers.wait_until_ready). Raises
        StartError with the server's own log."""
        def answers() -> bool:
            try:
                return (len(self.worker_pids()) == self.workers
                        and httpx.get(self.url + "/login", timeout=1).status_code == 200)
            except httpx.TransportError:
                return False

        wait_until_ready(self.process, answers, self._log, self.log_path, f"gunicorn {self.name}")

    def log(self) -> str:
        """The server's output so far (for failure messages)."""
        return log_tail(self._log, self.log_path)

    def worker_pids(self) -> list[int]:
        """The gunicorn worker processes (children of the master)."""
        return worker_pids(self.process)

    def connections_of(self, pid: int) -> int:
        """How many established TCP connections to this node's port process `pid` holds: which
        worker serves the most streams."""
        inodes = set()
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            return 0
        count = 0
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].split(":")[1], 16)
            if local_port == self.port and fields[3] == "01" and fields[9] in inodes:
                count += 1
        return count

    def kill(self) -> None:
        """SIGKILL the master and its workers at once (the process group we started)."""
        kill_group(self.process)

    def stop(self, deadline: float) -> None:
        """SIGTERM (if not sent yet), wait until `deadline` (monotonic), then SIGKILL the group."""
        stop_group(self.process, deadline - time.monotonic())
        self._log.close()


class Cluster(InProcessApp):
    """Gunicorn servers sharing one fresh PostgreSQL schema and one Redis channel, and an app in
    this process on the same database (to make people and tokens, and read the record)."""

    def __init__(self, directory: Path, redis_url: str | None = None, **extra_env):
        require_services(redis_url)
        self.directory = directory
        self.redis_url = redis_url or REDIS_URL
        self.channel = "parley-test:" + uuid.uuid4().hex
        self.schema = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {self.schema}")
        database = make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        # Small pools: several processes share the 100 connections PostgreSQL allows, with
        # other test runs beside them.
        engine_options = {"pool_size": 4, "max_overflow": 6,
                          "connect_args": {"options": f"-csearch_path={self.schema}"}}
        secret = secrets.token_hex(20)
        self.env = server_env(**{
            "DATABASE_URL": database,
            "FLASK_SQLALCHEMY_ENGINE_OPTIONS": json.dumps(engine_options),
            "REDIS_URL": self.redis_url,
            "FLASK_BROKER_CHANNEL": self.channel,
            # Rate-limit counters are keyed by user id, which every schema reuses.
            "FLASK_RATELIMIT_KEY_PREFIX": self.channel,
            "FLASK_INSTANCE_PATH": str(directory),
            "FLASK_SECRET_KEY": secret,
            "FLASK_EVENT_HEARTBEAT": "1",
            **CHEAP_ARGON2,
            "PARLEY_ACCESS_LOG": "/dev/null",
            **{key: str(value) for key, value in extra_env.items()},
        })
        self.app = create_app({
            "TESTING": True, "SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": database,
            "SQLALCHEMY_ENGINE_OPTIONS": {**engine_options, "pool_size": 2, "max_overflow": 2},
            "INSTANCE_PATH": str(directory), "REDIS_URL": self.redis_url,
            "BROKER_CHANNEL": self.channel, "RATELIMIT_STORAGE_URI": "memory://",
            "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024, "ARGON2_PARALLELISM": 1,
        })
        with self.app.app_context():
            db.create_all()
            db.session.remove()
        self.nodes: list[Node] = []
        self.http = httpx.Client(timeout=10)

    def start(self, *worker_counts: int) -> list[Node]:
        """Start one server per argument, with that many workers (one server of one worker
        when none is given), all at once, and wait until every one answers."""
        started = [Node(self, f"node{len(self.nodes) + n}", workers)
                   for n, workers in enumerate(worker_counts or (1,))]
        self.nodes.extend(started)
        for node in started:
            node.wait_until_up()
        return started

    def close(self) -> None:
        """Stop every server, release the database and drop the schema."""
        # Idle keep-alive connections would hold up the workers' graceful exit.
        self.http.close()
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.terminate()
        deadline = time.monotonic() + 3
        for node in self.nodes:
            node.stop(deadline)
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        with psycopg.connect(pg_conninfo(), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {self.schema} CASCADE")

    # -- the record (people, tokens and event ids: InProcessApp) ---------------------------------
    def wait_for_subscribers(self, server: PrivateRedis, count: int, timeout: float = 15.0) -> None:
        """Wait until `count` listeners are subscribed to the cluster's channel on `server`."""
        eventually(lambda: server.subscribers(self.channel) >= count, timeout, f"{count} listeners subscribed")

    def commit_unpublished(self, action) -> bytes:
        """Run `action()` in an app context as if its publisher died right after COMMIT: what
        it records is committed but never published. Returns the broker message that would
        have carried it."""
        hub = self.app.extensions[EXTENSION_KEY]
        before = self.last_event_id()
        # A LocalBroker nobody listens to drops what it is given.
        broker, hub.broker = hub.broker, LocalBroker()
        try:
            with self.app.app_context():
                action()
                db.session.remove()
        finally:
            hub.broker = broker
        with self.app.app_context():
            events = store.read_events(before)
        assert events, "the action recorded no event"
        return json.dumps({"kind": "events", "events": events}).encode()

    def client_ids_stored(self, conversation_id: int) -> list[str]:
        """The client ids of the conversation's stored messages (one per message)."""
        with self.app.app_context():
            try:
                return list(db.session.scalars(select(Message.client_id).where(
                    Message.conversation_id == conversation_id)))
            finally:
                db.session.remove()

    # -- the API -------------------------------------------------------------------------------
    def call(self, node: Node, person: Person, method: str, path: str, **kwargs) -> httpx.Response:
        """An API request as `person` (Bearer token) to `node`."""
        return self.http.request(method, node.url + path, headers=person.bearer, **kwargs)

    def befriend(self, asker_node: Node, asker: Person, answer_node: Node, answerer: Person) -> None:
        """`asker` asks through one server, `answerer` accepts through another."""
        asked = self.call(asker_node, asker, "POST", f"{API}/friend-requests",
                          json={"username": answerer.username, "reason": "hi"})
        assert asked.status_code == 200, asked.text
        accepted = self.call(answer_node, answerer, "POST",
                             f"{API}/friend-requests/{asked.json()['request']['id']}/accept")
        assert accepted.status_code == 200, accepted.text

    def direct_conversation(self, node: Node, person: Person, peer: Person) -> int:
        """The id of `person`'s direct conversation with `peer`."""
        listed = self.call(node, person, "GET", f"{API}/conversations")
        assert listed.status_code == 200, listed.text
        [conversation] = [item["id"] for item in listed.json()["items"]
                          if item["peer"] and item["peer"]["id"] == peer.id]
        return conversation

    def make_group(self, node: Node, owner: Person, members: list[Person], name: str = "Hikers") -> int:
        """`owner` (already friends with `members`) creates a group with them; returns its id."""
        created = self.call(node, owner, "POST", f"{API}/groups",
                            json={"name": name, "member_ids": [m.id for m in members]})
        assert created.status_code == 201, created.text
        return created.json()["id"]

    def send(self, node: Node, person: Person, conversation_id: int, body: str,
             client_id: str | None = None) -> dict:
        """`person` sends a message through `node`; returns the stored message."""
        sent = self.call(node, person, "POST", f"{API}/conversations/{conversation_id}/messages",
                         json={"body": body, "client_id": client_id or str(uuid.uuid4())})
        assert sent.status_code in (200, 201), sent.text
        return sent.json()


class LiveClient:
    """A person's open page: one event stream read in a thread and kept open across stream
    ends, transport errors and killed servers by reconnecting with Last-Event-ID set to the
    last id it saw, to the next of `urls` in turn (as a browser retries, possibly through a
    load balancer that picks another server). Records every frame and every connection."""

    def __init__(self, person: Person, urls: list[str], cursor: int, retry_delay: float = 0.2):
        self.person = person
        self.urls = list(urls)
        self.cursor = cursor
        self.retry_delay = retry_delay
        self.ids: list[int] = []
        self.frames: list[Frame] = []
        self.connections: list[str] = []  # the url of each stream that got as far as `hello`
        self.errors: list[str] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"live-{person.username}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        turn = 0
        while not self._stop.is_set():
            url = self.urls[turn % len(self.urls)]
            try:
                # Heartbeats come every second, so a read that waits 5 s means a dead stream.
                with EventStream(url, person=self.person, last_event_id=self.cursor,
                                 read_timeout=5.0) as stream:
                    stream.hello(timeout=10)
                    with self._changed:
                        self.connections.append(url)
                        self._changed.notify_all()
                    for frame in stream.frames(timeout=3600, pings=True):
                        if self._stop.is_set():
                            return
                        if frame.event == "ping":
                            continue
                        with self._changed:
                            self.frames.append(frame)
                            if frame.id is not None:
                                self.ids.append(int(frame.id))
                                self.cursor = int(frame.id)
                            self._changed.notify_all()
            except (httpx.HTTPError, AssertionError) as exc:
                self.errors.append(f"{url}: {type(exc).__name__}: {exc}")
            turn += 1
            self._stop.wait(self.retry_delay)

    def wait_until(self, predicate, timeout: float = 15.0, what: str = "the condition") -> None:
        """Wait until `predicate(self)` holds; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                assert left > 0, (f"{self.person.username}: {what} not met within {timeout} s; "
                                  f"ids {self.ids[-20:]}, connections {self.connections}, "
                                  f"errors {self.errors[-5:]}")
                self._changed.wait(min(left, 0.5))

    def wait_connected(self, count: int = 1, timeout: float = 15.0) -> None:
        """Wait until `count` streams have said hello (the first: the stream is registered)."""
        self.wait_until(lambda c: len(c.connections) >= count, timeout, f"{count} connection(s)")

    def wait_for_ids(self, expected: list[int], timeout: float = 20.0) -> None:
        """Wait until the newest id of `expected` has arrived."""
        if expected:
            self.wait_until(lambda c: bool(c.ids) and c.ids[-1] >= expected[-1], timeout,
                            f"id {expected[-1]}")

    def wait_for_frame(self, predicate, timeout: float = 15.0, what: str = "a frame") -> Frame:
        """Wait for the first recorded frame that `predicate` accepts, and return it."""
        found: list[Frame] = []

        def seen(client):
            found[:] = [frame for frame in client.frames if predicate(frame)][:1]
            return bool(found)

        self.wait_until(seen, timeout, what)
        return found[0]

    def durable(self, event_type: str) -> list[dict]:
        """The bodies of the durable events of `event_type` received so far."""
        with self._changed:
            return [frame.json() for frame in self.frames
                    if frame.id is not None and frame.json()["type"] == event_type]

    def stop(self) -> None:
        """Stop reconnecting; the reader ends at the next heartbeat (within a second)."""
        self._stop.set()

    def close(self) -> None:
        """Stop, and wait until the stream is closed."""
        self.stop()
        self._thread.join(10)
