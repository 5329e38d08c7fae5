"""A Parley app for one test, on SQLite or (when DATABASE_URL points at one) PostgreSQL."""
import os
import uuid

from sqlalchemy.engine import make_url

from app import create_app
from extensions import db

PG_URL = os.environ.get("DATABASE_URL", "")
HAS_PG = PG_URL.startswith(("postgres://", "postgresql"))
BACKENDS = ["sqlite"] + (["postgresql"] if HAS_PG else [])


def pg_conninfo() -> str:
    """DATABASE_URL as a psycopg connection string (password included)."""
    url = make_url(PG_URL).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def make_app(database, mailbox, tmp_path, **overrides):
    """A Parley app with its tables created. `database` is the `database` fixture's
    (SQLAlchemy URL, engine options); mail goes to `mailbox`; uploads under `tmp_path`;
    `overrides` are config keys."""
    url, engine_options = database
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": dict(engine_options),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": mailbox.port,
        # Flask-Mail drops every mail when TESTING is on unless told otherwise.
        "MAIL_SUPPRESS_SEND": False,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "RATELIMIT_STORAGE_URI": "memory://",
        "CODE_RESEND_INTERVAL": 60,
        # Cheap hashing keeps the suite fast; the production parameters are tested once.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
    }
    config.update(overrides)
    app = create_app(config)
    with app.app_context():
        db.create_all()
    return app
