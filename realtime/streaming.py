"""Serving a person's events: the Server-Sent Events stream and its long-polling twin.

Opening follows docs/delivery.md, "Opening a stream" and "Long-poll": register the stream
with the hub (from then on it queues live events), load the person's memberships, replay
`id > cursor` from the database with a short-lived session, release it, then drain the queue
skipping ids already sent. Nothing here holds a database session or an app context while
waiting. Every byte written comes from realtime/frames.py.
"""
import contextlib
import logging
import socket
import ssl
import time

import _socket
import gevent.socket

from flask import Flask, Response, current_app, has_app_context
from gevent import get_hub

from realtime import frames, store
from realtime.hub import Hub
from realtime.stream import Stream, jittered
from realtime.viewing import read_replayed


log = logging.getLogger("parley.realtime")


class CursorTooOld(Exception):
    """The cursor predates the oldest event kept (or is unknown): the client must reload."""


def _app_context(app: Flask):
    """`app`'s context for a database read: the one already current when the caller runs in
    `app`'s request (a long-poll), else a new one (a detached stream's greenlet, after its
    request has ended). Each read opens and removes its own session either way."""
    if has_app_context() and current_app._get_current_object() is app:
        return contextlib.nullcontext()
    return app.app_context()


def _open(app: Flask, hub: Hub, user_id: int, credential: str, tab: str | None = None) -> Stream:
    stream = hub.register(user_id, credential, tab)
    if hub.memberships.knows(user_id):  # another stream of theirs keeps the view current already
        return stream
    try:
        for _attempt in range(3):
            loaded_after = hub.last_id
            with _app_context(app):
                stays = store.load_stays(user_id, loaded_after)
            if hub.install_stays(user_id, stays, loaded_after):
                return stream
        raise RuntimeError("the hub moved on too fast to load memberships")
    except BaseException:  # a database error too: the stream must not stay registered
        hub.close(stream)
        raise


def _replay(app: Flask, user_id: int, cursor: int, check: bool):
    """Yield batches of events after `cursor` for `user_id` until none are left. With
    `check`, first raise CursorTooOld if the cursor is no longer served (the check and the
    first batch share one database session)."""
    limit = app.config["EVENT_REPLAY_LIMIT"]
    while True:
        with _app_context(app):
            if check:
                valid, events, more = store.checked_replay(user_id, cursor, limit)
                if not valid:
                    raise CursorTooOld()
                check = False
            else:
                events, more = store.replay(user_id, cursor, limit)
        if events:
            yield events
            cursor = events[-1]["id"]
        if not more:
            return


def _watch_client(sock, stream: Stream, heartbeat: float):
    """Close `stream` as soon as its client is gone, rather than when a write fails (up to
    two heartbeats later, or never for a client whose network vanished):

    - a client never sends anything on an event stream after its request, so a readable
      socket means it hung up (or broke the protocol): an io watcher ends the stream at once;
    - a vanished network (no FIN, no ACK) is given up by the kernel once written data has
      gone unacknowledged for two thirds of a heartbeat (TCP_USER_TIMEOUT; Linux otherwise
      retransmits for about 15 minutes), which makes the socket readable too. A client gone
      just after a heartbeat is so noticed within 5/3 of a heartbeat (25 s by default).

    `sock` is the server's socket of the request (None when the server gives none). Returns
    the watcher, to close when the stream ends.
    """
    if sock is None:
        return None
    try:
        fileno = sock.fileno()
        _give_up_on_silence(sock, heartbeat)
    except (OSError, AttributeError, TypeError):
        return None
    watcher = get_hub().loop.io(fileno, 1)  # 1: readable
    watcher.start(_hung_up, watcher, stream)
    return watcher


def _give_up_on_silence(sock, heartbeat: float) -> None:
    """Let the kernel give up a connection whose written data goes unacknowledged for two
    thirds of a heartbeat (`heartbeat` seconds; see _watch_client). Raises OSError."""
    if hasattr(socket, "TCP_USER_TIMEOUT"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, max(1000, int(heartbeat * 2000 / 3)))


def _hung_up(watcher, stream: Stream) -> None:
    watcher.stop()
    stream.close()


def _begin(app: Flask, hub: Hub, user_id: int, credential: str, cursor: int | None,
           tab: str | None) -> tuple[Stream, int, bool]:
    """Register the stream (of page `tab`, if given); returns (stream, cursor, fresh).
    `cursor` None starts at now, read before registering so that nothing falls between."""
    fresh = cursor is None
    if fresh:
        with _app_context(app):
            cursor = store.last_event_id()
    return _open(app, hub, user_id, credential, tab), cursor, fresh


def _opening(app: Flask, stream: Stream, cursor: int, fresh: bool, state: dict):
    """Yield what a stream starts with: the preamble and hello (only once registered: a client
    that acts on hello must see what its act records), then the replay after `cursor` in
    batches. Sets state["sent"] (the last id yielded) and state["reset"] (the cursor is no
    longer served: RESET was yielded, and the stream must end)."""
    config = app.config
    yield frames.preamble(config["EVENT_RETRY"]) + frames.HELLO
    state["sent"], state["reset"] = cursor, False
    try:
        for batch in _replay(app, stream.user_id, cursor, check=not fresh):
            yield b"".join(frames.event_frame(view) for view in batch)
            state["sent"] = batch[-1]["id"]
            if stream.closed:  # gone (or revoked) during a long replay: read no more
                return
    except CursorTooOld:
        state["reset"] = True
        yield frames.RESET


def event_stream(app: Flask, hub: Hub, user_id: int, credential: str, cursor: int | None, sock=None,
                 tab: str | None = None):
    """The response of GET /events under a server that keeps the request's greenlet for the
    stream's life: a generator of SSE bytes. `cursor` None starts at now. `sock`, the
    request's socket, lets the stream end as soon as its client is gone. `tab`: the page's
    id for its stream (realtime/viewing.py)."""
    config = app.config
    stream, cursor, fresh = _begin(app, hub, user_id, credential, cursor, tab)
    watcher = _watch_client(sock, stream, config["EVENT_HEARTBEAT"])
    try:
        state: dict = {}
        yield from _opening(app, stream, cursor, fresh, state)
        if state["reset"] or stream.closed:
            return
        sent = state["sent"]
        stream.close_after(jittered(config["EVENT_STREAM_MAX_AGE"]))
        while True:
            out = []
            for event_id, frame, _view in stream.wait():
                if event_id is not None:
                    if event_id <= sent:
                        continue
                    sent = event_id
                out.append(frame)
            if out:
                # Whatever queued up while this stream waited its turn goes out in one write.
                yield out[0] if len(out) == 1 else b"".join(out)
            if stream.closed:
                return
    finally:
        if watcher is not None:
            watcher.close()  # before the descriptor can be reused by another connection
        hub.close(stream)


def detachable(environ: dict) -> bool:
    """True when GET /events can take over its connection: a GET on gunicorn's gevent worker,
    over a plain HTTP/1.x socket (not TLS, not an HTTP/2 stream among others)."""
    sock = environ.get("gunicorn.socket")
    return (isinstance(sock, gevent.socket.socket) and not isinstance(sock, ssl.SSLSocket)
            and environ.get("REQUEST_METHOD") == "GET"
            and environ.get("SERVER_PROTOCOL") in ("HTTP/1.0", "HTTP/1.1"))


def serve_detached(app: Flask, hub: Hub, user_id: int, credential: str, cursor: int | None, sock,
                   head: bytes, tab: str | None = None) -> None:
    """GET /events on a connection it takes over (`detachable`): write `head` (the response's
    status line and headers), the preamble, hello and replay on `sock` from the request's
    greenlet, then take the connection's descriptor from `sock` (which the server then holds
    closed) and hand it to the stream's SocketWriter (realtime/writer.py), so the request's
    greenlet can end (`tab` as in event_stream). Returns True once attached; False when the stream ended while opening
    (the connection is then shut: the client reconnects)."""
    stream, cursor, fresh = _begin(app, hub, user_id, credential, cursor, tab)
    try:
        _give_up_on_silence(sock, app.config["EVENT_HEARTBEAT"])  # a client that vanishes mid-replay
        sock.sendall(head)
        state: dict = {}
        for chunk in _opening(app, stream, cursor, fresh, state):
            sock.sendall(chunk)
        if state["reset"] or stream.closed:
            raise _Ended()
    except BaseException as exc:
        hub.close(stream)
        if not isinstance(exc, (_Ended, OSError)):
            # Past the head, an answer can only end: no error page after a 200.
            log.exception("event stream failed while opening")
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        if isinstance(exc, Exception):
            return False
        raise
    # The descriptor changes hands: gunicorn's socket object no longer owns it, so neither its
    # keep-alive wait nor its close touches the connection again.
    own = _socket.socket(fileno=sock.detach())
    own.setblocking(False)
    stream.close_after(jittered(app.config["EVENT_STREAM_MAX_AGE"]))
    stream.attach(own, state["sent"], hub.close)
    return True


class _Ended(Exception):
    """The stream ended while opening (reset, or closed during the replay)."""


_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


class DetachedStreamResponse(Response):
    """The response of GET /events on a `detachable` connection: called by the WSGI server,
    it writes its own status line and headers (those Flask and its extensions set, with
    `Connection: close`: the body ends when the connection does, so no chunked framing) and
    runs `serve(sock, head)` (serve_detached). Then it ends gunicorn's handling of the connection
    (StopIteration: "close the connection", whose descriptor the stream has taken), so gunicorn
    neither waits on it for a next request nor answers one written behind this request."""

    def __init__(self, serve, **kwargs):
        super().__init__(**kwargs)
        self._serve = serve

    def __call__(self, environ, start_response):
        headers = [(name, value) for name, value in self.get_wsgi_headers(environ).items()
                   if name.lower() not in _HOP_BY_HOP]
        head = "".join([f"HTTP/1.1 {self.status}\r\n", *(f"{name}: {value}\r\n" for name, value in headers),
                        "Connection: close\r\n\r\n"]).encode("latin-1")
        self._serve(environ["gunicorn.socket"], head)
        raise StopIteration("the event stream took the connection over")


def poll(app: Flask, hub: Hub, user_id: int, credential: str, after: int, timeout: float,
         tab: str | None = None, view: int | None = None) -> dict:
    """GET /events/poll: events after `after` at once if any, else wait up to `timeout`
    seconds for the next ones. Returns {"events": [...], "cursor": last id, "ephemeral":
    [typing and presence, best effort]} or raises CursorTooOld. `tab` and `view`: the page's
    id and the conversation it views (realtime/viewing.py): the messages of
    that conversation this poll answers with are read."""
    stream = _open(app, hub, user_id, credential, tab)
    stream.view = view
    try:
        with _app_context(app):
            valid, events, _more = store.checked_replay(user_id, after, app.config["EVENT_REPLAY_LIMIT"])
        if not valid:
            raise CursorTooOld()
        if events:
            read_replayed(hub.viewing, stream, events)
            return {"events": events, "cursor": events[-1]["id"], "ephemeral": []}
        deadline = time.monotonic() + timeout
        collected: list[dict] = []
        ephemeral: list[dict] = []
        while not collected and not ephemeral and not stream.closed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for item in stream.wait(left):  # with whatever else arrived with it
                _take(item, after, collected, ephemeral)
        return {"events": collected, "cursor": collected[-1]["id"] if collected else after,
                "ephemeral": ephemeral}
    finally:
        hub.close(stream)


def _take(item, after: int, collected: list[dict], ephemeral: list[dict]) -> None:
    event_id, _frame, view = item
    if view is None:
        return  # heartbeat
    if event_id is None:
        ephemeral.append(view)
    elif event_id > max(after, collected[-1]["id"] if collected else 0):
        collected.append(view)


__all__ = ["CursorTooOld", "detachable", "event_stream", "poll", "serve_detached"]
