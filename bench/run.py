"""Run Parley's delivery benchmark and write bench/RESULTS.md.

    .venv/bin/python -m bench.run                 # everything (about 20 minutes)
    .venv/bin/python -m bench.run --quick         # a small smoke run (RESULTS.quick.md)
    .venv/bin/python -m bench.run --only idle,chat

The server (`gunicorn -c gunicorn.conf.py wsgi:app`, gevent) runs pinned to one core and this
process, the load generator, to another. PostgreSQL scenarios need --pg-url (or DATABASE_URL)
and the Redis one --redis-url (or REDIS_URL); without them those figures are skipped.
"""
import argparse
import asyncio
import os
import sys
import time
import traceback
from pathlib import Path

from bench import machine, report
from bench.scenarios import broker, fanout, floor, idle, longpoll, receipts, search, sends, storm, vanish
from bench.scenarios.common import Context, load_average
from bench.server import cleanup, raise_nofile

SCENARIOS = {
    "idle": idle.idle_streams,
    "chat": fanout.chat_mix,
    "big": fanout.big_group,
    "redis": broker.redis_cost,
    "sends": sends.sustained_sends,
    "floor": floor.stack_floor,
    "longpoll": longpoll.long_polling,
    "storm": storm.reconnect_storm,
    "vanish": vanish.vanished_client,
    "receipts": receipts.read_receipts,
    "search": search.search_history,
    "searchsend": search.index_on_send,
}
HERE = Path(__file__).resolve().parent


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small scale smoke run (RESULTS.quick.md)")
    parser.add_argument("--only", help=f"comma-separated scenarios: {','.join(SCENARIOS)}")
    parser.add_argument("--skip", help="comma-separated scenarios to leave out")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL") or os.environ.get("DATABASE_URL"),
                        help="PostgreSQL server for the PostgreSQL scenarios (a schema of its own per run)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL"))
    parser.add_argument("--server-cpus", default="0", help="taskset list for the server (default 0)")
    parser.add_argument("--client-cpus", default="1", help="CPUs of this load generator (default 1)")
    parser.add_argument("--results", type=Path, help="results file (default bench/RESULTS.md, "
                                                      "bench/RESULTS.quick.md with --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (databases, server logs)")
    args = parser.parse_args(argv)
    if args.pg_url and not args.pg_url.startswith(("postgres://", "postgresql")):
        args.pg_url = None
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    chosen = [name.strip() for name in (args.only or ",".join(SCENARIOS)).split(",") if name.strip()]
    skipped = {name.strip() for name in (args.skip or "").split(",") if name.strip()}
    unknown = [name for name in [*chosen, *skipped] if name not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s): {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}", file=sys.stderr)
        return 2
    chosen = [name for name in chosen if name not in skipped]
    client_cpus = {int(cpu) for cpu in args.client_cpus.split(",")}
    if os.cpu_count() and os.cpu_count() > max(client_cpus):
        os.sched_setaffinity(0, client_cpus)
    nofile = raise_nofile()
    ctx = Context(quick=args.quick, server_cpus=args.server_cpus, pg_url=args.pg_url,
                  redis_url=args.redis_url, keep=args.keep)
    results_path = args.results or HERE / ("RESULTS.quick.md" if args.quick else "RESULTS.md")
    ctx.log(f"benchmark{' (quick)' if args.quick else ''}: {', '.join(chosen)}; run directory {ctx.directory}; "
            f"descriptors {nofile}; load average {load_average()}")
    described = machine.describe(args.pg_url, args.redis_url)
    run = {"command": " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])]),
           "quick": args.quick, "nofile": nofile,
           "settings": {"server_cpus": args.server_cpus, "client_cpus": args.client_cpus,
                        "worker_connections": int(os.environ.get("PARLEY_WORKER_CONNECTIONS", 20000))}}
    outcomes = {}
    try:
        for name in chosen:
            started = time.time()
            load_before = load_average()
            others = machine.OtherLoad().start()
            try:
                outcome = asyncio.run(SCENARIOS[name](ctx))
            except Exception as exc:  # one broken scenario must not lose the others' numbers
                traceback.print_exc()
                outcome = {"error": f"{type(exc).__name__}: {exc}", "figures": [], "details": {}}
            outcome.update({"started": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
                            "seconds": round(time.time() - started, 1), "other_cores": others.stop(),
                            "load_before": load_before, "load_after": load_average()})
            outcomes[name] = outcome
            report.write(results_path, outcomes, run, described)
            ctx.log(f"{name} done in {outcome['seconds']} s (other processes used {outcome['other_cores']} cores)")
    finally:
        if not args.keep:
            cleanup(ctx.directory)
    ctx.log(f"results written to {results_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
