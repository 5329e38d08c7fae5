"""Read receipts in a group of 500, everyone online with the group open: server CPU per message
sent when the members only receive, against when every member also reads every message, in
the two ways a chat page can read:

- viewing (streams here; long-polling pages read alike): each page says once that it views the
  group (one POST .../read with its stream's tab and viewing: true, made before the measured
  window, as a page does when it opens), then the server reads each message as the page's
  stream delivers it and records the moves every FLASK_READ_FLUSH seconds (realtime/viewing.py);
- posting: one POST .../read per member per message, as every page read before reading by
  viewing (and as a page still does when its view could not be set).

Target (issue 13): reading costs at most 2x only receiving, and adds at most 2x the messages'
own frames."""
import asyncio
import json
import random

from sqlalchemy import text

from bench.client import HttpPool, Sender, Sink, post_message, tab_name
from bench.scenarios.common import Context, CpuWindow, figure, open_everyone, served, wait_for


def post_read(host: str, port: int, token: str, conversation_id: int, message_id: int, **view) -> bytes:
    """The bytes of POST /api/v1/conversations/<id>/read (a Bearer-token client), with `view`
    ({"tab", "viewing"}) if given."""
    body = json.dumps({"message_id": message_id, **view}).encode()
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


async def phase(server, members, sink: Sink, rate: float, duration: float, reading: str | None) -> dict:
    """Send `rate` messages/s for `duration` s; `reading` None (nobody reads), "posting" (every
    member POSTs a read of each message) or "viewing" (the pages view the group: the server
    reads). Server CPU over the whole work, per message sent and per frame delivered."""
    pool = HttpPool(server.host, server.port)
    pick = lambda i: random.choice(members)  # noqa: E731
    sender = (ReadingSender(pool, server.host, server.port, members, pick, spread=1.0 / rate) if reading == "posting"
              else Sender(pool, server.host, server.port, members, pick))
    frames_before = sink.frames
    window = CpuWindow(server).start()
    await sender.run(rate, duration, recording=False)
    await asyncio.sleep(1.5 / rate)  # the last message's reads are due within 1/rate s
    await sender.drain(120)
    await wait_for(lambda: False, 1.5)  # the last frames reach the streams; the last read flush
    window.stop()
    pool.close(everything=True)
    frames = sink.frames - frames_before
    result = {"reading": reading, "rate": rate, "seconds": round(window.seconds, 2), "messages": sender.created,
              "frames_delivered": frames, "server_cpu_s": round(window.server_cpu, 3),
              "server_cpu_share": round(window.server_share, 3), "send_errors": sender.errors,
              "server_cpu_ms_per_message": round(window.server_cpu / max(1, sender.created) * 1000, 2),
              "server_cpu_us_per_frame": round(window.server_cpu / max(1, frames) * 1e6, 2)}
    if reading == "posting":
        result.update({"reads": sender.reads, "reads_answered": sender.reads_answered,
                       "read_errors": sender.read_errors,
                       "server_cpu_ms_per_read": round((window.server_cpu) / max(1, sender.reads) * 1000, 3)})
    return result


async def start_viewing(server, members, sink: Sink, tabs: dict[int, str], conversation_id: int,
                        newest: int) -> dict:
    """Each member's page says it views the group, read up to message `newest` (POST .../read
    with its tab, viewing: true), all at once; the server CPU that took, per POST."""
    pool = HttpPool(server.host, server.port)
    answers: dict[int, int] = {}
    frames_before = sink.frames
    window = CpuWindow(server).start()
    for person in members:
        pool.submit(post_read(server.host, server.port, person.token, conversation_id, newest,
                              tab=tabs[person.id], viewing=True),
                    lambda status, _body: answers.__setitem__(status, answers.get(status, 0) + 1))
    await wait_for(lambda: sum(answers.values()) == len(members), 120)
    await wait_for(lambda: False, 1.5)  # their read.updated frames reach the streams
    window.stop()
    pool.close(everything=True)
    return {"posts": len(members), "answers": answers, "frames_delivered": sink.frames - frames_before,
            "server_cpu_ms_per_post": round(window.server_cpu / len(members) * 1000, 3)}


async def read_receipts(ctx: Context) -> dict:
    """A group of 500, all online: only receiving, then every member reading every message by
    POSTs, then by viewing."""
    size = 500
    rate, duration = ctx.scale((1, 20), (1, 8))
    ctx.log(f"receipts: 1 group of {size}, {rate} messages/s for {duration} s: receiving, posting reads, viewing")
    # One read per member per second stays within each person's read budget (ACTION_LIMIT).
    with served(ctx, "sqlite", 1, size) as (server, population, _db):
        members = population.groups[0]
        sink = Sink()
        streams, opened_in = await open_everyone(ctx, server, (p.token for p in population.people), sink, tabs=True)
        tabs = {person.id: tab_name(index) for index, person in enumerate(population.people)}
        receiving = await phase(server, members, sink, rate, duration, reading=None)
        ctx.log(f"  receiving: {receiving['server_cpu_ms_per_message']} ms/message, "
                f"{receiving['frames_delivered']} frames")
        posting = await phase(server, members, sink, rate, duration, reading="posting")
        ctx.log(f"  posting: {posting['server_cpu_ms_per_message']} ms/message, {posting['frames_delivered']} "
                f"frames, {posting['reads']} reads ({posting['server_cpu_ms_per_read']} ms each, errors "
                f"{posting['read_errors']})")
        # Receiving again, just before viewing: the baseline is the mean of the two (the
        # phases run one after the other on a shared machine).
        again = await phase(server, members, sink, rate, duration, reading=None)
        ctx.log(f"  receiving again: {again['server_cpu_ms_per_message']} ms/message")
        receiving["server_cpu_ms_per_message_again"] = again["server_cpu_ms_per_message"]
        with _db.engine.connect() as conn:
            newest = conn.execute(text("SELECT max(id) FROM message")).scalar()
        opening = await start_viewing(server, members, sink, tabs, population.group_ids[0], newest)
        ctx.log(f"  viewing begins: {opening['posts']} POSTs, {opening['server_cpu_ms_per_post']} ms each "
                f"({opening['answers']}), {opening['frames_delivered']} frames")
        viewing = await phase(server, members, sink, rate, duration, reading="viewing")
        ctx.log(f"  viewing: {viewing['server_cpu_ms_per_message']} ms/message, {viewing['frames_delivered']} frames")
        # Did the viewing pages read? Members whose position is the group's newest message.
        with _db.engine.connect() as conn:
            viewing["members_at_newest"] = conn.execute(text(
                "SELECT count(*) FROM membership WHERE conversation_id = :g AND last_read_message_id = "
                "(SELECT max(id) FROM message WHERE conversation_id = :g)"), {"g": population.group_ids[0]}).scalar()
        ctx.log(f"  members whose position is the newest message: {viewing['members_at_newest']} of {size}")
        for stream in streams:
            stream.close()
    baseline = (receiving["server_cpu_ms_per_message"] + receiving["server_cpu_ms_per_message_again"]) / 2

    def ratios(reading: dict) -> tuple[float, float]:
        cpu = round(reading["server_cpu_ms_per_message"] / baseline, 2)
        # What reading adds: the phase's frames beyond the same messages' own deliveries.
        added = round((reading["frames_delivered"] - receiving["frames_delivered"])
                      / max(1, receiving["frames_delivered"]), 3)
        return cpu, added

    viewing_cpu, viewing_frames = ratios(viewing)
    posting_cpu, posting_frames = ratios(posting)
    details = {"group_size": size, "open_seconds": round(opened_in, 1), "receiving": receiving, "posting": posting,
               "viewing_begins": opening, "viewing": viewing, "cpu_ratio": viewing_cpu, "frames_ratio": viewing_frames,
               "posting_cpu_ratio": posting_cpu, "posting_frames_ratio": posting_frames}
    return {"details": details, "figures": [
        figure("receipts.frames", "Group of 500 all reading (viewing): frames the reads add, against the messages' own",
               viewing_frames, "×", 2, "<=", "one receipts.updated per sender a flush"),
        figure("receipts.cpu", "Group of 500 all reading every message (viewing): server CPU per message, "
               "against only receiving", viewing_cpu, "×", 2, "<=",
               f"posting a read per message instead: {posting_cpu}×"),
    ]}
