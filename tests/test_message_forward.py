"""Forwarding: copies of messages I can see, sent by me into conversations where I may send,
marked with their original sender; attachments served to the target's members from the same
stored bytes; what is refused (a message I cannot see, a recalled one, a conversation where I
may not send, too many), all or nothing."""
import io

from blueprints.friends import services as friends
from extensions import db
from models import User
from tests.support.api import API, assert_error, get, recall, send_text
from tests.support.events import cursor, events_of
from tests.support.factories import direct_conversation
from tests.support.uploads import image_bytes, noise, stored_files, uploaded


def forward(browser, message_ids, conversation_ids):
    client, headers = browser
    return client.post(f"{API}/messages/forward", json={"message_ids": message_ids,
                                                        "conversation_ids": conversation_ids}, headers=headers)


def forwarded(browser, message_ids, conversation_ids) -> list[dict]:
    response = forward(browser, message_ids, conversation_ids)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["items"]


def history(browser, conversation_id: int) -> list[dict]:
    client, _headers = browser
    return client.get(f"{API}/conversations/{conversation_id}/messages").get_json()["items"]


def test_a_forwarded_text_names_its_original_sender(app, alice_and_friends, group, direct, as_):
    alice, bob, carol, _dave = alice_and_friends
    original = send_text(as_("bob"), group, "The trail is closed")
    after = cursor(app)
    [copy] = forwarded(as_("alice"), [original["id"]], [direct])
    assert copy["conversation_id"] == direct and copy["sender"]["id"] == alice
    assert copy["body"] == "The trail is closed" and copy["kind"] == "text"
    assert copy["forwarded"] == {"from": original["sender"]}
    [(kind, data)] = events_of(app, bob, after)
    assert kind == "message.created" and data["message"] == copy
    assert events_of(app, carol, after) == []  # not in the alice–bob conversation
    assert history(as_("bob"), direct)[0]["forwarded"]["from"]["id"] == bob


def test_messages_go_to_every_target_oldest_first(app, alice_and_friends, group, direct, as_):
    _alice, _bob, carol, _dave = alice_and_friends
    first = send_text(as_("bob"), group, "one")
    second = send_text(as_("carol"), group, "two")
    to_carol = direct_conversation(app, alice_and_friends[0], carol)
    copies = forwarded(as_("alice"), [second["id"], first["id"]], [direct, to_carol])
    assert [(c["conversation_id"], c["body"]) for c in copies] == [
        (direct, "one"), (direct, "two"), (to_carol, "one"), (to_carol, "two")]
    assert [m["body"] for m in history(as_("carol"), to_carol)] == ["two", "one"]  # newest first


def test_a_forward_of_a_forward_names_the_first_sender(app, alice_and_friends, group, direct, as_):
    _alice, bob, *_ = alice_and_friends
    original = send_text(as_("carol"), group, "pass it on")
    [copy] = forwarded(as_("alice"), [original["id"]], [direct])
    [again] = forwarded(as_("bob"), [copy["id"]], [group])
    assert again["forwarded"]["from"] == original["sender"]


def test_a_forwarded_file_serves_the_same_bytes_to_the_targets_members(app, alice_and_friends, group, direct, as_):
    data = noise(2048)
    original = uploaded(as_("carol"), group, data, "route.gpx", caption="the route")
    files_before = stored_files(app)
    [copy] = forwarded(as_("alice"), [original["id"]], [direct])
    assert copy["kind"] == "file" and copy["body"] == "the route"
    assert copy["attachment"]["id"] != original["attachment"]["id"]
    assert {k: copy["attachment"][k] for k in ("name", "size", "mime")} == \
        {k: original["attachment"][k] for k in ("name", "size", "mime")}
    assert get(as_("bob"), copy["attachment"]["url"]).data == data
    assert get(as_("dave"), copy["attachment"]["url"]).status_code == 404
    assert stored_files(app) == files_before  # nothing stored twice


def test_a_forwarded_picture_keeps_its_thumbnail(app, group, direct, as_):
    picture = uploaded(as_("carol"), group, image_bytes("PNG", size=(400, 300)), "summit.png")
    [copy] = forwarded(as_("alice"), [picture["id"]], [direct])
    assert copy["attachment"]["width"] == 400
    assert get(as_("bob"), copy["attachment"]["thumbnail_url"]).status_code == 200


def test_the_bytes_stay_while_a_copy_needs_them(app, group, direct, as_):
    data = noise(700)
    original = uploaded(as_("alice"), group, data, "map.bin")
    [copy] = forwarded(as_("alice"), [original["id"]], [direct])
    recall(as_("alice"), original["id"])
    result = app.test_cli_runner().invoke(args=["uploads", "cleanup", "--min-age", "0"])
    assert "Removed 0" in result.output
    assert get(as_("bob"), copy["attachment"]["url"]).data == data


def test_forwarding_my_own_file_costs_no_more_upload_quota(app, group, direct, as_):
    app.config["UPLOAD_QUOTA_BYTES"] = 3000
    original = uploaded(as_("alice"), group, noise(2000), "big.bin")
    forwarded(as_("alice"), [original["id"]], [direct])
    uploaded(as_("alice"), group, noise(900), "small.bin")  # 2,900 bytes kept: still within


def test_a_copy_of_someone_elses_file_past_my_quota_is_refused(app, group, direct, as_):
    app.config["UPLOAD_QUOTA_BYTES"] = 3000
    theirs = uploaded(as_("bob"), group, noise(2000), "big.bin")
    uploaded(as_("alice"), group, noise(1500), "mine.bin")
    client, headers = as_("alice")
    refused = client.post(f"{API}/messages/forward", headers=headers,
                          json={"message_ids": [theirs["id"]], "conversation_ids": [direct]})
    assert_error(refused, 413)
    forwarded(as_("bob"), [theirs["id"]], [direct])  # bob keeps those bytes already: no more


def test_a_copy_of_a_file_counts_while_it_keeps_the_bytes(app, group, direct, as_):
    # Forward, then recall the original: the copy still keeps the 2,000 bytes stored, and
    # they still count, so the quota cannot be dodged by forwarding.
    app.config["UPLOAD_QUOTA_BYTES"] = 3000
    original = uploaded(as_("alice"), group, noise(2000), "big.bin")
    forwarded(as_("alice"), [original["id"]], [direct])
    recall(as_("alice"), original["id"])
    client, headers = as_("alice")
    over = client.post(f"{API}/conversations/{group}/attachments", headers=headers,
                       data={"file": (io.BytesIO(noise(1500)), "more.bin")}, content_type="multipart/form-data")
    assert_error(over, 413)
    uploaded(as_("alice"), group, noise(900), "small.bin")


def test_a_message_i_cannot_see_is_not_found(app, alice_and_friends, group, as_):
    alice, *_ = alice_and_friends
    message = send_text(as_("bob"), group, "members only")
    to_alice = direct_conversation(app, alice, alice_and_friends[3])
    assert_error(forward(as_("dave"), [message["id"]], [to_alice]), 404, "message_ids")
    assert_error(forward(as_("dave"), [987654], [to_alice]), 404, "message_ids")


def test_a_recalled_message_cannot_be_forwarded(app, group, direct, as_):
    message = send_text(as_("alice"), group, "oops")
    recall(as_("alice"), message["id"])
    assert_error(forward(as_("alice"), [message["id"]], [direct]), 409, "message_ids")


def test_not_into_a_conversation_i_am_not_in(app, alice_and_friends, group, as_):
    alice, *_ = alice_and_friends
    message = send_text(as_("alice"), direct_conversation(app, alice, alice_and_friends[3]), "hi dave")
    assert_error(forward(as_("dave"), [message["id"]], [group]), 404)


def test_not_to_someone_no_longer_a_friend(app, alice_and_friends, group, as_):
    alice, _bob, _carol, dave = alice_and_friends
    to_dave = direct_conversation(app, alice, dave)
    message = send_text(as_("alice"), group, "news")
    with app.app_context():
        friends.delete_friend(db.session.get(User, alice), dave)
    assert_error(forward(as_("alice"), [message["id"]], [to_dave]), 403)


def test_all_or_nothing(app, alice_and_friends, group, direct, as_):
    alice, *_ = alice_and_friends
    message = send_text(as_("alice"), group, "to everyone")
    after = cursor(app)
    assert_error(forward(as_("bob"), [message["id"]], [direct, group, 987654]), 404)
    assert history(as_("bob"), direct) == []
    assert events_of(app, alice, after) == []


def test_too_many_at_once_are_refused(app, group, direct, as_):
    app.config["FORWARD_MAX_MESSAGES"] = 2
    ids = [send_text(as_("alice"), group, f"m{n}")["id"] for n in range(3)]
    assert_error(forward(as_("alice"), ids, [direct]), 400, "message_ids")
    app.config["FORWARD_MAX_CONVERSATIONS"] = 1
    assert_error(forward(as_("alice"), ids[:1], [direct, group]), 400, "conversation_ids")
    assert_error(forward(as_("alice"), [], [direct]), 422)


def test_text_forwards_even_past_the_storage_quota(app, group, direct, as_):
    # Over quota (the setting was lowered), a text costs no storage: it still forwards.
    uploaded(as_("alice"), group, noise(2000), "big.bin")
    app.config["UPLOAD_QUOTA_BYTES"] = 1000
    text = send_text(as_("alice"), group, "just words")
    assert [copy["body"] for copy in forwarded(as_("alice"), [text["id"]], [direct])] == ["just words"]
