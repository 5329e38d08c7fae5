"""Who may download an attachment, recalling a message with a file, and the events an upload
or recall records for the conversation's members."""
import base64
import uuid
from datetime import timedelta

from extensions import db
from models import Message
from tests.support.api import assert_error, get, recall, unfriend
from tests.support.events import cursor, events_of
from tests.support.factories import add_to_group, quit_group, remove_from_group
from tests.support.uploads import KB, image_bytes, noise, upload, uploaded


def backdate(app, message_id: int, seconds: float) -> None:
    """Make message `message_id` look sent `seconds` earlier than it was."""
    with app.app_context():
        message = db.session.get(Message, message_id)
        message.created_at -= timedelta(seconds=seconds)
        db.session.commit()


# Who may download

def test_members_can_download(app, group, as_):
    data = noise(KB)
    message = uploaded(as_("bob"), group, data, "map.bin")
    for name in ("alice", "bob", "carol"):
        assert get(as_(name), message["attachment"]["url"]).data == data


def test_non_member_gets_404(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "secret.png")
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        assert_error(get(as_("dave"), url, Accept="application/json"), 404)


def test_someone_else_in_a_direct_conversation_gets_404(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "for-bob.bin")
    assert get(as_("carol"), message["attachment"]["url"]).status_code == 404


def test_unknown_attachment_gets_the_same_404(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "secret.bin")
    hidden = get(as_("dave"), message["attachment"]["url"], Accept="application/json")
    missing = get(as_("dave"), "/attachments/" + "A" * 24, Accept="application/json")
    assert (hidden.status_code, hidden.get_json()) == (missing.status_code, missing.get_json())


def test_member_who_joined_later_cannot_download_earlier_files(app, alice_and_friends, group, as_):
    alice, _bob, _carol, dave = alice_and_friends
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "before-dave.png")
    add_to_group(app, alice, group, dave)
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        assert get(as_("dave"), url).status_code == 404
    later = uploaded(as_("alice"), group, noise(KB), "after-dave.bin")
    assert get(as_("dave"), later["attachment"]["url"]).status_code == 200


def test_removed_member_cannot_download(app, alice_and_friends, group, as_):
    alice, _bob, carol, _dave = alice_and_friends
    message = uploaded(as_("bob"), group, image_bytes("PNG"), "plan.png")
    remove_from_group(app, alice, group, carol)
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
        assert get(as_("carol"), url).status_code == 404


def test_member_who_quit_cannot_download(app, alice_and_friends, group, as_):
    _alice, _bob, carol, _dave = alice_and_friends
    message = uploaded(as_("bob"), group, noise(KB), "plan.bin")
    quit_group(app, carol, group)
    assert get(as_("carol"), message["attachment"]["url"]).status_code == 404


def test_former_friend_still_downloads_the_direct_history(app, alice_and_friends, direct, as_):
    alice, bob, *_ = alice_and_friends
    data = noise(KB)
    message = uploaded(as_("alice"), direct, data, "old.bin")
    unfriend(as_("alice"), bob)
    assert get(as_("bob"), message["attachment"]["url"]).data == data


def test_logged_out_script_gets_401(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "photo.bin")
    response = app.test_client().get(message["attachment"]["url"], headers={"Accept": "application/json"})
    assert_error(response, 401)


def test_attachment_id_carries_at_least_128_random_bits(app, direct, as_):
    data = noise(KB)
    ids = [uploaded(as_("alice"), direct, data, "same.bin")["attachment"]["id"] for _ in range(3)]
    assert len(set(ids)) == 3
    for public_id in ids:
        raw = base64.urlsafe_b64decode(public_id + "=" * (-len(public_id) % 4))
        assert len(raw) * 8 >= 128


# Recall

def test_recall_hides_the_file_from_members(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "oops.png")
    assert recall(as_("alice"), message["id"]).status_code == 200
    for name in ("alice", "bob", "carol"):
        for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"]):
            assert get(as_(name), url).status_code == 404


def test_recalled_message_shows_as_recalled_in_history(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "oops.png", caption="wrong chat")
    recalled = recall(as_("alice"), message["id"]).get_json()
    assert (recalled["recalled"], recalled["body"], recalled["attachment"]) == (True, "", None)
    client, _headers = as_("bob")
    [item] = client.get(f"/api/v1/conversations/{group}/messages").get_json()["items"]
    assert (item["id"], item["recalled"], item["body"], item["attachment"]) == (message["id"], True, "", None)


def test_someone_else_cannot_recall_a_message(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "mine.bin")
    assert_error(recall(as_("bob"), message["id"]), 403)
    assert get(as_("bob"), message["attachment"]["url"]).status_code == 200


def test_non_member_cannot_recall_a_message(app, group, as_):
    message = uploaded(as_("alice"), group, noise(KB), "mine.bin")
    assert_error(recall(as_("dave"), message["id"]), 404)


def test_message_cannot_be_recalled_after_the_window(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "old.bin")
    backdate(app, message["id"], app.config["RECALL_WINDOW"] + 1)
    assert_error(recall(as_("alice"), message["id"]), 403)
    assert get(as_("bob"), message["attachment"]["url"]).status_code == 200


def test_message_can_be_recalled_just_inside_the_window(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "recent.bin")
    backdate(app, message["id"], app.config["RECALL_WINDOW"] - 5)
    assert recall(as_("alice"), message["id"]).status_code == 200


def test_text_message_can_be_recalled(app, direct, as_):
    client, headers = as_("alice")
    sent = client.post(f"/api/v1/conversations/{direct}/messages", json={"body": "typo"}, headers=headers).get_json()
    assert recall(as_("alice"), sent["id"]).get_json()["recalled"] is True
    bobs, _ = as_("bob")
    [item] = bobs.get(f"/api/v1/conversations/{direct}/messages").get_json()["items"]
    assert (item["body"], item["html"], item["recalled"]) == ("", "", True)


def test_recalling_twice_is_harmless(app, direct, as_):
    message = uploaded(as_("alice"), direct, noise(KB), "twice.bin")
    assert recall(as_("alice"), message["id"]).status_code == 200
    assert recall(as_("alice"), message["id"]).status_code == 200


# Events

def test_message_event_carries_the_attachment_to_members_only(app, alice_and_friends, group, as_):
    alice, bob, carol, dave = alice_and_friends
    after = cursor(app)
    message = uploaded(as_("bob"), group, image_bytes("PNG"), "summit.png", caption="made it")
    for member in (alice, bob, carol):
        [(_type, data)] = events_of(app, member, after, "message.created")
        assert data["message"]["id"] == message["id"]
        assert data["message"]["attachment"] == message["attachment"]
        assert data["message"]["body"] == "made it"
    assert events_of(app, dave, after) == []


def test_retried_upload_records_no_second_event(app, direct, as_, alice_and_friends):
    alice, *_ = alice_and_friends
    client_id = str(uuid.uuid4())
    uploaded(as_("alice"), direct, noise(KB), "a.bin", client_id=client_id)
    after = cursor(app)
    assert upload(as_("alice"), direct, noise(KB), "a.bin", client_id=client_id).status_code == 200
    assert events_of(app, alice, after) == []


def test_recall_event_reaches_members_only(app, alice_and_friends, group, as_):
    alice, bob, carol, dave = alice_and_friends
    message = uploaded(as_("alice"), group, noise(KB), "oops.bin")
    after = cursor(app)
    recall(as_("alice"), message["id"])
    for member in (alice, bob, carol):
        assert events_of(app, member, after) == [
            ("message.recalled", {"conversation_id": group, "message_id": message["id"]})]
    assert events_of(app, dave, after) == []


def test_conversation_list_previews_an_image_and_a_file(app, direct, group, as_):
    uploaded(as_("alice"), direct, image_bytes("PNG"), "sunset.png")
    uploaded(as_("alice"), group, noise(KB), "plan.bin")
    client, _headers = as_("bob")
    items = {c["id"]: c for c in client.get("/api/v1/conversations").get_json()["items"]}
    assert "[Image]" in items[direct]["last_message"]["preview"]
    assert "plan.bin" in items[group]["last_message"]["preview"]


def test_anonymous_request_for_an_attachment_gets_404_not_the_login_page(app, group, as_):
    message = uploaded(as_("alice"), group, image_bytes("PNG"), "secret.png")
    anonymous = app.test_client()
    for url in (message["attachment"]["url"], message["attachment"]["thumbnail_url"],
                "/attachments/" + "A" * 24):
        response = anonymous.get(url)
        assert response.status_code == 404, url  # a private file's existence is not told
        assert "Location" not in response.headers
