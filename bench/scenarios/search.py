"""Search over a large history: 1,000,000 messages (50,000 with --quick) in 500 groups of 20,
English and Chinese mixed, indexed in bulk as migration 0007's backfill does; then the searches
people type (a common word, a rare one, a prefix, two Chinese characters, three, one, mixed
text, no match), each as a member of 25 of the groups (about 50,000 messages they can see,
and 950,000 they cannot) and within one group, through the search service in this process
(search_messages: the index query, the visibility check, the messages, snippets and JSON).
Target: p95 at most 100 ms a search on SQLite and on PostgreSQL. No HTTP: the figure is the
search's own cost, which the API adds a request's (bench floor) to."""
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

from bench.scenarios.common import Context, figure
from bench.server import ROOT, Database, populate

GROUPS, GROUP_SIZE = 500, 20
SEARCHER_GROUPS = 25  # groups the searcher is in
TARGET_MS = 100.0  # p95 of a search
SEND_TARGET_MS = 0.2  # what the index may add to one send (CPU, the app's and the database's)
ROUNDS = 20  # each query, in each place, this many times (5 with --quick)

ENGLISH = ("the meeting notes budget report we will discuss tomorrow afternoon please review draft schedule "
           "release planning design customer invoice travel lunch coffee deadline update status project "
           "weekend photos hiking dinner birthday server outage deploy fix bug test numbers quarter").split()
CHINESE = ("我们 明天 开会 讨论 周报 周末 去 爬山 吗 会议室 项目 进度 客户 发票 午饭 咖啡 截止 日期 更新 状态 "
           "服务器 故障 部署 修复 测试 数字 季度 生日 晚饭 照片").split()
RARE = "zyzzyva"  # one message in 20,000
QUERIES = ("meeting", "rep", "deploy fix", RARE, "开会", "会议室", "山", "report 周报", "nothingmatches")


def _body(rng: random.Random, n: int) -> str:
    words = [rng.choice(ENGLISH) if rng.random() < 0.6 else rng.choice(CHINESE) for _ in range(rng.randint(3, 14))]
    if n % 20000 == 7:
        words.append(RARE)
    return " ".join(words)


def _fill(database: Database, group_ids: list[int], senders: dict[int, list[int]], total: int, ctx: Context) -> float:
    """Write `total` messages round the groups with their index rows, in chunks; return the
    seconds the index rows took to compute and write."""
    from core.timeutil import utcnow
    from models import Message
    from search import index as search_index

    rng = random.Random(7)
    now = utcnow()
    index_seconds = 0.0
    chunk = 5000
    for start in range(0, total, chunk):
        rows = []
        for n in range(start, min(total, start + chunk)):
            group = group_ids[n % len(group_ids)]
            rows.append({"id": n + 1, "conversation_id": group, "sender_id": rng.choice(senders[group]),
                         "kind": "text", "body": _body(rng, n), "client_id": None, "event_id": n + 1,
                         "created_at": now})
        with database.engine.begin() as conn:
            conn.execute(insert(Message.__table__), rows)
            t0 = time.process_time()
            search_index.write(conn, search_index.rows_for((r["id"], r["conversation_id"], (r["body"],)) for r in rows))
            index_seconds += time.process_time() - t0
        if (start // chunk) % 40 == 0:
            ctx.log(f"  {start + len(rows):,} messages written")
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE event_counter SET last_id = :n"), {"n": total})
        if database.kind == "postgresql":
            conn.execute(text("ANALYZE"))
    return index_seconds


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _measure(database: Database, searcher_id: int, group_id: int, rounds: int) -> dict:
    from app import create_app
    from blueprints.search.services import search_messages
    from extensions import db
    from models import User

    app = create_app({"SQLALCHEMY_DATABASE_URI": database.url, "SECRET_KEY": "bench", "REDIS_URL": None,
                      "RATELIMIT_STORAGE_URI": "memory://", "INSTANCE_PATH": tempfile.mkdtemp(prefix="search-app-")})
    times: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    with app.app_context(), app.test_request_context():
        searcher = db.session.get(User, searcher_id)
        for where, scope in (("all", None), ("one group", group_id)):
            for q in QUERIES:
                search_messages(searcher, q, conversation_id=scope)  # warm
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    page = search_messages(searcher, q, conversation_id=scope)
                    times.setdefault(f"{q} ({where})", []).append((time.perf_counter() - t0) * 1000)
                    db.session.rollback()
                hits[f"{q} ({where})"] = len(page["items"])
        db.session.remove()
        db.engine.dispose()
    every = [t for values in times.values() for t in values]
    return {"p50_ms": round(statistics.median(every), 2), "p95_ms": round(_percentile(every, 95), 2),
            "max_ms": round(max(every), 2),
            "by_query": {key: {"p50_ms": round(statistics.median(v), 2), "p95_ms": round(_percentile(v, 95), 2),
                               "hits": hits[key]} for key, v in times.items()}}


async def search_history(ctx: Context, kinds=("sqlite", "postgresql")) -> dict:
    """Search p95 over 1,000,000 messages on SQLite and (with --pg-url) PostgreSQL."""
    total = ctx.scale(1_000_000, 50_000)
    rounds = ctx.scale(ROUNDS, 5)
    figures, details = [], {}
    for kind in kinds:
        if kind == "postgresql" and not ctx.pg_url:
            figures.append(figure(f"search_p95_{kind}", f"search p95 over {total:,} messages, {kind}", None, "ms",
                                  TARGET_MS, "<=", "no --pg-url"))
            continue
        directory = Path(tempfile.mkdtemp(prefix=f"search-{kind}-", dir=ctx.directory))
        database = Database(kind, directory, ctx.pg_url)
        try:
            population = populate(database, GROUPS, GROUP_SIZE)
            searcher = population.groups[0][0]
            from models import Membership

            with database.engine.begin() as conn:  # the searcher joins 24 more groups, from the start
                conn.execute(insert(Membership.__table__), [
                    {"conversation_id": group, "user_id": searcher.id, "last_read_message_id": 0}
                    for group in population.group_ids[1:SEARCHER_GROUPS]])
            senders = {group: [p.id for p in members] for group, members in zip(population.group_ids, population.groups)}
            started = time.monotonic()
            index_cpu = _fill(database, population.group_ids, senders, total, ctx)
            filled = time.monotonic() - started
            ctx.log(f"  {kind}: {total:,} messages in {filled:.0f} s (index rows {index_cpu:.0f} s of CPU); searching")
            measured = _measure(database, searcher.id, population.group_ids[0], rounds)
            measured.update({"messages": total, "fill_seconds": round(filled, 1),
                             "index_cpu_us_per_message": round(index_cpu / total * 1e6, 1)})
            details[kind] = measured
            figures.append(figure(f"search_p95_{kind}", f"search p95 over {total:,} messages, {kind}",
                                  measured["p95_ms"], "ms", TARGET_MS, "<=",
                                  f"p50 {measured['p50_ms']} ms, max {measured['max_ms']} ms"))
        finally:
            database.drop()
    return {"figures": figures, "details": details}


async def index_on_send(ctx: Context, kinds=("sqlite", "postgresql")) -> dict:
    """What the index adds to one text send, on SQLite and (with --pg-url) PostgreSQL: the
    sends with and without their index rows in alternating blocks (bench/index_cost.py, in a
    process of its own, as it monkey-patches gevent). Target: at most 0.2 ms of CPU a send,
    the app's and the database server's together."""
    figures, details = [], {}
    for kind in kinds:
        key, label = f"search_send_{kind}", f"search index: CPU it adds to a send, {kind}"
        if kind == "postgresql" and not ctx.pg_url:
            figures.append(figure(key, label, None, "ms", SEND_TARGET_MS, "<=", "no --pg-url"))
            continue
        command = [sys.executable, "-m", "bench.index_cost", "--json", "--rounds", str(ctx.scale(16, 4))]
        if kind == "postgresql":
            command += ["--pg-url", ctx.pg_url]
        ctx.log(f"  index on the send path, {kind}")
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
        output, _ = await process.communicate()
        if process.returncode != 0:
            figures.append(figure(key, label, None, "ms", SEND_TARGET_MS, "<=", "the measurement failed",
                                  failed=True))
            continue
        measured = json.loads(output.decode().strip().splitlines()[-1])
        details[kind] = measured
        figures.append(figure(key, label, measured["cpu_difference_ms"], "ms", SEND_TARGET_MS, "<=",
                              f"wall +{measured['difference_ms']['wall']} ms; with the index "
                              f"{measured['ms_per_send']['with']['wall']} ms a send"))
    return {"figures": figures, "details": details}
