"""Voice messages through POST /api/v1/conversations/<id>/voice: a recording is stored with
the length measured from its sound, reaches the conversation's members, and anything that
is not a short sound-only recording is refused."""
import io
import os

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Message
from tests.support.api import API, assert_error, favorite, send_text
from tests.support.events import cursor, events_of
from tests.support.login import quick_client
from tests.support.sound import send_voice, sent_voice, tone
from tests.support.uploads import KB, image_bytes, small_app


def message_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Message))


# Accepted

@pytest.mark.parametrize("fmt, mime", [("webm", "audio/webm"), ("ogg", "audio/ogg")])
def test_recording_becomes_a_voice_message_with_its_length(app, direct, as_, fmt, mime):
    message = sent_voice(as_("alice"), direct, tone(2, fmt), filename="voice." + fmt)
    assert message["kind"] == "voice"
    assert message["body"] == ""
    attachment = message["attachment"]
    assert attachment["kind"] == "voice"
    assert attachment["mime"] == mime
    assert attachment["duration"] == pytest.approx(2.0, abs=0.05)
    assert attachment["name"].startswith("voice-") and attachment["name"].endswith("." + fmt)


def test_the_length_shows_in_the_history(app, direct, as_):
    sent = sent_voice(as_("alice"), direct, tone(2))
    client, _headers = as_("bob")
    history = client.get(f"{API}/conversations/{direct}/messages").get_json()
    shown = next(m for m in history["items"] if m["id"] == sent["id"])
    assert shown["kind"] == "voice"
    assert shown["attachment"]["duration"] == pytest.approx(2.0, abs=0.05)


def test_members_receive_the_voice_message_live(app, group, as_, alice_and_friends):
    alice, bob, carol, dave = alice_and_friends
    before = cursor(app)
    sent = sent_voice(as_("alice"), group, tone(2))
    for member in (alice, bob, carol):
        created = [data["message"] for _type, data in events_of(app, member, before, "message.created")]
        assert [message["id"] for message in created] == [sent["id"]]
        assert created[0]["attachment"]["duration"] == pytest.approx(2.0, abs=0.05)
    assert events_of(app, dave, before, "message.created") == []


def test_conversation_list_shows_voice_and_its_length(app, direct, as_):
    sent_voice(as_("alice"), direct, tone(2))
    client, _headers = as_("bob")
    listed = client.get(f"{API}/conversations").get_json()
    row = next(c for c in listed["items"] if c["id"] == direct)
    assert row["last_message"]["preview"] == "[Voice] 0:02"


def test_conversation_list_shows_voice_in_chinese(app, direct, as_):
    sent_voice(as_("alice"), direct, tone(2))
    client, _headers = as_("bob")
    listed = client.get(f"{API}/conversations", headers={"Accept-Language": "zh-CN"}).get_json()
    row = next(c for c in listed["items"] if c["id"] == direct)
    assert row["last_message"]["preview"].endswith(" 0:02")
    assert "Voice" not in row["last_message"]["preview"]


def test_retried_voice_message_is_stored_once(app, direct, as_):
    client_id = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
    first = sent_voice(as_("alice"), direct, tone(2), client_id=client_id)
    again = send_voice(as_("alice"), direct, tone(2), client_id=client_id)
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    assert message_count(app) == 1


def test_voice_message_can_reply(app, direct, as_):
    original = sent_voice(as_("bob"), direct, tone(2))
    reply = sent_voice(as_("alice"), direct, tone(2), reply_to=str(original["id"]))
    assert reply["reply_to"]["id"] == original["id"]
    assert reply["reply_to"]["kind"] == "voice"


# Refused

def test_recording_over_the_time_limit_is_refused(app, direct, as_):
    response = send_voice(as_("alice"), direct, tone(61))
    body = assert_error(response, 400, "file")
    assert "60" in body["message"]
    assert message_count(app) == 0


@pytest.mark.parametrize("data", [image_bytes("PNG"), b"just some words, not a recording\n" * 40],
                         ids=["png", "text"])
def test_what_is_not_sound_is_refused_whatever_its_name(app, direct, as_, data):
    response = send_voice(as_("alice"), direct, data, filename="voice.webm")
    assert_error(response, 415, "file")
    assert message_count(app) == 0


def test_video_with_sound_is_refused(app, direct, as_):
    response = send_voice(as_("alice"), direct, tone(2, video=True))
    body = assert_error(response, 415, "file")
    assert "video" in body["message"]
    assert message_count(app) == 0


def test_damaged_recording_is_refused(app, direct, as_):
    recording = tone(2)
    damaged = recording[:300] + os.urandom(len(recording) - 300)
    assert_error(send_voice(as_("alice"), direct, damaged), 400, "file")
    assert message_count(app) == 0


def test_empty_recording_is_refused(app, direct, as_):
    assert_error(send_voice(as_("alice"), direct, b""), 400, "file")


@pytest.fixture
def tiny(database, mailbox, tmp_path):
    """An app taking voice messages of at most 8 KB; alice and bob are friends."""
    app, direct = small_app(database, mailbox, tmp_path, VOICE_MAX_BYTES=8 * KB)
    yield app, direct, quick_client(app, "alice")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("size", [8 * KB + 1, 200 * KB], ids=["just-over", "declared-over"])
def test_recording_over_the_size_limit_is_refused(tiny, size):
    app, direct, alice = tiny
    # A real recording, padded: what decides is the size, not the sound.
    data = (tone(2) * (size // len(tone(2)) + 1))[:size]
    assert_error(send_voice(alice, direct, data), 413)
    assert message_count(app) == 0


def test_someone_outside_the_conversation_cannot_send(app, direct, as_):
    assert_error(send_voice(as_("carol"), direct, tone(2)), 404)
    assert message_count(app) == 0


def test_voice_message_needs_a_file_part(app, direct, as_):
    client, headers = as_("alice")
    response = client.post(f"{API}/conversations/{direct}/voice", data={"file": "text"}, headers=headers,
                           content_type="multipart/form-data")
    assert response.status_code in (400, 422)
    assert message_count(app) == 0


def test_voice_message_to_a_missing_conversation_is_404(app, direct, as_):
    form = {"file": (io.BytesIO(tone(2)), "voice.webm")}
    client, headers = as_("alice")
    response = client.post(f"{API}/conversations/999999/voice", data=form, headers=headers,
                           content_type="multipart/form-data")
    assert_error(response, 404)


def test_a_favorited_voice_message_is_kept_by_type_and_plays_on_the_favorites_page(app, direct, as_):
    sent = sent_voice(as_("bob"), direct, tone(2))
    assert favorite(as_("alice"), sent["id"]).status_code == 201
    send_text(as_("bob"), direct, "and a word")
    favorite(as_("alice"), send_text(as_("bob"), direct, "kept too")["id"])
    client, _headers = as_("alice")
    listed = client.get(f"{API}/favorites?type=voice").get_json()["items"]
    assert [item["message_id"] for item in listed] == [sent["id"]]
    assert listed[0]["attachment"]["duration"] == pytest.approx(2.0, abs=0.05)
    page = client.get("/favorites?type=voice").get_data(as_text=True)
    assert 'data-testid="tab-voice"' in page
    assert f'<audio controls preload="metadata" src="{sent["attachment"]["url"]}">' in page
    assert "0:02" in page and "kept too" not in page


def test_search_finds_voice_messages_by_kind(app, direct, as_):
    sent = sent_voice(as_("bob"), direct, tone(1))
    send_text(as_("bob"), direct, "a voice from the past")
    client, _headers = as_("alice")
    found = client.get(f"{API}/search", query_string={"q": "voice", "kind": "voice"}).get_json()["items"]
    assert [item["message"]["id"] for item in found] == [sent["id"]]
    page = client.get("/search", query_string={"q": "voice", "kind": "voice"}).get_data(as_text=True)
    assert "[Voice]" in page
