"""The added cost of Redis between workers: the same light chat load delivered by one worker
with the in-process broker, then by two workers with Redis pub/sub (every event crosses
Redis, also to streams of the worker that committed it); the difference of the p50s."""
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
    """p50 delivery latency with Redis and two workers, minus that of one local worker."""
    label = "Redis between two workers: added latency p50"
    if not ctx.redis_url:
        ctx.log("redis: skipped (no --redis-url / REDIS_URL)")
        return {"details": {}, "figures": [figure("redis.p50", label, None, "ms", 1, "<", "not run: no Redis given")]}
    kind = "postgresql" if ctx.pg_url else "sqlite"
    groups, size = ctx.scale((20, 50), (10, 20))
    rate, duration = ctx.scale((20, 20), (10, 6))
    ctx.log(f"redis: {groups} groups of {size} on {kind}, {rate} messages/s; one local worker, then two with Redis")
    local = await _leg(ctx, kind, {"WEB_CONCURRENCY": "1"}, groups, size, rate, duration)
    tag = uuid.uuid4().hex[:8]
    # A channel and rate-limit keys of its own: other users of this Redis never hear us.
    redis = await _leg(ctx, kind, {"WEB_CONCURRENCY": "2", "REDIS_URL": ctx.redis_url,
                                   "FLASK_BROKER_CHANNEL": f"parley-bench:{tag}",
                                   "FLASK_RATELIMIT_KEY_PREFIX": f"parley-bench-{tag}"},
                       groups, size, rate, duration)
    p50_local, p50_redis = local["latency_ms"]["p50"], redis["latency_ms"]["p50"]
    added = round(p50_redis - p50_local, 3) if p50_local is not None and p50_redis is not None else None
    ctx.log(f"  p50 local {p50_local} ms, Redis {p50_redis} ms: added {added} ms "
            f"(p99 {local['latency_ms']['p99']} / {redis['latency_ms']['p99']} ms)")
    return {"details": {"database": kind, "local": local, "redis": redis, "added_p50_ms": added},
            "figures": [figure("redis.p50", label, added, "ms", 1, "<",
                               f"p50 {p50_local} ms with one worker, {p50_redis} ms with two and Redis")]}
