"""The profile page: nickname, email, password and language."""
import io
import re

import pytest
from PIL import Image

from extensions import db
from models import User
from realtime.eventlog import events_for_user
from tests.support.factories import PASSWORD, create_user, make_friends, make_group, make_users
from tests.support.login import AuthActions, is_logged_in, login_client
from tests.support.mail import app_mailing_to, smtp_server
from tests.support.pages import field_error, post_profile

NEW_PASSWORD = "purple elephant juggling teacups"


def stored(app, user_id, column):
    """The value of `column` of user `user_id` as the database holds it now."""
    with app.app_context():
        return getattr(db.session.get(User, user_id), column)


@pytest.fixture
def alice(client, auth, user):
    """The `client` logged in as alice; returns her id."""
    assert auth.login().status_code == 302
    return user


# Babel names zh_CN with its script, so pages say "zh-Hans-CN" (also valid BCP 47).
CHINESE_TAGS = ("zh-CN", "zh-Hans-CN")


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]*)"', response.get_data(as_text=True))
    assert match, "no <html lang>"
    return match.group(1)


# Nickname

def test_chinese_nickname_is_saved_and_shown(app, client, alice):
    response = post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": "小明"})
    assert response.status_code == 302
    assert stored(app, alice, "nickname") == "小明"
    assert "<strong>小明</strong>" in client.get("/profile").get_data(as_text=True)


def test_nickname_of_32_chinese_characters_is_accepted(app, client, alice):
    nickname = "龙" * 32
    response = post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": nickname})
    assert response.status_code == 302
    assert stored(app, alice, "nickname") == nickname


def test_empty_nickname_is_refused_beside_the_field(app, client, alice):
    response = post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": "   "})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "nickname-nickname")
    assert stored(app, alice, "nickname") == "Alice"


def test_33_character_nickname_is_refused_and_kept_in_the_box(app, client, alice):
    typed = "x" * 33
    response = post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "nickname-nickname")
    assert re.search(rf'id="nickname-nickname"[^>]*value="{typed}"', html)
    assert stored(app, alice, "nickname") == "Alice"


def test_nickname_change_without_csrf_token_is_refused(app, client, alice):
    response = client.post("/profile/nickname", data={"nickname-nickname": "Mallory"})
    assert response.status_code == 400
    assert stored(app, alice, "nickname") == "Alice"


# Email

def send_code(client, address):
    return post_profile(client, "/profile/email", "email",
                        {"email-email": address, "email-send_code": "Send code"})


def confirm(client, address, code):
    return post_profile(client, "/profile/email", "email",
                        {"email-email": address, "email-code": code, "email-submit": "Change email"})


def flashes(response, address):
    """The page's flash messages with `address` blanked out."""
    match = re.search(r'<div class="flashes" role="status">(.*?)</div>', response.get_data(as_text=True), re.S)
    assert match, "no message shown"
    return match.group(1).replace(address, "ADDRESS")


def test_email_changes_after_confirming_the_mailed_code(app, client, alice, mailbox):
    response = send_code(client, "alice.new@example.org")
    assert response.status_code == 200
    code = mailbox.code_for("alice.new@example.org")
    response = confirm(client, "alice.new@example.org", code)
    assert response.status_code == 302
    assert stored(app, alice, "email") == "alice.new@example.org"
    assert "alice.new@example.org" in client.get("/profile").get_data(as_text=True)


def test_email_change_code_is_sent_after_the_answer(database, tmp_path):
    with smtp_server(hold=True) as smtp, app_mailing_to(smtp, database, tmp_path) as app:
        create_user(app)  # alice; smtp answers no DATA until release()
        client = login_client(app)

        response = send_code(client, "alice.new@example.org")

        assert response.status_code == 200
        assert smtp.messages == [], "the answer waited until the mail was delivered"
        assert "We sent a 6-digit code to alice.new@example.org" in response.get_data(as_text=True)
        smtp.wait_until_held(1)
        smtp.release()
        assert confirm(client, "alice.new@example.org", smtp.code_for("alice.new@example.org")).status_code == 302


def test_wrong_email_code_leaves_address_unchanged(app, client, alice, mailbox):
    send_code(client, "alice.new@example.org")
    code = mailbox.code_for("alice.new@example.org")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = confirm(client, "alice.new@example.org", wrong)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "email-code")
    assert stored(app, alice, "email") == "alice@example.com"


def test_code_sent_to_one_address_does_not_confirm_another(app, client, alice, mailbox):
    send_code(client, "alice.new@example.org")
    code = mailbox.code_for("alice.new@example.org")
    response = confirm(client, "someone.else@example.org", code)
    assert response.status_code == 400
    assert stored(app, alice, "email") == "alice@example.com"


def test_taken_address_answers_like_a_free_one(app, client, alice, mailbox):
    create_user(app, "bob")
    free = send_code(client, "free@example.org")
    taken = send_code(client, "bob@example.com")
    assert free.status_code == taken.status_code == 200
    assert flashes(free, "free@example.org") == flashes(taken, "bob@example.com")
    assert "free@example.org" in free.get_data(as_text=True)  # the message names the address



def test_owner_of_taken_address_gets_a_notice_without_code(app, client, alice, mailbox):
    create_user(app, "bob")
    send_code(client, "bob@example.com")
    mail = mailbox.wait_for("bob@example.com")[-1]
    assert "bob" in mail.body
    assert not re.search(r"\d{6}", mail.subject + mail.body)


def test_taken_address_cannot_be_confirmed(app, client, alice, mailbox):
    bob = create_user(app, "bob")
    send_code(client, "bob@example.com")
    mailbox.wait_for("bob@example.com")
    for guess in ("000000", "123456"):
        confirm(client, "bob@example.com", guess)
    assert stored(app, alice, "email") == "alice@example.com"
    assert stored(app, bob, "email") == "bob@example.com"


def test_current_address_is_refused(app, client, alice, mailbox):
    response = send_code(client, "Alice@Example.com")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "email-email")
    assert mailbox.to("alice@example.com") == []


# Password

def login_attempt(app, password):
    """Try to log in as alice from a new browser; 302 when it worked, 401 when refused."""
    return AuthActions(app.test_client()).login("alice", password).status_code


def change_password(client, current, new):
    return post_profile(client, "/profile/password", "password",
                        {"password-current_password": current, "password-new_password": new})


def test_wrong_current_password_is_refused(app, client, alice):
    response = change_password(client, "not my password", NEW_PASSWORD)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "password-current_password")
    assert login_attempt(app, PASSWORD) == 302


def test_wrong_current_password_does_not_set_the_new_one(app, client, alice):
    change_password(client, "not my password", NEW_PASSWORD)
    assert login_attempt(app, NEW_PASSWORD) == 401


def test_new_password_works_for_the_next_login(app, client, alice):
    assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert login_attempt(app, NEW_PASSWORD) == 302
    assert login_attempt(app, PASSWORD) == 401


def test_password_change_logs_out_other_devices(app, client, alice):
    phone = login_client(app)
    assert is_logged_in(phone)
    assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert not is_logged_in(phone)


def test_password_change_keeps_this_device_logged_in(app, client, alice):
    login_client(app)
    assert change_password(client, PASSWORD, NEW_PASSWORD).status_code == 302
    assert is_logged_in(client)


# Language

def test_browser_asking_for_chinese_gets_chinese_page(client):
    response = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert html_lang(response) in CHINESE_TAGS


def test_browser_asking_for_english_gets_english_page(client):
    response = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert html_lang(response) == "en"


def test_saved_language_overrides_the_browser(app, client, alice):
    response = post_profile(client, "/profile/language", "language", {"language-locale": "zh_CN"})
    assert response.status_code == 302
    assert html_lang(client.get("/profile", headers={"Accept-Language": "en"})) in CHINESE_TAGS


def test_same_as_browser_follows_the_browser_again(app, client, alice):
    post_profile(client, "/profile/language", "language", {"language-locale": "zh_CN"})
    response = post_profile(client, "/profile/language", "language", {"language-locale": ""})
    assert response.status_code == 302
    assert stored(app, alice, "locale") is None
    assert html_lang(client.get("/profile", headers={"Accept-Language": "en"})) == "en"


def test_unknown_language_is_refused(app, client, alice):
    response = post_profile(client, "/profile/language", "language", {"language-locale": "fr"})
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "language-locale")
    assert stored(app, alice, "locale") is None


# Others see the change live (user.updated)

def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def updates_seen_by(app, user_id: int) -> list[dict]:
    """The `user` of every user.updated event `user_id` would receive, oldest first."""
    with app.app_context():
        return [event.data["user"] for event in events_for_user(user_id, 0)
                if event.type == "user.updated"]


@pytest.fixture
def circle(app, alice):
    """(bob, carol, dave): bob is alice's friend; carol is in bob's group with alice but not
    her friend; dave is a stranger."""
    bob, carol, dave = make_users(app, "bob", "carol", "dave")
    make_friends(app, alice, bob)
    make_friends(app, bob, carol)
    make_group(app, bob, "Book club", [alice, carol])
    return bob, carol, dave


def test_new_nickname_reaches_friends_and_fellow_members_but_not_strangers(app, client, alice, circle):
    bob, carol, dave = circle
    response = post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": "Ally"})
    assert response.status_code == 302
    for person in (alice, bob, carol):  # alice's other tabs too
        [update] = updates_seen_by(app, person)
        assert update["id"] == alice and update["nickname"] == "Ally"
    assert updates_seen_by(app, dave) == []


def test_same_nickname_again_announces_nothing(app, client, alice, circle):
    bob, _carol, _dave = circle
    post_profile(client, "/profile/nickname", "nickname", {"nickname-nickname": "Alice"})
    assert updates_seen_by(app, bob) == []


def test_new_avatar_reaches_friends_with_its_url(app, client, alice, circle):
    bob, _carol, _dave = circle
    before = client.get("/api/v1/me").get_json()["avatar_url"]
    post_profile(client, "/profile/avatar", "avatar",
                 {"avatar-file": (io.BytesIO(png_bytes()), "me.png", "image/png")},
                 content_type="multipart/form-data")
    after = client.get("/api/v1/me").get_json()["avatar_url"]
    assert after != before
    [update] = updates_seen_by(app, bob)
    assert update["avatar_url"] == after
    post_profile(client, "/profile/avatar/remove", None)
    assert [u["avatar_url"] for u in updates_seen_by(app, bob)] == [after, before]
