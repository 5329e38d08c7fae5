"""Error pages: friendly HTML for people, {code, message} JSON for scripts, never a traceback."""
import logging
import re
import time

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from extensions import db
from tests.support.apps import make_app
from tests.support.factories import make_user
from tests.support.login import csrf_token, quick_client

JSON = {"Accept": "application/json"}
SECRET_DETAIL = "db password is hunter2 at /srv/parley/app.py line 42"


def title_of(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S)
    assert match, "no <title>"
    return match.group(1)


def assert_friendly_page(response, code: int, title: str):
    html = response.get_data(as_text=True)
    assert response.status_code == code
    assert response.mimetype == "text/html"
    assert title in title_of(response)
    assert f"<h1>{title}</h1>" in html
    assert 'href="/"' in html  # a way back home
    assert "Traceback" not in html and "werkzeug" not in html.lower()


def assert_json_error(response, code: int):
    assert response.status_code == code
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


@pytest.fixture
def make(database, mailbox, tmp_path):
    """make_app with overrides; engines are closed afterwards."""
    apps = []

    def make(**overrides):
        app = make_app(database, mailbox, tmp_path, **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# 404

def test_missing_page_is_a_friendly_page(client):
    response = client.get("/no/such/page")
    assert_friendly_page(response, 404, "Page not found")
    assert "does not exist" in response.get_data(as_text=True)


def test_missing_page_answers_json_when_json_is_asked_for(client):
    body = assert_json_error(client.get("/no/such/page", headers=JSON), 404)
    assert "does not exist" in body["message"]


def test_missing_api_path_answers_json_whatever_is_accepted(client):
    response = client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert_json_error(response, 404)


def test_browser_accept_header_gets_html_not_json(client):
    # What Firefox sends: HTML first, anything else after.
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/no/such/page", headers={"Accept": accept})
    assert response.mimetype == "text/html"


# 405

def test_get_on_logout_is_405_and_names_the_allowed_method(client):
    response = client.get("/logout")
    assert_friendly_page(response, 405, "That action is not allowed here")
    assert "POST" in response.headers["Allow"]


def test_405_answers_json_when_json_is_asked_for(client):
    response = client.get("/logout", headers=JSON)
    assert_json_error(response, 405)
    assert "POST" in response.headers["Allow"]


# 413

def test_over_large_body_gets_a_friendly_413(make):
    app = make(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/login", data={"login": "alice", "password": "x" * 4096})
    assert_friendly_page(response, 413, "That is too large")


def test_body_under_the_limit_is_not_refused_as_too_large(make):
    app = make(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    response = client.post("/login", data={"login": "alice", "password": "x" * 100,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 401


# 429

def failed_logins(client, count: int):
    token = csrf_token(client)
    return [client.post("/login", data={"login": "alice", "password": "wrong password",
                                        "csrf_token": token}) for _ in range(count)]


def test_too_many_failed_logins_gets_a_friendly_429_with_retry_after(make, user):
    app = make(LOGIN_LIMIT_PER_ACCOUNT="2 per 5 minutes")
    *_, response = failed_logins(app.test_client(), 3)
    assert_friendly_page(response, 429, "Too many tries")
    assert 0 < int(response.headers["Retry-After"]) <= 300
    assert re.search(r"wait \d+ seconds", response.get_data(as_text=True))


def test_429_answers_json_with_retry_after_for_scripts(make, user):
    app = make(LOGIN_LIMIT_PER_ACCOUNT="1 per 5 minutes")
    client = app.test_client()
    token = csrf_token(client)
    data = {"login": "alice", "password": "wrong password", "csrf_token": token}
    client.post("/login", data=data)
    response = client.post("/login", data=data, headers=JSON)
    assert_json_error(response, 429)
    assert int(response.headers["Retry-After"]) > 0


# 500

def broken_app(make):
    """An app with a test-only route that fails the way a bug would."""
    app = make(PROPAGATE_EXCEPTIONS=False)

    def boom():
        raise RuntimeError(SECRET_DETAIL)

    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/api/v1/boom", endpoint="api_boom", view_func=boom)
    return app


def test_server_error_is_a_friendly_page_without_traceback(make):
    response = broken_app(make).test_client().get("/boom")
    assert_friendly_page(response, 500, "Something went wrong on our side")
    assert SECRET_DETAIL not in response.get_data(as_text=True)
    assert "RuntimeError" not in response.get_data(as_text=True)


def test_server_error_answers_json_without_details(make):
    response = broken_app(make).test_client().get("/api/v1/boom")
    body = assert_json_error(response, 500)
    assert SECRET_DETAIL not in response.get_data(as_text=True)
    assert set(body) <= {"code", "status", "message"}


def test_server_error_is_logged_with_its_traceback_for_the_operator(make, caplog):
    app = broken_app(make)
    with caplog.at_level(logging.ERROR, logger="parley.errors"):
        app.test_client().get("/boom")
    records = [r for r in caplog.records if r.name == "parley.errors"]
    assert records and "GET /boom" in records[0].getMessage()
    assert records[0].exc_info and SECRET_DETAIL in str(records[0].exc_info[1])


def test_server_error_rolls_back_the_half_done_write(make):
    from models import User

    app = make(PROPAGATE_EXCEPTIONS=False)

    def half_done():
        db.session.add(User(username="ghost", username_key="ghost", nickname="Ghost",
                            email="ghost@example.com", password_hash="x"))
        db.session.flush()
        raise RuntimeError("bug after a write")

    app.add_url_rule("/half", view_func=half_done)
    assert app.test_client().get("/half").status_code == 500
    with app.app_context():
        assert db.session.query(User).filter_by(username="ghost").count() == 0


# 401

def test_api_without_login_gets_401_json(client):
    body = assert_json_error(client.get("/api/v1/me"), 401)
    assert body["message"]


def test_page_without_login_redirects_to_login_instead_of_401(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_page_without_login_answers_401_json_when_json_is_asked_for(client):
    assert_json_error(client.get("/profile", headers=JSON), 401)


def test_successful_login_carries_no_retry_after(client, auth, user):
    # Only a refusal tells the browser to wait.
    response = auth.login()
    assert response.status_code == 302
    assert "Retry-After" not in response.headers


def test_refused_code_resend_says_the_real_wait_in_retry_after(make):
    app = make(CODE_RESEND_INTERVAL=60)
    client = app.test_client()
    token = csrf_token(client, "/register")
    data = {"email": "newbie@example.com", "send_code": "Send code", "csrf_token": token}
    assert client.post("/register", data=data).status_code == 200
    response = client.post("/register", data=data)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60


# An overloaded worker: every pooled database connection busy

def one_connection_app(make, database):
    """An app whose pool holds one connection and waits 0.2 s for it, with alice logged in."""
    _url, engine_options = database
    app = make(SQLALCHEMY_ENGINE_OPTIONS={**engine_options, "pool_size": 1,
                                          "max_overflow": 0, "pool_timeout": 0.2})
    make_user(app, "alice")
    return app, quick_client(app, "alice")


def test_busy_database_answers_503_with_retry_after_and_recovers(make, database):
    app, (client, headers) = one_connection_app(make, database)
    with app.app_context():
        held = db.engine.connect()  # someone else has the only connection
    try:
        response = client.get("/api/v1/me", headers=headers)
        body = assert_json_error(response, 503)
        assert response.headers["Retry-After"] == "2"
        assert "busy" in body["message"]
        page = client.get("/profile")
        assert page.status_code == 503 and "busy" in page.get_data(as_text=True)
    finally:
        held.close()
    assert client.get("/api/v1/me", headers=headers).get_json()["username"] == "alice"


def test_pool_emptied_after_login_answers_503_without_waiting_again(make, database):
    # The usual overload: the person was loaded, then every connection is taken before the
    # view's first query. The answer must not need the database (the language, the page).
    app, (client, headers) = one_connection_app(make, database)
    held = []

    @app.before_request
    def take_the_only_connection():  # after the login check, before the view
        held.append(db.engine.connect())

    started = time.monotonic()
    response = client.get("/api/v1/conversations", headers=headers)
    body = assert_json_error(response, 503)
    assert response.headers["Retry-After"] == "2" and "busy" in body["message"]
    assert time.monotonic() - started < 1.5  # one wait for the pool (0.2 s), not three
    page = client.get("/chat")
    assert page.status_code == 503 and "busy" in page.get_data(as_text=True)
    for connection in held:
        connection.close()


def test_pool_emptied_after_a_commit_says_the_change_was_saved(make, database):
    # The group is created and committed; building the answer then finds no connection.
    # Retrying would create a second group, so the answer invites no retry.
    app, (client, headers) = one_connection_app(make, database)
    held = []

    @app.after_request
    def release(response):
        for connection in held:
            connection.close()
        return response

    def take_after_commit(_session):
        if not held:
            held.append(db.engine.connect())

    sa_event.listen(Session, "after_commit", take_after_commit)
    try:
        response = client.post("/api/v1/groups", json={"name": "Trip", "member_ids": []}, headers=headers)
    finally:
        sa_event.remove(Session, "after_commit", take_after_commit)
    body = assert_json_error(response, 503)
    assert "Retry-After" not in response.headers and "saved" in body["message"]
    listed = client.get("/api/v1/groups", headers=headers).get_json()["items"]
    assert [group["name"] for group in listed] == ["Trip"]  # saved once, as the answer said


def test_api_request_holds_no_connection_once_authenticated(make, database):
    # Rate limits and the wait for a busy worker's turn come between authentication and the
    # view; a request holding its connection through them could empty the pool.
    app, (client, headers) = one_connection_app(make, database)
    held = []

    @app.before_request
    def count_connections():  # runs after the login check, before the view
        held.append(db.engine.pool.checkedout())

    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200 and response.get_json()["username"] == "alice"
    assert held == [0]
