"""Delivery latency and CPU per delivery with everyone online: the chat mix (100 groups of 50,
200 messages/s) and one group of 1,000 (10 messages/s, then rising rates to find the most it
sustains with p99 under 150 ms)."""
import random
import time

from bench.client import HttpPool, Sender, Sink, summary_ms
from bench.scenarios.common import Context, CpuWindow, figure, open_everyone, served, wait_for


async def deliver(server, population, sink: Sink, rate: float, duration: float, warmup: float,
                  pick, members: int) -> dict:
    """Send `rate` messages/s (open loop) for `warmup` seconds, then for `duration` seconds
    measured: latency of every delivery of a measured message, server CPU per delivery."""
    pool = HttpPool(server.host, server.port)
    sender = Sender(pool, server.host, server.port, population.people, pick)
    if warmup:
        await sender.run(rate, warmup, recording=False)
        await sender.drain(10)
    sink.latencies.clear()
    sink.late_after = time.time()
    sink.recording = True
    sent_before = sender.sent
    window = CpuWindow(server).start()
    await sender.run(rate, duration)
    window.stop()
    sent = sender.sent - sent_before
    # An overloaded server works through its backlog before anything counts as missing;
    # only acknowledged sends are owed (a refused one is the sender's to retry).
    await sender.drain(120)
    expected = sender.created_recorded * members
    # Deliveries are counted by their marks (each message's intended send time), only for
    # messages meant to be sent in the measured window: a warm-up backlog still arriving
    # would otherwise count too.
    await wait_for(lambda: len(sink.latencies) >= expected, 30)
    sink.recording = False
    received = len(sink.latencies)
    pool.close()
    return {
        "rate": rate, "members": members, "seconds": round(window.seconds, 2), "messages": sent,
        "acknowledged": sender.created_recorded,
        "deliveries_expected": expected, "deliveries_received": received,
        "deliveries_per_s": round(sent * members / window.seconds),
        "latency_ms": summary_ms(sink.latencies),
        "post_ms": summary_ms(sender.post_times),
        "send_errors": sender.errors, "send_retries": pool.retried,
        "server_cpu_share": round(window.server_share, 3),
        "client_cpu_share": round(window.client_share, 3),
        "server_cpu_us_per_delivery": round(window.server_cpu / (sent * members) * 1e6, 2) if sent else None,
    }


async def send_cost(server, population, rate: float, seconds: float, pick) -> float:
    """Server CPU (ms) per send with nobody online: the POST alone, to tell it from fan-out."""
    pool = HttpPool(server.host, server.port)
    sender = Sender(pool, server.host, server.port, population.people, pick)
    window = CpuWindow(server).start()
    await sender.run(rate, seconds, recording=False)
    await sender.drain(15)
    window.stop()
    pool.close()
    return round(window.server_cpu / max(1, sender.created) * 1000, 3)


def split_cost(result: dict, send_ms: float) -> None:
    """Add to `result` the POST's share and the fan-out's share of CPU per delivery."""
    deliveries = result["messages"] * result["members"]
    if deliveries:
        total = result["server_cpu_us_per_delivery"] * deliveries
        sends = send_ms * 1000 * result["messages"]
        result["send_cpu_ms_alone"] = send_ms
        result["fanout_cpu_us_per_delivery"] = round((total - sends) / deliveries, 2)


async def chat_mix(ctx: Context) -> dict:
    """100 groups of 50, everyone online, 200 messages/s: 10,000 deliveries/s."""
    groups, size = ctx.scale((100, 50), (20, 50))
    rate, duration, warmup = ctx.scale((200, 30, 5), (40, 8, 2))
    ctx.log(f"chat mix: {groups} groups of {size}, {rate} messages/s")
    with served(ctx, "sqlite", groups, size) as (server, population, _database):
        by_group = population.groups
        pick = lambda i: random.choice(by_group[i % len(by_group)])  # noqa: E731
        send_ms = await send_cost(server, population, rate, ctx.scale(8, 3), pick)
        sink = Sink()
        streams, opened_in = await open_everyone(ctx, server, (p.token for p in population.people), sink)
        ctx.log(f"  {len(streams)} streams open in {opened_in:.1f} s; a send alone costs {send_ms} ms; sending")
        result = await deliver(server, population, sink, rate, duration, warmup, pick, size)
        split_cost(result, send_ms)
        # The same mix at half the rate, which one core sustains: delivery latency when the
        # POSTs do not queue (details only; the figures are at the target's rate).
        half = await deliver(server, population, sink, rate / 2, duration, warmup, pick, size)
        split_cost(half, send_ms)
        memory = server.memory()
        for stream in streams:
            stream.close()
    result.update({"at_half_rate": half, "groups": groups, "group_size": size, "streams": len(streams),
                   "open_seconds": round(opened_in, 1), "worker_rss_mb": round(memory["rss"] / 2**20, 1)})
    lat = result["latency_ms"]
    ctx.log(f"  p50 {lat['p50']} ms, p99 {lat['p99']} ms, {result['server_cpu_us_per_delivery']} µs/delivery "
            f"({result.get('fanout_cpu_us_per_delivery')} beyond the POSTs), "
            f"server {result['server_cpu_share']:.0%}, client {result['client_cpu_share']:.0%}, "
            f"{result['deliveries_received']}/{result['deliveries_expected']} delivered")
    ctx.log(f"  at {rate / 2:g}/s: p50 {half['latency_ms']['p50']} ms, p99 {half['latency_ms']['p99']} ms, "
            f"{half['server_cpu_us_per_delivery']} µs/delivery, server {half['server_cpu_share']:.0%}")
    lost = result["deliveries_expected"] - result["deliveries_received"]
    refused = result["messages"] - result["acknowledged"]
    return {"details": result, "figures": [
        figure("chat.p50", "Chat mix: delivery latency p50", lat["p50"], "ms", 5, "<="),
        figure("chat.p99", "Chat mix: delivery latency p99", lat["p99"], "ms", 50, "<="),
        figure("chat.cpu", "Chat mix: server CPU per delivery", result["server_cpu_us_per_delivery"], "µs", 35, "<="),
        figure("chat.lost", "Chat mix: acknowledged messages' deliveries missing (30 s after the last answer)",
               lost, "", 0, "<=", f"{refused} sends refused (overloaded)" if refused else ""),
    ]}


async def big_group(ctx: Context) -> dict:
    """One group of 1,000, all online: 10 messages/s measured, then rising rates until p99
    passes 150 ms or deliveries fall behind."""
    size = ctx.scale(1000, 300)
    duration, warmup, step_seconds = ctx.scale((30, 5, 10), (8, 2, 3))
    rates = ctx.scale([20, 40, 50, 60, 65, 70, 75, 80, 90, 100, 120, 150, 200], [20, 50, 100])
    ctx.log(f"big group: 1 group of {size}, 10 messages/s, then {rates} messages/s")
    with served(ctx, "sqlite", 1, size) as (server, population, _database):
        members = population.groups[0]
        pick = lambda i: random.choice(members)  # noqa: E731
        send_ms = await send_cost(server, population, 10, ctx.scale(5, 3), pick)
        sink = Sink()
        streams, opened_in = await open_everyone(ctx, server, (p.token for p in population.people), sink)
        base = await deliver(server, population, sink, 10, duration, warmup, pick, size)
        split_cost(base, send_ms)
        lat = base["latency_ms"]
        ctx.log(f"  10/s: p50 {lat['p50']} ms, p99 {lat['p99']} ms, {base['server_cpu_us_per_delivery']} µs/delivery "
                f"({base.get('fanout_cpu_us_per_delivery')} beyond the POSTs of {send_ms} ms each)")
        steps, best = [], None
        for rate in rates:
            step = await deliver(server, population, sink, rate, step_seconds, 1, pick, size)
            split_cost(step, send_ms)
            steps.append(step)
            p99 = step["latency_ms"]["p99"]
            kept_up = step["deliveries_received"] >= 0.999 * step["deliveries_expected"]
            ctx.log(f"  {rate}/s = {step['deliveries_per_s']} deliveries/s: p50 {step['latency_ms']['p50']} ms, "
                    f"p99 {p99} ms, server {step['server_cpu_share']:.0%}, client {step['client_cpu_share']:.0%}, "
                    f"{step['server_cpu_us_per_delivery']} µs/delivery ({step.get('fanout_cpu_us_per_delivery')} fan-out)")
            if p99 is None or p99 >= 150 or not kept_up:
                break
            best = step
        for stream in streams:
            stream.close()
    details = {"group_size": size, "open_seconds": round(opened_in, 1), "at_10_per_s": base, "steps": steps,
               "best": best}
    top = best["rate"] * size if best else 0  # offered, and delivered in full
    note = ""
    if best and best["server_cpu_share"] < 0.9:
        note = (f"server at {best['server_cpu_share']:.0%} of its core at the best rate: the load "
                f"generator ({best['client_cpu_share']:.0%}) or waiting limited it")
    return {"details": details, "figures": [
        figure("big.p99", "Group of 1,000 at 10 messages/s: latency p99", lat["p99"], "ms", 30, "<="),
        figure("big.cpu", "Group of 1,000 at 10 messages/s: server CPU per delivery",
               base["server_cpu_us_per_delivery"], "µs", 25, "<="),
        figure("big.max", "Group of 1,000: most deliveries/s per core with p99 < 150 ms", top, "/s",
               60000, ">=", note),
    ]}
