"""Forgotten passwords: asking for a code by mail and setting a new password with it."""
import html
import re
from datetime import timedelta

from sqlalchemy import func, select, update

from core.timeutil import utcnow
from extensions import db
from models import EmailCode, UserSession
from tests.support.factories import PASSWORD, create_user
from tests.support.login import AuthActions, post_form

NEW_PASSWORD = "a brand new passphrase"


def forgot(client, email="alice@example.com"):
    return post_form(client, "/password/forgot", {"email": email})


def reset(client, code, email="alice@example.com", password=NEW_PASSWORD):
    return post_form(client, "/password/reset",
                     {"email": email, "code": code, "password": password, "submit": "Set new password"})


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def field_errors(response, name: str) -> list[str]:
    page = response.get_data(as_text=True)
    return [html.unescape(m) for m in re.findall(rf'id="{name}-error">([^<]*)</p>', page)]


def can_log_in(app, password, login="alice") -> bool:
    client = app.test_client()
    return AuthActions(client).login(login, password).status_code == 302


def logged_in(client) -> bool:
    return client.get("/profile").status_code == 200


def _page_shape(page: str, address: str) -> str:
    page = page.replace(address, "ADDRESS")
    return re.sub(r'(name="csrf[-_]token"[^>]*?(?:value|content)=")[^"]+', r"\1TOKEN", page)


def test_forgot_answers_the_same_for_unknown_addresses(client, user, mailbox):
    known = forgot(client, "alice@example.com")
    unknown = forgot(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known.headers["Location"] == "/password/reset?email=alice@example.com"
    assert unknown.headers["Location"] == "/password/reset?email=nobody@example.com"


def test_forgot_pages_look_the_same_for_known_and_unknown_addresses(app, user, mailbox):
    pages = {}
    for address in ("alice@example.com", "nobody@example.com"):
        client = app.test_client()
        response = forgot(client, address)
        pages[address] = _page_shape(client.get(response.headers["Location"]).get_data(as_text=True),
                                     address)

    assert pages["alice@example.com"] == pages["nobody@example.com"]
    assert "If an account uses ADDRESS, we sent it a 6-digit code." in pages["alice@example.com"]


def test_only_an_existing_account_gets_a_reset_mail(client, user, mailbox):
    forgot(client, "alice@example.com")
    forgot(client, "nobody@example.com")

    [mail] = mailbox.wait_for("alice@example.com")
    assert mail.subject.startswith("Your Parley code")
    assert re.search(r"^\s+\d{6}\s*$", mail.body, re.M)
    assert mailbox.to("nobody@example.com") == []


def test_reset_with_the_mailed_code_sets_the_new_password(app, client, user, mailbox):
    forgot(client)

    response = reset(client, mailbox.code_for("alice@example.com"))

    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not can_log_in(app, PASSWORD)
    assert can_log_in(app, NEW_PASSWORD)


def test_reset_ends_every_session_of_the_account(app, client, user, mailbox):
    phone, laptop = app.test_client(), app.test_client()
    AuthActions(phone).login()
    AuthActions(laptop).login(remember=True)
    assert logged_in(phone) and logged_in(laptop)
    forgot(client)

    reset(client, mailbox.code_for("alice@example.com"))

    assert not logged_in(phone)
    assert not logged_in(laptop)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_reset_logs_out_the_browser_that_did_it(app, client, user, mailbox):
    AuthActions(client).login()
    forgot(client)

    reset(client, mailbox.code_for("alice@example.com"))

    assert not logged_in(client)


def test_wrong_reset_code_changes_nothing(app, client, user, mailbox):
    other = app.test_client()
    AuthActions(other).login()
    forgot(client)

    response = reset(client, other_code(mailbox.code_for("alice@example.com")))

    assert response.status_code == 400
    assert field_errors(response, "code") == ["This code is not right. 4 tries left."]
    assert NEW_PASSWORD not in response.get_data(as_text=True)
    assert logged_in(other)
    assert can_log_in(app, PASSWORD)
    assert not can_log_in(app, NEW_PASSWORD)


def test_expired_reset_code_changes_nothing(app, client, user, mailbox):
    forgot(client)
    code = mailbox.code_for("alice@example.com")
    with app.app_context():
        db.session.execute(update(EmailCode).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()

    response = reset(client, code)

    assert response.status_code == 400
    assert field_errors(response, "code") == ["This code has expired. Ask for a new code."]
    assert can_log_in(app, PASSWORD)


def test_reset_code_works_only_once(app, client, user, mailbox):
    forgot(client)
    code = mailbox.code_for("alice@example.com")
    assert reset(client, code).status_code == 302

    response = reset(app.test_client(), code, password="yet another passphrase")

    assert response.status_code == 400
    assert field_errors(response, "code")
    assert can_log_in(app, NEW_PASSWORD)


def test_register_code_cannot_reset_a_password(app, client, mailbox):
    post_form(client, "/register", {"email": "bob@example.com", "send_code": "Send code"})
    register_code = mailbox.code_for("bob@example.com")
    create_user(app, "bob")  # the address gets an account by another way (the admin CLI)

    response = reset(client, register_code, email="bob@example.com")

    assert response.status_code == 400
    assert field_errors(response, "code") == ["No code is waiting for this address. Ask for a new code."]
    assert can_log_in(app, PASSWORD, login="bob")
