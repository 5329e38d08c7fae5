"""The silent vanish, run inside private network namespaces so nothing on the host changes:

    unshare -n python -m bench.scenarios.silent outer <run dir> <server cpus> <streams> <limit>

`outer` (namespace A) makes a veth pair, starts the server on 10.231.0.1 and a client in a
namespace of its own (B) holding the other end, 10.231.0.2. Right after a heartbeat reaches
the client, the client takes its end down: from then on every packet between them is lost
without a word. `outer` times how long the worker keeps the sockets, and prints one JSON line.
"""
import asyncio
import json
import select
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVER_IP, CLIENT_IP = "10.231.0.1", "10.231.0.2"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def outer(directory: str, cpus: str, count: int, limit: float) -> dict:
    """Namespace A: the server, the veth pair, the client's namespace; the measurement."""
    from bench.scenarios.vanish import server_inodes, watch_freed
    from bench.server import Database, Server, populate

    _ip("link", "set", "lo", "up")
    _ip("link", "add", "pbench0", "type", "veth", "peer", "name", "pbench1")
    _ip("addr", "add", f"{SERVER_IP}/24", "dev", "pbench0")
    _ip("link", "set", "pbench0", "up")
    work = Path(tempfile.mkdtemp(prefix="silent-", dir=directory))
    database = Database("sqlite", work)
    population = populate(database, 1, count)
    server = Server(database, work, cpus or None, host=SERVER_IP)
    client = subprocess.Popen(["unshare", "-n", sys.executable, "-m", "bench.scenarios.silent", "client",
                               SERVER_IP, str(server.port)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert client.stdout.readline().strip() == "unshared"
        _ip("link", "set", "pbench1", "netns", str(client.pid))
        client.stdin.write("\n".join(person.token for person in population.people) + "\n\n")
        client.stdin.flush()
        ready = client.stdout.readline().split()
        assert ready and ready[0] == "ready", ready
        clients = [(CLIENT_IP, int(port)) for port in ready[1:]]
        inodes = server_inodes(server.port, clients)
        assert client.stdout.readline().strip() == "ping"
        vanished_at = time.time()
        client.stdin.write("vanish\n")
        client.stdin.flush()
        assert client.stdout.readline().strip() == "gone"
        freed = asyncio.run(watch_freed(server.worker_pids(), inodes, vanished_at, limit))
    finally:
        client.kill()
        client.wait()
        server.stop()
        database.drop()
    noticed = [value for value in freed if value is not None]
    return {"streams": count, "freed_after_seconds": freed,
            "worst": max(noticed) if len(noticed) == len(freed) else None}


def client(host: str, port: int) -> None:
    """Namespace B: wait for the veth end, open one stream per token, report the first
    heartbeat, and take the link down when told."""
    print("unshared", flush=True)
    tokens = []
    for line in sys.stdin:
        if not line.strip():
            break
        tokens.append(line.strip())
    for _ in range(100):
        if subprocess.run(["ip", "link", "show", "pbench1"], capture_output=True).returncode == 0:
            break
        time.sleep(0.05)
    _ip("link", "set", "lo", "up")
    _ip("addr", "add", f"{CLIENT_IP}/24", "dev", "pbench1")
    _ip("link", "set", "pbench1", "up")
    socks = []
    for token in tokens:
        sock = socket.create_connection((host, port), timeout=30)
        sock.sendall((f"GET /events HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
                      f"Accept: text/event-stream\r\n\r\n").encode())
        received = b""
        while b"event: hello" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                raise SystemExit("stream closed before hello")
            received += chunk
        socks.append(sock)
    print("ready", *(sock.getsockname()[1] for sock in socks), flush=True)
    first = socks[0]
    while True:
        readable, _, _ = select.select([first], [], [], 60)
        if readable and b"event: ping" in first.recv(65536):
            break
    print("ping", flush=True)
    sys.stdin.readline()  # "vanish"
    _ip("link", "set", "pbench1", "down")
    print("gone", flush=True)
    time.sleep(3600)  # hold the sockets: a vanished client never closes them


if __name__ == "__main__":
    if sys.argv[1] == "outer":
        print(json.dumps(outer(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))), flush=True)
    else:
        client(sys.argv[2], int(sys.argv[3]))
