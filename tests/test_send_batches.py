"""Group commit of text sends (blueprints/chat/sending.py): sends that arrive together are
stored in one transaction, and each POST is answered only after the commit that stored its
own message. To make sends arrive together without timing, the tests hold the event counter's
row (SQLite: the database's write lock) from another connection, so the first send's leader
waits in its transaction while the others queue behind it."""
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select, text

from blueprints.chat import sending
from blueprints.chat.sending import EXTENSION_KEY, SendBatches
from blueprints.chat.payloads import new_text_json
from blueprints.chat.senders import not_in_conversation
from blueprints.friends import services as friends
from core.people import user_brief
from extensions import db
from models import Event, Message, User
from search import index as search_index
from tests.support.factories import direct_conversation
from tests.support.login import quick_client

API = "/api/v1"
SENDS = 8


class CounterHeld:
    """Holds the event counter's row (an UPDATE left uncommitted on a connection of its own)
    until `release()`: every event writer waits for it meanwhile."""

    def __init__(self, app):
        self.app = app
        with app.app_context():
            self.connection = db.engine.connect()
        self.connection.execute(text("UPDATE event_counter SET last_id = last_id WHERE id = 1"))

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def post_in_threads(app, browsers, conversation_id, bodies, client_ids):
    """POST each body from its browser in a thread of its own: the first alone, and once it
    waits in its transaction (its own batch, held by the counter), all the others. Returns
    (threads, answers), answers filled as they come: {index: (status, json)}."""
    answers = {}

    def post(index):
        client, headers = browsers[index]
        response = client.post(f"{API}/conversations/{conversation_id}/messages",
                               json={"body": bodies[index], "client_id": client_ids[index]}, headers=headers)
        answers[index] = (response.status_code, response.get_json())

    threads = [threading.Thread(target=post, args=(i,), daemon=True) for i in range(len(bodies))]
    threads[0].start()
    wait_for(lambda: waiting(app) == 1, "the first send waiting")
    for thread in threads[1:]:
        thread.start()
    wait_for(lambda: waiting(app) == len(bodies), f"{len(bodies)} sends waiting")
    return threads, answers


def waiting(app) -> int:
    return app.extensions[EXTENSION_KEY].waiting


def wait_for(check, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.01)


@pytest.fixture
def senders(app, alice_and_friends, group):
    """Browsers of the group's three members, SENDS of them in turn."""
    names = ["alice", "bob", "carol"]
    browsers = [quick_client(app, names[i % 3]) for i in range(SENDS)]
    for client, headers in browsers:  # their first request notes the session's use (a write)
        assert client.get(f"{API}/me", headers=headers).status_code == 200
    return browsers


def test_sends_that_arrive_together_commit_together_and_are_answered_after(app, group, senders):
    app.extensions[EXTENSION_KEY] = batches = SendBatches()
    held = CounterHeld(app)
    try:
        bodies = [f"message {i}" for i in range(SENDS)]
        threads, answers = post_in_threads(app, senders, group, bodies, [str(uuid.uuid4()) for _ in bodies])
        assert answers == {}  # nothing is answered before it is stored
    finally:
        held.release()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _ in answers.values()) == [201] * SENDS
    assert batches.batches == 2  # the first send alone, then everyone who queued behind it
    with app.app_context():
        rows = db.session.execute(select(Message.id, Message.body, Message.event_id).order_by(Message.id)).all()
        event_ids = list(db.session.scalars(select(Event.id).order_by(Event.id)))
    assert sorted(body for _id, body, _event in rows) == sorted(bodies)
    # Gapless ids, each message naming its own event, each answer naming its own message.
    assert [event for _id, _body, event in rows] == event_ids[-SENDS:]
    assert event_ids == list(range(event_ids[0], event_ids[0] + len(event_ids)))
    by_id = {message_id: body for message_id, body, _event in rows}
    for index, (_status, message) in answers.items():
        assert by_id[message["id"]] == bodies[index]


def test_each_message_of_a_batch_is_found_by_its_own_words(app, group, senders):
    """The batch writes its messages' search index rows in its own transaction (on
    PostgreSQL in the message INSERT itself, matched by event id): each message is found by
    the words only it has, and one without words (emoji only) is stored and found by none."""
    app.extensions[EXTENSION_KEY] = batches = SendBatches()
    words = ["alpha", "bravo 周报", "charlie", "delta", "echo", "foxtrot", "golf 开会"]
    bodies = [f"{word} message" for word in words] + ["🎉🎉"]
    held = CounterHeld(app)
    try:
        threads, answers = post_in_threads(app, senders, group, bodies, [str(uuid.uuid4()) for _ in bodies])
    finally:
        held.release()
    for thread in threads:
        thread.join(30)
    assert sorted(status for status, _ in answers.values()) == [201] * SENDS
    assert batches.batches == 2
    ids = {bodies[index]: message["id"] for index, (_status, message) in answers.items()}
    client, headers = senders[0]
    for body, word in zip(bodies, words):
        response = client.get(f"{API}/search", query_string={"q": word.split()[-1]}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert [hit["message"]["id"] for hit in response.get_json()["items"]] == [ids[body]], body
    with app.app_context():
        column = "rowid" if db.engine.dialect.name == "sqlite" else "message_id"
        indexed = db.session.scalars(text(f"SELECT {column} FROM {search_index.TABLE}")).all()
    assert sorted(indexed) == sorted(ids[body] for body in bodies[:-1])  # none for "🎉🎉"


def test_twins_in_one_batch_store_one_message_and_both_are_answered(app, group, senders):
    app.extensions[EXTENSION_KEY] = SendBatches()
    twin = str(uuid.uuid4())
    bodies = ["first", "twin", "twin", "another"]
    client_ids = [str(uuid.uuid4()), twin, twin, str(uuid.uuid4())]
    browsers = [senders[0], senders[0], senders[0], senders[1]]  # the twins from one sender
    held = CounterHeld(app)
    try:
        threads, answers = post_in_threads(app, browsers, group, bodies, client_ids)
    finally:
        held.release()
    for thread in threads:
        thread.join(30)
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200, 201, 201, 201]
    assert app.extensions[EXTENSION_KEY].batches == 1  # the second batch failed on the twin...
    assert answers[1][1]["id"] == answers[2][1]["id"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message).where(Message.client_id == twin)) == 1
        # ...and its sends were stored one by one, the twin finding the other.
        assert sorted(db.session.scalars(select(Message.body))) == ["another", "first", "twin"]


@pytest.mark.parametrize("one_query", [True, False], ids=["one query", "a query per conversation"])
def test_sends_refused_in_a_batch_are_answered_each_in_its_language_and_the_others_stored(
        app, alice_and_friends, group, senders, monkeypatch, one_query):
    """The leader checks every sender of its batch in its own transaction (may they send
    there?): a non-member and a direct conversation whose friendship has ended are refused
    without failing the others, each refusal in its own request's language. Both ways of
    asking: every conversation and sender in one query, and (for large batches) a query per
    conversation."""
    if not one_query:
        monkeypatch.setattr("blueprints.chat.senders._MAX_COMBINATIONS", 0)
    alice, bob, _carol, _dave = alice_and_friends
    app.extensions[EXTENSION_KEY] = batches = SendBatches()
    with app.app_context():
        ended = direct_conversation(app, alice, bob)
        friends.delete_friend(db.session.get(User, alice), bob)
    outsider_client, outsider_headers = quick_client(app, "dave")  # not in the group
    bob_client, bob_headers = quick_client(app, "bob")  # no longer alice's friend
    browsers = [senders[0], (outsider_client, {**outsider_headers, "Accept-Language": "zh-CN"}),
                senders[1], (bob_client, {**bob_headers, "Accept-Language": "en"})]
    targets = [group, group, group, ended]
    answers = {}

    def post(index):
        client, headers = browsers[index]
        response = client.post(f"{API}/conversations/{targets[index]}/messages",
                               json={"body": f"message {index}", "client_id": str(uuid.uuid4())}, headers=headers)
        answers[index] = (response.status_code, response.get_json())

    held = CounterHeld(app)
    try:
        threads = [threading.Thread(target=post, args=(i,), daemon=True) for i in range(len(browsers))]
        threads[0].start()
        wait_for(lambda: waiting(app) == 1, "the first send waiting")
        for thread in threads[1:]:
            thread.start()
        wait_for(lambda: waiting(app) == len(browsers), "every send waiting")
    finally:
        held.release()
    for thread in threads:
        thread.join(30)
    assert batches.batches == 2  # the first alone, then the three behind it, refusals and all
    assert answers[0][0] == answers[2][0] == 201
    assert answers[1][0] == 404 and answers[1][1]["message"] == "该会话不存在，或你不在其中。"
    assert answers[3][0] == 403
    assert answers[3][1]["message"] == "You can only send messages to your friends. Add them again to chat."
    with app.app_context():
        assert sorted(db.session.scalars(select(Message.body).where(Message.kind == "text"))) == ["message 0", "message 2"]


def test_a_member_removed_while_a_send_waits_for_the_lock_is_refused(app, alice_and_friends, group, senders):
    """The leader locks the batch's conversations before checking the senders, as a member
    change locks them: a removal committed while the send waits for that lock refuses the
    send, rather than storing a message after its sender's leave."""
    _alice, bob, _carol, _dave = alice_and_friends
    app.extensions[EXTENSION_KEY] = SendBatches()
    with app.app_context():
        holder = db.engine.connect()
    # A member change in progress: the group's row lock (SQLite: the write lock), then bob's stay ended.
    holder.execute(text("UPDATE conversation SET owner_id = owner_id WHERE id = :g"), {"g": group})
    holder.execute(text("UPDATE membership SET left_at = CURRENT_TIMESTAMP WHERE conversation_id = :g AND user_id = :u"),
                   {"g": group, "u": bob})
    client, headers = senders[1]  # bob
    answers = {}

    def post():
        response = client.post(f"{API}/conversations/{group}/messages",
                               json={"body": "sent while leaving", "client_id": str(uuid.uuid4())}, headers=headers)
        answers["bob"] = (response.status_code, response.get_json())

    thread = threading.Thread(target=post, daemon=True)
    try:
        thread.start()
        wait_for(lambda: waiting(app) == 1, "bob's send waiting")
        time.sleep(0.3)  # its leader now waits for the lock (nothing to observe it by)
        holder.commit()
    finally:
        holder.close()
    thread.join(30)
    assert answers["bob"][0] == 404, answers
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Message)
                                 .where(Message.body == "sent while leaving")) == 0


def test_a_send_refused_by_an_earlier_try_of_its_batch_is_stored_once_allowed(app, alice_and_friends, group):
    """A batch that fails on a client id already stored is tried again send by send, each
    checked again: a send the first try refused but may now be stored is stored and answered
    as stored, not with the earlier refusal."""
    alice, *_ = alice_and_friends
    with app.test_request_context():
        payload = new_text_json(user_brief(db.session.get(User, alice)), group, "allowed now", None)
        db.session.close()
        send = sending.TextSend(alice, group, payload, refusal=not_in_conversation)
        assert sending.store_alone(send) is not None
        assert send.refusal is None and send.sent.created
        assert db.session.scalar(select(func.count()).select_from(Message).where(Message.body == "allowed now")) == 1
