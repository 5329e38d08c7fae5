"""Long-polling: 5,000 pollers (100 groups of 50) each holding GET /events/poll, woken by
messages and polling again at once; server CPU per re-poll and delivery latency."""
import asyncio
import random
from collections import Counter

from bench.client import HttpPool, Poller, Sender, Sink, summary_ms
from bench.scenarios.common import Context, CpuWindow, figure, served, wait_for


async def long_polling(ctx: Context) -> dict:
    """Hold N polls, send messages to random groups, and count re-polls against CPU."""
    groups, size = ctx.scale((100, 50), (20, 50))
    # 5 messages/s wake 250 pollers a second: about half the server's core, so what is
    # measured is the cost of a re-poll, not a queue.
    rate, duration, warmup = ctx.scale((5, 30, 5), (4, 10, 2))
    count = groups * size
    ctx.log(f"long-polling: {count} pollers in {groups} groups of {size}, {rate} messages/s")
    with served(ctx, "sqlite", groups, size) as (server, population, _database):
        sink = Sink()
        stats = Counter()
        pollers = [Poller(server.host, server.port, person.token, sink, stats) for person in population.people]
        for index, poller in enumerate(pollers):
            poller.start()
            if index % 200 == 199:
                await asyncio.sleep(0.1)  # a ramp, not a storm: 2,000 new pollers a second
        # Every first poll is held once the server's CPU has quieted down.
        quiet = CpuWindow(server).start()
        for _ in range(60):
            await asyncio.sleep(1)
            if quiet.stop().server_share < 0.05:
                break
            quiet.start()
        ctx.log(f"  {count} polls sent; {stats['answers']} answered early, {stats['errors']} errors")
        pool = HttpPool(server.host, server.port)
        by_group = population.groups
        sender = Sender(pool, server.host, server.port, population.people,
                        lambda i: random.choice(by_group[random.randrange(len(by_group))]))
        await sender.run(rate, warmup, recording=False)
        await sender.drain(10)
        answers0, events0 = stats["answers"], stats["events"]
        sink.latencies.clear()
        sink.recording = True
        window = CpuWindow(server).start()
        await sender.run(rate, duration)
        window.stop()
        repolls = stats["answers"] - answers0
        await sender.drain(10)
        await wait_for(lambda: stats["events"] - events0 >= sender.created * size - size, 10)
        sink.recording = False
        waiting = sum(poller.pool.open > 0 and not poller.pool.idle for poller in pollers)
        for poller in pollers:
            poller.running = False
            poller.pool.close(everything=True)
        pool.close(everything=True)
    details = {
        "pollers": count, "held_at_end": waiting, "messages": sender.sent - int(rate * warmup),
        "repolls_in_window": repolls, "window_seconds": round(window.seconds, 1),
        "repolls_per_s": round(repolls / window.seconds, 1),
        "server_cpu_share": round(window.server_share, 3), "client_cpu_share": round(window.client_share, 3),
        "server_cpu_ms_per_repoll": round(window.server_cpu / repolls * 1000, 3) if repolls else None,
        "latency_ms": summary_ms(sink.latencies), "errors": stats["errors"],
        "answers_with_events": stats["with_events"], "answers": stats["answers"],
    }
    ctx.log(f"  {waiting} polls held at the end, {repolls} re-polls, {details['server_cpu_ms_per_repoll']} ms CPU "
            f"each, latency p50 {details['latency_ms']['p50']} ms p99 {details['latency_ms']['p99']} ms")
    return {"details": details, "figures": [
        figure("poll.pollers", "Long-polling: pollers held at once", waiting if not stats["errors"] else 0, "",
               5000, ">=", f"{stats['errors']} failed polls" if stats["errors"] else ""),
        figure("poll.cpu", "Long-polling: server CPU per re-poll", details["server_cpu_ms_per_repoll"], "ms", 1, "<="),
    ]}
