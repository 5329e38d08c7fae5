"""Helpers for the profile page's prefixed forms and for extra logged-in browsers."""
import re

from tests.conftest import PASSWORD, AuthActions

CHROME_ON_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                     "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36")
FIREFOX_ON_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def form_csrf(html: str, prefix: str | None = None) -> str:
    """The CSRF token of the form with `prefix` ("nickname-csrf_token"), or of a button-only form."""
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]+)"', html)
    assert match, f"no {name} field in page"
    return match.group(1)


def post_profile(client, path: str, prefix: str | None, data: dict | None = None, **kwargs):
    """POST `data` to `path` with the CSRF token of the /profile form `prefix` (None: a button form)."""
    html = client.get("/profile").get_data(as_text=True)
    data = dict(data or {})
    data[f"{prefix}-csrf_token" if prefix else "csrf_token"] = form_csrf(html, prefix)
    return client.post(path, data=data, **kwargs)


def section(html: str, section_id: str) -> str:
    """The inner HTML of the profile page's `<section id=...>`."""
    match = re.search(rf'<section class="card[^"]*" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section #{section_id} in page"
    return match.group(1)


def field_error(html: str, field_id: str) -> str | None:
    """The error shown beside the field with id `field_id`, or None."""
    match = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else None


def login_client(app, login: str = "alice", password: str = PASSWORD, user_agent: str | None = None):
    """A new browser (test client) logged in as `login`."""
    client = app.test_client()
    headers = {"User-Agent": user_agent} if user_agent else {}
    response = AuthActions(client).login(login, password, headers=headers)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def is_logged_in(client) -> bool:
    """True when `client` can open /profile; False when it is sent to the login page."""
    response = client.get("/profile")
    if response.status_code == 302:
        assert "/login" in response.headers["Location"]
        return False
    assert response.status_code == 200
    return True
