"""Every Server-Sent Events frame Parley writes (WHATWG HTML §9.2.6), as bytes: nothing else
formats SSE text (docs/delivery.md, "Opening a stream").

A durable event's frame carries an `id:` (the browser sends it back as Last-Event-ID); every
other frame has a name and no id, so it never moves a cursor. Data is JSON without newlines,
so one `data:` line always suffices.
"""
import json


def _named(name: str, data: str) -> bytes:
    return f"event: {name}\ndata: {data}\n\n".encode()


def event_frame(view: dict) -> bytes:
    """The frame of a durable event, from its client view (realtime.events.client_view)."""
    data = json.dumps(view, separators=(",", ":"), ensure_ascii=False)
    return f"id: {view['id']}\ndata: {data}\n\n".encode()


def ephemeral_frame(name: str, data: dict) -> bytes:
    """The frame of a never-stored message ("typing", "presence") with its data."""
    return _named(name, json.dumps(data, separators=(",", ":"), ensure_ascii=False))


def preamble(retry_ms: int) -> bytes:
    """What a stream opens with: the browser's reconnection delay (`retry_ms` milliseconds)
    and 2 KB of comment for proxies that wait for a buffer to fill."""
    return f"retry: {retry_ms}\n: {' ' * 2048}\n\n".encode()


HELLO = _named("hello", "{}")  # the stream is registered: what the client does next, it sees
RESET = _named("reset", json.dumps({"reason": "cursor_too_old"}))  # reload: the cursor is no longer served
# A comment line keeps proxies from timing the stream out; the `ping` event (no id) feeds the
# page's liveness timer.
PING = b": heartbeat\n" + _named("ping", "{}")
