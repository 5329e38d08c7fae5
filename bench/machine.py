"""The machine a run measured: CPU, kernel, software versions, and how busy other processes
kept it meanwhile (the benchmark's numbers mean little on a shared machine)."""
import os
import platform
import sqlite3
import threading
import time
from importlib import metadata

PACKAGES = ("gunicorn", "gevent", "greenlet", "Flask", "SQLAlchemy", "psycopg", "redis")


def describe(pg_url: str | None = None, redis_url: str | None = None) -> dict:
    """CPU model, cores, memory, kernel, Python, package versions, SQLite, PostgreSQL, Redis."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = 0
    try:
        with open("/proc/meminfo") as meminfo:
            memory = int(meminfo.readline().split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    info = {
        "cpu": model, "cores": os.cpu_count(), "memory_gb": round(memory / 2**30, 1),
        "kernel": platform.release(), "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES}, "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(pg_url) if pg_url else None,
        "redis_server": _redis_version(redis_url) if redis_url else None,
        "python_loop_ns": python_loop_ns(),
    }
    try:
        with open("/proc/sys/net/core/somaxconn") as handle:
            info["somaxconn"] = int(handle.read())
        with open("/proc/sys/net/ipv4/ip_local_port_range") as handle:
            info["ip_local_port_range"] = " ".join(handle.read().split())
    except OSError:
        pass
    return info


def python_loop_ns(iterations: int = 2_000_000, rounds: int = 5) -> float:
    """A yardstick for comparing runs made on different machines: nanoseconds per iteration
    of a plain CPython loop adding integers (best of `rounds`). The server's costs are mostly
    interpreted Python, so they scale with it more closely than with the CPU's name."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for value in range(iterations):
            total += value
        best = min(best, time.perf_counter() - started)
    return round(best / iterations * 1e9, 1)


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _postgres_version(url: str) -> str | None:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(url)
        with engine.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one()
        engine.dispose()
        return version
    except Exception:  # a description must never stop the run
        return None


def _redis_version(url: str) -> str | None:
    try:
        import redis

        return redis.Redis.from_url(url, socket_timeout=2).info("server").get("redis_version")
    except Exception:
        return None


def _busy_ticks() -> int:
    with open("/proc/stat") as stat:
        fields = stat.readline().split()[1:]
    values = [int(value) for value in fields]
    return sum(values) - values[3] - values[4]  # all but idle and iowait


def _process_ticks() -> dict[int, tuple[int, int]]:
    """{pid: (parent pid, utime + stime)} of every process."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        table[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return table


class OtherLoad:
    """Samples, once a second in a thread, the CPU used by processes outside this one's tree
    (other people's work, and database servers): `start()`, then `stop()` -> cores used."""

    def __init__(self):
        self._stop = threading.Event()
        self._others = 0
        self._seconds = 0.0

    def start(self) -> "OtherLoad":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _ours(self, table) -> set[int]:
        ours, me = set(), os.getpid()
        for pid in table:
            seen, current = 0, pid
            while current and seen < 50:
                if current == me:
                    ours.add(pid)
                    break
                current = table.get(current, (0, 0))[0]
                seen += 1
        return ours

    def _run(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        busy, table, then = _busy_ticks(), _process_ticks(), time.monotonic()
        while not self._stop.wait(1.0):
            busy2, table2, now = _busy_ticks(), _process_ticks(), time.monotonic()
            ours = self._ours(table2)
            ours_delta = sum(ticks - table.get(pid, (0, ticks))[1] for pid, (_, ticks) in table2.items()
                             if pid in ours)
            self._others += max(0, (busy2 - busy) - ours_delta)
            self._seconds += now - then
            busy, table, then = busy2, table2, now
        self._tick = tick

    def stop(self) -> float:
        """Average cores used by other processes since `start()`."""
        self._stop.set()
        self._thread.join()
        return round(self._others / self._tick / self._seconds, 2) if self._seconds else 0.0
