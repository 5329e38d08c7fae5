"""Proxy tests: Debian's nginx, started by the test with its own configuration on a free port,
in front of the real server (gunicorn, gevent; tests/realtime's `Server`).

The server runs as README's Deployment section says a proxied site should (the production
heartbeat, `FLASK_TRUSTED_HOSTS`, `FLASK_PROXY_COUNT=1`), and people reach it only through
nginx, as http://localhost:<nginx port>. Without nginx these tests skip, except under CI=true,
where they fail (.ci/run installs it).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from config import Config
from tests.support.servers import Server, free_port, require, stop_group

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
README_UPSTREAM = "127.0.0.1:8000"  # the address README's snippet proxies to
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # /usr/sbin is not on every PATH
FRONT_HOST = "localhost"  # the site's public name here: the only host the server trusts
START_TIMEOUT = 10  # seconds for nginx to accept connections


# -- README's snippet -----------------------------------------------------------------------------
def readme_locations(upstream: str) -> str:
    """The location blocks of the nginx snippet in README's "Live delivery" section, proxying
    to `upstream` ("host:port") instead of README's 127.0.0.1:8000. Nothing else is changed,
    so README and these tests cannot drift apart."""
    section = re.search(r"^### Live delivery\n(.*?)^#", README.read_text(), re.S | re.M)
    assert section, 'README has no "### Live delivery" section'
    snippets = re.findall(r"^```nginx\n(.*?)^```", section.group(1), re.S | re.M)
    assert len(snippets) == 1, f"Live delivery should hold one nginx snippet, found {len(snippets)}"
    blocks = top_level_blocks(snippets[0])
    assert blocks and all(block.startswith("location ") for block in blocks), \
        "README's nginx snippet should be location blocks (for a server block)"
    assert any(block.startswith("location /events ") for block in blocks), "no location /events"
    text = "\n".join(blocks)
    assert README_UPSTREAM in text, f"README's snippet no longer proxies to {README_UPSTREAM}"
    return text.replace(README_UPSTREAM, upstream)


def top_level_blocks(config: str) -> list[str]:
    """The `name args { ... }` blocks at the top level of an nginx snippet, in order.
    Anything else at the top level (other than comments) is an error: the snippet is meant
    to go into a server block as it is."""
    without_comments = re.sub(r"#[^\n]*", "", config)  # the snippet has no '#' inside quotes
    blocks, depth, start = [], 0, 0
    for index, char in enumerate(without_comments):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            assert depth >= 0, "unbalanced braces in README's nginx snippet"
            if depth == 0:
                blocks.append(without_comments[start:index + 1].strip())
                start = index + 1
        elif depth == 0 and char == ";":
            raise AssertionError(f"a directive outside any block: {without_comments[start:index + 1]!r}")
    assert depth == 0 and not without_comments[start:].strip(), "unbalanced braces in README's nginx snippet"
    return blocks


# -- nginx ------------------------------------------------------------------------------------------
class Nginx:
    """nginx in the foreground (`daemon off`) as a child process, on 127.0.0.1:<free port>,
    with its configuration, pid file, logs and temporary files in `directory`.

    `server` is the body of the one server block (location blocks and the like); `http` goes
    into the http block before it. The access log records, for each request, the fields of
    `ACCESS_FIELDS` separated by spaces (`msec`: when it ended, in seconds since the epoch)."""

    ACCESS_FIELDS = ("method", "uri", "status", "request_time", "msec")

    def __init__(self, directory: Path, server: str, http: str = ""):
        self.directory = directory
        self.config_path = directory / "nginx.conf"
        self.error_log = directory / "error.log"
        self.access_log = directory / "access.log"
        self.output = directory / "output.log"  # what nginx says before its error log is open
        for _attempt in range(3):  # another process may take the free port before nginx binds it
            self.port = free_port()
            self.url = f"http://{FRONT_HOST}:{self.port}"
            self.config_path.write_text(self._config(server, http))
            with open(self.output, "wb") as output:
                self.process = subprocess.Popen(
                    [NGINX, "-p", str(directory), "-c", str(self.config_path), "-e", str(self.error_log),
                     "-g", "daemon off;"],
                    stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
            if self._wait_until_up():
                return
            self.process.wait(5)
            if "Address already in use" not in self.log():
                break
        raise RuntimeError(f"nginx did not start:\n{self.log()}\n{self.config_path.read_text()}")

    def _config(self, server: str, http: str) -> str:
        temp = self.directory / "temp"
        temp.mkdir(exist_ok=True)
        # As root, nginx hands requests to workers running as `nobody`, who could not write
        # temporary files under the test's private tmp_path: keep the workers as the tester.
        user = "user root;" if os.geteuid() == 0 else ""
        return f"""
worker_processes 1;
{user}
pid {self.directory / 'nginx.pid'};
error_log {self.error_log} warn;
events {{ worker_connections 512; }}
http {{
    default_type application/octet-stream;
    log_format fields '$request_method $uri $status $request_time $msec';
    access_log {self.access_log} fields;
    client_body_temp_path {temp / 'client_body'};
    proxy_temp_path {temp / 'proxy'};
    fastcgi_temp_path {temp / 'fastcgi'};
    uwsgi_temp_path {temp / 'uwsgi'};
    scgi_temp_path {temp / 'scgi'};
{http}
    server {{
        listen 127.0.0.1:{self.port};
        server_name {FRONT_HOST};
{server}
    }}
}}
"""

    def _wait_until_up(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)
        self.stop()
        return False

    def log(self) -> str:
        """nginx's output and error log so far (for failure messages)."""
        return "".join(path.read_text(errors="replace")[-5000:]
                       for path in (self.output, self.error_log) if path.exists())

    def requests(self) -> list[dict]:
        """The requests nginx has finished so far, from its access log, oldest first."""
        try:
            lines = self.access_log.read_text().splitlines()
        except FileNotFoundError:
            return []
        return [dict(zip(self.ACCESS_FIELDS, line.split())) for line in lines if line]

    def stop(self) -> None:
        """Fast shutdown (SIGTERM), then SIGKILL to the process group we started."""
        stop_group(self.process, 5)


class ProxiedServer(Server):
    """tests/realtime's Server, configured as README's Deployment section says a site behind
    one proxy is: it trusts only the public host name and reads X-Forwarded-*. Its own
    direct client (start-up check, `call`) sends that host name too."""

    def __init__(self, directory: Path, extra_env: dict | None = None):
        super().__init__(directory, {
            # The production heartbeat, not the 1 s of the stream tests: what must survive
            # nginx is what a real site sends.
            "FLASK_EVENT_HEARTBEAT": str(Config.EVENT_HEARTBEAT),
            "FLASK_TRUSTED_HOSTS": f'["{FRONT_HOST}"]',
            "FLASK_PROXY_COUNT": "1",
            **(extra_env or {}),
        })

    def _wait_until_up(self) -> None:
        # Any other host name gets 400 now, the start-up check's included.
        self.http.headers["Host"] = FRONT_HOST
        super()._wait_until_up()

    def halt(self) -> None:
        """Quick shutdown (SIGQUIT): a graceful one would wait for streams whose clients have
        gone, which the production heartbeat notices only up to 15 s later."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
        super().halt()

    @property
    def upstream(self) -> str:
        """Where nginx should send requests ("127.0.0.1:<port>")."""
        return f"127.0.0.1:{self.port}"


def send_message(front: httpx.Client, person, conversation: int, body: str) -> dict:
    """`person` sends `body` through the proxy, as a script would (Bearer token); returns the
    stored message."""
    response = front.post(f"/api/v1/conversations/{conversation}/messages", headers=person.bearer,
                          json={"body": body, "client_id": str(uuid.uuid4())})
    assert response.status_code == 201, (response.status_code, response.text)
    return response.json()


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def nginx_installed():
    """Debian's nginx must be installed: skip without it, fail under CI=true."""
    require(os.path.exists(NGINX), "Debian's nginx is not installed (apt-get install nginx)")


@pytest.fixture
def server(tmp_path_factory):
    """A server of this test's own (so no other test's streams or events interfere)."""
    running = ProxiedServer(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture
def start_nginx(nginx_installed, tmp_path_factory):
    """start_nginx(server, http="") -> an Nginx of its own (see Nginx), stopped after the test."""
    started = []

    def start(server: str, http: str = "") -> Nginx:
        started.append(Nginx(tmp_path_factory.mktemp("nginx"), server, http))
        return started[-1]

    yield start
    for running in started:
        running.stop()
