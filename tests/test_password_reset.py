"""Forgotten passwords: asking for a code by mail and setting a new password with it."""
import html
import logging
import re
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from core.timeutil import utcnow
from extensions import db
from models import EmailCode, UserSession
from tests.support.factories import PASSWORD, create_user, make_user
from tests.support.login import AuthActions, csrf_from, post_form
from tests.support.mail import app_mailing_to, settle, smtp_server
from tests.support.servers import Server, free_port

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


def _answer_shape(response, address: str) -> tuple:
    return (response.status_code, sorted(response.headers.keys()),
            response.headers.get("Location", "").replace(address, "ADDRESS"),
            response.get_data(as_text=True).replace(address, "ADDRESS"))


def test_forgot_answers_before_the_mail_leaves_and_alike_for_unknown_addresses(database, tmp_path):
    with smtp_server(hold=True) as smtp, app_mailing_to(smtp, database, tmp_path) as app:
        create_user(app)  # alice; smtp answers no DATA until release()
        known_client, unknown_client = app.test_client(), app.test_client()
        known = forgot(known_client, "alice@example.com")
        assert smtp.messages == [], "the answer waited until the mail was delivered"
        smtp.wait_until_held(1)  # alice's mail is at the server, unanswered

        unknown = forgot(unknown_client, "nobody@example.com")

        assert _answer_shape(known, "alice@example.com") == _answer_shape(unknown, "nobody@example.com")
        pages = [_page_shape(c.get(r.headers["Location"]).get_data(as_text=True), a)
                 for c, r, a in ((known_client, known, "alice@example.com"),
                                 (unknown_client, unknown, "nobody@example.com"))]
        assert pages[0] == pages[1]
        smtp.release()
        [mail] = smtp.wait_for("alice@example.com")
        assert mail.subject.startswith("Your Parley code")
        assert smtp.to("nobody@example.com") == []


def test_forgot_answers_alike_while_the_mail_server_is_down_and_logs_why(database, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="parley.mail")
    nothing_listens = SimpleNamespace(port=free_port())
    with app_mailing_to(nothing_listens, database, tmp_path, MAIL_SEND_ATTEMPTS=2,
                        MAIL_RETRY_DELAY=0.01) as app:
        create_user(app)
        client = app.test_client()

        response = forgot(client)

        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "If an account uses alice@example.com, we sent it a 6-digit code." in page
        assert "No mail after a few minutes? Check your spam folder" in page  # how to ask again
    settle()
    tries = [r for r in caplog.records if r.name == "parley.mail"]
    assert [r.levelname for r in tries] == ["WARNING", "ERROR"]
    assert "mail to alice@example.com failed (try 2 of 2)" in tries[-1].getMessage()


def test_reset_mail_arrives_after_the_mail_server_asked_to_try_again(database, tmp_path):
    with (smtp_server(fail_first=1) as smtp,  # "451 try again later" once
          app_mailing_to(smtp, database, tmp_path, MAIL_RETRY_DELAY=0.01) as app):
        create_user(app)

        assert forgot(app.test_client()).status_code == 302

        [mail] = smtp.wait_for("alice@example.com")
        assert re.search(r"^\s+\d{6}\s*$", mail.body, re.M)


@pytest.mark.process
def test_a_stopping_server_first_sends_the_mail_it_queued(tmp_path):
    with smtp_server(hold=True) as smtp:
        server = Server(tmp_path, {"FLASK_MAIL_SERVER": "127.0.0.1", "FLASK_MAIL_PORT": str(smtp.port)})
        try:
            make_user(server.app, "alice")
            page = server.http.get("/password/forgot").text
            response = server.http.post("/password/forgot", data={"email": "alice@example.com",
                                                                  "csrf_token": csrf_from(page)})
            assert response.status_code == 302
            smtp.wait_until_held(1)
            server.http.close()  # no idle keep-alive connection for the worker to wait on

            server.process.terminate()  # gunicorn's graceful stop (SIGTERM), as a deploy does
            deadline = time.monotonic() + 15
            while "sending 1 queued mail(s) before exiting" not in server.log():
                assert time.monotonic() < deadline, f"the worker did not wait for its mail:\n{server.log()}"
                time.sleep(0.05)
            smtp.release()

            assert server.process.wait(15) == 0
            [mail] = smtp.wait_for("alice@example.com")
            assert mail.subject.startswith("Your Parley code")
        finally:
            server.stop()


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
