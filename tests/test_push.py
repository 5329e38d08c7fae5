"""Web Push, end to end but for the browser vendor's relay: people subscribe devices through
the API, send messages through the API, and a push service on this machine
(tests/support/push.py) checks each notification's VAPID signature and decrypts it with the
device's own keys (RFC 8291), as a browser would."""
import os
import socket
import stat
import uuid

import pytest

from app import create_app
from blueprints.auth import sessions
from blueprints.push import sender
from blueprints.push.keys import public_key
from extensions import db
from models import AccessToken, User, UserSession
from tests.support.api import API, assert_error
from tests.support.apps import make_app
from tests.support.login import quick_client
from tests.support.pages import post_profile, section
from tests.support.push import PushService, b64url
from tests.support.uploads import image_bytes, noise, uploaded


@pytest.fixture
def push_service():
    service = PushService()
    yield service
    service.close()


@pytest.fixture
def app(database, mailbox, tmp_path, push_service):
    """The conftest's app, sending to the local push service (plain http allowed for it only)."""
    app = make_app(database, mailbox, tmp_path, WEB_PUSH_HOSTS=["127.0.0.1"], WEB_PUSH_ALLOW_HTTP=True,
                   INSTANCE_PATH=str(tmp_path / "instance"))
    push_service.public_key = public_key(app)
    yield app
    sender.flush(5.0)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def subscribe(browser, device, status=201):
    client, headers = browser
    response = client.post(f"{API}/push/subscriptions", json=device.subscription(), headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def send(browser, conversation_id: int, body: str, mentions=()) -> dict:
    client, headers = browser
    response = client.post(f"{API}/conversations/{conversation_id}/messages",
                           json={"body": body, "mentions": list(mentions)}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def settled(push_service) -> None:
    """Every notification queued so far has been sent, and each one passed the checks."""
    assert sender.flush(10.0)
    assert not push_service.errors


def test_a_direct_message_notifies_the_other_persons_device_without_its_text_unless_allowed(
        as_, direct, push_service):
    bobs_phone, alices_laptop = push_service.device("bob-phone"), push_service.device("alice-laptop")
    subscribe(as_("bob"), bobs_phone)
    subscribe(as_("alice"), alices_laptop)

    first = send(as_("alice"), direct, "The secret is 42")
    [notification] = bobs_phone.wait_for(1)
    assert notification == {"conversation_id": direct, "message_id": first["id"], "title": "Alice",
                            "body": "New message", "url": f"/chat/{direct}?message={first['id']}",
                            "tag": f"parley-conversation-{direct}"}

    client, headers = as_("bob")
    assert client.put(f"{API}/push/settings", json={"previews": True}, headers=headers).get_json() == {
        "previews": True}
    send(as_("alice"), direct, "Lunch at noon?")
    assert bobs_phone.wait_for(2)[1]["body"] == "Lunch at noon?"

    assert client.delete(f"{API}/push/subscriptions", json={"endpoint": bobs_phone.endpoint},
                         headers=headers).status_code == 204
    send(as_("alice"), direct, "Still there?")
    settled(push_service)
    assert len(bobs_phone.received) == 2, "an unsubscribed device got a notification"
    assert alices_laptop.received == [], "the sender was notified of her own messages"


def test_a_previewed_notification_of_an_image_or_file_says_what_it_is(as_, direct, push_service):
    bobs_phone = push_service.device("bob-phone")
    subscribe(as_("bob"), bobs_phone)
    client, headers = as_("bob")
    client.put(f"{API}/push/settings", json={"previews": True}, headers=headers)

    uploaded(as_("alice"), direct, image_bytes(), "view.png", caption="From the top")
    uploaded(as_("alice"), direct, b"PK\x03\x04" + noise(100), "route.zip", content_type="application/zip")
    # As the conversation list previews them.
    assert [n["body"] for n in bobs_phone.wait_for(2)] == ["[Image] From the top", "[File] route.zip"]


def test_a_muted_direct_conversation_notifies_nobody(as_, direct, push_service):
    bobs_phone = push_service.device("bob-phone")
    subscribe(as_("bob"), bobs_phone)
    client, headers = as_("bob")
    assert client.put(f"{API}/conversations/{direct}/mute", json={"muted": True}, headers=headers).status_code == 200

    send(as_("alice"), direct, "Are you there?")
    settled(push_service)
    assert bobs_phone.received == []


def test_in_a_group_only_the_people_mentioned_are_notified_even_when_they_muted_it(
        as_, alice_and_friends, group, push_service):
    _alice, bob, _carol, _dave = alice_and_friends
    bobs_phone, carols_phone = push_service.device("bob-phone"), push_service.device("carol-phone")
    subscribe(as_("bob"), bobs_phone)
    subscribe(as_("carol"), carols_phone)
    client, headers = as_("bob")
    assert client.put(f"{API}/conversations/{group}/mute", json={"muted": True}, headers=headers).status_code == 200

    send(as_("alice"), group, "Morning, everyone")
    mention = send(as_("alice"), group, "@Bob can you bring the map?", mentions=[bob])
    [notification] = bobs_phone.wait_for(1)
    assert notification["title"] == "Alice in Hikers"
    assert notification["body"] == "You were mentioned"
    assert notification["message_id"] == mention["id"]
    settled(push_service)
    assert carols_phone.received == []
    assert len(bobs_phone.received) == 1


def test_someone_who_blocked_the_sender_is_not_notified_of_their_mention(
        as_, alice_and_friends, group, push_service):
    alice, bob, _carol, _dave = alice_and_friends
    bobs_phone = push_service.device("bob-phone")
    subscribe(as_("bob"), bobs_phone)
    client, headers = as_("bob")
    assert client.post(f"{API}/blocks", json={"user_id": alice}, headers=headers).status_code == 201

    send(as_("alice"), group, "@Bob hello?", mentions=[bob])
    settled(push_service)
    assert bobs_phone.received == []


def test_a_notification_speaks_the_recipients_language(app, as_, direct, push_service):
    bobs_phone = push_service.device("bob-phone")
    subscribe(as_("bob"), bobs_phone)
    with app.app_context():
        db.session.execute(db.update(User).where(User.username == "bob").values(locale="zh_CN"))
        db.session.commit()

    send(as_("alice"), direct, "你好")
    assert bobs_phone.wait_for(1)[0]["body"] == "新消息"


def test_a_device_the_push_service_says_is_gone_or_with_an_unusable_key_is_forgotten(as_, direct, push_service):
    bobs_old_phone, bobs_broken_tablet = push_service.device("bob-old-phone"), push_service.device("bob-tablet")
    subscribe(as_("bob"), bobs_old_phone)
    bobs_old_phone.status = 410
    client, headers = as_("bob")
    broken = bobs_broken_tablet.subscription()
    broken["keys"]["p256dh"] = b64url(b"\x04" + b"\x00" * 64)  # the right length, but no point on the curve
    assert client.post(f"{API}/push/subscriptions", json=broken, headers=headers).status_code == 201

    send(as_("alice"), direct, "Hello?")
    settled(push_service)
    client, _headers = as_("bob")
    assert client.get(f"{API}/push/subscriptions").get_json() == {"items": []}


def test_subscribing_refuses_what_the_server_must_not_post_to(as_, push_service):
    browser = as_("bob")
    client, headers = browser
    good = push_service.device("bob-phone").subscription()

    def refused(field, status=400, **changes):
        body = {**good, **changes}
        return assert_error(client.post(f"{API}/push/subscriptions", json=body, headers=headers), status, field)

    assert "not one this site sends to" in refused("endpoint", 403, endpoint="https://attacker.example/push/1")[
        "errors"]["endpoint"][0]
    refused("endpoint", endpoint="ftp://127.0.0.1/push/1")
    refused("endpoint", endpoint="http://user:pw@127.0.0.1/push/1")
    refused("endpoint", endpoint="http://127.0.0.1\\@attacker.example/push/1")
    refused("endpoint", endpoint="https://[::1/push/1")
    refused("endpoint", endpoint="https://127.0.0.1:port/push/1")
    refused("p256dh", keys={**good["keys"], "p256dh": good["keys"]["auth"]})
    refused("auth", keys={**good["keys"], "auth": good["keys"]["auth"][:10]})
    assert client.get(f"{API}/push/subscriptions").get_json() == {"items": []}

    made = subscribe(browser, push_service.devices["bob-phone"])
    assert made["endpoint"] == good["endpoint"]
    assert subscribe(browser, push_service.devices["bob-phone"], status=200)["id"] == made["id"]


def test_the_vapid_key_is_made_once_and_kept_private(tmp_path):
    def fresh_app():
        return create_app({"TESTING": True, "SECRET_KEY": uuid.uuid4().hex * 2,
                           "SQLALCHEMY_DATABASE_URI": "sqlite://", "INSTANCE_PATH": str(tmp_path)})

    first = public_key(fresh_app())
    assert public_key(fresh_app()) == first
    assert len(first) == 87  # 65 bytes, base64url
    assert stat.S_IMODE(os.stat(tmp_path / "vapid_private_key.pem").st_mode) == 0o600
    client = fresh_app().test_client()
    assert client.get(f"{API}/push/key").status_code == 401


def test_the_profile_form_lets_notifications_show_the_text_or_not(client, auth, user):
    auth.login()
    assert 'name="previews" value="y">' in section(client.get("/profile").get_data(as_text=True), "push")

    response = post_profile(client, "/profile/push/previews", None, {"previews": "y"}, follow_redirects=True)
    assert "Your notification setting is saved." in response.get_data(as_text=True)
    assert 'name="previews" value="y" checked>' in section(response.get_data(as_text=True), "push")
    assert client.get(f"{API}/push/settings").get_json() == {"previews": True}

    post_profile(client, "/profile/push/previews", None, {})
    assert client.get(f"{API}/push/settings").get_json() == {"previews": False}


def test_logging_out_ends_the_notifications_to_that_browser(as_, direct, push_service):
    bobs_laptop = push_service.device("shared-laptop")
    subscribe(as_("bob"), bobs_laptop)
    client, headers = as_("bob")
    assert client.post("/logout", headers=headers).status_code == 302

    send(as_("alice"), direct, "The secret is 42")
    settled(push_service)
    assert bobs_laptop.received == [], "a logged-out browser still gets the person's notifications"


def test_ending_a_session_from_another_device_ends_its_notifications(app, as_, direct, push_service):
    bobs_phone = push_service.device("bob-phone")
    subscribe(as_("bob"), bobs_phone)
    with app.app_context():  # bob's sessions: the phone's, then the laptop's
        phone_session = db.session.scalar(db.select(db.func.min(UserSession.id)).join(User).where(User.username == "bob"))
    laptop, _headers = quick_client(app, "bob")
    assert post_profile(laptop, f"/profile/sessions/{phone_session}/end", None).status_code == 302

    send(as_("alice"), direct, "Are you there?")
    settled(push_service)
    assert bobs_phone.received == []
    assert laptop.get(f"{API}/push/subscriptions").get_json() == {"items": []}


def test_a_browser_subscribed_again_by_the_next_person_notifies_only_them(as_, direct, push_service):
    shared = push_service.device("shared-laptop")
    subscribe(as_("bob"), shared)
    subscribe(as_("alice"), shared, status=200)  # push.js hands the browser's subscription to whoever is in

    send(as_("alice"), direct, "For Bob only")
    settled(push_service)
    assert shared.received == []
    client, _headers = as_("bob")
    assert client.get(f"{API}/push/subscriptions").get_json() == {"items": []}


def test_a_push_service_on_another_port_than_https_is_refused(app, as_, push_service):
    client, headers = as_("bob")
    good = push_service.device("bob-phone").subscription()
    for endpoint in ("https://127.0.0.1:6379/push/1", "https://127.0.0.1:8443/push/1"):
        assert_error(client.post(f"{API}/push/subscriptions", json={**good, "endpoint": endpoint}, headers=headers),
                     400, "endpoint")
    assert client.get(f"{API}/push/subscriptions").get_json() == {"items": []}
    subscribe(as_("bob"), push_service.devices["bob-phone"])  # the test's own plain-http service, on its port
    app.config["WEB_PUSH_ALLOW_HTTP"] = False
    assert_error(client.post(f"{API}/push/subscriptions", json=good, headers=headers), 400, "endpoint")
    made = client.post(f"{API}/push/subscriptions", json={**good, "endpoint": "https://127.0.0.1:443/push/2"},
                       headers=headers)
    assert made.status_code == 201, made.get_data(as_text=True)


def test_a_person_subscribing_more_devices_than_allowed_loses_the_oldest(app, as_, push_service):
    app.config["WEB_PUSH_MAX_PER_PERSON"] = 2
    devices = [push_service.device(f"bob-{n}") for n in range(3)]
    for device in devices:
        subscribe(as_("bob"), device)
    client, _headers = as_("bob")
    kept = [row["endpoint"] for row in client.get(f"{API}/push/subscriptions").get_json()["items"]]
    assert kept == [devices[1].endpoint, devices[2].endpoint]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_push_service_that_never_answers_loses_the_subscription_after_a_few_tries(
        app, as_, direct, push_service):
    app.config["WEB_PUSH_MAX_FAILURES"] = 2
    dead, alive = push_service.device("bob-dead"), push_service.device("bob-phone")
    unreachable = {**dead.subscription(), "endpoint": f"http://127.0.0.1:{closed_port()}/push/bob-dead"}
    client, headers = as_("bob")
    assert client.post(f"{API}/push/subscriptions", json=unreachable, headers=headers).status_code == 201
    subscribe(as_("bob"), alive)

    send(as_("alice"), direct, "One")
    settled(push_service)
    assert len(client.get(f"{API}/push/subscriptions").get_json()["items"]) == 2, "one failure is no verdict"
    send(as_("alice"), direct, "Two")
    settled(push_service)
    assert [row["endpoint"] for row in client.get(f"{API}/push/subscriptions").get_json()["items"]] == [
        alive.endpoint]
    assert len(alive.received) == 2


def test_an_api_client_s_notifications_end_when_its_token_is_revoked(app, as_, direct, push_service):
    with app.test_request_context():
        raw = sessions.create_token(db.session.scalar(db.select(User).where(User.username == "bob")), "phone app")
        db.session.commit()
        token_id = db.session.scalar(db.select(AccessToken.id))
    app_phone = push_service.device("bob-app")
    subscribe((app.test_client(), {"Authorization": f"Bearer {raw}"}), app_phone)
    send(as_("alice"), direct, "One")
    assert len(app_phone.wait_for(1)) == 1

    client, _headers = as_("bob")
    assert post_profile(client, f"/profile/tokens/{token_id}/revoke", None).status_code == 302
    send(as_("alice"), direct, "Two")
    settled(push_service)
    assert len(app_phone.received) == 1
