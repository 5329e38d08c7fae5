"""A vanished client: how long the server holds a stream whose client is gone.

Two ways to vanish, each timed from the worst moment (just after a heartbeat was written):
- closed: the client's socket closes (a FIN, as a killed browser's kernel sends);
- silent: the client's network disappears (no FIN, no RST, no ACK: a laptop lid, a dropped
  NAT entry). On loopback nothing is ever lost, so this runs the server and client in two
  private network namespaces joined by a veth pair (bench/scenarios/silent.py), and takes
  the client's end down. It needs root (CAP_NET_ADMIN), `unshare` and `ip`; else skipped.

"Noticed" means the worker closed its socket (it left /proc/<worker>/fd), which is also when
the hub forgets the stream.
"""
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.client import Sink
from bench.scenarios.common import Context, figure, open_everyone, served, wait_for

LIMIT = 90  # seconds we wait for the server to notice


def server_inodes(server_port: int, clients: list[tuple[str, int]]) -> list[str | None]:
    """The inode of the server's end of each client connection, from /proc/net/tcp."""
    wanted = {(socket.inet_aton(ip)[::-1].hex().upper(), port): index for index, (ip, port) in enumerate(clients)}
    found: list[str | None] = [None] * len(clients)
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            local_ip, local_port = fields[1].split(":")
            remote_ip, remote_port = fields[2].split(":")
            if int(local_port, 16) != server_port:
                continue
            index = wanted.get((remote_ip, int(remote_port, 16)))
            if index is not None:
                found[index] = fields[9]
    return found


def socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets `pid` holds open."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


async def watch_freed(pids: list[int], inodes: list[str], since: float, limit: float) -> list[float | None]:
    """Seconds from `since` until each inode left every worker's descriptors (None: not in `limit`)."""
    freed: list[float | None] = [None] * len(inodes)
    deadline = since + limit
    while time.time() < deadline and None in freed:
        held = set().union(*(socket_inodes(pid) for pid in pids))
        now = time.time()
        for index, inode in enumerate(inodes):
            if freed[index] is None and inode not in held:
                freed[index] = round(now - since, 2)
        await asyncio.sleep(0.1)
    return freed


async def closed_client(ctx: Context) -> dict:
    """Clients close their sockets right after a heartbeat; time until the worker lets go."""
    count = ctx.scale(20, 5)
    with served(ctx, "sqlite", 1, count) as (server, population, _database):
        sink = Sink()
        streams, _ = await open_everyone(ctx, server, (p.token for p in population.people), sink)
        clients = [stream.transport.get_extra_info("sockname") for stream in streams]
        inodes = server_inodes(server.port, clients)
        first = streams[0]
        seen = first.last_ping
        await wait_for(lambda: first.last_ping != seen, 40)
        closed_at = time.time()
        for stream in streams:
            stream.close()
        freed = await watch_freed(server.worker_pids(), inodes, closed_at, LIMIT)
        heartbeat = 15
    noticed = [value for value in freed if value is not None]
    return {"streams": count, "heartbeat_seconds": heartbeat, "freed_after_seconds": freed,
            "worst": max(noticed) if len(noticed) == len(freed) else None}


def silent_client(ctx: Context) -> dict:
    """Run bench/scenarios/silent.py in a private network namespace; its JSON answer."""
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return {"skipped": "needs root, unshare and ip (a private network namespace)"}
    command = ["unshare", "-n", sys.executable, "-m", "bench.scenarios.silent", "outer", str(ctx.directory),
               ctx.server_cpus or "", str(ctx.scale(10, 3)), str(LIMIT)]
    done = subprocess.run(command, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
                          timeout=LIMIT + 120)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"skipped": f"the namespace run failed ({done.returncode}): {done.stderr[-800:]}"}


async def vanished_client(ctx: Context) -> dict:
    """Both ways to vanish, each against the 30-second target."""
    ctx.log("vanished client: closed sockets (FIN), after a heartbeat")
    closed = await closed_client(ctx)
    ctx.log(f"  freed after {closed['freed_after_seconds']} s")
    ctx.log("vanished client: silent (network gone), in a private network namespace")
    silent = await asyncio.to_thread(silent_client, ctx)
    ctx.log(f"  {silent}")
    silent_worst = silent.get("worst")
    silent_note = silent.get("skipped", "") or ("" if silent_worst is not None else
                                                f"still held after {LIMIT} s")
    return {"details": {"closed": closed, "silent": silent}, "figures": [
        figure("vanish.closed", "Vanished client (socket closed): noticed within", closed["worst"], "s", 30, "<=",
               "" if closed["worst"] is not None else f"still held after {LIMIT} s",
               failed=closed["worst"] is None),
        figure("vanish.silent", "Vanished client (network gone, no FIN): noticed within", silent_worst, "s", 30,
               "<=", silent_note, failed=silent_worst is None and "skipped" not in silent),
    ]}
