"""A real Server-Sent Events client for the server tests: `EventStream` reads one open
GET /events frame by frame (as WHATWG HTML interprets a stream), with a deadline on every read;
`Person` is an account with a personal access token."""
import json
import time
from dataclasses import dataclass
from typing import NamedTuple

import httpx


class Frame(NamedTuple):
    """One dispatched Server-Sent Event: its `event:` name ("message" when none), its `id:`
    (None when the frame had none) and its `data:` lines joined."""

    event: str
    id: str | None
    data: str

    def json(self):
        return json.loads(self.data)


@dataclass
class Person:
    """An account with a personal access token."""

    id: int
    username: str
    token: str
    token_id: int

    @property
    def bearer(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


class EventStream:
    """One open GET /events, read frame by frame. Every read has a deadline (and httpx a read
    timeout), so no test can hang on a silent server."""

    def __init__(self, base_url: str, *, person: Person | None = None, token: str | None = None,
                 last_event_id=None, params: dict | None = None, client: httpx.Client | None = None,
                 read_timeout: float = 4.0):
        headers = {"Accept": "text/event-stream"}
        token = token or (person.token if person else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._own_client = client is None
        self.client = client or httpx.Client(base_url=base_url)
        self.opened_at = time.monotonic()
        self._context = self.client.stream("GET", "/events", headers=headers, params=params,
                                           timeout=httpx.Timeout(5.0, read=read_timeout))
        self.response = self._context.__enter__()
        self.retry: int | None = None
        self.comments: list[str] = []
        self.ended = False
        self.ended_at: float | None = None
        self._frames = self._parse(self.response.iter_lines())

    # -- parsing (WHATWG HTML, "Interpreting an event stream") ----------------------------
    def _parse(self, lines):
        event, event_id, data = None, None, []
        for line in lines:
            if line == "":
                if event is not None or data:
                    yield Frame(event or "message", event_id, "\n".join(data))
                event, event_id, data = None, None, []
                continue
            if line.startswith(":"):
                self.comments.append(line[1:])
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "event":
                event = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
            elif name == "retry" and value.isdigit():
                self.retry = int(value)

    # -- reading --------------------------------------------------------------------------------
    def frames(self, timeout: float = 5.0, pings: bool = False, hello: bool = False):
        """Yield frames until the stream ends; AssertionError when `timeout` seconds pass
        first. Pings and the hello are left out unless asked for."""
        deadline = time.monotonic() + timeout
        while True:
            assert time.monotonic() < deadline, f"nothing more looked for arrived within {timeout} s"
            try:
                frame = next(self._frames)
            except StopIteration:
                self.ended, self.ended_at = True, time.monotonic()
                return
            if (frame.event == "ping" and not pings) or (frame.event == "hello" and not hello):
                continue
            yield frame

    def next(self, timeout: float = 5.0, **kinds) -> Frame | None:
        """The next frame (None when the stream ended)."""
        return next(self.frames(timeout, **kinds), None)

    def hello(self, timeout: float = 3.0) -> Frame:
        """Read up to and including the `hello` frame."""
        frame = self.next(timeout, hello=True)
        assert frame is not None and frame.event == "hello", frame
        return frame

    def until(self, predicate, timeout: float = 5.0) -> list[Frame]:
        """Frames (no pings) up to and including the first that `predicate` accepts."""
        seen = []
        for frame in self.frames(timeout):
            seen.append(frame)
            if predicate(frame):
                return seen
        raise AssertionError(f"the stream ended before the frame looked for; it sent {seen}")

    def until_type(self, event_type: str, timeout: float = 5.0) -> list[Frame]:
        """Frames up to and including the first durable event of type `event_type`."""
        return self.until(lambda f: f.event == "message" and f.json()["type"] == event_type, timeout)

    def read_to_end(self, timeout: float = 5.0) -> list[Frame]:
        """Every frame (no pings) until the server ends the stream."""
        return list(self.frames(timeout))

    def close(self) -> None:
        try:
            self._context.__exit__(None, None, None)
        finally:
            if self._own_client:
                self.client.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def durable(frames) -> list[dict]:
    """The bodies of the frames that carry a durable event (an id)."""
    return [frame.json() for frame in frames if frame.id is not None]
