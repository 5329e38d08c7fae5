"""CSRF, security headers, cookies, no inline scripts, and no secrets in the logs."""
import logging
import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from extensions import db
from models import Conversation, User
from tests.support.apps import make_app
from tests.support.factories import PASSWORD
from tests.support.login import AuthActions, csrf_from, csrf_token, is_logged_in
from tests.support.pages import form_csrf

NEW_PASSWORD = "purple elephant juggling teacups"
RELOAD_MESSAGE = "Reload the page and try again."


def stored_nickname(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).nickname


@pytest.fixture
def alice(client, auth, user):
    """`client` logged in as alice; returns her id."""
    assert auth.login().status_code == 302
    return user


# CSRF

def test_login_without_csrf_token_is_refused_with_a_reload_message(client, user):
    response = client.post("/login", data={"login": "alice", "password": PASSWORD})
    assert response.status_code == 400
    assert RELOAD_MESSAGE in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_login_with_wrong_csrf_token_is_refused(client, user):
    csrf_token(client)  # the browser has a session with a real token
    response = client.post("/login", data={"login": "alice", "password": PASSWORD,
                                           "csrf_token": "forged-token"})
    assert response.status_code == 400
    assert RELOAD_MESSAGE in response.get_data(as_text=True)
    assert not is_logged_in(client)


def test_logout_without_csrf_token_keeps_you_logged_in(client, alice):
    response = client.post("/logout")
    assert response.status_code == 400
    assert RELOAD_MESSAGE in response.get_data(as_text=True)
    assert is_logged_in(client)


def test_nickname_change_with_another_browsers_token_changes_nothing(app, client, alice):
    # A forging site can hold a real token, but only for its own session.
    attacker = app.test_client()
    foreign_token = csrf_token(attacker)
    response = client.post("/profile/nickname", data={"nickname-nickname": "Mallory",
                                                      "nickname-csrf_token": foreign_token})
    assert response.status_code == 400
    assert RELOAD_MESSAGE in response.get_data(as_text=True)
    assert stored_nickname(app, alice) == "Alice"


def test_csrf_refusal_answers_json_to_the_api(app, client, alice):
    response = client.post("/api/v1/groups", json={"name": "Book club"})
    assert response.status_code == 400
    assert response.get_json()["code"] == 400
    assert RELOAD_MESSAGE in response.get_json()["message"]
    with app.app_context():
        assert db.session.query(Conversation).count() == 0


def test_api_write_without_a_login_is_told_to_log_in_not_to_reload(app, client, user):
    # Found by the fuzzer: with neither a session nor a token, an API write was refused for
    # its missing CSRF token (400 "reload the page"), where reads answered 401.
    for method, path in (("POST", "/api/v1/groups"), ("DELETE", "/api/v1/friends/1"),
                         ("PATCH", "/api/v1/groups/1"), ("PUT", "/api/v1/groups/1/invite")):
        response = client.open(path, method=method, json={"name": "Book club"})
        assert response.status_code == 401, (method, path)
        assert response.get_json()["code"] == 401
    with app.app_context():
        assert db.session.query(Conversation).count() == 0


def test_api_post_from_a_page_sends_the_meta_csrf_token(app, client, alice):
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    response = client.post("/api/v1/groups", json={"name": "Book club"}, headers={"X-CSRFToken": token})
    assert response.status_code == 201


def test_bearer_token_requests_need_no_csrf_token(app, runner, user):
    token = runner.invoke(args=["users", "token", "alice", "--name", "bot"]).stdout.strip()
    response = app.test_client().post("/api/v1/groups", json={"name": "Bots"},
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201


def test_csrf_tokens_do_not_expire_on_their_own(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_token_from_a_page_loaded_earlier_still_works_later(app, client, alice):
    html = client.get("/profile").get_data(as_text=True)
    early_token = form_csrf(html, "nickname")
    for path in ("/", "/friends", "/profile", "/groups"):  # the person uses other tabs meanwhile
        client.get(path)
    response = client.post("/profile/nickname", data={"nickname-nickname": "Ally",
                                                      "nickname-csrf_token": early_token})
    assert response.status_code == 302
    assert stored_nickname(app, alice) == "Ally"


class _ThreeDaysAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 3 * 24 * 3600


def test_login_page_left_open_for_three_days_still_logs_in(app, client, user):
    client.get("/login")
    with client.session_transaction() as session:
        raw = session["csrf_token"]
    # The token that page would carry had it been rendered three days ago.
    old_token = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="wtf-csrf-token",
                                       signer=_ThreeDaysAgo).dumps(raw)
    response = client.post("/login", data={"login": "alice", "password": PASSWORD,
                                           "csrf_token": old_token})
    assert response.status_code == 302
    assert is_logged_in(client)


# Headers on every kind of response

RESPONSES = {
    "html page": ("/login", 200),
    "json": ("/api/openapi.json", 200),
    "json error": ("/api/v1/me", 401),
    "error page": ("/no/such/page", 404),
    "static file": ("/static/css/parley.css", 200),
}


@pytest.fixture(params=list(RESPONSES))
def any_response(request, client):
    path, status = RESPONSES[request.param]
    response = client.get(path)
    assert response.status_code == status
    return response


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in policy.split(";") if part.strip()}


def test_csp_allows_no_inline_scripts(any_response):
    directives = csp_directives(any_response)
    script_src = directives.get("script-src") or directives["default-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "'self'" in script_src


def test_csp_forbids_framing(any_response):
    assert csp_directives(any_response)["frame-ancestors"] == "frame-ancestors 'none'"


def test_responses_are_not_content_sniffed(any_response):
    assert any_response.headers["X-Content-Type-Options"] == "nosniff"


def test_responses_set_a_referrer_policy(any_response):
    assert any_response.headers["Referrer-Policy"] in (
        "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")


def test_responses_forbid_framing_in_old_browsers(any_response):
    assert any_response.headers["X-Frame-Options"] == "DENY"


# Cookies

def set_cookie(response, name="parley_session") -> list[str]:
    """The attributes of cookie `name` as set by `response`, lower-cased."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return [part.strip().lower() for part in header.split(";")[1:]]
    raise AssertionError(f"{name} not set: {response.headers.getlist('Set-Cookie')}")


def test_session_cookie_is_httponly_and_samesite_lax(client):
    attributes = set_cookie(client.get("/login"))
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


def test_login_cookie_is_httponly_and_samesite_lax(client, user):
    attributes = set_cookie(AuthActions(client).login(remember=True))
    assert "httponly" in attributes and "samesite=lax" in attributes


def test_session_cookie_is_not_secure_by_default(client):
    # A plain-http quick start on localhost must still be able to log in.
    assert "secure" not in set_cookie(client.get("/login"))


def test_session_cookie_is_secure_in_production(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path, PRODUCTION=True)
    try:
        assert "secure" in set_cookie(app.test_client().get("/login"))
    finally:
        with app.app_context():
            db.engine.dispose()


# No inline scripts

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.I)


def html_pages(app, client):
    """Every page a visitor or a logged-in person can open, with a group to show."""
    html = client.get("/").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    group = client.post("/api/v1/groups", json={"name": "Book club"}, headers={"X-CSRFToken": token})
    paths = ["/no/such/page", f"/groups/{group.get_json()['id']}"]
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/api/"):
            paths.append(rule.rule)
    pages = {}
    for path in paths:
        response = client.get(path)
        if response.mimetype == "text/html":
            pages[path] = response.get_data(as_text=True)
    return pages


def test_no_page_has_inline_scripts(app, client, user):
    anonymous = {p: client.get(p).get_data(as_text=True) for p in ("/", "/login", "/register",
                                                                  "/password/forgot", "/password/reset")}
    AuthActions(client).login()
    pages = {**{f"{p} (visitor)": html for p, html in anonymous.items()}, **html_pages(app, client)}
    assert len(pages) >= 12
    for path, html in pages.items():
        assert not INLINE_SCRIPT.search(html), path
        assert not INLINE_HANDLER.search(html), path
        assert not JAVASCRIPT_URL.search(html), path


# Logs

def register_login_and_reset(client, mailbox):
    """Register bob with an emailed code, log in, reset the password; return the secrets used."""
    html = client.get("/register").get_data(as_text=True)
    token = csrf_from(html)
    client.post("/register", data={"email": "bob@example.com", "send_code": "Send code",
                                   "csrf_token": token})
    register_code = mailbox.code_for("bob@example.com")
    response = client.post("/register", data={
        "username": "bob", "nickname": "Bob", "email": "bob@example.com", "password": PASSWORD,
        "code": register_code, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    AuthActions(client).logout()
    assert AuthActions(client).login("bob").status_code == 302
    AuthActions(client).logout()
    mailbox.clear()
    token = csrf_token(client, "/password/forgot")
    assert client.post("/password/forgot", data={"email": "bob@example.com",
                                                 "csrf_token": token}).status_code == 302
    reset_code = mailbox.code_for("bob@example.com")
    response = client.post("/password/reset", data={
        "email": "bob@example.com", "code": reset_code, "password": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert AuthActions(client).login("bob", NEW_PASSWORD).status_code == 302
    return [register_code, reset_code, PASSWORD, NEW_PASSWORD]


def app_log_text(caplog) -> str:
    # "mail.log" is the test SMTP server (the receiving side), not Parley.
    return "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}"
                     for r in caplog.records if not r.name.startswith("mail.log"))


def test_codes_and_passwords_never_reach_the_logs(client, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    secrets = register_login_and_reset(client, mailbox)
    text = app_log_text(caplog)
    for secret in secrets:
        assert secret not in text


def test_codes_and_passwords_stay_out_of_the_logs_even_with_sql_logging(client, mailbox, caplog):
    # What an operator switches on to debug: every statement and its parameters.
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    secrets = register_login_and_reset(client, mailbox)
    text = app_log_text(caplog)
    assert "INSERT INTO email_code" in text and "UPDATE email_code" in text
    for secret in secrets:
        assert secret not in text


@pytest.fixture
def offline_app(database, mailbox, tmp_path):
    app = make_app(database, mailbox, tmp_path, MAIL_SERVER=None)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def send_register_code(client, address):
    token = csrf_token(client, "/register")
    response = client.post("/register", data={"email": address, "send_code": "Send code",
                                              "csrf_token": token})
    assert response.status_code == 200
    return token


def test_without_mail_server_the_whole_mail_is_written_to_the_log(offline_app, mailbox, caplog):
    caplog.set_level(logging.DEBUG)
    send_register_code(offline_app.test_client(), "newbie@example.com")
    logged = [r.getMessage() for r in caplog.records if r.name == "parley.mail"]
    assert len(logged) == 1
    assert "newbie@example.com" in logged[0]
    assert "Subject: Your Parley code:" in logged[0]
    assert re.search(r"^\s+\d{6}\s*$", logged[0], re.M)


def test_without_mail_server_nothing_goes_to_smtp(offline_app, mailbox, caplog):
    send_register_code(offline_app.test_client(), "newbie@example.com")
    time.sleep(0.2)  # a mail, if one were sent, would have arrived by now
    assert mailbox.messages == []


def test_without_mail_server_the_logged_code_registers_the_account(offline_app, caplog):
    caplog.set_level(logging.WARNING, logger="parley.mail")
    client = offline_app.test_client()
    token = send_register_code(client, "newbie@example.com")
    mail = next(r.getMessage() for r in caplog.records if r.name == "parley.mail")
    code = re.search(r"^\s+(\d{6})\s*$", mail, re.M).group(1)
    response = client.post("/register", data={
        "username": "newbie", "nickname": "Newbie", "email": "newbie@example.com",
        "password": PASSWORD, "code": code, "csrf_token": token})
    assert response.status_code == 302
    assert is_logged_in(client)
