"""Editing a message: the sender changes its text (or an image's caption) within EDIT_WINDOW;
the conversation sees the new text live and after reconnecting, marked edited; search finds
the new words and not the old; a mention the edit adds is a mention; favorites keep their
copy; what is refused (someone else's, outside the window, recalled, blank, not a member)."""
from datetime import timedelta

from sqlalchemy import select

from blueprints.chat.schemas import MessageSchema
from blueprints.friends import services as friends
from extensions import db
from models import Message, MessageEdit, User
from tests.support.api import API, assert_error, favorite, recall, send_text
from tests.support.events import cursor, events_of
from tests.support.factories import add_to_group
from tests.support.races import during_open_recall
from tests.support.uploads import image_bytes, uploaded


def edit(browser, message_id: int, body: str, **extra):
    client, headers = browser
    return client.patch(f"{API}/messages/{message_id}", json={"body": body, **extra}, headers=headers)


def edited(browser, message_id: int, body: str, **extra) -> dict:
    response = edit(browser, message_id, body, **extra)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def history(browser, conversation_id: int) -> dict:
    client, _headers = browser
    return {m["id"]: m for m in client.get(f"{API}/conversations/{conversation_id}/messages").get_json()["items"]}


def search(browser, q: str) -> list[int]:
    client, _headers = browser
    response = client.get(f"{API}/search", query_string={"q": q})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["message"]["id"] for item in response.get_json()["items"]]


def sent_long_ago(app, message_id: int, seconds: float) -> None:
    with app.app_context():
        message = db.session.get(Message, message_id)
        message.created_at -= timedelta(seconds=seconds)
        db.session.commit()


def test_the_others_see_the_new_text_live_marked_edited(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("alice"), group, "Lunch at noon?")
    after = cursor(app)
    changed = edited(as_("alice"), message["id"], "Lunch at one?")
    assert MessageSchema().validate(changed) == {}
    assert changed["body"] == "Lunch at one?" and changed["edited_at"]
    for person in (bob, carol):
        [(kind, data)] = events_of(app, person, after)
        assert kind == "message.edited"
        assert data["message"]["id"] == message["id"] and data["message"]["body"] == "Lunch at one?"
        assert data["message"]["edited_at"] == changed["edited_at"]
    assert history(as_("bob"), group)[message["id"]]["body"] == "Lunch at one?"


def test_the_old_text_is_kept_out_of_sight(app, group, as_):
    message = send_text(as_("alice"), group, "first try")
    edited(as_("alice"), message["id"], "second try")
    shown = history(as_("bob"), group)[message["id"]]
    assert "first try" not in str(shown)
    with app.app_context():
        assert db.session.scalars(select(MessageEdit.body).where(MessageEdit.message_id == message["id"])).all() \
            == ["first try"]


def test_editing_to_the_same_text_changes_nothing(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    message = send_text(as_("alice"), group, "unchanged")
    after = cursor(app)
    same = edited(as_("alice"), message["id"], "unchanged")
    assert same["edited_at"] is None
    assert events_of(app, bob, after) == []


def test_search_finds_the_new_words_and_not_the_old(app, group, as_):
    message = send_text(as_("alice"), group, "meet at the lighthouse")
    edited(as_("alice"), message["id"], "meet at the harbour")
    assert search(as_("bob"), "harbour") == [message["id"]]
    assert search(as_("bob"), "lighthouse") == []


def test_a_mention_added_by_an_edit_is_a_mention(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("alice"), group, "who brings the map?")
    changed = edited(as_("alice"), message["id"], "@Carol brings the map", mentions=[carol])
    assert changed["mentions"] == [{"id": carol, "nickname": "Carol"}]
    client, _headers = as_("carol")
    assert [item["message"]["id"] for item in client.get(f"{API}/mentions").get_json()["items"]] == [message["id"]]
    client, _headers = as_("bob")
    assert client.get(f"{API}/mentions").get_json()["items"] == []


def test_a_mention_the_edit_drops_is_no_longer_one(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    client, headers = as_("alice")
    message = client.post(f"{API}/conversations/{group}/messages", json={"body": "@Bob hi", "mentions": [bob]},
                          headers=headers).get_json()
    assert edited(as_("alice"), message["id"], "hi all")["mentions"] == []
    client, _headers = as_("bob")
    assert client.get(f"{API}/mentions").get_json()["items"] == []


def test_a_favorite_keeps_the_text_it_was_made_with(app, group, as_):
    message = send_text(as_("alice"), group, "the original words")
    assert favorite(as_("bob"), message["id"]).status_code == 201
    edited(as_("alice"), message["id"], "other words")
    client, _headers = as_("bob")
    assert client.get(f"{API}/favorites").get_json()["items"][0]["body"] == "the original words"


def test_an_image_caption_can_be_edited(app, group, as_):
    picture = uploaded(as_("alice"), group, image_bytes("PNG"), "summit.png", caption="the top")
    changed = edited(as_("alice"), picture["id"], "the summit")
    assert changed["body"] == "the summit" and changed["attachment"]["id"] == picture["attachment"]["id"]
    assert search(as_("bob"), "summit") == [picture["id"]]  # the caption, and still the file's name


def test_someone_elses_message_cannot_be_edited(app, group, as_):
    message = send_text(as_("alice"), group, "mine")
    assert_error(edit(as_("bob"), message["id"], "yours now"), 403)


def test_a_message_outside_the_conversation_is_not_found(app, group, as_):
    message = send_text(as_("alice"), group, "members only")
    assert_error(edit(as_("dave"), message["id"], "hello"), 404)
    assert_error(edit(as_("alice"), 987654, "hello"), 404)


def test_the_edit_window_closes(app, group, as_):
    message = send_text(as_("alice"), group, "too late")
    sent_long_ago(app, message["id"], app.config["EDIT_WINDOW"] + 60)
    body = assert_error(edit(as_("alice"), message["id"], "now?"), 403)
    assert "24 hours" in body["message"]


def test_a_recalled_message_cannot_be_edited(app, group, as_):
    message = send_text(as_("alice"), group, "oops")
    recall(as_("alice"), message["id"])
    assert_error(edit(as_("alice"), message["id"], "better"), 409)


def test_a_blank_text_is_refused(app, group, as_):
    message = send_text(as_("alice"), group, "something")
    assert_error(edit(as_("alice"), message["id"], "   "), 400, "body")
    assert history(as_("bob"), group)[message["id"]]["body"] == "something"


def test_reconnecting_replays_the_edit(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    message = send_text(as_("alice"), group, "v1")
    after = cursor(app)
    edited(as_("alice"), message["id"], "v2")
    edited(as_("alice"), message["id"], "v3")
    assert [data["message"]["body"] for _kind, data in events_of(app, bob, after, "message.edited")] == ["v2", "v3"]


def test_no_edits_in_a_direct_conversation_once_no_longer_friends(app, alice_and_friends, direct, as_):
    alice, bob, *_ = alice_and_friends
    message = send_text(as_("alice"), direct, "see you")
    with app.app_context():
        friends.delete_friend(db.session.get(User, alice), bob)
    assert_error(edit(as_("alice"), message["id"], "never mind"), 403)


def test_someone_who_joined_after_the_message_is_not_told_its_new_text(app, alice_and_friends, group, as_):
    alice, bob, _carol, dave = alice_and_friends
    message = send_text(as_("alice"), group, "before dave came")
    add_to_group(app, alice, group, dave)
    after = cursor(app)
    edited(as_("alice"), message["id"], "edited after dave came")
    assert events_of(app, dave, after) == []
    assert [data["message"]["body"] for _kind, data in events_of(app, bob, after)] == ["edited after dave came"]


def test_a_forwarded_copy_cannot_be_edited(app, alice_and_friends, group, direct, as_):
    # The copy says whose words it carries: the forwarder cannot change them.
    original = send_text(as_("bob"), group, "I love pineapple")
    client, headers = as_("alice")
    copy = client.post(f"{API}/messages/forward", headers=headers,
                       json={"message_ids": [original["id"]], "conversation_ids": [direct]}).get_json()["items"][0]
    assert_error(edit(as_("alice"), copy["id"], "I hate pineapple"), 403)
    assert history(as_("alice"), direct)[copy["id"]]["body"] == "I love pineapple"


def test_recalling_an_edited_message_forgets_its_earlier_texts(app, group, as_):
    message = send_text(as_("alice"), group, "first draft of the plan")
    edited(as_("alice"), message["id"], "second draft of the plan")
    recall(as_("alice"), message["id"])
    with app.app_context():
        assert db.session.scalars(select(MessageEdit).where(MessageEdit.message_id == message["id"])).all() == []
        assert db.session.get(Message, message["id"]).body == ""


def test_an_edit_waiting_for_a_recall_finds_the_message_recalled(app, alice_and_friends, group, as_):
    # The recall's write is made and held open on a connection of its own; the edit, started
    # meanwhile, must not write its text over the recalled message once the recall commits.
    _alice, bob, _carol, _dave = alice_and_friends
    message = send_text(as_("alice"), group, "the secret plan")
    response = during_open_recall(app, message["id"], lambda: edit(as_("alice"), message["id"],
                                                                   "the secret plan, version two"))
    assert_error(response, 409)
    with app.app_context():
        stored = db.session.get(Message, message["id"])
        assert stored.body == "" and stored.edited_at is None
    assert history(as_("bob"), group)[message["id"]]["recalled"] is True
