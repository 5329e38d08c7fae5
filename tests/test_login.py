"""Logging in and out: who gets in, the cookie they get, rate limits, and session handling."""
import html
import re
import time

import pytest
from sqlalchemy import select, update
from werkzeug.security import generate_password_hash

from core.timeutil import utcnow
from extensions import db
from models import User, UserSession
from tests.support.apps import make_app
from tests.support.factories import PASSWORD, create_user
from tests.support.login import AuthActions, csrf_from

COOKIE = "parley_session"
HERE = {"REMOTE_ADDR": "198.51.100.1"}
ELSEWHERE = {"REMOTE_ADDR": "203.0.113.9"}


@pytest.fixture
def app_with(database, mailbox, tmp_path):
    """Build the app with some settings changed (tight rate limits); one app per test."""
    made = []

    def build(**overrides):
        app = make_app(database, mailbox, tmp_path, **overrides)
        made.append(app)
        return app

    yield build
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def form_errors(response) -> list[str]:
    page = response.get_data(as_text=True)
    return [html.unescape(m) for m in re.findall(r'class="error form-error" role="alert">([^<]*)<', page)]


def logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


def session_cookie(response) -> str:
    """The Set-Cookie header of the session cookie in `response`."""
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(COOKIE + "=")]
    return header


def session_tokens(app, user_id) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(UserSession.token_hash).where(UserSession.user_id == user_id)))


def login_as(app, login="alice", password=PASSWORD, environ=HERE):
    """Log in from a fresh browser at address `environ`; return (response, client)."""
    client = app.test_client()
    return AuthActions(client).login(login, password, environ_base=environ), client


# Who gets in.

@pytest.mark.parametrize("login", ["alice", "ALICE"])
def test_login_by_username_in_any_case(client, auth, user, login):
    response = auth.login(login)

    assert response.status_code == 302
    assert logged_in(client)


@pytest.mark.parametrize("login", ["alice@example.com", "Alice@Example.COM"])
def test_login_by_email(client, auth, user, login):
    response = auth.login(login)

    assert response.status_code == 302
    assert logged_in(client)


def test_wrong_password_and_unknown_user_get_the_same_answer(app, client, auth, user):
    wrong_password = auth.login("alice", "not the password at all")
    unknown_user = auth.login("nobody", "not the password at all")

    assert wrong_password.status_code == unknown_user.status_code == 401
    assert form_errors(wrong_password) == form_errors(unknown_user) == [
        "The username or password is not right."]
    assert not logged_in(client)


def test_typed_password_is_not_sent_back(auth, user):
    response = auth.login("alice", "not the password at all")

    page = response.get_data(as_text=True)
    assert "not the password at all" not in page
    assert 'value="alice"' in page


def test_password_matches_whatever_unicode_form_is_typed(app, client, auth):
    create_user(app, password="cafe\u0301 au lait, s'il vous plait")  # "é" as e + accent

    response = auth.login("alice", "caf\u00e9 au lait, s'il vous plait")  # "é" as one character

    assert response.status_code == 302


def test_old_pbkdf2_hash_is_upgraded_at_login(app, client, auth, user):
    with app.app_context():
        db.session.execute(update(User).values(
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256")))
        db.session.commit()

    assert auth.login().status_code == 302

    with app.app_context():
        assert db.session.get(User, user).password_hash.startswith("$argon2id$")
    assert login_as(app)[0].status_code == 302


def test_disabled_account_cannot_log_in(app, client, auth, user):
    with app.app_context():
        db.session.execute(update(User).values(disabled_at=utcnow()))
        db.session.commit()

    response = auth.login()

    assert response.status_code == 401
    assert form_errors(response) == ["This account is disabled. Contact the site's administrator."]
    assert not logged_in(client)


def test_disabling_an_account_ends_its_open_sessions(app, client, auth, user):
    auth.login()
    with app.app_context():
        db.session.execute(update(User).values(disabled_at=utcnow()))
        db.session.commit()

    assert not logged_in(client)


# Where login sends you.

def test_next_takes_you_back_to_the_page_you_asked_for(client, auth, user):
    response = auth.login(page="/login?next=/profile", query_string={"next": "/profile"})
    assert response.headers["Location"] == "/profile"


def test_following_the_profile_redirect_lands_on_profile_after_login(client, user):
    login_page = client.get("/profile").headers["Location"]
    page = client.get(login_page).get_data(as_text=True)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', page).group(1))

    response = client.post(action, data={"login": "alice", "password": PASSWORD,
                                         "csrf_token": csrf_from(page)})

    assert response.headers["Location"] == "/profile"


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com/profile", "javascript:alert(1)"])
def test_next_to_another_site_is_ignored(client, auth, user, target):
    response = auth.login(query_string={"next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# The cookie.

def test_remember_me_keeps_the_cookie_after_the_browser_closes(client, auth, user):
    cookie = session_cookie(auth.login(remember=True))
    assert "Expires=" in cookie or "Max-Age=" in cookie


def test_without_remember_me_the_cookie_ends_with_the_browser(client, auth, user):
    cookie = session_cookie(auth.login())
    assert "Expires=" not in cookie and "Max-Age=" not in cookie
    assert logged_in(client)


def test_login_issues_a_new_session_cookie(app, client, auth, user):
    client.get("/login")
    before = client.get_cookie(COOKIE).value

    auth.login()

    assert client.get_cookie(COOKIE).value != before
    planted = app.test_client()
    planted.set_cookie(COOKIE, before)
    assert not logged_in(planted)


def test_each_login_stores_a_new_session_token(app, client, auth, user):
    auth.login()
    first = session_tokens(app, user)
    auth.logout()

    auth.login()

    second = session_tokens(app, user)
    assert len(first) == len(second) == 1
    assert first != second


# Logging out.

def test_logout_by_get_is_refused(client, auth, user):
    auth.login()

    assert client.get("/logout").status_code == 405
    assert logged_in(client)


def test_logout_without_csrf_token_is_refused(client, auth, user):
    auth.login()

    assert client.post("/logout").status_code == 400
    assert logged_in(client)


def test_logout_ends_the_session(client, auth, user):
    auth.login()

    response = auth.logout()

    assert response.status_code == 302
    assert not logged_in(client)


def test_old_cookie_does_not_work_after_logout(app, client, auth, user):
    auth.login()
    saved = client.get_cookie(COOKIE).value
    auth.logout()

    replay = app.test_client()
    replay.set_cookie(COOKIE, saved)
    response = replay.get("/profile")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# Rate limits.

def test_repeated_failures_for_one_account_are_limited(app_with):
    app = app_with(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    create_user(app)
    statuses = [login_as(app, password="wrong password")[0].status_code for _try in range(2)]

    response, _client = login_as(app, password="wrong password")

    assert statuses == [401, 401]
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert "Too many tries" in response.get_data(as_text=True)


def test_account_limit_counts_the_name_in_any_case(app_with):
    app = app_with(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    create_user(app)
    for login in ("alice", "ALICE"):
        assert login_as(app, login, "wrong password")[0].status_code == 401

    assert login_as(app, "aLiCe", "wrong password")[0].status_code == 429


def test_repeated_failures_from_one_address_are_limited(app_with):
    app = app_with(LOGIN_LIMIT_PER_ADDRESS="2 per minute")
    statuses = [login_as(app, f"user{n}", "wrong password")[0].status_code for n in range(2)]

    response, _client = login_as(app, "user2", "wrong password")

    assert statuses == [401, 401]
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_successful_logins_do_not_count(app_with):
    app = app_with(LOGIN_LIMIT_PER_ACCOUNT="2 per minute", LOGIN_LIMIT_PER_ADDRESS="2 per minute")
    create_user(app)
    statuses = [login_as(app)[0].status_code for _try in range(3)]

    assert statuses == [302, 302, 302]
    assert login_as(app, password="wrong password")[0].status_code == 401


def test_account_limit_does_not_lock_out_other_accounts(app_with):
    app = app_with(LOGIN_LIMIT_PER_ACCOUNT="2 per minute")
    create_user(app, "alice")
    create_user(app, "bob")
    for _try in range(2):
        login_as(app, "alice", "wrong password")
    assert login_as(app, "alice")[0].status_code == 429

    response, client = login_as(app, "bob", environ=ELSEWHERE)

    assert response.status_code == 302
    assert logged_in(client)


def test_address_limit_does_not_lock_out_other_addresses(app_with):
    app = app_with(LOGIN_LIMIT_PER_ADDRESS="2 per minute")
    create_user(app)
    for n in range(2):
        login_as(app, f"user{n}", "wrong password")
    assert login_as(app)[0].status_code == 429

    response, client = login_as(app, environ=ELSEWHERE)

    assert response.status_code == 302
    assert logged_in(client)


def test_account_limit_lifts_when_its_window_ends(app_with):
    app = app_with(LOGIN_LIMIT_PER_ACCOUNT="2 per 1 second")
    create_user(app)
    for _try in range(2):
        login_as(app, password="wrong password")
    limited, _client = login_as(app)
    assert limited.status_code == 429

    time.sleep(1.1)

    assert login_as(app)[0].status_code == 302


def test_default_password_hashing_is_argon2id_with_rfc9106_parameters(tmp_path):
    # The suite runs with cheap hashing; a real install hashes with RFC 9106's parameters.
    from app import create_app
    from blueprints.auth import passwords

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
                      "SECRET_KEY": "x" * 40, "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        stored = passwords.hash_password("a long enough passphrase")
        assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        assert passwords.verify_password(stored, "a long enough passphrase") == (True, None)
