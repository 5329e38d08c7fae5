"""With REDIS_URL set, events cross worker processes: two real servers share the database and
Redis, and an event caused through one reaches a stream opened on the other."""
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.apps import make_app
from tests.support.factories import make_user
from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT, env={**env, "PARLEY_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("server did not start")


@pytest.fixture
def two_servers(redis_url, mailbox, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    secret = "s" * 40
    app = make_app((db_url, {}), mailbox, tmp_path, SECRET_KEY=secret)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",) and not k.startswith("FLASK_")}
    channel = "parley-test:" + uuid.uuid4().hex
    env.update({"FLASK_SQLALCHEMY_DATABASE_URI": db_url, "FLASK_SECRET_KEY": secret,
                "FLASK_INSTANCE_PATH": str(tmp_path), "REDIS_URL": redis_url,
                "FLASK_BROKER_CHANNEL": channel,
                # Rate-limit counters live in Redis, which outlives test runs, keyed by user ids
                # that every run reuses: a prefix of this run's own.
                "FLASK_RATELIMIT_KEY_PREFIX": channel,
                "FLASK_EVENT_HEARTBEAT": "1", "PARLEY_ACCESS_LOG": "/dev/null"})
    servers = [start_server(env), start_server(env)]
    yield app, [url for _process, url in servers]
    for process, _url in servers:
        process.terminate()
    for process, _url in servers:
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def token_for(app, user_id: int) -> str:
    from blueprints.auth import sessions
    from extensions import db
    from models import User

    with app.app_context():
        raw = sessions.create_token(db.session.get(User, user_id), "test")
        db.session.commit()
        return raw


def test_friend_request_sent_through_one_worker_reaches_a_stream_on_another(two_servers):
    app, (first, second) = two_servers
    make_user(app, "alice")
    bob = make_user(app, "bob")
    alice_token, bob_token = token_for(app, 1), token_for(app, bob)
    received = []
    with httpx.Client(timeout=httpx.Timeout(10.0)) as client:
        with client.stream("GET", second + "/events", headers={"Authorization": f"Bearer {bob_token}"}) as stream:
            lines = stream.iter_lines()
            for line in lines:  # wait for the hello: the stream is registered
                if line == "event: hello":
                    break
            sent = client.post(first + "/api/v1/friend-requests", json={"username": "bob", "reason": "hi"},
                               headers={"Authorization": f"Bearer {alice_token}"})
            assert sent.status_code == 200
            started = time.monotonic()
            for line in lines:
                if line.startswith("data: {\"id\""):
                    received.append(line)
                    break
                assert time.monotonic() - started < 5, "no event within 5 s"
    assert '"type":"friend_request.received"' in received[0]
    assert '"reason":"hi"' in received[0]
