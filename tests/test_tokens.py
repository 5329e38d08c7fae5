"""Personal access tokens: created on the profile page, used as `Authorization: Bearer`."""
import re

import pytest

from tests.support.factories import create_user
from tests.support.login import login_client
from tests.support.pages import post_profile, section


def create_token(client, name="my bot"):
    """Create a token on the profile page; return (response, raw token shown or None)."""
    response = post_profile(client, "/profile/tokens", "token", {"token-name": name})
    match = re.search(r'data-testid="new-token">([^<]+)<', response.get_data(as_text=True))
    return response, match.group(1) if match else None


def token_ids(client) -> dict[str, int]:
    """{token name: id} as the profile page lists them."""
    html = section(client.get("/profile").get_data(as_text=True), "tokens")
    return {name: int(tid) for tid, name in re.findall(r'<tr data-token-id="(\d+)">\s*<td>([^<]*)</td>', html)}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alice(app, user):
    """A browser logged in as alice."""
    return login_client(app)


@pytest.fixture
def token(alice):
    return create_token(alice)[1]


def test_new_token_is_shown_once_and_starts_with_pat(alice):
    response, raw = create_token(alice)
    assert response.status_code == 200
    assert raw.startswith("pat_") and len(raw) > 30
    later = alice.get("/profile").get_data(as_text=True)
    assert raw not in later
    assert 'data-testid="new-token"' not in later


def test_token_is_listed_by_name_without_the_full_token(alice, token):
    tokens = section(alice.get("/profile").get_data(as_text=True), "tokens")
    assert "<td>my bot</td>" in tokens
    assert token[:8] in tokens  # the hint that tells tokens apart
    assert token not in tokens


def test_token_without_name_is_refused(alice):
    response, raw = create_token(alice, "  ")
    assert response.status_code == 400
    assert raw is None
    assert token_ids(alice) == {}


def test_bearer_token_authenticates_without_cookies(app, token):
    script = app.test_client()
    response = script.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json["username"] == "alice"
    assert response.json["email"] == "alice@example.com"


def test_bearer_request_does_not_log_the_client_in(app, token):
    script = app.test_client()
    script.get("/api/v1/me", headers=bearer(token))
    assert script.get("/api/v1/me").status_code == 401


def test_used_token_shows_when_it_was_last_used(app, alice, token):
    assert "<td>Never</td>" in section(alice.get("/profile").get_data(as_text=True), "tokens")
    app.test_client().get("/api/v1/me", headers=bearer(token))
    assert "<td>Never</td>" not in section(alice.get("/profile").get_data(as_text=True), "tokens")


def test_bearer_post_needs_no_csrf_token(app, token):
    response = app.test_client().post("/api/v1/groups", json={"name": "Book club"}, headers=bearer(token))
    assert response.status_code == 201
    assert response.json["name"] == "Book club"


def test_cookie_session_post_without_csrf_token_is_refused(alice):
    response = alice.post("/api/v1/groups", json={"name": "Book club"})
    assert response.status_code == 400
    assert alice.get("/api/v1/groups").json["items"] == []


def test_revoked_token_is_refused(app, alice, token):
    (token_id,) = token_ids(alice).values()
    response = post_profile(alice, f"/profile/tokens/{token_id}/revoke", None)
    assert response.status_code == 302
    assert token_ids(alice) == {}
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_someone_elses_token_cannot_be_revoked(app, alice, token):
    (token_id,) = token_ids(alice).values()
    create_user(app, "bob")
    bob = login_client(app, "bob")
    response = post_profile(bob, f"/profile/tokens/{token_id}/revoke", None)
    assert response.status_code == 404
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_disabled_users_token_is_refused(app, runner, token):
    result = runner.invoke(args=["users", "disable", "alice"])
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_invalid_token_gets_401_json(app, token):
    response = app.test_client().get("/api/v1/me", headers=bearer("pat_" + "x" * 43))
    assert response.status_code == 401
    assert response.is_json
    assert response.json["code"] == 401
    assert response.json["message"]


def test_bearer_token_with_session_cookie_of_someone_else_acts_as_token_owner(app, token):
    create_user(app, "bob")
    bob = login_client(app, "bob")
    response = bob.get("/api/v1/me", headers=bearer(token))
    assert response.json["username"] == "alice"


def test_page_showing_a_new_token_is_not_stored_by_the_browser(alice):
    response, raw = create_token(alice)
    assert raw
    assert "no-store" in response.headers.get("Cache-Control", "")
