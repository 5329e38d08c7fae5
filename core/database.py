"""Database URL resolution, per-connection settings (SQLite WAL, foreign keys), and the
pool's liveness test of idle connections."""
import os
import sqlite3
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InvalidatePoolError


def database_url(configured: str | None, instance_path: str) -> str:
    """Return the SQLAlchemy URL to use.

    `configured` is SQLALCHEMY_DATABASE_URI (or DATABASE_URL); None gives SQLite in the instance
    folder. `postgres://` and `postgresql://` URLs are pointed at the psycopg 3 driver.
    """
    if not configured:
        return "sqlite:///" + os.path.join(instance_path, "parley.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if configured.startswith(prefix):
            return "postgresql+psycopg://" + configured[len(prefix):]
    return configured


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers go on while one writer commits; busy_timeout makes a second writer wait
    # instead of failing with "database is locked".
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def check_liveness(engine: Engine, idle_seconds: float) -> None:
    """Make `engine`'s pool test a pooled connection before handing it out only when it has
    sat unused for more than `idle_seconds` (float, seconds), instead of on every checkout as
    SQLAlchemy's `pool_pre_ping` does: a connection used a moment ago is alive, and on
    PostgreSQL each test is a round trip (HikariCP skips its test the same way, within its
    `aliveBypassWindowMs` of 500 ms). A test that fails discards the connection and the pool
    connects again (SQLAlchemy's checkout protocol: InvalidatePoolError, a DisconnectionError
    that also retires every older connection, as pool_pre_ping does). A connection used less
    than `idle_seconds` ago goes out untested: if the server restarted within that window, its
    first statement fails and SQLAlchemy then invalidates the pool. SQLite gets no test at
    all: there is no server to lose."""
    if engine.dialect.name == "sqlite":
        return
    dialect = engine.dialect

    @event.listens_for(engine.pool, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        record.info["parley_returned_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _test_if_idle(dbapi_connection, record, _proxy) -> None:
        returned = record.info.get("parley_returned_at")
        if returned is None or time.monotonic() - returned <= idle_seconds:
            return  # new (just connected), or used a moment ago
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            # As pool_pre_ping does: one connection gone means the server went away, so every
            # connection older than this one is replaced too, the recently used ones included.
            raise InvalidatePoolError("the pooled connection was gone; connecting again")
