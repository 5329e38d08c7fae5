"""Database URL resolution and per-connection settings (SQLite WAL, foreign keys)."""
import os
import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine


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
