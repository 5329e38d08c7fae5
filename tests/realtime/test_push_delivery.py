"""Web Push from the deployed server (gunicorn, a gevent worker): the notification leaves
from the worker's push greenlet after the send is answered, so a slow push service never
holds a send, and it arrives decrypted at the device (tests/support/push.py)."""
import time

from tests.realtime.actions import API, befriend
from tests.support.push import PushService

SLOW_SERVICE = 3.0  # seconds the push service takes to answer


def test_a_slow_push_service_never_holds_a_send(start_server):
    service = PushService()
    try:
        server = start_server(FLASK_WEB_PUSH_HOSTS='["127.0.0.1"]', FLASK_WEB_PUSH_ALLOW_HTTP="true")
        alice, bob = server.people(2)
        befriend(server, alice, bob)
        service.public_key = server.call(bob, "GET", f"{API}/push/key").json()["public_key"]
        phone = service.device("bob-phone")
        phone.delay = SLOW_SERVICE
        assert server.call(bob, "POST", f"{API}/push/subscriptions", json=phone.subscription()).status_code == 201
        direct = server.call(alice, "GET", f"{API}/conversations").json()["items"][0]["id"]

        started = time.monotonic()
        sent = server.call(alice, "POST", f"{API}/conversations/{direct}/messages", json={"body": "hi"})
        answered = time.monotonic() - started
        assert sent.status_code == 201
        [notification] = phone.wait_for(1)
        assert notification["message_id"] == sent.json()["id"] and notification["body"] == "New message"
        assert answered < SLOW_SERVICE / 2, f"the send waited {answered:.2f} s for the push service"
        assert not service.errors
    finally:
        service.close()
