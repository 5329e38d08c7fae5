"""One open /events stream or waiting long-poll, and the items queued for it
(docs/delivery.md, "Fan-out").

An item is a tuple (event id or None, frame bytes, client dict or None): the id moves the
stream's cursor (durable events only), the frame is what an SSE stream writes
(realtime/frames.py), and the dict is what a long-poll answers (None for heartbeats). Fan-out
makes one item per event and hands that same tuple to every stream.
"""
import random
import re
from typing import TYPE_CHECKING

from gevent import get_hub
from gevent.hub import Waiter

from realtime import frames

if TYPE_CHECKING:
    from realtime.writer import SocketWriter

TAB_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # a page's id for its stream (realtime/viewing.py)
QUEUE_LIMIT = 5000  # frames a stream may fall behind before it is closed (the client resumes)
PING_ITEM = (None, frames.PING, None)


def event_item(view: dict) -> tuple:
    """The item of a durable event, from its client view (realtime.events.client_view)."""
    return (view["id"], frames.event_frame(view), view)


def ephemeral_item(name: str, data: dict) -> tuple:
    """The item of a typing or presence message: no id (it never moves a cursor); long-polls
    answer {"type": name, "data": data}."""
    return (None, frames.ephemeral_frame(name, data), {"type": name, "data": data})


def jittered(seconds: float) -> float:
    """`seconds` less up to 10%, so streams opened together do not all end together."""
    return seconds * (0.9 + 0.1 * random.random())


class Stream:
    """One open /events stream or waiting long-poll: the items queued for one person, and
    the greenlet waiting for them, if any.

    `credential` names the login session or access token behind it, so revoking that closes it.
    `tab` and `view`: see realtime/viewing.py.
    A list and a waiter rather than a gevent Queue (three deques and a timer per wait): a
    stream costs a few hundred bytes, pushing to a stream whose reader is busy is an append,
    and a reader takes everything queued at once (one write for a burst). The list and the
    waiter are made once: a new one per wake-up would live until the next (for an idle
    stream, a heartbeat later), be promoted to the collector's oldest generation, and bring
    full collections, which stall the whole worker, many times more often.
    """

    __slots__ = ("user_id", "credential", "tab", "view", "items", "closed", "_waiter", "_waiting", "_timer", "writer")

    def __init__(self, user_id: int, credential: str, tab: str | None = None):
        self.user_id = user_id
        self.credential = credential
        # The page's own id for its stream (GET /events?tab=), and the conversation that page
        # views now (None: none), set by the hub from `view` control messages.
        self.tab = tab
        self.view: int | None = None
        self.items: list[tuple] = []
        self.closed = False
        self._waiter: Waiter | None = None
        self._waiting = False
        self._timer = None
        self.writer: SocketWriter | None = None

    def put(self, item: tuple) -> None:
        """Queue an item (see the module docstring); a stream that fell QUEUE_LIMIT frames
        behind is closed instead (what it missed, it replays). Fan-out hands the same item to
        every stream: a tuple per delivery would outlive a young-generation collection while
        it waits for its writer, and bring the cyclic collector's full passes (which stall the
        whole worker) many times more often. A stream that owns its socket (`attach`) hands
        the item to its writer instead."""
        if self.closed:
            return
        if self.writer is not None:
            self.writer.add(item)
            return
        if len(self.items) >= QUEUE_LIMIT:
            self.items.clear()
            self.close()
            return
        self.items.append(item)
        self._wake()

    def offer(self, items: list[tuple]) -> None:
        """Queue best-effort items (presence) with one wake-up, and so one write; those that
        would pass QUEUE_LIMIT are dropped rather than closing the stream."""
        if self.closed or not items:
            return
        if self.writer is not None:
            self.writer.offer(items)
            return
        items = items[:QUEUE_LIMIT - len(self.items)]
        if not items:
            return
        self.items.extend(items)
        self._wake()

    def attach(self, sock, sent: int, on_close) -> None:
        """From now on write this stream's frames straight to `sock` (a connected socket of
        its own, see realtime/writer.py) from the hub's loop, with no greenlet waiting for
        them; ids up to `sent` are skipped. What was queued meanwhile goes out first.
        `on_close(stream)` is called once when the stream ends."""
        from realtime.writer import SocketWriter

        self.writer = SocketWriter(self, sock, sent, on_close)
        queued, self.items = self.items, []
        if queued:
            self.writer.offer(queued)

    def wait(self, timeout: float | None = None) -> list[tuple]:
        """Wait until something is queued, the stream closes or `timeout` seconds pass; take
        and return everything queued (maybe nothing). Frames queued before a close are still
        returned; after it, nothing more is queued."""
        if not self.items and not self.closed:
            waiter = self._waiter
            if waiter is None:
                waiter = self._waiter = Waiter()
            else:
                waiter.clear()  # a wake-up left over from a wait that ended otherwise
            self._waiting = True
            timer = None
            if timeout is not None:
                timer = get_hub().loop.timer(max(timeout, 0.0))
                timer.start(self._wake)
            try:
                waiter.get()
            finally:
                self._waiting = False
                if timer is not None:
                    timer.close()
        if not self.items:
            return []
        items = self.items[:]
        self.items.clear()
        return items

    def _wake(self) -> None:
        if self._waiting:
            self._waiting = False  # one wake-up per wait, however many pushes
            get_hub().loop.run_callback(self._waiter.switch, None)

    def close_after(self, seconds: float) -> None:
        """Close the stream after `seconds` (its maximum age): one timer for its whole life."""
        self._timer = get_hub().loop.timer(seconds)
        self._timer.start(self.close)

    def close(self) -> None:
        """End the stream: its reader wakes up, takes what was queued, and stops (or its
        writer sends what it can of what was queued, and closes the socket)."""
        if not self.closed:
            self.closed = True
            if self._timer is not None:
                self._timer.close()
                self._timer = None
            if self.writer is not None:
                self.writer.close()
            else:
                self._wake()
