"""The send path's statements on the DBAPI cursor (core/prepared.py): what they write reads
back exactly as the ORM wrote it before (aware UTC times, JSON), a long audience is written in
several statements and nobody is left out, a client id stored twice is still answered with
the stored message, and on PostgreSQL a connection lost under a send is replaced, with the
pool's other connections of that time."""
import uuid

import psycopg
import pytest
from sqlalchemy.exc import OperationalError
from extensions import db
from models import Message
from realtime import eventlog, hub
from tests.support.apps import make_app, pg_conninfo
from tests.support.events import cursor, events_of
from tests.support.factories import make_friends, make_user, make_users
from tests.support.login import quick_client
from tests.support.pages import post_profile

API = "/api/v1"


def test_a_sent_message_reads_back_as_it_was_answered(app, alice_and_friends, group, as_):
    client, headers = as_("alice")
    after = cursor(app)
    answer = client.post(f"{API}/conversations/{group}/messages", headers=headers,
                         json={"body": "Lunch at 12 :thumbs_up: https://example.org", "client_id": str(uuid.uuid4())})
    assert answer.status_code == 201, answer.get_json()
    sent = answer.get_json()
    page = client.get(f"{API}/conversations/{group}/messages", headers=headers).get_json()
    assert page["items"][0] == sent  # the time as stored (aware UTC), the rendered HTML, the id
    assert events_of(app, alice_and_friends[1], after, "message.created") == [("message.created", {"message": sent})]
    with app.app_context():
        stored = db.session.get(Message, sent["id"])
        assert stored.created_at.isoformat() == sent["created_at"] and stored.created_at.utcoffset().total_seconds() == 0


def test_an_audience_longer_than_one_statement_is_written_whole(app, monkeypatch):
    monkeypatch.setattr(eventlog._INSERT_RECIPIENTS, "_max_rows", 3)  # 8 people: three statements
    alice = make_user(app, "alice")
    friends = make_users(app, *(f"friend{n}" for n in range(7)))
    for friend in friends:
        make_friends(app, alice, friend)
    client, _headers = quick_client(app, "alice")
    after = cursor(app)
    response = post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": "Alice L."})
    assert response.status_code == 302
    for person in (alice, *friends):
        changes = events_of(app, person, after, "user.updated")
        assert [data["user"]["nickname"] for _type, data in changes] == ["Alice L."], person


def test_a_client_id_sent_twice_is_answered_with_the_stored_message(app, group, as_):
    client, headers = as_("alice")
    message = {"body": "Only once", "client_id": str(uuid.uuid4())}
    first = client.post(f"{API}/conversations/{group}/messages", headers=headers, json=message)
    again = client.post(f"{API}/conversations/{group}/messages", headers=headers, json=message)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    with app.app_context():
        assert db.session.query(Message).filter_by(client_id=message["client_id"]).count() == 1


def alice_sending(app):
    """alice and her friend bob on `app`, its hub started as in a gunicorn worker (so the
    credential cache answers and a send's first query is the send's own): a function that
    POSTs `body` to their direct conversation, and one that lists its texts."""
    with app.app_context():
        hub().start()
    alice = make_user(app, "alice")
    make_friends(app, alice, make_user(app, "bob"))
    client, headers = quick_client(app, "alice")
    conversation_id = client.get(f"{API}/conversations", headers=headers).get_json()["items"][0]["id"]
    url = f"{API}/conversations/{conversation_id}/messages"

    def send(body):
        return client.post(url, headers=headers, json={"body": body, "client_id": str(uuid.uuid4())})

    def texts():
        return [m["body"] for m in client.get(url, headers=headers).get_json()["items"]]
    return send, texts


def end_backends(backends) -> None:
    """End these PostgreSQL server processes, as a database restart does."""
    with psycopg.connect(pg_conninfo(), autocommit=True) as admin:
        for backend in backends:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))


def test_a_connection_lost_under_a_send_is_replaced_for_the_next(pg_database, mailbox, tmp_path):
    # Used a moment ago, so handed out untested (DATABASE_PING_AFTER): the send's own first
    # statement meets the lost connection, which must then leave the pool.
    app = make_app(pg_database, mailbox, tmp_path, DATABASE_PING_AFTER=3600)
    send, texts = alice_sending(app)
    with app.app_context():
        backend = db.session.execute(db.text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
    end_backends([backend])

    with pytest.raises(OperationalError) as lost:  # the test client raises what a server answers with a 500
        send("first try")
    assert lost.value.connection_invalidated
    assert send("second try").status_code == 201
    assert texts() == ["second try"]


def test_a_database_restart_costs_one_send_not_one_per_pooled_connection(pg_database, mailbox, tmp_path):
    # Two pooled connections, both used a moment ago, both ended by the server: the send that
    # meets the first must retire the second too, as SQLAlchemy does for a lost connection.
    url, options = pg_database
    app = make_app((url, {**options, "pool_size": 2}), mailbox, tmp_path, DATABASE_PING_AFTER=3600)
    send, _texts = alice_sending(app)
    with app.app_context():
        pooled = [db.engine.connect(), db.engine.connect()]
        backends = [connection.execute(db.text("SELECT pg_backend_pid()")).scalar() for connection in pooled]
        for connection in pooled:
            connection.close()
        db.session.remove()
    end_backends(backends)

    with pytest.raises(OperationalError):
        send("first try")
    assert send("second try").status_code == 201
