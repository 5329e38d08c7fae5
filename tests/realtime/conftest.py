"""Stream tests against the real thing: `gunicorn -c gunicorn.conf.py wsgi:app` (one gevent
worker, the in-process broker, SQLite) on a free port, read by a real HTTP client (httpx).
`Server`, `EventStream` and the rest live in tests/support (servers.py, streams.py).

People and tokens are made by an app in this process on the same database; everything that
records an event goes through the server's HTTP API, so the server's broker carries it.
"""
import pytest

from tests.realtime.actions import befriend, make_group
from tests.support.servers import Server


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


@pytest.fixture
def trio_group(server):
    """(owner, bob, carol, group id): bob and carol are members of the owner's group."""
    owner, bob, carol = server.people(3)
    befriend(server, owner, bob)
    befriend(server, owner, carol)
    return owner, bob, carol, make_group(server, owner, [bob, carol])
