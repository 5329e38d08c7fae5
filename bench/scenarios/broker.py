"""The added cost of Redis between workers: the same light chat load delivered by one worker
with the in-process broker, then by one worker through Redis pub/sub (the path an event takes
from the worker that committed it to any other: publish, Redis, the listener), then by two
workers with Redis as deployed; the figure is the difference of the first two p50s."""
import random
import uuid

from bench.client import Sink
from bench.scenarios.common import Context, figure, open_everyone, served
from bench.scenarios.fanout import deliver


async def _leg(ctx: Context, kind: str, env: dict, groups: int, size: int, rate: float, duration: float) -> dict:
    with served(ctx, kind, groups, size, env=env) as (server, population, _database):
        sink = Sink()
        streams, _ = await open_everyone(ctx, server, (p.token for p in population.people), sink)
        workers = len(server.worker_pids())
        by_group = population.groups
        result = await deliver(server, population, sink, rate, duration, 3,
                               lambda i: random.choice(by_group[i % len(by_group)]), size)
        for stream in streams:
            stream.close()
    result["workers"] = workers
    return result


async def redis_cost(ctx: Context) -> dict:
    """p50 delivery latency through Redis minus that through the in-process broker, one
    worker each (the same process layout, so only the broker differs); then two workers
    with Redis, as deployed, for reference."""
    label = "Redis between workers: added delivery latency p50"
    if not ctx.redis_url:
        ctx.log("redis: skipped (no --redis-url / REDIS_URL)")
        return {"details": {}, "figures": [figure("redis.p50", label, None, "ms", 1, "<", "not run: no Redis given")]}
    kind = "postgresql" if ctx.pg_url else "sqlite"
    groups, size = ctx.scale((20, 50), (10, 20))
    rate, duration = ctx.scale((20, 15), (10, 5))
    ctx.log(f"redis: {groups} groups of {size} on {kind}, {rate} messages/s; one worker with the in-process "
            f"broker, one with Redis, two with Redis")
    tag = uuid.uuid4().hex[:8]
    # A channel and rate-limit keys of its own: other users of this Redis never hear us.
    with_redis = {"REDIS_URL": ctx.redis_url, "FLASK_BROKER_CHANNEL": f"parley-bench:{tag}",
                  "FLASK_RATELIMIT_KEY_PREFIX": f"parley-bench-{tag}"}
    # Alternated (in-process, Redis, in-process, Redis): one server against the next differs
    # by about a millisecond at p50 on its own, as much as what is measured.
    pairs = []
    for _round in range(2):
        local = await _leg(ctx, kind, {"WEB_CONCURRENCY": "1"}, groups, size, rate, duration)
        redis = await _leg(ctx, kind, {"WEB_CONCURRENCY": "1", **with_redis}, groups, size, rate, duration)
        pairs.append((local, redis))
    two = await _leg(ctx, kind, {"WEB_CONCURRENCY": "2", **with_redis}, groups, size, rate, duration)
    differences = [redis["latency_ms"]["p50"] - local["latency_ms"]["p50"] for local, redis in pairs
                   if local["latency_ms"]["p50"] is not None and redis["latency_ms"]["p50"] is not None]
    added = round(sum(differences) / len(differences), 3) if differences else None
    p50s = [(local["latency_ms"]["p50"], redis["latency_ms"]["p50"]) for local, redis in pairs]
    ctx.log(f"  p50 in-process / through Redis: {p50s} ms (added {added} ms on average); "
            f"two workers through Redis {two['latency_ms']['p50']} ms")
    local, redis = pairs[-1]
    return {"details": {"database": kind, "local": local, "redis": redis, "redis_two_workers": two,
                        "p50_pairs_ms": p50s, "added_p50_ms": added},
            "figures": [figure("redis.p50", label, added, "ms", 1, "<",
                               "mean of two alternated pairs, p50 in-process / through Redis: "
                               + ", ".join(f"{a} / {b} ms" for a, b in p50s)
                               + f"; two workers through Redis {two['latency_ms']['p50']} ms")]}
