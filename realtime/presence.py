"""Presence: who is online anywhere (at least one open stream on any worker). Never stored.

Each worker tells the others through the broker when one of its people comes or goes, and
repeats its whole list every SNAPSHOT seconds; a worker not heard from for three snapshots is
taken to be gone with its people. A starting worker asks the others for their lists at once.
"""
import json
import os
import time
import uuid
from collections import defaultdict

import gevent

SNAPSHOT = 30  # seconds between a worker's full presence lists
# Seconds a person stays online after their last stream closed: a reconnect or the next
# long-poll within it changes nothing (no offline-online flicker, no polls woken by it).
OFFLINE_GRACE = 5.0
# Seconds presence frames are gathered before they go out, each stream's in one write. When a
# group's members come back together (a reconnect storm after a deploy or a network blip),
# each arrival would otherwise wake and write to every member already back: n(n-1)/2 writes
# for a group of n, the largest cost of the storm. Presence is a dot, not a message: a second
# late is not noticed.
PRESENCE_BATCH = 1.0


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


class PresenceMixin:
    """The hub's typing and presence: through the broker only, never stored, sent to streams
    as frames without an id (so they never move a cursor). Mixed into realtime.hub.Hub."""

    def _current_members(self, conversation_id: int) -> list[int]:
        return [uid for uid in self.conversation_users.get(conversation_id, ())
                if any(left is None for _joined, left in self.stays.get(uid, {}).get(conversation_id, ()))]

    @staticmethod
    def _ephemeral_item(name: str, data: dict) -> tuple:
        # A frame without an id (it never moves a cursor), with its body for long-polls.
        frame = f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()
        return (None, frame, {"type": name, "data": data})

    def _ephemeral(self, user_ids, name: str, data: dict) -> None:
        item = self._ephemeral_item(name, data)
        for user_id in user_ids:
            for stream in self.streams.get(user_id, ()):
                stream.put(item)

    def _typing(self, message: dict) -> None:
        typer = message["user"]["id"]
        audience = [uid for uid in self._current_members(message["conversation_id"]) if uid != typer]
        self._ephemeral(audience, "typing", {"conversation_id": message["conversation_id"], "user": message["user"]})

    def _presence_frame(self, user_id: int, online: bool, conversation_ids: list[int]) -> None:
        # Gathered for PRESENCE_BATCH seconds, then each recipient's frames go out together.
        audience = {uid for cid in conversation_ids for uid in self._current_members(cid)} - {user_id}
        if not audience:
            return
        item = self._ephemeral_item("presence", {"user_id": user_id, "online": online})
        gathered = self.presence_out
        for uid in audience:
            gathered[uid][user_id] = item  # only the latest news of each person matters
        if self._presence_flush is None:
            self._presence_flush = gevent.spawn_later(PRESENCE_BATCH, self._flush_presence)

    def _flush_presence(self) -> None:
        gathered, self.presence_out = self.presence_out, defaultdict(dict)
        self._presence_flush = None
        for user_id, news in gathered.items():
            items = list(news.values())
            for stream in self.streams.get(user_id, ()):
                stream.offer(items)

    def _open_conversations(self, user_id: int) -> list[int]:
        return [cid for cid, spans in self.stays.get(user_id, {}).items()
                if any(left is None for _joined, left in spans)]

    def _went_offline(self, user_id: int, conversations: list[int]) -> None:
        # Only if no stream came back (and closed again, with a grace of its own) since.
        if self.lingering.get(user_id) is conversations and user_id not in self.streams:
            del self.lingering[user_id]
            self._forget(user_id)
            self._announce(user_id, False, conversations)

    def _announce(self, user_id: int, online: bool, conversations: list[int] | None = None) -> None:
        if conversations is None:
            conversations = self._open_conversations(user_id)
        self.broker.publish(json.dumps({"kind": "presence", "worker": self.presence.worker_id,
                                        "user_id": user_id, "online": online,
                                        "conversation_ids": conversations}).encode())

    def _publish_snapshot(self) -> None:
        users = {str(uid): conversations for uid, conversations in self.lingering.items()}
        users.update({str(uid): self._open_conversations(uid) for uid in self.streams})
        self.broker.publish(json.dumps({"kind": "presence.snapshot", "worker": self.presence.worker_id,
                                        "users": users}).encode())

    def _presence_loop(self) -> None:
        self.broker.publish(json.dumps({"kind": "presence.hello", "worker": self.presence.worker_id}).encode())
        while True:
            self._publish_snapshot()
            gevent.sleep(SNAPSHOT)

