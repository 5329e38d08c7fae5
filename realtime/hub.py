"""The per-worker hub: this worker's open streams, and the one listener that takes committed
events in id order and fans each out, encoded once, to the streams of its audience.

Ids are gapless (realtime/eventlog.py), so the hub always knows the next id it must see: an
early event waits until the ids before it arrive, and a missing id is read from the database
after GAP_WAIT seconds (its publisher may have died between commit and publish). After a
broker reconnect the hub reads everything since its last id from the database
(docs/delivery.md, "The listener"). Who receives a conversation's event is the memberships
view's answer (realtime/memberships.py); typing and presence are the relay's
(realtime/presence.py).

Reading by viewing (realtime/viewing.py): fan-out notes the messages it hands to streams
that view their conversation.
"""
import json
import logging
import time
from collections import defaultdict

import gevent
from flask import Flask

from realtime import store
from realtime.broker import Broker
from realtime.events import DISABLE, EVENTS, MESSAGE_CREATED, REVOKE, TYPING, VIEW, client_view
from realtime.memberships import MEMBERSHIP_TYPES, Memberships, stays_ended
from realtime.presence import PRESENCE_KINDS, PresenceRelay
from realtime.stream import PING_ITEM, Stream, event_item
from realtime.viewing import Viewing

log = logging.getLogger("parley.realtime")

GAP_WAIT = 0.2  # seconds before a missing id is read from the database
HEARTBEAT_TICK = 0.1  # seconds between the heartbeat loop's turns (each pings one slot of streams)


class Hub:
    """This worker's streams by person, its memberships view, its presence relay, and its
    ordered listener (`last_id`: the last event id delivered)."""

    def __init__(self, app: Flask, broker: Broker):
        self.app = app
        self.broker = broker
        self.streams: defaultdict[int, set[Stream]] = defaultdict(set)
        self.memberships = Memberships()
        self.presence = PresenceRelay(broker, self.streams, self.memberships, app.config["PRESENCE_BATCH"])
        self.last_id = 0
        self.pending: dict[int, dict] = {}
        self._gap_timer = None
        self._started = False
        self.heartbeat_interval = app.config["EVENT_HEARTBEAT"]
        # Streams in heartbeat slots, one slot pinged per HEARTBEAT_TICK: each stream still
        # gets a ping every interval, but never all of them in one burst (which would hold
        # every delivery behind thousands of writes: bench/RESULTS.md, the chat mix's p99).
        self._beats: list[set[Stream]] = [set() for _ in range(max(1, round(self.heartbeat_interval / HEARTBEAT_TICK)))]
        self._beat_of: dict[Stream, int] = {}
        self._next_beat = 0
        # Called with every broker message handled, after the hub's own handling (the
        # credential cache forgets revoked credentials by them: blueprints/auth/cache.py).
        self.listeners: list = []
        self.viewing = Viewing(app, self.streams, app.config["READ_FLUSH"])

    @property
    def listening(self) -> bool:
        """True once `start` has run: this worker hears every broker message from then on
        (while the broker is down, it catches up on events, and control messages are lost)."""
        return self._started

    def start(self) -> None:
        """Start the listener, heartbeat and presence greenlets (once, lazily, in the serving
        process)."""
        if self._started:
            return
        self._started = True
        with self.app.app_context():
            self.last_id = store.last_event_id()
        gevent.spawn(self.broker.listen, self.on_message, self._subscribed)
        gevent.spawn(self._heartbeat_loop)
        gevent.spawn(self.presence.run)
        gevent.spawn(self.viewing.run)

    # -- streams ------------------------------------------------------------------------------
    def register(self, user_id: int, credential: str, tab: str | None = None) -> Stream:
        """Register a stream for `user_id` (opened by the page `tab`, if it said): from now on
        it queues the person's live events (conversation events once `install_stays` has run)."""
        self.start()
        stream = Stream(user_id, credential, tab)
        self.streams[user_id].add(stream)
        self._beat_of[stream] = beat = self._next_beat
        self._beats[beat].add(stream)
        self._next_beat = (beat + 1) % len(self._beats)
        self.presence.returned(user_id)
        return stream

    def install_stays(self, user_id: int, stays: dict[int, list[list]], loaded_after: int) -> bool:
        """Install `user_id`'s stays, read from the database after the hub had handled every
        event up to `loaded_after` (Memberships.install); the person is then online. False
        when the events since are no longer remembered: load again."""
        if self.memberships.knows(user_id):
            return True
        if not self.memberships.install(user_id, stays, loaded_after, self.last_id):
            return False
        self.presence.arrived(user_id)
        return True

    def close(self, stream: Stream) -> None:
        """Unregister `stream`. With a person's last stream, their memberships stay (kept
        current by the listener) through the offline grace (PresenceRelay.last_stream_closed)."""
        stream.close()
        beat = self._beat_of.pop(stream, None)
        if beat is not None:
            self._beats[beat].discard(stream)
        streams = self.streams.get(stream.user_id)
        if streams is None:
            return
        streams.discard(stream)
        if not streams:
            del self.streams[stream.user_id]
            self.presence.last_stream_closed(stream.user_id)

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
    def _subscribed(self, resumed: bool) -> None:
        """The broker subscription is live (again): read what may have been missed, then let
        presence announce this worker, now that the others' answers can be heard."""
        if resumed:
            self.catch_up()
        self.presence.subscribed()

    def on_message(self, raw: bytes) -> None:
        """Handle one broker message: committed events, or a control message."""
        try:
            message = json.loads(raw)
        except ValueError:
            log.warning("dropped a malformed broker message")
            return
        kind = message.get("kind")
        if kind == EVENTS:
            for event in message["events"]:
                self.accept(event)
        elif kind == REVOKE:
            self.close_credential(message["credential"])
        elif kind == DISABLE:
            self.close_user(message["user_id"])
        elif kind == TYPING:
            self.presence.typing(message)
        elif kind == VIEW:
            self.viewing.viewed(message)
        elif kind in PRESENCE_KINDS:
            self.presence.heard(message)
        for listener in self.listeners:
            listener(message)

    def accept(self, event: dict) -> None:
        """Take one committed event (a wire dict; in any order, maybe twice); deliver in id order."""
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
        """Read committed events after the last delivered id (up to `until`) from the
        database, a page of EVENT_REPLAY_LIMIT at a time, until none is left: after a long
        broker outage nothing may wait for a later event to show the gap (and a quiet site
        has none)."""
        page = self.app.config["EVENT_REPLAY_LIMIT"]
        while True:
            try:
                with self.app.app_context():
                    events = store.read_events(self.last_id, until, page)
            except Exception:  # the database may be down for a moment; retry soon
                log.exception("could not read missed events; retrying")
                self._gap_timer = gevent.spawn_later(GAP_WAIT, self._fill_gap)
                return
            before = self.last_id
            for event in events:
                self.accept(event)
            # A short page is the end; so is one that delivered nothing (its ids are held
            # behind a gap below them, which reading again would not fill).
            if len(events) < page or self.last_id == before:
                break
        if self.pending and self._gap_timer is None:
            self._gap_timer = gevent.spawn_later(GAP_WAIT, self._fill_gap)

    # -- fan-out (docs/delivery.md, "Fan-out") -----------------------------------------------
    def deliver(self, event: dict) -> None:
        """Fan one event (a wire dict) out to the local streams of its audience, as of this
        event: the people who join with it receive it, those who leave with it too."""
        event_id, conversation_id = event["id"], event.get("conversation_id")
        changes_stays = event["type"] in MEMBERSHIP_TYPES
        if changes_stays:
            self.memberships.apply_starts(event)
        streams = self.streams
        if conversation_id is None:
            audience = [uid for uid in event.get("user_ids", ()) if uid in streams]
        else:
            audience = self.memberships.audience(conversation_id, event_id)
        message_id = None
        if event["type"] == MESSAGE_CREATED:
            message_id = event["data"]["message"]["id"]
            self.viewing.delivered(conversation_id, message_id)
        if audience:
            # One item for every stream: see Stream.put.
            item = event_item(client_view(event_id, event["type"], event["data"], event["created_at"]))
            reads = self.viewing.reads  # reading by viewing: the messages handed to viewing streams
            for user_id in audience:
                for stream in streams.get(user_id, ()):
                    stream.put(item)
                    if message_id is not None and stream.view == conversation_id and not stream.closed:
                        reads[(conversation_id, user_id)] = message_id  # ids only grow
        if changes_stays:
            self.memberships.apply_ends(event)
            self.viewing.end_views(conversation_id, stays_ended(event))

    def _heartbeat_loop(self) -> None:
        # One loop per worker hands the same pre-encoded item to one slot of streams a tick,
        # on a fixed schedule (no drift): every stream once per interval.
        tick = self.heartbeat_interval / len(self._beats)
        due = time.monotonic()
        beat = 0
        while True:
            due += tick
            gevent.sleep(max(0.0, due - time.monotonic()))
            for stream in list(self._beats[beat]):
                stream.put(PING_ITEM)
            beat = (beat + 1) % len(self._beats)


__all__ = ["GAP_WAIT", "Hub"]
