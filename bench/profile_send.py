"""Where one text send's server CPU goes: the first step of any work on the send path.

    .venv/bin/python -m bench.profile_send                      # SQLite, 2,000 sends
    .venv/bin/python -m bench.profile_send --pg-url "$DATABASE_URL" --sends 1000
    .venv/bin/python -m bench.profile_send --top 40             # more of cProfile's list

It builds the app in this process on a fresh database (bench.server.Database, with two people
in one group, as the `sends` scenario has), then POSTs text messages with a Bearer token
through Flask's test client, nobody online, and prints:

- CPU per send, the hub's listener taking each event included (time.process_time, so a busy machine changes it less than wall time; the test
  client's own work is included, about 0.5 ms, which gunicorn's replaces in a real server);
- the SQL statements one send runs, in order;
- cProfile's own time by package, and the functions with the most cumulative time.

Compare only runs made side by side on the same machine (bench/RESULTS.md says why).
"""
import argparse
import collections
import contextlib
import cProfile
import json
import pstats
import tempfile
import time
import uuid
from pathlib import Path

import gevent
from gevent import monkey

monkey.patch_all()

from sqlalchemy import event as sa_event  # noqa: E402  (after monkey-patching, as wsgi.py does)

from bench.server import Database, populate  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_send", description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=2000, help="sends timed (after 300 to warm up)")
    parser.add_argument("--pg-url", help="profile on PostgreSQL (a schema of its own, dropped after)")
    parser.add_argument("--top", type=int, default=25, help="functions listed by cumulative time")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a config key for the app (VALUE as JSON if it parses), e.g. AUTH_CACHE_SECONDS=0")
    return parser.parse_args(argv)


def _package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0]
    root = str(Path(__file__).resolve().parent.parent) + "/"
    if filename.startswith(root):
        return "parley: " + filename[len(root):]
    return "stdlib and builtins"


def _settings(pairs: list[str]) -> dict:
    settings = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            settings[key] = json.loads(value)
        except ValueError:
            settings[key] = value
    return settings


@contextlib.contextmanager
def sending_app(pg_url: str | None, settings: dict | None = None, body: str = "Are we meeting at ten?"):
    """The app in this process on a fresh database (SQLite, or a schema of its own at
    `pg_url`) with two people in one group, its hub started as gunicorn starts each worker's;
    yields (app, engine kind, send): `send()` POSTs one text message (`body`) as the first
    person with a Bearer token through Flask's test client, then lets the hub's listener take
    its event. SystemExit if a send is not stored. The database is dropped afterwards."""
    import realtime
    from app import create_app

    directory = Path(tempfile.mkdtemp(prefix="parley-profile-"))
    database = Database("postgresql" if pg_url else "sqlite", directory, pg_url)
    try:
        population = populate(database, groups=1, group_size=2)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": "p" * 48,
                          "INSTANCE_PATH": str(directory), "UPLOAD_FOLDER": str(directory / "uploads"),
                          "MESSAGE_RATE_LIMIT": "1000000 per second", **(settings or {})})
        # As gunicorn starts each worker's hub (gunicorn.conf.py): its listener then takes
        # every send's event, and the worker's credential cache is in use.
        app.extensions[realtime.EXTENSION_KEY].start()
        sender = population.people[0]
        client = app.test_client()
        url = f"/api/v1/conversations/{sender.group}/messages"
        headers = {"Authorization": f"Bearer {sender.token}"}

        def send() -> None:
            response = client.post(url, json={"body": body, "client_id": str(uuid.uuid4())}, headers=headers)
            if response.status_code != 201:
                raise SystemExit(f"send answered {response.status_code}: {response.get_data(as_text=True)}")
            gevent.sleep(0)  # the hub's listener takes the event, as between a server's requests

        yield app, database.kind, send
    finally:
        database.drop()


def main(argv=None) -> None:
    """Profile text sends and print what they cost (see the module docstring)."""
    args = parse_args(argv)
    from extensions import db

    with sending_app(args.pg_url, _settings(args.set)) as (app, kind, send):
        for _ in range(300):
            send()
        started = time.process_time()
        for _ in range(args.sends):
            send()
        cpu_ms = (time.process_time() - started) / args.sends * 1000
        print(f"{kind}: {cpu_ms:.3f} ms of CPU per send ({args.sends} sends)")

        with app.app_context():
            engine = db.engine
        statements: list[str] = []

        def note(_conn, _cursor, statement, _params, _context, _many):
            statements.append(" ".join(statement.split())[:100])

        sa_event.listen(engine, "before_cursor_execute", note)
        send()
        sa_event.remove(engine, "before_cursor_execute", note)
        print(f"\n{len(statements)} SQL statements per send:")
        for statement in statements:
            print("  " + statement)

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(500):
            send()
        profiler.disable()
        stats = pstats.Stats(profiler)
        own = collections.Counter()
        calls = 0
        for (filename, _line, _name), (_cc, ncalls, tottime, _ct, _callers) in stats.stats.items():
            own[_package(filename)] += tottime
            calls += ncalls
        total = sum(own.values())
        print(f"\nPython function calls per send: {calls // 500}; own time by package (cProfile):")
        for package, seconds in own.most_common(15):
            print(f"  {seconds / total:6.1%}  {package}")
        print()
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
