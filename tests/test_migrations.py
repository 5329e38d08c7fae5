"""`flask db upgrade` builds the whole schema, and the migrations match the models exactly."""
import logging
import uuid

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text

from app import create_app
from extensions import db
from models import EventCounter
from search.index import INDEX_TABLES, TABLE as SEARCH_TABLE
from tests.support.factories import PASSWORD, create_user
from tests.support.login import AuthActions


@pytest.fixture(autouse=True)
def keep_root_logging_as_it_was():
    # migrations/env.py applies alembic.ini's logging set-up, which replaces the root
    # logger's level and handlers (pytest's log capture among them).
    root = logging.getLogger()
    saved_root = (root.level, list(root.handlers))
    yield
    root.setLevel(saved_root[0])
    root.handlers[:] = saved_root[1]


def build_app(database, tmp_path):
    """An app on `database` whose tables nobody created (no create_all)."""
    url, engine_options = database
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + uuid.uuid4().hex,
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": dict(engine_options),
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "RATELIMIT_STORAGE_URI": "memory://",
    })


@pytest.fixture
def migrated_app(database, tmp_path):
    """An app on an empty database whose tables come from the migrations alone."""
    app = build_app(database, tmp_path)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def include_name(name, type_, parent_names) -> bool:
    # As migrations/env.py: the full-text index's tables are no models.
    return not (type_ == "table" and name in INDEX_TABLES)


def schema_differences(app) -> list:
    """What `flask db migrate` would write: the models compared with the database."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "compare_server_default": True,
                                                               "include_name": include_name})
        return compare_metadata(context, db.metadata)


def test_upgrade_creates_every_table_of_the_models(migrated_app):
    with migrated_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert tables - INDEX_TABLES == set(db.metadata.tables) | {"alembic_version"}
    assert SEARCH_TABLE in tables  # the full-text index (search/index.py)


def test_models_and_migrations_do_not_drift(migrated_app):
    assert schema_differences(migrated_app) == []


def heads(app) -> list[str]:
    with app.app_context():
        return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_heads()


def test_migrations_have_a_single_head(migrated_app):
    assert len(heads(migrated_app)) == 1


def test_upgrade_records_the_newest_revision(migrated_app):
    with migrated_app.app_context():
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert [current] == heads(migrated_app)


def test_upgrade_seeds_the_event_counter(migrated_app):
    with migrated_app.app_context():
        assert db.session.scalars(select(EventCounter)).all()[0].last_id == 0


def test_upgrade_twice_changes_nothing(migrated_app):
    with migrated_app.app_context():
        flask_migrate.upgrade()
    assert schema_differences(migrated_app) == []


def test_migrated_database_lets_people_log_in(migrated_app):
    create_user(migrated_app)
    response = AuthActions(migrated_app.test_client()).login("alice", PASSWORD)
    assert response.status_code == 302


def test_upgrade_works_from_any_working_directory(database, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as a service started with another WorkingDirectory
    app = build_app(database, tmp_path)
    try:
        with app.app_context():
            flask_migrate.upgrade()
            assert "user" in inspect(db.engine).get_table_names()
    finally:
        with app.app_context():
            db.engine.dispose()


def test_downgrade_to_base_removes_every_table(migrated_app):
    with migrated_app.app_context():
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_running_migrations_keeps_the_apps_loggers_working(database, tmp_path):
    mail_log = logging.getLogger("parley.mail")
    app = build_app(database, tmp_path)
    with app.app_context():
        flask_migrate.upgrade()
    assert not mail_log.disabled
