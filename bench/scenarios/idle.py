"""Idle streams: how many one worker holds, their memory each, and the CPU their heartbeats
cost (one loop per worker pushing the same pre-encoded ping to every stream)."""
import asyncio

from bench.client import Sink
from bench.scenarios.common import Context, CpuWindow, figure, open_everyone, served

WARM = 200  # streams opened before the memory baseline (the hub and its imports are loaded)


async def idle_streams(ctx: Context) -> dict:
    """Open N streams (in groups of 50, as people are), then watch them idle for a window of
    whole heartbeat periods: worker memory per stream, CPU per 10,000 streams."""
    count = ctx.scale(15000, 2000)
    window = ctx.scale(60, 30)  # seconds: four (two) 15-second heartbeats
    size = 50
    ctx.log(f"idle streams: {count} streams, a {window} s window")
    with served(ctx, "sqlite", count // size, size) as (server, population, _database):
        sink = Sink()
        tokens = [person.token for person in population.people]
        idle0 = CpuWindow(server).start()
        await asyncio.sleep(3)
        baseline_share = idle0.stop().server_share
        warm, _ = await open_everyone(ctx, server, tokens[:WARM], sink)
        await asyncio.sleep(3)
        memory0 = server.memory()
        cpu_open = server.cpu_seconds()
        rest, opened_in = await open_everyone(ctx, server, tokens[WARM:], sink)
        open_cpu = server.cpu_seconds() - cpu_open
        streams = warm + rest
        ctx.log(f"  {len(streams)} streams open in {opened_in:.1f} s "
                f"({open_cpu / len(rest) * 1000:.2f} ms of server CPU each); settling")
        # Two heartbeats: the ramp-up's presence frames are written, and the full collection
        # its promotions brought due (0.5 s at 15,000 streams) runs before the window, which
        # then measures the steady state.
        await asyncio.sleep(ctx.scale(30, 15))
        memory1 = server.memory()
        pings0 = sink.pings
        frames0 = sink.frames
        window_cpu = CpuWindow(server).start()
        await asyncio.sleep(window)
        window_cpu.stop()
        pings = sink.pings - pings0
        still_open = sum(not stream.closed for stream in streams)
        pids = server.worker_pids()
        for stream in streams:
            stream.close()
    added = len(rest)
    rss_each = (memory1["rss"] - memory0["rss"]) / added
    pss_each = (memory1["pss"] - memory0["pss"]) / added
    share_per_10k = window_cpu.server_share * 10000 / len(streams)
    details = {
        "streams": len(streams), "still_open": still_open, "workers": len(pids),
        "open_seconds": round(opened_in, 1), "open_cpu_ms_each": round(open_cpu / added * 1000, 3),
        "rss_before_mb": round(memory0["rss"] / 2**20, 1), "rss_after_mb": round(memory1["rss"] / 2**20, 1),
        "rss_kb_per_stream": round(rss_each / 1024, 2), "pss_kb_per_stream": round(pss_each / 1024, 2),
        "window_seconds": round(window_cpu.seconds, 1), "pings_received": pings,
        "pings_expected": int(len(streams) * window_cpu.seconds / 15),
        "durable_frames_in_window": sink.frames - frames0,
        "server_cpu_share": round(window_cpu.server_share, 5),
        "server_cpu_share_without_streams": round(baseline_share, 5),
        "cpu_percent_per_10k_streams": round(share_per_10k * 100, 3),
        "cpu_us_per_heartbeat": round(window_cpu.server_cpu / pings * 1e6, 2) if pings else None,
        "client_cpu_share": round(window_cpu.client_share, 3),
    }
    ctx.log(f"  {still_open} open, {details['rss_kb_per_stream']} KB RSS each, "
            f"{details['cpu_percent_per_10k_streams']}% of a core per 10,000 ({details['cpu_us_per_heartbeat']} µs a ping)")
    return {"details": details, "figures": [
        figure("idle.streams", "Idle: concurrent /events streams held by one worker", still_open, "", 15000, ">="),
        figure("idle.memory", "Idle: worker memory (RSS) per stream", details["rss_kb_per_stream"], "KB", 12, "<="),
        figure("idle.heartbeat", "Idle: heartbeat CPU per 10,000 streams (15 s heartbeat)",
               details["cpu_percent_per_10k_streams"], "% of a core", 2, "<="),
    ]}
