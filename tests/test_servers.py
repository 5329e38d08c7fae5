"""The test servers' start-up (tests/support/servers.py): a start waits for as long as the
server makes progress, and a server that cannot come up fails with its own output, however
it fails, leaving no process behind."""
import socket
import subprocess
import sys

import httpx
import pytest

from tests.support.servers import Server, StartError, free_port, stop_group, wait_until_ready

pytestmark = pytest.mark.process  # real gunicorn processes

# A server that takes its time to start, saying so as it goes (as gunicorn starting on a busy
# machine keeps reading and running its code), then serves.
SLOW_STARTER = """
import http.server, sys, time
for part in range(12):
    print(f"loading part {part}", flush=True)
    time.sleep(0.25)
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
"""


def refuses(address: str) -> bool:
    """Whether nothing listens on `address` ("host:port")."""
    host, port = address.split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return False
    except OSError:
        return True


def test_server_that_never_answers_fails_with_its_own_log(tmp_path):
    # gunicorn boots fine but listens on another port than the one the helper asks, so it
    # never answers: the helper must give up once it stops making progress, and say why
    # with what the server wrote (here, where it really listens).
    elsewhere = f"127.0.0.1:{free_port()}"
    with pytest.raises(StartError) as failure:
        Server(tmp_path, {"PARLEY_BIND": elsewhere})
    message = str(failure.value)
    assert "did not answer" in message
    assert f"Listening at: http://{elsewhere}" in message
    assert refuses(elsewhere), "the failed server was left running"


def test_server_that_exits_fails_with_its_own_log(tmp_path):
    # gunicorn refuses two workers without Redis (gunicorn.conf.py) and exits at once.
    with pytest.raises(StartError) as failure:
        Server(tmp_path, {"WEB_CONCURRENCY": "2"})
    message = str(failure.value)
    assert "exited" in message
    assert "workers need REDIS_URL" in message


def test_start_waits_as_long_as_the_server_makes_progress(tmp_path):
    # Three seconds of start-up, against a one-second allowance without progress: each line
    # of output is progress, so the wait goes on until the server answers.
    port = free_port()
    output = tmp_path / "slow.log"
    with open(output, "wb") as log:
        process = subprocess.Popen([sys.executable, "-c", SLOW_STARTER, str(port)], cwd=tmp_path,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            def answers() -> bool:
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            wait_until_ready(process, answers, log, output, "the slow starter", stall=1.0)
            assert "loading part 11" in output.read_text()
        finally:
            stop_group(process, 5)
