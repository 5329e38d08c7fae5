"""The admin command line: `flask users create|list|disable|enable|set-password|promote|token`."""
from sqlalchemy import select

from extensions import db
from models import User
from tests.support.factories import PASSWORD, create_user
from tests.support.login import AuthActions, is_logged_in, login_client

NEW_PASSWORD = "purple elephant juggling teacups"


def users(runner, *args, **kwargs):
    """Run `flask users <args>` and return the click Result."""
    return runner.invoke(args=["users", *args], **kwargs)


def stored_user(app, username):
    """The account named `username` as the database holds it now, or None."""
    with app.app_context():
        return db.session.scalar(select(User).where(User.username_key == username.lower()))


def can_log_in(app, login="alice", password=PASSWORD) -> bool:
    """True when a new browser can log in as `login` with `password`."""
    return AuthActions(app.test_client()).login(login, password).status_code == 302


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_token(runner, username="alice", name="script"):
    result = users(runner, "token", username, "--name", name)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


# create

def test_fresh_database_has_no_users(runner):
    result = users(runner, "list")
    assert result.exit_code == 0
    assert "No users." in result.output


def test_create_makes_an_account_that_can_log_in(app, runner):
    result = users(runner, "create", "bob", "--email", "bob@example.com", "--nickname", "Bobby",
                   "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "Created user bob" in result.output
    user = stored_user(app, "bob")
    assert (user.nickname, user.email, user.is_admin) == ("Bobby", "bob@example.com", False)
    assert can_log_in(app, "bob")


def test_create_without_nickname_uses_the_username(app, runner):
    result = users(runner, "create", "carol", "--email", "carol@example.com", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert stored_user(app, "carol").nickname == "carol"


def test_create_without_password_prompts_for_it_twice(app, runner):
    result = users(runner, "create", "dave", "--email", "dave@example.com",
                   input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Repeat for confirmation:" in result.output
    assert PASSWORD not in result.output  # typed hidden
    assert can_log_in(app, "dave")


def test_create_prompt_asks_again_when_the_two_passwords_differ(app, runner):
    result = users(runner, "create", "erin", "--email", "erin@example.com",
                   input=f"{PASSWORD}\nsomething else entirely\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output.lower()
    assert can_log_in(app, "erin")


def test_create_with_bad_username_fails_with_clear_error(app, runner):
    result = users(runner, "create", "no spaces!", "--email", "x@example.com", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "Error: username:" in result.output
    assert "3 to 32 characters" in result.output
    assert users(runner, "list").output.strip() == "No users."


def test_create_with_weak_password_fails_with_clear_error(app, runner):
    result = users(runner, "create", "frank", "--email", "frank@example.com", "--password", "password")
    assert result.exit_code != 0
    assert "Error: password:" in result.output
    assert "too common" in result.output
    assert stored_user(app, "frank") is None


def test_create_with_short_password_fails_with_clear_error(app, runner):
    result = users(runner, "create", "frank", "--email", "frank@example.com", "--password", "x7#q")
    assert result.exit_code != 0
    assert "Error: password: Use at least 8 characters." in result.output
    assert stored_user(app, "frank") is None


def test_create_with_taken_username_fails_in_any_case(app, runner, user):
    result = users(runner, "create", "ALICE", "--email", "other@example.com", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "Error: username: This username is taken." in result.output
    assert stored_user(app, "alice").email == "alice@example.com"


def test_create_with_taken_email_fails(app, runner, user):
    result = users(runner, "create", "mallory", "--email", "Alice@Example.com", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "Error: email:" in result.output
    assert stored_user(app, "mallory") is None


def test_create_with_bad_email_fails(app, runner):
    result = users(runner, "create", "grace", "--email", "not-an-address", "--password", PASSWORD)
    assert result.exit_code != 0
    assert "Error: email: Enter a valid email address." in result.output
    assert stored_user(app, "grace") is None


def test_create_admin_flag_makes_an_administrator(app, runner):
    result = users(runner, "create", "root", "--email", "root@example.com", "--password", PASSWORD,
                   "--admin")
    assert result.exit_code == 0, result.output
    assert "as admin" in result.output
    assert stored_user(app, "root").is_admin


# list

def test_list_shows_every_account_with_status_and_role(app, runner, user):
    create_user(app, "bob", nickname="Bobby", is_admin=True)
    users(runner, "disable", "alice")
    lines = users(runner, "list").output.splitlines()
    alice = next(line for line in lines if " alice " in line)
    bob = next(line for line in lines if " bob " in line)
    assert "disabled" in alice and "user" in alice and "alice@example.com / Alice" in alice
    assert "active" in bob and "admin" in bob and "bob@example.com / Bobby" in bob


# disable / enable

def test_disabled_user_cannot_log_in(app, runner, user):
    result = users(runner, "disable", "alice")
    assert result.exit_code == 0, result.output
    assert not can_log_in(app)


def test_disable_ends_the_users_open_session(app, runner, user):
    browser = login_client(app)
    assert is_logged_in(browser)
    result = users(runner, "disable", "alice")
    assert "ended 1 session(s)" in result.output
    assert not is_logged_in(browser)


def test_disable_stops_the_users_access_tokens(app, runner, user):
    token = new_token(runner)
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200
    users(runner, "disable", "alice")
    response = app.test_client().get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_disable_leaves_other_users_logged_in(app, runner, user):
    create_user(app, "bob")
    bobs_browser = login_client(app, "bob")
    users(runner, "disable", "alice")
    assert is_logged_in(bobs_browser)


def test_enable_lets_a_disabled_user_log_in_again(app, runner, user):
    users(runner, "disable", "alice")
    result = users(runner, "enable", "alice")
    assert result.exit_code == 0, result.output
    assert can_log_in(app)


def test_enable_makes_the_users_tokens_work_again(app, runner, user):
    token = new_token(runner)
    users(runner, "disable", "alice")
    users(runner, "enable", "alice")
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200


# set-password

def test_set_password_lets_the_user_log_in_with_the_new_one(app, runner, user):
    result = users(runner, "set-password", "alice", "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert can_log_in(app, password=NEW_PASSWORD)
    assert not can_log_in(app, password=PASSWORD)


def test_set_password_ends_the_users_sessions(app, runner, user):
    browser = login_client(app)
    users(runner, "set-password", "alice", "--password", NEW_PASSWORD)
    assert not is_logged_in(browser)


def test_set_password_prompts_when_not_given(app, runner, user):
    result = users(runner, "set-password", "alice", input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert can_log_in(app, password=NEW_PASSWORD)


def test_set_password_refuses_a_weak_password_and_keeps_the_old_one(app, runner, user):
    browser = login_client(app)
    result = users(runner, "set-password", "alice", "--password", "12345678")
    assert result.exit_code != 0
    assert "Error:" in result.output and "too common" in result.output
    assert can_log_in(app)
    assert is_logged_in(browser)


# promote

def test_promote_makes_an_administrator(app, runner, user):
    result = users(runner, "promote", "alice")
    assert result.exit_code == 0, result.output
    assert stored_user(app, "alice").is_admin
    me = app.test_client().get("/api/v1/me", headers=bearer(new_token(runner)))
    assert me.get_json()["is_admin"] is True


def test_demote_takes_administrator_rights_away(app, runner):
    create_user(app, "alice", is_admin=True)
    result = users(runner, "promote", "alice", "--demote")
    assert result.exit_code == 0, result.output
    assert "no longer" in result.output
    assert not stored_user(app, "alice").is_admin


# token

def test_token_starts_with_pat_and_authenticates(app, runner, user):
    token = new_token(runner, name="backup script")
    assert token.startswith("pat_")
    response = app.test_client().get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.get_json()["username"] == "alice"


def test_each_token_is_different(runner, user):
    assert new_token(runner) != new_token(runner)


def test_token_is_refused_for_a_disabled_user(runner, user):
    users(runner, "disable", "alice")
    result = users(runner, "token", "alice", "--name", "script")
    assert result.exit_code == 1
    assert "Error: alice is disabled." in result.output
    assert "pat_" not in result.output


def test_token_with_blank_name_is_refused(runner, user):
    result = users(runner, "token", "alice", "--name", "   ")
    assert result.exit_code == 1
    assert "Error: the name must be 1 to 64 characters." in result.output


def test_wrong_token_gets_401(client, user):
    response = client.get("/api/v1/me", headers=bearer("pat_not-a-real-token"))
    assert response.status_code == 401


# unknown users

def test_unknown_user_exits_with_code_1(runner, user):
    for command in (["disable"], ["enable"], ["set-password", "--password", NEW_PASSWORD],
                    ["promote"], ["token"]):
        result = users(runner, command[0], "nobody", *command[1:])
        assert result.exit_code == 1, command
        assert "Error: no user named 'nobody'." in result.output, command


def test_usernames_are_found_in_any_case(app, runner, user):
    result = users(runner, "disable", "ALICE")
    assert result.exit_code == 0, result.output
    assert not stored_user(app, "alice").is_active
