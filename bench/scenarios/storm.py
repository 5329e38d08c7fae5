"""A reconnect storm: N streams (groups of 50) drop at once, messages arrive while they are
away, then all reconnect at once with `Last-Event-ID` while messages keep coming. Measured:
the time until every stream has caught up with what it missed, and that each received
exactly its group's events after its cursor, in order, once."""
import asyncio
import random
import time

from sqlalchemy import text

from bench.client import EventStream, HttpPool, Sender, Sink, connect, stream_request
from bench.scenarios.common import Context, figure, open_everyone, served, wait_for

CONNECTING = 1000  # connects in flight at once: the kernel's accept queue holds 2,048


async def reconnect_all(server, streams, cursors, sink: Sink) -> list[EventStream | None]:
    """Reconnect every stream at once (each with its cursor as Last-Event-ID); connects are
    limited to CONNECTING in flight, requests are not."""
    gate = asyncio.Semaphore(CONNECTING)
    fresh: list[EventStream | None] = [None] * len(streams)

    async def one(index):
        request = stream_request(server.host, server.port, streams[index].token, cursors[index])
        for _attempt in range(5):
            async with gate:
                try:
                    _transport, stream = await connect(server.host, server.port,
                                                       lambda: EventStream(request, sink, keep_ids=True))
                except OSError:
                    await asyncio.sleep(0.2)
                    continue
            stream.token = streams[index].token
            fresh[index] = stream
            return

    await asyncio.gather(*(one(index) for index in range(len(streams))))
    return fresh


async def reconnect_storm(ctx: Context) -> dict:
    """Drop N streams, send two messages per group, reconnect all at once."""
    count = ctx.scale(10000, 2000)
    size = 50
    groups = count // size
    ctx.log(f"reconnect storm: {count} streams in {groups} groups of {size}")
    with served(ctx, "sqlite", groups, size) as (server, population, database):
        sink = Sink()
        people = population.people
        streams, opened_in = await open_everyone(ctx, server, (p.token for p in people), sink)
        for stream, person in zip(streams, people):
            stream.token = person.token
        pool = HttpPool(server.host, server.port)
        by_group = population.groups
        # One message per group, so every stream holds a cursor of its own.
        first = Sender(pool, server.host, server.port, people, lambda i: random.choice(by_group[i % groups]))
        await first.run(200, groups / 200, recording=False)
        await first.drain(20)
        await wait_for(lambda: sink.frames >= groups * size, 30)
        cursors = [stream.last_id for stream in streams]
        for stream in streams:
            stream.close()
        ctx.log(f"  {count} streams dropped; 2 messages per group while they are away")
        away = Sender(pool, server.host, server.port, people, lambda i: random.choice(by_group[i % groups]))
        await away.run(200, 2 * groups / 200, recording=False)
        await away.drain(20)
        with database.engine.connect() as conn:
            backlog_last = conn.execute(text("SELECT max(id) FROM event")).scalar_one()
            targets = dict(conn.execute(text(
                "SELECT conversation_id, max(id) FROM event WHERE id <= :last GROUP BY conversation_id"),
                {"last": backlog_last}).all())
        # Live traffic goes on during the storm: 20 messages/s to random groups.
        live = Sender(pool, server.host, server.port, people,
                      lambda i: random.choice(by_group[random.randrange(groups)]))
        storm_sink = Sink()
        started = time.time()
        live_task = asyncio.create_task(live.run(20, 15, recording=False))
        fresh = await reconnect_all(server, streams, cursors, storm_sink)
        connected_in = time.time() - started
        need = [targets[person.group] for person in people]
        caught_at: list[float | None] = [None] * count

        def all_caught_up() -> bool:
            now = time.time()
            done = True
            for index, stream in enumerate(fresh):
                if caught_at[index] is None:
                    if stream is not None and stream.last_id >= need[index]:
                        caught_at[index] = now
                    else:
                        done = False
            return done

        everyone = await wait_for(all_caught_up, 60, interval=0.02)
        caught_up_in = max((at for at in caught_at if at is not None), default=started) - started
        ctx.log(f"  {sum(at is not None for at in caught_at)}/{count} caught up in {caught_up_in:.2f} s "
                f"(connected in {connected_in:.2f} s)")
        await live_task
        await live.drain(20)
        await asyncio.sleep(2)  # the last live messages arrive
        with database.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, conversation_id FROM event ORDER BY id")).all()
        by_conversation: dict[int, list[int]] = {}
        for event_id, conversation_id in rows:
            by_conversation.setdefault(conversation_id, []).append(event_id)
        lost = doubled = disordered = failed = 0
        for index, person in enumerate(people):
            stream = fresh[index]
            if stream is None or stream.status != 200:
                failed += 1
                continue
            got = [int(value) for value in stream.ids]
            expected = [event_id for event_id in by_conversation.get(person.group, []) if event_id > cursors[index]]
            doubled += len(got) - len(set(got))
            disordered += sum(1 for a, b in zip(got, got[1:]) if b <= a)
            lost += len(set(expected) - set(got))
        for stream in fresh:
            if stream is not None:
                stream.close()
        pool.close()
    details = {
        "streams": count, "groups": groups, "open_seconds": round(opened_in, 1),
        "backlog_events": 2 * groups, "live_messages_during_storm": live.sent,
        "connected_seconds": round(connected_in, 2), "caught_up_seconds": round(caught_up_in, 2),
        "caught_up": sum(at is not None for at in caught_at), "everyone_caught_up": everyone,
        "failed_streams": failed, "events_lost": lost, "events_doubled": doubled, "out_of_order": disordered,
        "connects_in_flight": CONNECTING,
    }
    ctx.log(f"  lost {lost}, doubled {doubled}, out of order {disordered}, failed {failed}")
    return {"details": details, "figures": [
        figure("storm.time", f"Reconnect storm: {count} streams caught up", round(caught_up_in, 2) if everyone else None,
               "s", 10, "<=", "" if everyone else "not all caught up within 60 s"),
        figure("storm.lost", "Reconnect storm: events lost, doubled or out of order", lost + doubled + disordered + failed,
               "", 0, "<="),
    ]}
