"""The realtime delivery layer (docs/delivery.md): the vocabulary (events.py), the event log
and its commit listeners (eventlog.py), brokers between workers (broker.py), each worker's hub
(hub.py, with memberships.py, presence.py and stream.py), the SSE frames (frames.py), and
serving streams and long-polls (streaming.py, store.py). This module gives the app its hub
and publishes after commit."""
import json

from flask import Flask, current_app

from realtime.broker import make_broker
from realtime.eventlog import PendingEvent
from realtime.events import EVENTS, wire
from realtime.hub import Hub

EXTENSION_KEY = "parley.realtime"


def init_app(app: Flask) -> None:
    """Give `app` its broker (Redis when REDIS_URL is set) and its hub, kept in
    `app.extensions` like other extensions. The hub's greenlets start with the first stream."""
    broker = make_broker(app.config.get("REDIS_URL"), app.config["BROKER_CHANNEL"])
    app.extensions[EXTENSION_KEY] = Hub(app, broker)


def hub() -> Hub:
    """The current app's hub."""
    return current_app.extensions[EXTENSION_KEY]


def publish_committed(events: list[PendingEvent], control_messages: list[dict]) -> None:
    """The after-commit step that publishes (docs/delivery.md, "Publish after commit"): the
    committed `events` (with their ids and audiences) to every worker in one broker message,
    then each control message. Does nothing when both are empty, or without an app (scripts:
    there is no broker to tell)."""
    if not (events or control_messages) or not current_app:
        return
    broker = current_app.extensions[EXTENSION_KEY].broker
    if events:
        payload = [wire(event.id, event.type, event.data, event.created_at.isoformat(), event.conversation_id,
                        list(event.user_ids)) for event in events]
        broker.publish(json.dumps({"kind": EVENTS, "events": payload}).encode())
    for message in control_messages:
        broker.publish(json.dumps(message).encode())


def publish_ephemeral(message: dict) -> None:
    """Send a message that is never stored (typing) to every worker at once."""
    broker = current_app.extensions[EXTENSION_KEY].broker
    broker.publish(json.dumps(message, separators=(",", ":")).encode())


def online_among(user_ids) -> list[int]:
    """Those of `user_ids` with an open stream on any worker (as this worker has heard)."""
    the_hub = current_app.extensions[EXTENSION_KEY]
    the_hub.start()
    return the_hub.presence.online_among(user_ids)
