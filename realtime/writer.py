"""Writing an event stream's frames straight to its socket from the worker's event loop, with
no greenlet parked per stream (docs/delivery.md, "Fan-out").

Once a stream under gunicorn has sent its headers, hello and replay, realtime/streaming.py
hands its connection to a `SocketWriter` and the request's greenlet ends, with everything it
held (its stack, the WSGI environ, the request and response objects): an idle stream then costs
its socket, a Stream and this writer, a few hundred bytes besides the kernel's buffers.

Frames handed over in one turn of the loop go out in one `send()` from a loop callback, so a
burst still costs one write, and fan-out never waits on a socket. What `send()` does not take
waits for the socket to become writable; a client more than BACKLOG_LIMIT bytes behind is cut
off (it resumes from its cursor, as with QUEUE_LIMIT). The socket becoming readable means the
client hung up (it never sends anything after its request) or vanished (TCP_USER_TIMEOUT):
the stream ends at once.
"""
import contextlib
import socket

from gevent import get_hub

BACKLOG_LIMIT = 4 * 1024 * 1024  # bytes a client may fall behind before its stream is closed
PRESENCE_LIMIT = 64 * 1024  # bytes of backlog past which best-effort frames are dropped


class SocketWriter:
    """The writing end of one attached stream: `sock` (a non-blocking socket the writer owns
    and closes), the last durable id written (`sent`; older ids are skipped) and the frames
    waiting for the next write. `on_close(stream)` is called once, when the socket closes."""

    __slots__ = ("stream", "sock", "sent", "on_close", "_pending", "_scheduled", "_backlog", "_reading", "_writing")

    def __init__(self, stream, sock: socket.socket, sent: int, on_close):
        self.stream = stream
        self.sock = sock
        self.sent = sent
        self.on_close = on_close
        self._pending: list[bytes] = []
        self._scheduled = False
        self._backlog: bytearray | None = None  # what send() did not take, until it does
        loop = get_hub().loop
        self._writing = None
        self._reading = loop.io(sock.fileno(), 1)  # 1: readable
        self._reading.start(self.stream.close)

    def add(self, item: tuple) -> None:
        """Write `item`'s frame with the others of this turn (a durable event only once)."""
        event_id, frame, _view = item
        if event_id is not None:
            if event_id <= self.sent:
                return
            self.sent = event_id
        self._pending.append(frame)
        self._schedule()

    def offer(self, items: list[tuple]) -> None:
        """Write best-effort `items` (presence, or what queued before attaching) with the
        others of this turn; frames without an id are dropped while the client is far behind."""
        behind = self._backlog is not None and len(self._backlog) > PRESENCE_LIMIT
        for event_id, frame, _view in items:
            if event_id is None:
                if behind:
                    continue
            elif event_id <= self.sent:
                continue
            else:
                self.sent = event_id
            self._pending.append(frame)
        if self._pending:
            self._schedule()

    def _schedule(self) -> None:
        if not self._scheduled:
            self._scheduled = True
            get_hub().loop.run_callback(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if self.sock is None or not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending.clear()
        if self._backlog is None:
            self._send(data)
            return
        self._backlog += data  # the socket is full: its writable watcher sends this later
        if len(self._backlog) > BACKLOG_LIMIT:  # a client that reads nothing (a zero window)
            self.stream.close()

    def _send(self, data=None) -> None:
        # `data` when nothing waits; else (the writable watcher) what waits in the backlog.
        if data is None:
            data = self._backlog
        try:
            written = self.sock.send(data)
        except (BlockingIOError, InterruptedError):
            written = 0
        except OSError:  # reset, broken pipe: the client is gone
            self.stream.close()
            return
        if written == len(data):
            # All out: no buffer is kept (an idle stream holds none).
            self._backlog = None
            if self._writing is not None:
                self._writing.close()
                self._writing = None
            return
        if self._backlog is None:
            self._backlog = bytearray(data[written:])
        else:
            del self._backlog[:written]
        if self._writing is None:
            self._writing = get_hub().loop.io(self.sock.fileno(), 2)  # 2: writable
            self._writing.start(self._send)

    def close(self) -> None:
        """Send what the socket takes at once of what is waiting, close it, and call
        `on_close` (the stream is closed: Stream.close calls this)."""
        sock = self.sock
        if sock is None:
            return
        rest = bytes(self._backlog or b"") + b"".join(self._pending)
        self._pending.clear()
        self._backlog = None
        if rest:
            with contextlib.suppress(OSError):
                sock.send(rest)
        for watcher in (self._reading, self._writing):
            if watcher is not None:
                watcher.close()  # before the descriptor can be reused by another connection
        self._reading = self._writing = None
        self.sock = None
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # a FIN even if the connection was shared
        sock.close()
        on_close, self.on_close = self.on_close, None
        if on_close is not None:
            on_close(self.stream)
