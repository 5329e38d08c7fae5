"""The pool's liveness test (core/database.check_liveness): on PostgreSQL a pooled connection
unused for more than DATABASE_PING_AFTER seconds is tested before a request gets it, and one
whose server side ended meanwhile is replaced, so the request never sees it; a connection used
a moment ago is handed out untested (a test is a round trip). SQLite is never tested."""
import psycopg
from sqlalchemy import text

from extensions import db
from tests.support.apps import make_app, pg_conninfo
from tests.support.factories import make_user
from tests.support.login import quick_client

API = "/api/v1"


def pings(app, monkeypatch) -> list:
    """A list that grows by one each time the pool tests a connection."""
    with app.app_context():
        dialect = db.engine.dialect
    made, real = [], dialect.do_ping

    def counted(dbapi_connection):
        made.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted)
    return made


def pooled_backend(app) -> int:
    """The server process of the pool's one connection (left in the pool)."""
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.remove()
    return pid


def test_a_connection_ended_while_idle_is_replaced_before_a_request_gets_it(pg_database, mailbox, tmp_path,
                                                                            monkeypatch):
    app = make_app(pg_database, mailbox, tmp_path, DATABASE_PING_AFTER=0)
    make_user(app, "alice")
    client, headers = quick_client(app, "alice")
    tested = pings(app, monkeypatch)
    with psycopg.connect(pg_conninfo(), autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pooled_backend(app),)).fetchone()[0]
    answer = client.get(f"{API}/conversations", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert tested  # the dead connection was found by the test, not by the request


def test_a_connection_used_a_moment_ago_is_handed_out_untested(pg_database, mailbox, tmp_path, monkeypatch):
    app = make_app(pg_database, mailbox, tmp_path, DATABASE_PING_AFTER=60)
    make_user(app, "alice")
    client, headers = quick_client(app, "alice")
    tested = pings(app, monkeypatch)
    for _ in range(5):
        assert client.get(f"{API}/conversations", headers=headers).status_code == 200
    assert tested == []


def test_sqlite_connections_are_never_tested(mailbox, tmp_path, monkeypatch):
    app = make_app((f"sqlite:///{tmp_path / 'parley.sqlite3'}", {}), mailbox, tmp_path, DATABASE_PING_AFTER=0)
    make_user(app, "alice")
    client, headers = quick_client(app, "alice")
    tested = pings(app, monkeypatch)
    for _ in range(3):
        assert client.get(f"{API}/conversations", headers=headers).status_code == 200
    assert tested == []
