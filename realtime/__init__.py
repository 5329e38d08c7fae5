"""The realtime delivery layer: the event log (ids, audience, replay), brokers between
workers, each worker's hub, and the /events stream and long-poll endpoints."""
import json

from flask import Flask, current_app

from realtime.broker import make_broker
from realtime.eventlog import on_commit
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


def _publish(events, control_messages) -> None:
    # After commit: the whole event (id, audience, body) to every worker, then control
    # messages. Without an app (scripts), there is no broker to tell.
    if not current_app:
        return
    broker = current_app.extensions[EXTENSION_KEY].broker
    if events:
        payload = [{**event.body(), "conversation_id": event.conversation_id,
                    "user_ids": list(event.user_ids)} for event in events]
        broker.publish(json.dumps({"kind": "events", "events": payload}).encode())
    for message in control_messages:
        broker.publish(json.dumps(message).encode())


on_commit(_publish)


def publish_ephemeral(message: dict) -> None:
    """Send a message that is never stored (typing) to every worker at once."""
    broker = current_app.extensions[EXTENSION_KEY].broker
    broker.publish(json.dumps(message, separators=(",", ":")).encode())


def online_among(user_ids) -> list[int]:
    """Those of `user_ids` with an open stream on any worker (as this worker has heard)."""
    the_hub = current_app.extensions[EXTENSION_KEY]
    the_hub.start()
    return the_hub.presence.online_among(user_ids)
