"""Read receipts in a group of 500, everyone online: server CPU per message sent when the
members only receive, against when every member also reads every message (one POST .../read
per member per message, as the chat page does at this rate), and the deliveries the reads add.
Reading records one read.updated event per move, to the reader and the sender only."""
import asyncio
import json
import random

from bench.client import HttpPool, Sender, Sink, post_message
from bench.scenarios.common import Context, CpuWindow, figure, open_everyone, served, wait_for


def post_read(host: str, port: int, token: str, conversation_id: int, message_id: int) -> bytes:
    """The bytes of POST /api/v1/conversations/<id>/read (a Bearer-token client)."""
    body = json.dumps({"message_id": message_id}).encode()
    return (f"POST /api/v1/conversations/{conversation_id}/read HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class ReadingSender(Sender):
    """A Sender whose every stored message is then read by every other member, each read
    spread over the next `spread` seconds (people do not all read in the same millisecond)."""

    def __init__(self, pool, host, port, people, pick, spread: float):
        super().__init__(pool, host, port, people, pick)
        self.spread = spread
        self.reads = 0
        self.reads_answered = 0
        self.read_errors: dict[int, int] = {}

    def _send(self, person, due: float) -> None:
        text = f"T{due:.6f} bench message to group {person.group}"
        self.sent += 1
        self.outstanding += 1

        def answered(status: int, body: bytes) -> None:
            self.outstanding -= 1
            self.answered += 1
            if status != 201:
                self.errors[status] = self.errors.get(status, 0) + 1
                return
            self.created += 1
            message_id = json.loads(body)["id"]
            loop = asyncio.get_running_loop()
            for reader in self.people:
                if reader.id != person.id:
                    loop.call_later(random.uniform(0, self.spread), self._read, reader, message_id)

        self.pool.submit(post_message(self.host, self.port, person.token, person.group, text), answered)

    def _read(self, reader, message_id: int) -> None:
        self.reads += 1
        self.outstanding += 1

        def answered(status: int, _body: bytes) -> None:
            self.outstanding -= 1
            self.reads_answered += 1
            if status != 200:
                self.read_errors[status] = self.read_errors.get(status, 0) + 1

        self.pool.submit(post_read(self.host, self.port, reader.token, reader.group, message_id), answered)


async def phase(server, members, sink: Sink, rate: float, duration: float, reading: bool) -> dict:
    """Send `rate` messages/s for `duration` s (reading each by every member if `reading`);
    server CPU over the whole work, per message sent and per frame delivered."""
    pool = HttpPool(server.host, server.port)
    pick = lambda i: random.choice(members)  # noqa: E731
    sender = (ReadingSender(pool, server.host, server.port, members, pick, spread=1.0 / rate) if reading
              else Sender(pool, server.host, server.port, members, pick))
    frames_before = sink.frames
    window = CpuWindow(server).start()
    await sender.run(rate, duration, recording=False)
    await asyncio.sleep(1.5 / rate)  # the last message's reads are due within 1/rate s
    await sender.drain(120)
    await wait_for(lambda: False, 1.0)  # the last frames reach the streams
    window.stop()
    pool.close(everything=True)
    frames = sink.frames - frames_before
    result = {"reading": reading, "rate": rate, "seconds": round(window.seconds, 2), "messages": sender.created,
              "frames_delivered": frames, "server_cpu_s": round(window.server_cpu, 3),
              "server_cpu_share": round(window.server_share, 3), "send_errors": sender.errors,
              "server_cpu_ms_per_message": round(window.server_cpu / max(1, sender.created) * 1000, 2),
              "server_cpu_us_per_frame": round(window.server_cpu / max(1, frames) * 1e6, 2)}
    if reading:
        result.update({"reads": sender.reads, "reads_answered": sender.reads_answered,
                       "read_errors": sender.read_errors,
                       "server_cpu_ms_per_read": round((window.server_cpu) / max(1, sender.reads) * 1000, 3)})
    return result


async def read_receipts(ctx: Context) -> dict:
    """A group of 500, all online: only receiving, then every member reading every message."""
    size = 500
    rate, duration = ctx.scale((1, 20), (1, 8))
    ctx.log(f"receipts: 1 group of {size}, {rate} messages/s for {duration} s, receiving then reading")
    # One read per member per second stays within each person's read budget (ACTION_LIMIT).
    with served(ctx, "sqlite", 1, size) as (server, population, _db):
        members = population.groups[0]
        sink = Sink()
        streams, opened_in = await open_everyone(ctx, server, (p.token for p in population.people), sink)
        # Reading first: its first reads then pass only its own messages (after a receiving
        # phase, each member's first read would pass all of them, from many senders).
        reading = await phase(server, members, sink, rate, duration, reading=True)
        ctx.log(f"  reading: {reading['server_cpu_ms_per_message']} ms/message, {reading['frames_delivered']} frames, "
                f"{reading['reads']} reads ({reading['server_cpu_ms_per_read']} ms each, errors {reading['read_errors']})")
        receiving = await phase(server, members, sink, rate, duration, reading=False)
        ctx.log(f"  receiving: {receiving['server_cpu_ms_per_message']} ms/message, "
                f"{receiving['frames_delivered']} frames")
        for stream in streams:
            stream.close()
    ratio = round(reading["server_cpu_ms_per_message"] / receiving["server_cpu_ms_per_message"], 2)
    # What reading adds: the reading phase's frames beyond the same messages' own deliveries.
    frames_ratio = round((reading["frames_delivered"] - receiving["frames_delivered"])
                         / max(1, receiving["frames_delivered"]), 2)
    details = {"group_size": size, "open_seconds": round(opened_in, 1), "receiving": receiving, "reading": reading,
               "cpu_ratio": ratio, "frames_ratio": frames_ratio}
    return {"details": details, "figures": [
        figure("receipts.frames", "Group of 500 all reading: frames the reads add, against the messages' own",
               frames_ratio, "×", 2, "<=", "one read.updated per read, to the reader and the sender"),
        figure("receipts.cpu", "Group of 500 all reading every message: server CPU per message, against only receiving",
               ratio, "×", 2, "<=", "each read is its own POST"),
    ]}
