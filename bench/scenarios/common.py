"""What every scenario shares: the run's settings, a fresh server on a fresh database, CPU
windows, and figures compared with their targets."""
import asyncio
import os
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import Sink, open_streams
from bench.server import Database, Server, populate


@dataclass
class Context:
    """The run's settings: scale (`quick`), cores, services, and where to log."""

    quick: bool = False
    server_cpus: str | None = "0"
    pg_url: str | None = None
    redis_url: str | None = None
    keep: bool = False
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="parley-bench-")))

    def scale(self, full, quick):
        """`quick` in a smoke run, else `full`."""
        return quick if self.quick else full

    def log(self, message: str) -> None:
        """A progress line on stderr."""
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def figure(key: str, label: str, value, unit: str, target, op: str, note: str = "",
           failed: bool = False) -> dict:
    """One measured figure against its target: `op` is "<=", "<", ">=" (value op target).
    `failed` marks a figure that was run but produced no value (a miss, not "not measured")."""
    if failed:
        passed = False
    elif value is None:
        passed = None
    elif op == "<=":
        passed = value <= target
    elif op == "<":
        passed = value < target
    else:
        passed = value >= target
    return {"key": key, "label": label, "value": value, "unit": unit, "target": target, "op": op,
            "pass": passed, "note": note}


@contextmanager
def served(ctx: Context, kind: str, groups: int, group_size: int, loners: int = 0, env: dict | None = None,
           host: str = "127.0.0.1", cpus: str | None = None):
    """A fresh database of `kind` ("sqlite" or "postgresql") with `groups` groups of
    `group_size` people (and `loners` in none), and a server on it (pinned to `cpus`, by
    default the context's server CPUs): yields (server, population, database); stops and drops
    both afterwards."""
    directory = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=ctx.directory))
    database = Database(kind, directory, ctx.pg_url)
    server = None
    try:
        started = time.monotonic()
        population = populate(database, groups, group_size, loners)
        ctx.log(f"  {len(population.people)} people in {groups} groups of {group_size} on {kind} "
                f"({time.monotonic() - started:.1f} s)")
        server = Server(database, directory, cpus or ctx.server_cpus, env, host)
        yield server, population, database
    finally:
        if server is not None:
            server.stop()
        database.drop()


class CpuWindow:
    """Server and load-generator CPU over a window: `start()`, then `stop()`."""

    def __init__(self, server: Server):
        self.server = server

    def start(self) -> "CpuWindow":
        self.t0 = time.monotonic()
        self.server0 = self.server.cpu_seconds()
        self.client0 = time.process_time()
        return self

    def stop(self) -> "CpuWindow":
        self.seconds = time.monotonic() - self.t0
        self.server_cpu = self.server.cpu_seconds() - self.server0
        self.client_cpu = time.process_time() - self.client0
        return self

    @property
    def server_share(self) -> float:
        """Server CPU as a fraction of one core over the window."""
        return self.server_cpu / self.seconds

    @property
    def client_share(self) -> float:
        """Load-generator CPU as a fraction of one core over the window."""
        return self.client_cpu / self.seconds


async def open_everyone(ctx: Context, server: Server, tokens, sink: Sink, **kwargs):
    """Open one stream per token (logging progress); return the streams and the seconds taken."""
    tokens = list(tokens)
    started = time.monotonic()
    step = max(1000, len(tokens) // 10)

    def progress(index):
        if index and index % step == 0:
            ctx.log(f"    {index} streams opening ({time.monotonic() - started:.0f} s)")

    streams = await open_streams(server.host, server.port, tokens, sink, progress=progress, **kwargs)
    return streams, time.monotonic() - started


async def wait_for(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Wait until `predicate()` is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(interval)
    return True


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages."""
    return [round(value, 2) for value in os.getloadavg()]
