"""The site starts and its pages answer."""
import os

import pytest

from tests.support.apps import HAS_PG


def test_public_pages_render(client):
    for path in ("/", "/login", "/register", "/password/forgot", "/password/reset"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"Parley" in response.data


def test_profile_requires_login(client):
    response = client.get("/profile")
    assert response.status_code == 302
    assert "/login?next=/profile" in response.headers["Location"]


def test_login_then_profile_shows_nickname(client, auth, user):
    response = auth.login()
    assert response.status_code == 302
    page = client.get("/profile").get_data(as_text=True)
    assert "Alice" in page and "alice@example.com" in page


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="only CI must have PostgreSQL")
def test_postgresql_is_tested_in_ci():
    # CI sets DATABASE_URL; a CI run that silently tested only SQLite must fail.
    assert HAS_PG, "CI=true but DATABASE_URL does not point at PostgreSQL"
