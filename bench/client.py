"""The load generator's wire: a minimal HTTP/1.1 client and Server-Sent Events reader on raw
asyncio protocols (no per-frame objects, no parsing beyond what is measured), an open-loop
sender, and long-pollers.

Every message's text starts with "T<intended send time>" (wall clock, seconds); a reader
takes `now - intended` for each message frame it receives, so a slow server or a slow sender
cannot hide its delay (open loop: sends are scheduled at fixed times, never after answers).
"""
import asyncio
import json
import random
import re
import socket
import time
import uuid
from collections import deque

ID_RE = re.compile(rb"\nid: (\d+)")
MARK_RE = re.compile(rb'"body":"T(\d+\.\d+)')
MARK_TEXT_RE = re.compile(r"^T(\d+\.\d+)")
IP_BIND_ADDRESS_NO_PORT = 24  # Linux: pick the port at connect, per destination
SOURCES = [f"127.0.0.{n}" for n in range(2, 18)]  # spreads sockets over many port ranges
_source = iter(range(1 << 62))


async def connect(host: str, port: int, factory):
    """Open a TCP connection from one of several loopback source addresses (so 30,000+
    sockets never run out of ports) and return (transport, protocol)."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((SOURCES[next(_source) % len(SOURCES)], 0))
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        await loop.sock_connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    return await loop.create_connection(factory, sock=sock)


class Sink:
    """What a scenario's readers received: message latencies (seconds from the intended send
    time) while `recording`, and counts of durable frames and pings."""

    def __init__(self):
        self.recording = False
        self.latencies: list[float] = []
        self.frames = 0
        self.pings = 0
        self.late_after: float | None = None  # latencies of messages intended before this are skipped

    def take(self, chunk: bytes, now: float) -> None:
        """Record the message marks of `chunk`, received at `now`."""
        if self.recording:
            cutoff = self.late_after
            append = self.latencies.append
            for mark in MARK_RE.findall(chunk):
                sent = float(mark)
                if cutoff is None or sent >= cutoff:
                    append(now - sent)


class EventStream(asyncio.Protocol):
    """One GET /events, read as raw bytes: each data_received is cut after its last complete
    frame, and only ids, pings and message marks are looked at (in C, by regular
    expressions). Chunked transfer framing is left in place: chunk boundaries always fall
    between whole frames, because the server writes whole frames."""

    __slots__ = ("request", "sink", "transport", "status", "head", "tail", "hello", "count",
                 "last_id", "ids", "closed", "opened_at", "closed_at", "token", "last_ping")

    def __init__(self, request: bytes, sink: Sink, keep_ids: bool = False):
        self.request = request
        self.sink = sink
        self.transport = None
        self.status = None
        self.head = b""
        self.tail = b""
        self.hello = asyncio.get_running_loop().create_future()
        self.count = 0
        self.last_id = 0
        self.ids: list[bytes] | None = [] if keep_ids else None
        self.closed = False
        self.opened_at = time.time()
        self.closed_at = None
        self.token = None
        self.last_ping = None

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        now = time.time()
        if self.status is None:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self.status = int(self.head[9:12])
            data, self.head = self.head[end + 2:], b""  # keep "\r\n": ids follow a newline
            if self.status != 200:
                if not self.hello.done():
                    self.hello.set_exception(RuntimeError(f"/events answered {self.status}"))
                self.transport.close()
                return
        buf = self.tail + data if self.tail else data
        end = buf.rfind(b"\n\n")
        if end < 0:
            self.tail = buf
            return
        chunk, self.tail = buf[:end + 1], buf[end + 1:]
        if not self.hello.done() and b"event: hello" in chunk:
            self.hello.set_result(None)
        ids = ID_RE.findall(chunk)
        sink = self.sink
        if ids:
            self.count += len(ids)
            self.last_id = int(ids[-1])
            sink.frames += len(ids)
            if self.ids is not None:
                self.ids.extend(ids)
            sink.take(chunk, now)
        if b"event: ping" in chunk:
            sink.pings += chunk.count(b"event: ping")
            self.last_ping = now

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.closed_at = time.time()
        if not self.hello.done():
            self.hello.set_exception(RuntimeError(f"/events closed before hello ({exc})"))

    def close(self) -> None:
        """Close the connection (a FIN, as a browser tab closing)."""
        if self.transport is not None:
            self.transport.close()


def stream_request(host: str, port: int, token: str, last_event_id: int | None = None,
                   tab: str | None = None) -> bytes:
    """The bytes of GET /events as a Bearer-token client sends it (named `tab`, if given)."""
    extra = f"Last-Event-ID: {last_event_id}\r\n" if last_event_id is not None else ""
    query = f"?tab={tab}" if tab else ""
    return (f"GET /events{query} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {token}\r\n"
            f"Accept: text/event-stream\r\nCache-Control: no-cache\r\n{extra}\r\n").encode()


async def open_stream(host: str, port: int, token: str, sink: Sink, last_event_id: int | None = None,
                      keep_ids: bool = False, wait_hello: bool = True, tab: str | None = None) -> EventStream:
    """Open GET /events (named `tab`, as the chat page does) and (by default) wait for its
    hello frame."""
    request = stream_request(host, port, token, last_event_id, tab)
    _transport, stream = await connect(host, port, lambda: EventStream(request, sink, keep_ids))
    if wait_hello:
        await asyncio.wait_for(stream.hello, 60)
    return stream


async def open_streams(host: str, port: int, tokens, sink: Sink, concurrency: int = 200,
                       progress=None, tabs: bool = False, **kwargs) -> list[EventStream]:
    """Open one stream per token, `concurrency` at a time (each waits for its hello); with
    `tabs`, the stream of the n-th token is named `tab_name(n)`."""
    tokens = list(tokens)
    streams: list[EventStream | None] = [None] * len(tokens)
    next_index = iter(range(len(tokens)))

    async def worker():
        for index in next_index:
            streams[index] = await open_stream(host, port, tokens[index], sink,
                                               tab=tab_name(index) if tabs else None, **kwargs)
            if progress:
                progress(index)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(tokens)))))
    return streams


def tab_name(index: int) -> str:
    """The tab `open_streams(tabs=True)` names the stream of its `index`-th token."""
    return f"bench-{index}"


class HttpConnection(asyncio.Protocol):
    """A keep-alive HTTP/1.1 connection carrying one request at a time; answers need a
    Content-Length (every Parley JSON answer has one)."""

    def __init__(self, pool: "HttpPool"):
        self.pool = pool
        self.transport = None
        self.buf = b""
        self.callback = None
        self.request = None
        self.length = None
        self.status = 0
        self.closed = False
        self.idle_since = time.monotonic()

    def connection_made(self, transport):
        self.transport = transport

    def send(self, request: bytes, callback) -> None:
        """Write `request`; `callback(status, body)` gets the answer ((0, b"") on failure)."""
        self.request, self.callback = request, callback
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.callback is not None:
            if self.length is None:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buf[:end].decode("latin-1")
                self.status = int(head[9:12])
                match = re.search(r"(?im)^content-length:\s*(\d+)", head)
                self.length = int(match.group(1)) if match else 0
                self.buf = self.buf[end + 4:]
            if len(self.buf) < self.length:
                return
            body, self.buf = self.buf[:self.length], self.buf[self.length:]
            callback, status = self.callback, self.status
            self.callback = self.request = self.length = None
            self.idle_since = time.monotonic()
            self.pool.release(self)
            callback(status, body)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.pool.lost(self)
        if self.callback is not None:
            callback, request = self.callback, self.request
            self.callback = None
            # The server closed a kept-alive connection as the request went out: send again.
            self.pool.retried += 1
            self.pool.submit(request, callback)


class HttpPool:
    """Keep-alive connections to the server, opened on demand (up to `limit`) so a request
    never waits for an earlier answer (open loop); beyond the limit requests queue here."""

    IDLE_LIMIT = 4.0  # seconds: gunicorn closes kept-alive connections after 5

    def __init__(self, host: str, port: int, limit: int = 2000):
        self.host, self.port, self.limit = host, port, limit
        self.idle: list[HttpConnection] = []
        self.waiting: deque = deque()
        self.open = 0
        self.retried = 0
        self._connecting: set = set()
        self._all: set = set()
        self.failed_connects = 0

    def submit(self, request: bytes, callback) -> None:
        """Send `request` on an idle connection, a new one, or once one frees up."""
        now = time.monotonic()
        while self.idle:
            conn = self.idle.pop()
            if conn.closed:
                continue
            if now - conn.idle_since > self.IDLE_LIMIT:
                conn.transport.close()
                continue
            conn.send(request, callback)
            return
        if self.open < self.limit:
            self.open += 1
            task = asyncio.get_running_loop().create_task(self._connect_and_send(request, callback))
            self._connecting.add(task)  # a strong reference until it is done
            task.add_done_callback(self._connecting.discard)
        else:
            self.waiting.append((request, callback))

    async def _connect_and_send(self, request: bytes, callback) -> None:
        try:
            _transport, conn = await connect(self.host, self.port, lambda: HttpConnection(self))
        except OSError:
            self.open -= 1
            self.failed_connects += 1
            callback(0, b"")
            return
        self._all.add(conn)
        conn.send(request, callback)

    def release(self, conn: HttpConnection) -> None:
        if self.waiting:
            request, callback = self.waiting.popleft()
            conn.send(request, callback)
        else:
            self.idle.append(conn)

    def lost(self, conn: HttpConnection) -> None:
        self.open -= 1
        self._all.discard(conn)

    def close(self, everything: bool = False) -> None:
        """Close every idle connection (with `everything`, busy ones and connects too)."""
        for conn in list(self._all if everything else self.idle):
            conn.callback = None  # nothing to send again
            conn.transport.close()
        self.idle.clear()
        if everything:
            self.waiting.clear()
            for task in list(self._connecting):
                task.cancel()


def post_message(host: str, port: int, token: str, conversation_id: int, text: str) -> bytes:
    """The bytes of POST /api/v1/conversations/<id>/messages (a Bearer-token client)."""
    body = json.dumps({"body": text, "client_id": str(uuid.uuid4())}).encode()
    return (f"POST /api/v1/conversations/{conversation_id}/messages HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class Sender:
    """Open-loop sends: message i is due at start + i / rate whatever the server does; its
    text carries that intended time, and its POST time is measured from it too."""

    def __init__(self, pool: HttpPool, host: str, port: int, people, pick=None):
        self.pool, self.host, self.port = pool, host, port
        self.people = people
        self.pick = pick or (lambda i: random.choice(self.people))
        self.sent = 0
        self.answered = 0
        self.created = 0
        self.created_recorded = 0  # acknowledged sends among those made while recording
        self.errors: dict[int, int] = {}
        self.post_times: list[float] = []  # seconds from intended send time to the answer
        self.recording = False
        self.outstanding = 0

    async def run(self, rate: float, duration: float, recording: bool = True) -> float:
        """Send `rate` messages per second for `duration` seconds; return the intended
        start time (wall clock) of the first."""
        self.recording = recording
        count = max(1, int(rate * duration))
        start = time.time() + 0.02
        i = 0
        while i < count:
            due = start + i / rate
            now = time.time()
            if due > now:
                await asyncio.sleep(due - now)
                continue
            person = self.pick(i)
            self._send(person, due)
            i += 1
        return start

    def _send(self, person, due: float) -> None:
        text = f"T{due:.6f} bench message to group {person.group}"
        request = post_message(self.host, self.port, person.token, person.group, text)
        self.sent += 1
        self.outstanding += 1
        recording = self.recording

        def answered(status: int, _body: bytes) -> None:
            self.outstanding -= 1
            self.answered += 1
            if status in (200, 201):
                self.created += 1
                if recording:
                    self.created_recorded += 1
            else:
                self.errors[status] = self.errors.get(status, 0) + 1
            if recording:
                self.post_times.append(time.time() - due)

        self.pool.submit(request, answered)

    async def drain(self, timeout: float) -> bool:
        """Wait until every send was answered (True) or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while self.outstanding and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.outstanding == 0


class Poller:
    """One long-polling client: GET /events/poll?after=<cursor> in a loop on its own
    keep-alive connection, re-polling as soon as an answer arrives."""

    def __init__(self, host: str, port: int, token: str, sink: Sink, stats: dict, timeout: int = 25):
        self.host, self.port, self.token = host, port, token
        self.sink, self.stats, self.timeout = sink, stats, timeout
        self.cursor = 0
        self.conn: HttpConnection | None = None
        self.pool = HttpPool(host, port, limit=1)
        self.waiting = False
        self.running = True

    def _request(self) -> bytes:
        return (f"GET /events/poll?after={self.cursor}&timeout={self.timeout} HTTP/1.1\r\n"
                f"Host: {self.host}:{self.port}\r\nAuthorization: Bearer {self.token}\r\n\r\n").encode()

    def start(self) -> None:
        """Send the first poll."""
        self.waiting = True
        self.pool.submit(self._request(), self._answered)

    def _answered(self, status: int, body: bytes) -> None:
        now = time.time()
        stats = self.stats
        stats["answers"] += 1
        if status == 200:
            answer = json.loads(body)
            if answer["events"]:
                stats["with_events"] += 1
                self.cursor = answer["cursor"]
                stats["events"] += len(answer["events"])
                if self.sink.recording:
                    for event in answer["events"]:
                        message = event.get("data", {}).get("message")
                        if message:
                            mark = MARK_TEXT_RE.match(message.get("body", ""))
                            if mark:
                                self.sink.latencies.append(now - float(mark.group(1)))
        else:
            stats["errors"] += 1
        if self.running:
            self.pool.submit(self._request(), self._answered)
        else:
            self.waiting = False


def summary_ms(values) -> dict:
    """p50, p90, p99, max and count of `values` (seconds), in milliseconds."""
    if not values:
        return {"count": 0, "p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(fraction):
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 3)

    return {"count": len(ordered), "p50": at(0.50), "p90": at(0.90), "p99": at(0.99),
            "max": round(ordered[-1] * 1000, 3)}
