"""Logging in, as a person would (the /login form) or quickly (a session started directly),
and the CSRF tokens the pages and their scripts send."""
import re

import flask
from flask_wtf.csrf import generate_csrf

from blueprints.auth import sessions
from extensions import db
from tests.support.factories import PASSWORD, user_by_name

CHROME_ON_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in `html`."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'name="[a-z_]*-?csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def csrf_token(client, path: str = "/login") -> str:
    """Load `path` and return the CSRF token of its first form."""
    return csrf_from(client.get(path).get_data(as_text=True))


def meta_csrf(html: str) -> str:
    """The CSRF token of a page's <meta name="csrf-token">, which the pages' scripts send."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, "no csrf-token meta in page"
    return match.group(1)


def post_form(client, path: str, data: dict, page: str | None = None, **kwargs):
    """POST `data` to `path` with the CSRF token read from `page` (default: `path`)."""
    html = client.get(page or path).get_data(as_text=True)
    data = dict(data)
    data.setdefault("csrf_token", csrf_from(html))
    return client.post(path, data=data, **kwargs)


class AuthActions:
    """Log in and out through the real pages (flaskr's `auth` helper)."""

    def __init__(self, client):
        self.client = client

    def login(self, login="alice", password=PASSWORD, remember=False, **kwargs):
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        return post_form(self.client, "/login", data, **kwargs)

    def logout(self):
        html = self.client.get("/").get_data(as_text=True)
        return self.client.post("/logout", data={"csrf_token": csrf_from(html)})


def login_client(app, login: str = "alice", password: str = PASSWORD, user_agent: str | None = None):
    """A new browser (test client) logged in as `login` through the real /login form, sending
    `user_agent` when given. For API writes, pair it with `api_headers(client)`."""
    client = app.test_client()
    headers = {"User-Agent": user_agent} if user_agent else {}
    response = AuthActions(client).login(login, password, headers=headers)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def api_headers(client) -> dict:
    """{"X-CSRFToken": ...}: the page's CSRF token, as the pages' scripts send it with every
    API write of a logged-in browser."""
    html = client.get("/friends").get_data(as_text=True)
    return {"X-CSRFToken": meta_csrf(html)}


def quick_client(app, username: str):
    """A browser logged in as `username`, fast: (client, headers) for API calls.

    The login session is started directly (the same server-side session row and cookie that
    /login makes, skipping /login's deliberately slow password check), and the CSRF token is
    made by Flask-WTF's generate_csrf, as the page's <meta> would carry it (rendering a first
    page costs a template compile per app). Most tests use it to keep the suite fast;
    `login_client` proves the real path."""
    with app.test_request_context():
        user = user_by_name(username)
        raw = sessions.start_session(user, False, "pytest", "127.0.0.1")
        db.session.commit()
        user_id = user.id
        token = generate_csrf()
        csrf_field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        csrf_secret = flask.session[csrf_field]
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = raw
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
        session[csrf_field] = csrf_secret
    return client, {"X-CSRFToken": token}


def is_logged_in(client) -> bool:
    """True when `client` can open /profile; False when it is sent to the login page."""
    response = client.get("/profile")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True
