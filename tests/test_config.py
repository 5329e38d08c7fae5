"""Settings: the generated secret key, production checks, environment overrides, databases, hosts."""
import os
import secrets
import stat

import pytest
from sqlalchemy import text

from app import create_app
from config import ConfigError
from extensions import db
from tests.support.apps import make_app
from tests.support.factories import create_user
from tests.support.login import csrf_from

STRONG_KEY = "5f0c9e2ab7d14c38a61e9b0f7d2c4a85e3b96f1d08a7c2e45b9d3f6a1c8e0b72"  # token_hex(32)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No FLASK_*, DATABASE_URL or REDIS_URL from the shell running the tests."""
    for name in list(os.environ):
        if name.startswith("FLASK_") or name in ("DATABASE_URL", "REDIS_URL"):
            monkeypatch.delenv(name)


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


@pytest.fixture
def build(instance):
    """create_app with its instance folder in tmp_path; engines are closed afterwards."""
    apps = []

    def build(config=None):
        app = create_app({"INSTANCE_PATH": str(instance), **(config or {})})
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.engine.dispose()


# SECRET_KEY

def test_secret_key_is_generated_into_the_instance_folder(build, instance):
    app = build()
    key = app.config["SECRET_KEY"]
    assert len(key) >= 32
    assert (instance / "secret_key").read_text().strip() == key


def test_generated_secret_key_survives_a_restart(build):
    assert build().config["SECRET_KEY"] == build().config["SECRET_KEY"]


def test_each_install_generates_its_own_secret_key(build, tmp_path):
    other = create_app({"INSTANCE_PATH": str(tmp_path / "other")})
    assert build().config["SECRET_KEY"] != other.config["SECRET_KEY"]


def test_generated_secret_key_file_is_readable_by_its_owner_only(build, instance):
    build()
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600


def test_given_secret_key_is_used_and_nothing_is_generated(build, instance):
    app = build({"SECRET_KEY": STRONG_KEY})
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert not (instance / "secret_key").exists()


def test_instance_folder_can_be_chosen_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("FLASK_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    app = create_app()
    assert app.instance_path == str(tmp_path / "elsewhere")
    assert (tmp_path / "elsewhere" / "secret_key").exists()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'elsewhere' / 'parley.sqlite3'}"


# PRODUCTION

def test_production_without_secret_key_refuses_to_start(build, instance):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build({"PRODUCTION": True})
    assert not (instance / "secret_key").exists()


@pytest.mark.parametrize("key", ["dev", "changeme", "secret", "short-but-random-Q7x"])
def test_production_with_weak_secret_key_refuses_to_start(build, key):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build({"PRODUCTION": True, "SECRET_KEY": key})


@pytest.mark.parametrize("key", ["a" * 32, "changeme" * 4, "0123456789" * 4, "ab" * 16,
                                 "qwertyuiopasdfghjklzxcvbnm123456"])
def test_production_refuses_a_long_but_guessable_secret_key(build, key):
    with pytest.raises(ConfigError, match="easy to guess") as refused:
        build({"PRODUCTION": True, "SECRET_KEY": key})
    # The message says how to make a good key.
    assert "secrets.token_hex(32)" in str(refused.value)


def test_production_accepts_a_random_secret_key(build):
    key = secrets.token_hex(32)
    assert build({"PRODUCTION": True, "SECRET_KEY": key}).config["SECRET_KEY"] == key


def test_production_from_the_environment_is_checked_too(build, monkeypatch):
    monkeypatch.setenv("FLASK_PRODUCTION", "true")
    monkeypatch.setenv("FLASK_SECRET_KEY", "changeme")
    with pytest.raises(ConfigError):
        build()


def test_production_with_strong_secret_key_starts_with_secure_cookies(build):
    app = build({"PRODUCTION": True, "SECRET_KEY": STRONG_KEY})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_cookies_are_not_secure_by_default(build):
    assert build().config["SESSION_COOKIE_SECURE"] is False


# Environment overrides

def test_flask_environment_variable_overrides_a_setting(build, monkeypatch):
    monkeypatch.setenv("FLASK_CODE_TTL", "30")
    assert build().config["CODE_TTL"] == 30


def test_flask_environment_variable_parses_json_lists(build, monkeypatch):
    monkeypatch.setenv("FLASK_TRUSTED_HOSTS", '["chat.example.org"]')
    assert build().config["TRUSTED_HOSTS"] == ["chat.example.org"]


def test_flask_environment_variable_keeps_plain_strings(build, monkeypatch):
    monkeypatch.setenv("FLASK_MAIL_SERVER", "smtp.example.org")
    assert build().config["MAIL_SERVER"] == "smtp.example.org"


def test_config_passed_to_create_app_wins_over_the_environment(build, monkeypatch):
    monkeypatch.setenv("FLASK_CODE_TTL", "30")
    assert build({"CODE_TTL": 90}).config["CODE_TTL"] == 90


# Databases

def test_default_database_is_sqlite_in_the_instance_folder(build, instance):
    app = build()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'parley.sqlite3'}"


def test_database_url_shortcut_sets_the_database(build, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'chat.db'}")
    assert build().config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'chat.db'}"


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgres_urls_use_the_psycopg_driver(build, monkeypatch, scheme):
    monkeypatch.setenv("DATABASE_URL", f"{scheme}://parley:pw@db.example:5432/parley")
    app = build()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://parley:pw@db.example:5432/parley"
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"


def test_explicit_driver_in_database_url_is_kept(build, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://parley@db.example/parley")
    assert build().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://parley@db.example/parley"


def test_redis_url_shortcut_sets_redis_and_the_rate_limit_store(build, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://cache.example:6379/2")
    app = build()
    assert app.config["REDIS_URL"] == "redis://cache.example:6379/2"
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://cache.example:6379/2"


def test_without_redis_rate_limits_are_kept_in_memory(build):
    assert build().config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_sqlite_runs_in_wal_mode(build):
    app = build()
    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_sqlite_enforces_foreign_keys(build):
    app = build()
    with app.app_context():
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_sqlite_waits_for_a_busy_database_instead_of_failing(build):
    app = build()
    with app.app_context():
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 1000


# TRUSTED_HOSTS

def forgot_password_from(app, host: str):
    """Open /password/forgot on parley.example, then send it for alice with Host: `host`.

    Cookies are passed by hand, so the session and its CSRF token reach any host.
    """
    browser = app.test_client(use_cookies=False)
    page = browser.get("/password/forgot", base_url="http://parley.example")
    assert page.status_code == 200
    cookie = page.headers["Set-Cookie"].split(";", 1)[0]
    data = {"email": "alice@example.com", "csrf_token": csrf_from(page.get_data(as_text=True))}
    return browser.post("/password/forgot", data=data, headers={"Host": host, "Cookie": cookie})


@pytest.fixture
def guarded_app(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path, TRUSTED_HOSTS=["parley.example"])
    create_user(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_request_for_an_untrusted_host_gets_400_and_sends_no_mail(guarded_app, mailbox):
    response = forgot_password_from(guarded_app, "evil.example")
    assert response.status_code == 400
    assert "Reload the page" not in response.get_data(as_text=True)  # refused for the host, not CSRF
    assert mailbox.to("alice@example.com") == []


def test_request_for_a_trusted_host_is_served_and_mailed(guarded_app, mailbox):
    response = forgot_password_from(guarded_app, "parley.example")
    assert response.status_code == 302
    mail = mailbox.wait_for("alice@example.com")[-1]
    assert "http://parley.example/password/reset" in mail.body


def test_untrusted_host_page_request_gets_a_plain_400_not_a_crash(guarded_app):
    response = guarded_app.test_client().get("/login", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)


def test_untrusted_host_json_request_gets_a_json_400(guarded_app):
    response = guarded_app.test_client().get("/api/v1/me", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
