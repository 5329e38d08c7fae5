"""Presence and typing (docs/delivery.md, "Presence and typing"): who is online anywhere
(at least one open stream on any worker), and the typing and presence frames for this
worker's streams. Never stored; through the broker only.

Each worker tells the others through the broker when one of its people comes or goes, and
repeats its whole list every SNAPSHOT seconds; a worker not heard from for three snapshots is
taken to be gone with its people. A starting worker asks the others for their lists at once.
"""
import json
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Mapping

import gevent

from realtime.broker import Broker
from realtime.memberships import Memberships
from realtime.stream import Stream, ephemeral_item

SNAPSHOT = 30  # seconds between a worker's full presence lists
# Seconds a person stays online after their last stream closed: a reconnect or the next
# long-poll within it changes nothing (no offline-online flicker, no polls woken by it).
OFFLINE_GRACE = 5.0
# The relay's broker messages between workers: one person's change, a worker's full list, and
# a starting worker asking for everyone's lists.
PRESENCE, PRESENCE_SNAPSHOT, PRESENCE_HELLO = "presence", "presence.snapshot", "presence.hello"
PRESENCE_KINDS = (PRESENCE, PRESENCE_SNAPSHOT, PRESENCE_HELLO)


class Presence:
    """The online people of every worker, as this worker has heard them."""

    def __init__(self):
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.workers: dict[str, dict[int, list[int]]] = {}  # worker -> user -> conversations
        self.heard: dict[str, float] = {}

    def is_online(self, user_id: int) -> bool:
        """True when `user_id` has an open stream on a live worker."""
        self._expire()
        return any(user_id in users for users in self.workers.values())

    def online_among(self, user_ids) -> list[int]:
        """Those of `user_ids` who are online."""
        return [uid for uid in user_ids if self.is_online(uid)]

    def update(self, worker: str, user_id: int, online: bool, conversations: list[int]) -> bool:
        """Apply one worker's change; return True if the person's overall status changed."""
        before = self.is_online(user_id)
        users = self.workers.setdefault(worker, {})
        if online:
            users[user_id] = conversations
        else:
            users.pop(user_id, None)
        self.heard[worker] = time.monotonic()
        return self.is_online(user_id) != before

    def replace(self, worker: str, users: dict[int, list[int]]) -> None:
        """Apply one worker's full list."""
        self.workers[worker] = users
        self.heard[worker] = time.monotonic()

    def _expire(self) -> None:
        limit = time.monotonic() - 3 * SNAPSHOT
        for worker in [w for w, at in self.heard.items() if at < limit and w != self.worker_id]:
            self.workers.pop(worker, None)
            self.heard.pop(worker, None)


class PresenceRelay:
    """Typing and presence between the broker and this worker's streams: sent to streams as
    items without an id (so they never move a cursor), and this worker's own comings and
    goings announced to the others.

    `streams` is the hub's open streams by person (read, never changed, here); `memberships`
    says who is in which conversation now; `batch` is the seconds presence frames are
    gathered before they go out, each stream's in one write (config PRESENCE_BATCH). When a
    group's members come back together (a reconnect storm after a deploy or a network blip),
    each arrival would otherwise wake and write to every member already back: n(n-1)/2 writes
    for a group of n, the largest cost of the storm. Presence is a dot, not a message: a
    second late is not noticed.
    """

    def __init__(self, broker: Broker, streams: Mapping[int, set[Stream]], memberships: Memberships,
                 batch: float = 1.0):
        self.broker = broker
        self.batch = batch
        self.streams = streams
        self.memberships = memberships
        self.registry = Presence()
        self.lingering: dict[int, list[int]] = {}  # user -> conversations, offline after the grace
        # recipient -> {person -> their latest presence item}, until the next batch goes out
        self.gathered: defaultdict[int, dict[int, tuple]] = defaultdict(dict)
        self._flush = None

    def online_among(self, user_ids) -> list[int]:
        """Those of `user_ids` with an open stream on any worker (as this worker has heard)."""
        return self.registry.online_among(user_ids)

    # -- this worker's people -----------------------------------------------------------------
    def arrived(self, user_id: int) -> None:
        """`user_id`'s first stream here opened and their stays are installed: online."""
        self.lingering.pop(user_id, None)
        self._announce(user_id, True)

    def returned(self, user_id: int) -> None:
        """A stream of `user_id`'s opened: if within the offline grace, they never went offline."""
        self.lingering.pop(user_id, None)

    def last_stream_closed(self, user_id: int) -> None:
        """`user_id`'s last stream here closed: their stays are kept through OFFLINE_GRACE, so
        a reconnect or the next long-poll starts without reading them again; then they are
        forgotten and announced offline."""
        if self.memberships.knows(user_id):
            conversations = self.memberships.open_conversations(user_id)
            self.lingering[user_id] = conversations
            gevent.spawn_later(OFFLINE_GRACE, self._went_offline, user_id, conversations)

    def _went_offline(self, user_id: int, conversations: list[int]) -> None:
        # Only if no stream came back (and closed again, with a grace of its own) since.
        if self.lingering.get(user_id) is conversations and user_id not in self.streams:
            del self.lingering[user_id]
            self.memberships.forget(user_id)
            self._announce(user_id, False, conversations)

    def _announce(self, user_id: int, online: bool, conversations: list[int] | None = None) -> None:
        if conversations is None:
            conversations = self.memberships.open_conversations(user_id)
        self.broker.publish(json.dumps({"kind": PRESENCE, "worker": self.registry.worker_id,
                                        "user_id": user_id, "online": online,
                                        "conversation_ids": conversations}).encode())

    def _publish_snapshot(self) -> None:
        users = {str(uid): conversations for uid, conversations in self.lingering.items()}
        users.update({str(uid): self.memberships.open_conversations(uid) for uid in self.streams})
        self.broker.publish(json.dumps({"kind": PRESENCE_SNAPSHOT, "worker": self.registry.worker_id,
                                        "users": users}).encode())

    def subscribed(self) -> None:
        """This worker's broker subscription is live, first or again after an outage: ask the
        other workers for their lists and send this one's. Only now can their answers be
        heard: a hello sent before would leave a starting worker blind to everyone online
        elsewhere until their next snapshot (up to SNAPSHOT seconds)."""
        self.broker.publish(json.dumps({"kind": PRESENCE_HELLO, "worker": self.registry.worker_id}).encode())
        self._publish_snapshot()

    def run(self) -> None:
        """Publish this worker's list every SNAPSHOT seconds (in its own greenlet, forever);
        the first goes out as soon as the subscription is live (`subscribed`)."""
        while True:
            gevent.sleep(SNAPSHOT)
            self._publish_snapshot()

    # -- what other workers say ---------------------------------------------------------------
    def heard(self, message: dict) -> None:
        """Handle a broker message of one of PRESENCE_KINDS."""
        kind = message["kind"]
        if kind == PRESENCE:
            changed = self.registry.update(message["worker"], message["user_id"], message["online"],
                                           message["conversation_ids"])
            if changed:
                self._gather(message["user_id"], message["online"], message["conversation_ids"])
        elif kind == PRESENCE_SNAPSHOT:
            self.registry.replace(message["worker"], {int(k): v for k, v in message["users"].items()})
        elif kind == PRESENCE_HELLO and message["worker"] != self.registry.worker_id:
            self._publish_snapshot()

    def typing(self, message: dict) -> None:
        """Hand a broker "typing" message to the typer's fellow members' streams here."""
        typer, conversation_id = message["user"]["id"], message["conversation_id"]
        item = ephemeral_item("typing", {"conversation_id": conversation_id, "user": message["user"]})
        for user_id in self.memberships.current_members(conversation_id):
            if user_id != typer:
                for stream in self.streams.get(user_id, ()):
                    stream.put(item)

    def _gather(self, user_id: int, online: bool, conversation_ids: list[int]) -> None:
        # Gathered for `batch` seconds, then each recipient's frames go out together.
        members = self.memberships.current_members
        audience = {uid for cid in conversation_ids for uid in members(cid)} - {user_id}
        if not audience:
            return
        item = ephemeral_item("presence", {"user_id": user_id, "online": online})
        gathered = self.gathered
        for uid in audience:
            gathered[uid][user_id] = item  # only the latest news of each person matters
        if self._flush is None:
            self._flush = gevent.spawn_later(self.batch, self._flush_gathered)

    def _flush_gathered(self) -> None:
        gathered, self.gathered = self.gathered, defaultdict(dict)
        self._flush = None
        for user_id, news in gathered.items():
            items = list(news.values())
            for stream in self.streams.get(user_id, ()):
                stream.offer(items)
