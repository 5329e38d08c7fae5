"""A reconnect storm: N streams (groups of 50) drop at once, two messages per group arrive
while they are away, then all reconnect at once with `Last-Event-ID`. Measured: the time
until every stream has caught up with what it missed, and that each received exactly its
group's events after its cursor, in order, once. A second round does the same while
messages keep coming (20 a second), as they would on a real site."""
import asyncio
import random
import time

from sqlalchemy import text

from bench.client import EventStream, HttpPool, Sender, Sink, connect, stream_request
from bench.scenarios.common import Context, figure, open_everyone, served, wait_for

CONNECTING = 1000  # connects in flight at once: the kernel's accept queue holds 2,048
LIVE_RATE = 20  # messages/s during the second round


async def reconnect_all(server, tokens, cursors, sink: Sink) -> list[EventStream | None]:
    """Reconnect every stream at once (each with its cursor as Last-Event-ID); connects are
    limited to CONNECTING in flight, requests are not."""
    gate = asyncio.Semaphore(CONNECTING)
    fresh: list[EventStream | None] = [None] * len(tokens)

    async def one(index):
        request = stream_request(server.host, server.port, tokens[index], cursors[index])
        for _attempt in range(5):
            async with gate:
                try:
                    _transport, stream = await connect(server.host, server.port,
                                                       lambda: EventStream(request, sink, keep_ids=True))
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
            fresh[index] = stream
            return

    await asyncio.gather(*(one(index) for index in range(len(tokens))))
    return fresh


def _events_by_group(database) -> dict[int, list[int]]:
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, conversation_id FROM event ORDER BY id")).all()
    by_group: dict[int, list[int]] = {}
    for event_id, conversation_id in rows:
        by_group.setdefault(conversation_id, []).append(event_id)
    return by_group


async def storm_round(ctx: Context, server, population, database, streams, live_rate: float) -> tuple[list, dict]:
    """Drop `streams`, send two messages per group, reconnect all at once (with `live_rate`
    messages/s going on meanwhile); return the new streams and what was measured."""
    people, by_group = population.people, population.groups
    groups, count = len(by_group), len(people)
    cursors = [stream.last_id for stream in streams]
    for stream in streams:
        stream.close()
    pool = HttpPool(server.host, server.port)
    away = Sender(pool, server.host, server.port, people, lambda i: random.choice(by_group[i % groups]))
    await away.run(200, 2 * groups / 200, recording=False)
    await away.drain(30)
    missed = _events_by_group(database)
    need = [max((e for e in missed.get(p.group, []) if e > cursors[i]), default=cursors[i])
            for i, p in enumerate(people)]
    live = Sender(pool, server.host, server.port, people, lambda i: random.choice(by_group[random.randrange(groups)]))
    sink = Sink()
    started = time.time()
    live_task = asyncio.create_task(live.run(live_rate, 15, recording=False)) if live_rate else None
    fresh = await reconnect_all(server, [p.token for p in people], cursors, sink)
    connected_in = time.time() - started
    caught_at: list[float | None] = [None] * count

    def all_caught_up() -> bool:
        now, done = time.time(), True
        for index, stream in enumerate(fresh):
            if caught_at[index] is None:
                if stream is not None and stream.last_id >= need[index]:
                    caught_at[index] = now
                else:
                    done = False
        return done

    everyone = await wait_for(all_caught_up, 60, interval=0.02)
    caught_up_in = max((at for at in caught_at if at is not None), default=started) - started
    if live_task:
        await live_task
    await live.drain(30)
    await asyncio.sleep(2)  # the last live messages arrive
    events = _events_by_group(database)
    lost = doubled = disordered = failed = 0
    for index, person in enumerate(people):
        stream = fresh[index]
        if stream is None or stream.status != 200:
            failed += 1
            continue
        got = [int(value) for value in stream.ids]
        expected = [event_id for event_id in events.get(person.group, []) if event_id > cursors[index]]
        doubled += len(got) - len(set(got))
        disordered += sum(1 for a, b in zip(got, got[1:]) if b <= a)
        lost += len(set(expected) - set(got))
    pool.close()
    details = {
        "live_rate": live_rate, "backlog_events": away.created, "live_messages": live.sent,
        "send_errors": {**away.errors, **live.errors},
        "connected_seconds": round(connected_in, 2), "caught_up_seconds": round(caught_up_in, 2),
        "caught_up": sum(at is not None for at in caught_at), "everyone_caught_up": everyone,
        "failed_streams": failed, "events_lost": lost, "events_doubled": doubled, "out_of_order": disordered,
    }
    ctx.log(f"  {details['caught_up']}/{count} caught up in {caught_up_in:.2f} s (connected in {connected_in:.2f} s, "
            f"{live_rate} messages/s meanwhile); lost {lost}, doubled {doubled}, out of order {disordered}, "
            f"failed {failed}")
    return fresh, details


async def reconnect_storm(ctx: Context) -> dict:
    """Two storms on one server: without, then with messages arriving meanwhile."""
    count = ctx.scale(10000, 2000)
    size = 50
    groups = count // size
    ctx.log(f"reconnect storm: {count} streams in {groups} groups of {size}")
    with served(ctx, "sqlite", groups, size) as (server, population, database):
        sink = Sink()
        people = population.people
        streams, opened_in = await open_everyone(ctx, server, (p.token for p in people), sink)
        pool = HttpPool(server.host, server.port)
        by_group = population.groups
        # One message per group, so every stream holds a cursor of its own.
        first = Sender(pool, server.host, server.port, people, lambda i: random.choice(by_group[i % groups]))
        await first.run(200, groups / 200, recording=False)
        await first.drain(30)
        await wait_for(lambda: sink.frames >= groups * size, 30)
        pool.close()
        rounds = []
        for live_rate in (0, LIVE_RATE):
            await asyncio.sleep(6)  # past the offline grace: nobody is remembered from before
            streams, details = await storm_round(ctx, server, population, database, streams, live_rate)
            streams = [stream if stream is not None else EventStream(b"", sink) for stream in streams]
            rounds.append(details)
        for stream in streams:
            stream.close()
    quiet, busy = rounds

    def value(details):
        return details["caught_up_seconds"] if details["everyone_caught_up"] else None

    def flaws(details):
        return details["events_lost"] + details["events_doubled"] + details["out_of_order"] + details["failed_streams"]

    return {"details": {"streams": count, "groups": groups, "open_seconds": round(opened_in, 1),
                        "connects_in_flight": CONNECTING, "quiet": quiet, "busy": busy}, "figures": [
        figure("storm.time", f"Reconnect storm: {count:,} streams all caught up", value(quiet), "s", 10, "<=",
               "" if quiet["everyone_caught_up"] else f"{quiet['caught_up']} caught up within 60 s",
               failed=not quiet["everyone_caught_up"]),
        figure("storm.lost", "Reconnect storm: events lost, doubled or out of order, streams failed", flaws(quiet),
               "", 0, "<="),
        figure("storm.busy", f"Reconnect storm with {LIVE_RATE} messages/s arriving: all caught up", value(busy),
               "s", 10, "<=", "" if busy["everyone_caught_up"] else
               f"{busy['caught_up']} caught up within 60 s, {busy['failed_streams']} failed",
               failed=not busy["everyone_caught_up"]),
        figure("storm.busy_lost", "Reconnect storm with messages arriving: lost, doubled, out of order, failed",
               flaws(busy), "", 0, "<="),
    ]}
