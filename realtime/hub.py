"""The per-worker hub: one listener that takes committed events in id order and fans each
out, encoded once, to this worker's open streams whose person is in the event's audience.

Ids are gapless (realtime/eventlog.py), so the hub always knows the next id it must see: an
early event waits until the ids before it arrive, and a missing id is read from the database
after GAP_WAIT seconds (its publisher may have died between commit and publish). After a
broker reconnect the hub reads everything since its last id from the database.
(shared/DELIVERY.md, "One listener per worker process".)
"""
import json
import logging
import random
from collections import defaultdict, deque

import gevent
from flask import Flask
from gevent import get_hub
from gevent.hub import Waiter

from realtime import store
from realtime.broker import Broker
from realtime.presence import OFFLINE_GRACE, Presence, PresenceMixin

log = logging.getLogger("parley.realtime")

GAP_WAIT = 0.2  # seconds before a missing id is read from the database
QUEUE_LIMIT = 5000  # frames a stream may fall behind before it is closed (the client resumes)
RECENT_LIMIT = 10_000  # membership events remembered, to bring a newly loaded view up to date
# Event types that start or end a stay in a conversation (realtime/eventlog.py stamps them),
# with the data key naming who. friend_request.accepted starts two stays in a direct one.
JOINS = {"group.created": "members", "group.member_added": "members", "group.member_joined": "member"}
LEAVES = {"group.member_left": "user_id", "group.member_removed": "user_id", "group.dissolved": None}
MEMBERSHIP_TYPES = {*JOINS, *LEAVES, "friend_request.accepted"}


def sse_frame(event: dict) -> bytes:
    """The Server-Sent Events frame of a durable event: `id:` then one `data:` line (WHATWG
    HTML §9.2.6); the JSON has no newlines, so one data line suffices."""
    body = json.dumps(event, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event['id']}\ndata: {body}\n\n".encode()


class Stream:
    """One open /events stream or waiting long-poll: the (event id, frame, body) items queued
    for one person, and the greenlet waiting for them, if any.

    `credential` names the login session or access token behind it, so revoking that closes it.
    A list and a waiter rather than a gevent Queue (three deques and a timer per wait): a
    stream costs a few hundred bytes, pushing to a stream whose reader is busy is an append,
    and a reader takes everything queued at once (one write for a burst). The list and the
    waiter are made once: a new one per wake-up would live until the next (for an idle
    stream, a heartbeat later), be promoted to the collector's oldest generation, and bring
    full collections, which stall the whole worker, many times more often.
    """

    __slots__ = ("user_id", "credential", "items", "closed", "_waiter", "_waiting", "_timer")

    def __init__(self, user_id: int, credential: str):
        self.user_id = user_id
        self.credential = credential
        self.items: list[tuple] = []
        self.closed = False
        self._waiter: Waiter | None = None
        self._waiting = False
        self._timer = None

    def put(self, item: tuple) -> None:
        """Queue an (event id or None, frame bytes, body for long-polls or None) item; a
        stream that fell QUEUE_LIMIT frames behind is closed instead (what it missed, it
        replays). Fan-out hands the same item to every stream: a tuple per delivery would
        outlive a young-generation collection while it waits for its writer, and bring the
        cyclic collector's full passes (which stall the whole worker) many times more often."""
        if self.closed:
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
        items = items[:QUEUE_LIMIT - len(self.items)]
        if self.closed or not items:
            return
        self.items.extend(items)
        self._wake()

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
        """End the stream: its reader wakes up, takes what was queued, and stops."""
        if not self.closed:
            self.closed = True
            if self._timer is not None:
                self._timer.close()
                self._timer = None
            self._wake()


class Hub(PresenceMixin):
    """This worker's streams, its view of their people's memberships, and its ordered listener.

    Memberships are kept as stays with event-id ranges (joined_id, left_id), loaded when a
    person's first stream opens and updated by the join and leave events flowing through the
    same ordered listener, so permissions change exactly in event order.
    """

    def __init__(self, app: Flask, broker: Broker):
        self.app = app
        self.broker = broker
        self.streams: dict[int, set[Stream]] = defaultdict(set)
        self.stays: dict[int, dict[int, list[list]]] = {}  # user -> conversation -> [[joined, left]]
        self.conversation_users: dict[int, set[int]] = defaultdict(set)
        self.last_id = 0
        self.pending: dict[int, dict] = {}
        self._gap_timer = None
        self._started = False
        self.recent: deque[dict] = deque(maxlen=RECENT_LIMIT)
        self.presence = Presence()
        self.lingering: dict[int, list[int]] = {}  # user -> conversations, offline after the grace
        # recipient -> {person -> their latest presence item}, until the next batch goes out
        self.presence_out: defaultdict[int, dict[int, tuple]] = defaultdict(dict)
        self._presence_flush = None
        self.heartbeat_interval = app.config["EVENT_HEARTBEAT"]

    # -- life cycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Start the listener and heartbeat greenlets (once, lazily, in the serving process)."""
        if self._started:
            return
        self._started = True
        with self.app.app_context():
            self.last_id = store.last_event_id()
        gevent.spawn(self.broker.listen, self.on_message, self.catch_up)
        gevent.spawn(self._heartbeat_loop)
        gevent.spawn(self._presence_loop)

    # -- streams ------------------------------------------------------------------------------
    def register(self, user_id: int, credential: str) -> Stream:
        """Register a stream for `user_id`: from now on it queues the person's live events
        (conversation events once `install_stays` has run)."""
        self.start()
        stream = Stream(user_id, credential)
        self.streams[user_id].add(stream)
        self.lingering.pop(user_id, None)  # back within the grace: never went offline
        return stream

    def install_stays(self, user_id: int, stays: dict[int, list[list]], loaded_after: int) -> bool:
        """Install `user_id`'s stays, read from the database after the hub had handled every
        event up to `loaded_after`; membership events handled since are applied again (they
        are idempotent). False when they are no longer remembered: load again."""
        if user_id in self.stays:
            return True
        if self.last_id > loaded_after and (not self.recent or self.recent[0]["id"] > loaded_after + 1) \
                and len(self.recent) == RECENT_LIMIT:
            return False
        self.stays[user_id] = stays
        for conversation_id in stays:
            self.conversation_users[conversation_id].add(user_id)
        for event in self.recent:
            if event["id"] > loaded_after:
                self._apply_joins(event, only=user_id)
                self._apply_leaves(event, only=user_id)
        self.lingering.pop(user_id, None)
        self._announce(user_id, True)
        return True

    def close(self, stream: Stream) -> None:
        """Unregister `stream`. With a person's last stream, their memberships stay (kept
        current by the listener) through the offline grace, so a reconnect or the next
        long-poll starts without reading them again; then they are forgotten."""
        stream.close()
        streams = self.streams.get(stream.user_id)
        if streams is None:
            return
        streams.discard(stream)
        if not streams:
            del self.streams[stream.user_id]
            if stream.user_id in self.stays:
                conversations = self._open_conversations(stream.user_id)
                self.lingering[stream.user_id] = conversations
                gevent.spawn_later(OFFLINE_GRACE, self._went_offline, stream.user_id, conversations)

    def _forget(self, user_id: int) -> None:
        """Drop the memberships of a person with no stream here."""
        for conversation_id in self.stays.pop(user_id, {}):
            users = self.conversation_users.get(conversation_id)
            if users is not None:
                users.discard(user_id)
                if not users:
                    del self.conversation_users[conversation_id]

    def close_credential(self, credential: str) -> None:
        """Close every stream opened with `credential` (a revoked session or token)."""
        for streams in list(self.streams.values()):
            for stream in list(streams):
                if stream.credential == credential:
                    stream.close()

    def close_user(self, user_id: int) -> None:
        """Close every stream of `user_id` (a disabled account)."""
        for stream in list(self.streams.get(user_id, ())):
            stream.close()

    # -- the ordered listener -----------------------------------------------------------------
    def on_message(self, raw: bytes) -> None:
        """Handle one broker message: committed events, or a control message."""
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("dropped a malformed broker message")
            return
        kind = message.get("kind")
        if kind == "events":
            for event in message["events"]:
                self.accept(event)
        elif kind == "revoke":
            self.close_credential(message["credential"])
        elif kind == "disable":
            self.close_user(message["user_id"])
        elif kind == "typing":
            self._typing(message)
        elif kind == "presence":
            changed = self.presence.update(message["worker"], message["user_id"], message["online"],
                                           message["conversation_ids"])
            if changed:
                self._presence_frame(message["user_id"], message["online"], message["conversation_ids"])
        elif kind == "presence.snapshot":
            self.presence.replace(message["worker"], {int(k): v for k, v in message["users"].items()})
        elif kind == "presence.hello" and message["worker"] != self.presence.worker_id:
            self._publish_snapshot()

    def accept(self, event: dict) -> None:
        """Take one committed event (in any order, maybe twice); deliver in id order."""
        event_id = event["id"]
        if event_id <= self.last_id or event_id in self.pending:
            return
        self.pending[event_id] = event
        while self.last_id + 1 in self.pending:
            self.last_id += 1
            self.deliver(self.pending.pop(self.last_id))
        if self.pending and self._gap_timer is None:
            self._gap_timer = gevent.spawn_later(GAP_WAIT, self._fill_gap)

    def _fill_gap(self) -> None:
        self._gap_timer = None
        if self.pending:
            self.catch_up(until=min(self.pending) - 1)

    def catch_up(self, until: int | None = None) -> None:
        """Read committed events after the last delivered id (up to `until`) from the database."""
        try:
            with self.app.app_context():
                events = store.read_events(self.last_id, until)
        except Exception:  # the database may be down for a moment; retry soon
            log.exception("could not read missed events; retrying")
            self._gap_timer = gevent.spawn_later(GAP_WAIT, self._fill_gap)
            return
        for event in events:
            self.accept(event)
        if self.pending and self._gap_timer is None:
            self._gap_timer = gevent.spawn_later(GAP_WAIT, self._fill_gap)

    # -- fan-out ------------------------------------------------------------------------------
    def deliver(self, event: dict) -> None:
        """Fan one event out to the local streams of its audience, as of this event."""
        event_id, conversation_id = event["id"], event.get("conversation_id")
        if event["type"] in MEMBERSHIP_TYPES:
            self.recent.append(event)
        self._apply_joins(event)
        if conversation_id is None:
            audience = [uid for uid in event.get("user_ids", ()) if uid in self.streams]
        else:
            audience = [uid for uid in self.conversation_users.get(conversation_id, ())
                        if self._member_at(uid, conversation_id, event_id)]
        if audience:
            body = public_body(event)
            item = (event_id, sse_frame(body), body)
            for user_id in audience:
                for stream in self.streams.get(user_id, ()):
                    stream.put(item)
        self._apply_leaves(event)

    def _member_at(self, user_id: int, conversation_id: int, event_id: int) -> bool:
        for joined, left in self.stays.get(user_id, {}).get(conversation_id, ()):
            if (joined or 0) <= event_id and (left is None or event_id <= left):
                return True
        return False

    def _apply_joins(self, event: dict, only: int | None = None) -> None:
        if event["type"] == "friend_request.accepted":
            # Two new friends share a direct conversation from its very start (joined at 0).
            request = event["data"]["request"]
            for person in (request["sender"], request["receiver"]):
                if only is None or person["id"] == only:
                    self._add_stay(person["id"], event["data"]["conversation_id"], 0)
            return
        key = JOINS.get(event["type"])
        if key is None:
            return
        people = event["data"][key]
        for person in people if isinstance(people, list) else [people]:
            if only is None or person["id"] == only:
                self._add_stay(person["id"], event["conversation_id"], event["id"])

    def _add_stay(self, user_id: int, conversation_id: int, event_id: int) -> None:
        stays = self.stays.get(user_id)
        if stays is None:  # no stream of theirs here: nothing to keep
            return
        spans = stays.setdefault(conversation_id, [])
        if not any(joined == event_id for joined, _left in spans):
            spans.append([event_id, None])
        self.conversation_users[conversation_id].add(user_id)

    def _apply_leaves(self, event: dict, only: int | None = None) -> None:
        if event["type"] not in LEAVES:
            return
        conversation_id, event_id = event["conversation_id"], event["id"]
        key = LEAVES[event["type"]]
        leaving = [event["data"][key]] if key else list(self.conversation_users.get(conversation_id, ()))
        if only is not None:
            leaving = [only] if only in leaving or key is None else []
        for user_id in leaving:
            for span in self.stays.get(user_id, {}).get(conversation_id, ()):
                if span[1] is None and span[0] <= event_id:
                    span[1] = event_id

    # -- heartbeats ---------------------------------------------------------------------------
    def _heartbeat_loop(self) -> None:
        # One loop per worker writes the same pre-encoded bytes to every stream: a comment
        # line for proxies, and a `ping` event (no id) for the page's liveness timer.
        item = (None, PING_FRAME, None)
        while True:
            gevent.sleep(self.heartbeat_interval)
            for streams in list(self.streams.values()):
                for stream in list(streams):
                    stream.put(item)


PING_FRAME = b": heartbeat\nevent: ping\ndata: {}\n\n"


def public_body(event: dict) -> dict:
    """The event as clients see it: {"id", "type", "data", "created_at"} (no audience)."""
    return {"id": event["id"], "type": event["type"], "data": event["data"], "created_at": event["created_at"]}


def jittered(seconds: float) -> float:
    """`seconds` less up to 10%, so streams opened together do not all end together."""
    return seconds * (0.9 + 0.1 * random.random())


__all__ = ["Hub", "Stream", "sse_frame", "public_body", "jittered"]
