"""What the search index costs one text send: the same sends with and without their index
rows, in one process, in alternating blocks (so the machine's drift falls on both alike).

    .venv/bin/python -m bench.index_cost                                # SQLite
    .venv/bin/python -m bench.index_cost --pg-url "$DATABASE_URL"       # PostgreSQL
    .venv/bin/python -m bench.index_cost --json                         # one JSON line (bench.run)

As bench.profile_send does, it builds the app in this process on a fresh database (two people in
one group) and POSTs text messages with a Bearer token through Flask's test client, one send a
transaction (nobody else sending: the dearest case, as group commit shares a statement among
sends). Each round runs a block of sends with the index and a block without it, the order
swapped every round; the figures are the medians over the rounds, per send:

- this process's CPU (time.process_time);
- the database server's CPU (PostgreSQL: its processes' user and system time from /proc,
  every backend's, so run it on a quiet server; SQLite works in this process);
- wall time.

"Without the index" replaces, in this process only, the statement that writes index rows
(search/index.write on SQLite; the message INSERT that carries them on PostgreSQL,
blueprints/chat/sending._INSERT_INDEXED_TEXTS) with the plain message INSERT. The terms are
still computed in both (search/terms.index_terms, 5-9 µs a message): the difference is the
writing, and the terms' cost comes on top. Issue 13's
ceiling for the difference is 0.2 ms. Compare only runs made side by side (bench/RESULTS.md).
"""
import argparse
import json
import os
import statistics
import time

from bench.profile_send import sending_app  # monkey-patches gevent first, as wsgi.py does
from bench.scenarios.search import SEND_TARGET_MS as TARGET_MS  # issue 13's ceiling


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.index_cost", description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", help="measure on PostgreSQL (a schema of its own, dropped after)")
    parser.add_argument("--rounds", type=int, default=16, help="rounds, each a block with and a block without")
    parser.add_argument("--block", type=int, default=400, help="sends in a block")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of lines of text")
    return parser.parse_args(argv)


def postgres_cpu_seconds() -> float | None:
    """User and system CPU seconds of every process on this machine named postgres*, or
    None when /proc shows none (a server elsewhere)."""
    total, found = 0, False
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if not comm.read().startswith("postgres"):
                    continue
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        found = True
        total += int(fields[11]) + int(fields[12])  # utime, stime (proc(5): fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK") if found else None


class _Switch:
    """Turns the index rows of the send path off and on again, in this process."""

    def __init__(self):
        from blueprints.chat import sending
        from search import index as search_index

        self.sending, self.search_index = sending, search_index
        self.write, self.indexed = search_index.write, sending._INSERT_INDEXED_TEXTS

    def set(self, on: bool) -> None:
        sending = self.sending
        self.search_index.write = self.write if on else (lambda connection, rows: None)
        sending._INSERT_INDEXED_TEXTS = self.indexed if on else _PlainInsert(sending._INSERT_TEXTS)


class _PlainInsert:
    def __init__(self, plain):
        self.plain = plain

    def run(self, connection, rows, extra=None):
        return self.plain.run(connection, rows)


def measure(args: argparse.Namespace) -> dict:
    """Run the rounds; the medians per send with and without the index, and the differences."""
    with sending_app(args.pg_url, body="Are we meeting at ten? 我们明天开会") as (_app, kind, send):
        switch = _Switch()
        for _ in range(300):
            send()
        samples = {on: {"cpu": [], "database": [], "wall": []} for on in (True, False)}
        for round_ in range(args.rounds):
            for on in ((True, False) if round_ % 2 == 0 else (False, True)):
                switch.set(on)
                database_before = postgres_cpu_seconds() if args.pg_url else None
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(args.block):
                    send()
                samples[on]["cpu"].append((time.process_time() - cpu) / args.block * 1000)
                samples[on]["wall"].append((time.perf_counter() - wall) / args.block * 1000)
                if database_before is not None:
                    samples[on]["database"].append((postgres_cpu_seconds() - database_before) / args.block * 1000)
        switch.set(True)
    medians = {("with" if on else "without"): {key: (round(statistics.median(values), 3) if values else None)
                                               for key, values in figures.items()}
               for on, figures in samples.items()}
    difference = {key: (round(medians["with"][key] - medians["without"][key], 3)
                        if medians["with"][key] is not None else None) for key in ("cpu", "database", "wall")}
    return {"database": kind, "rounds": args.rounds, "block": args.block, "ms_per_send": medians,
            "difference_ms": difference,
            "cpu_difference_ms": round(difference["cpu"] + (difference["database"] or 0), 3)}


def main(argv=None) -> None:
    """Measure and print (see the module docstring)."""
    args = parse_args(argv)
    result = measure(args)
    if args.json:
        print(json.dumps(result))
        return
    for label in ("with", "without"):
        figures = result["ms_per_send"][label]
        print(f"{result['database']} {label} the index: {figures['cpu']} ms of CPU here, "
              f"{figures['database']} ms in the database server, {figures['wall']} ms wall a send")
    print(f"the index adds {result['cpu_difference_ms']} ms of CPU a send (here and in the server; "
          f"target {TARGET_MS} ms) and {result['difference_ms']['wall']} ms of wall time")


if __name__ == "__main__":
    main()
