"""A worker that remembers who a session or token belongs to (blueprints/auth/cache.py) still
refuses a revoked token, a disabled person and an ended session at once, and shows a changed
name at once; and it does answer from memory (a change behind its back shows only later).
Across real servers, see tests/realtime/test_cluster.py."""
import time

import pytest
from sqlalchemy import select, text

from blueprints.auth.cache import EXTENSION_KEY
from extensions import db
from realtime import hub
from tests.support.apps import make_app
from tests.support.factories import direct_conversation, make_friends, make_user
from tests.support.login import login_client
from tests.support.pages import post_profile
from tests.test_tokens import alice, bearer, token, token_ids  # noqa: F401 - alice and token are fixtures

TTL = 0.5  # AUTH_CACHE_SECONDS in these tests


@pytest.fixture
def app(app):
    """The usual app, its hub listening as in a gunicorn worker, so the cache is in use."""
    app.extensions[EXTENSION_KEY].ttl = TTL
    with app.app_context():
        hub().start()
    return app


def a_second_passes(app) -> None:
    """As if EPOCH_CHECK seconds had passed: the next request reads the credential epoch."""
    app.extensions[EXTENSION_KEY].epoch_read_at = float("-inf")


def me(app, token) -> dict | int:
    response = app.test_client().get("/api/v1/me", headers=bearer(token))
    return response.get_json() if response.status_code == 200 else response.status_code


def rename_behind_its_back(app, nickname: str) -> None:
    # Straight into the table: no ORM object changes, no event, no broker message.
    with app.app_context():
        db.session.execute(text("UPDATE \"user\" SET nickname = :n WHERE username = 'alice'"), {"n": nickname})
        db.session.commit()


def test_a_remembered_token_answers_from_memory_until_it_expires(app, token):
    assert me(app, token)["nickname"] == "Alice"
    rename_behind_its_back(app, "Behind")
    assert me(app, token)["nickname"] == "Alice"  # remembered: no query saw the change
    time.sleep(TTL + 0.1)
    assert me(app, token)["nickname"] == "Behind"


@pytest.mark.parametrize("change", ["disable", "revoke"])
def test_a_change_no_broker_carried_is_seen_within_a_second(app, database, mailbox, tmp_path, alice, token, change):
    # Another process on the same database with no broker between them (`flask users disable`
    # on a one-machine site): only the credential epoch can tell this worker.
    app.extensions[EXTENSION_KEY].ttl = 3600
    assert me(app, token)["username"] == "alice"
    # No second passes until the test says so (making the other app may take more than one).
    app.extensions[EXTENSION_KEY].epoch_read_at = float("inf")
    other = make_app(database, mailbox, tmp_path / "other")
    if change == "disable":
        result = other.test_cli_runner().invoke(args=["users", "disable", "alice"])
        assert result.exit_code == 0, result.output
    else:
        (token_id,) = token_ids(alice).values()
        from blueprints.profile.services import revoke_token
        from models import User
        with other.app_context():
            revoke_token(db.session.scalar(select(User).where(User.username == "alice")), token_id)
    assert me(app, token)["username"] == "alice"  # still remembered: nothing has told this worker
    a_second_passes(app)
    assert me(app, token) == 401


def test_a_revoked_token_is_refused_at_once(app, alice, token):
    assert me(app, token)["username"] == "alice"
    (token_id,) = token_ids(alice).values()
    assert post_profile(alice, f"/profile/tokens/{token_id}/revoke", None).status_code == 302
    assert me(app, token) == 401


def test_a_disabled_persons_token_is_refused_at_once(app, runner, token):
    assert me(app, token)["username"] == "alice"
    result = runner.invoke(args=["users", "disable", "alice"])
    assert result.exit_code == 0, result.output
    assert me(app, token) == 401


def test_a_new_nickname_shows_at_once(app, alice, token):
    assert me(app, token)["nickname"] == "Alice"
    response = post_profile(alice, "/profile/nickname", "nickname", {"nickname-nickname": "小明"})
    assert response.status_code == 302
    assert me(app, token)["nickname"] == "小明"
    assert "<strong>小明</strong>" in alice.get("/profile").get_data(as_text=True)


def test_a_remembered_browser_session_ends_at_logout_elsewhere(app, user):
    # Two browsers of alice; the first ends every other session from its profile page.
    first, second = login_client(app), login_client(app)
    assert second.get("/api/v1/me").status_code == 200  # remembered now
    html = first.get("/profile").get_data(as_text=True)
    assert "sessions" in html
    response = post_profile(first, "/profile/sessions/end-others", None)
    assert response.status_code in (302, 303), response.status_code
    assert second.get("/api/v1/me").status_code == 401
    assert first.get("/api/v1/me").status_code == 200


def test_messages_carry_the_senders_new_name_at_once(app, user, alice, token):
    conversation = direct_conversation(app, user, make_friends_with_bob(app, user))
    client = app.test_client()

    def sender_name(body):
        response = client.post(f"/api/v1/conversations/{conversation}/messages", json={"body": body},
                               headers=bearer(token))
        assert response.status_code == 201, response.get_json()
        return response.get_json()["sender"]["nickname"]

    assert sender_name("one") == "Alice"
    post_profile(alice, "/profile/nickname", "nickname", {"nickname-nickname": "Ally"})
    assert sender_name("two") == "Ally"


def make_friends_with_bob(app, alice_id: int) -> int:
    bob = make_user(app, "bob")
    make_friends(app, alice_id, bob)
    return bob
