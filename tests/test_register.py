"""Registration with an emailed code, through the real page and the real SMTP server."""
import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.timeutil import utcnow
from extensions import db
from models import EmailCode, User
from tests.support.factories import create_user
from tests.support.login import post_form
from tests.support.mail import app_mailing_to, smtp_server

GOOD = {
    "username": "bob",
    "nickname": "Bob",
    "email": "bob@example.com",
    "password": "a long enough passphrase",
}


def send_code(client, email=GOOD["email"], path="/register"):
    """Press "Send code" on `path` with `email` typed in."""
    return post_form(client, path, {"email": email, "send_code": "Send code"})


def submit(client, code, **fields):
    """Press "Create account" with GOOD's fields, changed by `fields`, and `code`."""
    return post_form(client, "/register", {**GOOD, **fields, "code": code, "submit": "Create account"})


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown beside the field `name`."""
    return [html.unescape(m) for m in re.findall(rf'id="{name}-error">([^<]*)</p>', page)]


def typed_value(page: str, name: str) -> str:
    """The value the input `name` shows."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no input {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else ""


def text(response) -> str:
    return response.get_data(as_text=True)


def user_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def set_code_times(app, email, **values):
    with app.app_context():
        db.session.execute(update(EmailCode).where(EmailCode.email == email).values(**values))
        db.session.commit()


# The whole flow.

def test_registering_with_the_mailed_code_creates_the_account_and_logs_in(app, client, mailbox):
    assert send_code(client).status_code == 200
    response = submit(client, mailbox.code_for(GOOD["email"]))

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = text(client.get("/profile"))
    assert "Bob" in page and "bob@example.com" in page
    with app.app_context():
        assert db.session.scalar(select(User.username).where(User.email == "bob@example.com")) == "bob"


def test_send_code_says_where_the_code_went(client, mailbox):
    page = text(send_code(client))
    assert "We sent a 6-digit code to bob@example.com" in page
    assert typed_value(page, "email") == "bob@example.com"
    assert mailbox.to("bob@example.com")[0].subject.startswith("Your Parley code")


def test_wrong_code_creates_no_account(app, client, mailbox):
    send_code(client)
    response = submit(client, other_code(mailbox.code_for(GOOD["email"])))

    assert response.status_code == 400
    assert field_errors(text(response), "code") == ["This code is not right. 4 tries left."]
    assert user_count(app) == 0
    assert client.get("/profile").status_code == 302


def test_submitting_without_asking_for_a_code_creates_no_account(app, client):
    response = submit(client, "123456")

    assert response.status_code == 400
    assert field_errors(text(response), "code") == [
        "No code is waiting for this address. Ask for a new code."]
    assert user_count(app) == 0


def test_a_code_works_only_once(app, client, mailbox):
    send_code(client)
    code = mailbox.code_for(GOOD["email"])
    assert submit(client, code).status_code == 302
    # Bob moves to another address, so bob@example.com is free again; the old code stays dead.
    with app.app_context():
        db.session.execute(update(User).values(email="bob@elsewhere.example"))
        db.session.commit()
    again = app.test_client()

    response = submit(again, code, username="bob2")

    assert response.status_code == 400
    assert field_errors(text(response), "code")
    assert user_count(app) == 1


def test_code_expires_after_code_ttl(app, client, mailbox):
    send_code(client)
    code = mailbox.code_for(GOOD["email"])
    set_code_times(app, GOOD["email"], expires_at=utcnow() - timedelta(seconds=1))

    response = submit(client, code)

    assert response.status_code == 400
    assert field_errors(text(response), "code") == ["This code has expired. Ask for a new code."]
    assert user_count(app) == 0


def test_code_is_valid_for_code_ttl_seconds(app, client, mailbox):
    send_code(client)
    with app.app_context():
        row = db.session.scalar(select(EmailCode))
        assert row.expires_at - row.created_at == timedelta(seconds=app.config["CODE_TTL"])


def test_wrong_code_five_times_kills_the_code(app, client, mailbox):
    send_code(client)
    code = mailbox.code_for(GOOD["email"])
    messages = []
    for _try in range(5):
        response = submit(client, other_code(code))
        assert response.status_code == 400
        messages += field_errors(text(response), "code")

    response = submit(client, code)

    counts = [re.fullmatch(r"This code is not right\. (\d) tr(?:y|ies) left\.", m) for m in messages[:4]]
    assert [match and int(match.group(1)) for match in counts] == [4, 3, 2, 1]
    assert messages[4:] == ["Too many wrong tries. Ask for a new code."]
    assert response.status_code == 400
    assert field_errors(text(response), "code") == ["Too many wrong tries. Ask for a new code."]
    assert user_count(app) == 0


def test_a_typo_in_another_field_costs_no_code_try(app, client, mailbox):
    send_code(client)
    code = mailbox.code_for(GOOD["email"])
    for _try in range(5):
        assert submit(client, code, username="b").status_code == 400

    assert submit(client, code).status_code == 302
    assert user_count(app) == 1


# Asking for codes again.

def test_new_code_at_most_once_per_resend_interval(client, mailbox):
    send_code(client)

    response = send_code(client)

    assert response.status_code == 429
    errors = field_errors(text(response), "email")
    assert len(errors) == 1
    wait = int(re.fullmatch(r"A code was just sent\. You can ask for a new one in (\d+) seconds\.",
                            errors[0]).group(1))
    assert 0 < wait <= 60
    assert response.headers["Retry-After"] == str(wait)
    assert typed_value(text(response), "email") == GOOD["email"]
    assert len(mailbox.to(GOOD["email"])) == 1


def test_refused_resend_keeps_the_first_code_working(app, client, mailbox):
    send_code(client)
    code = mailbox.code_for(GOOD["email"])
    assert send_code(client).status_code == 429

    assert submit(client, code).status_code == 302
    assert user_count(app) == 1


def test_new_code_after_the_interval_replaces_the_old_one(app, client, mailbox):
    send_code(client)
    first = mailbox.code_for(GOOD["email"])
    set_code_times(app, GOOD["email"], created_at=utcnow() - timedelta(seconds=61))

    assert send_code(client).status_code == 200
    second = mailbox.wait_for(GOOD["email"], count=2)[-1]
    assert first not in second.body

    response = submit(client, first)
    assert response.status_code == 400
    assert user_count(app) == 0


# What a code is bound to, and how it is kept.

def test_reset_code_cannot_register(app, client, mailbox):
    create_user(app, "alice")
    assert post_form(client, "/password/forgot", {"email": "alice@example.com"}).status_code == 302
    reset_code = mailbox.code_for("alice@example.com")
    # Alice moves to another address, so alice@example.com could be registered again.
    with app.app_context():
        db.session.execute(update(User).values(email="alice@elsewhere.example"))
        db.session.commit()

    response = submit(client, reset_code, email="alice@example.com")

    assert response.status_code == 400
    assert field_errors(text(response), "code") == [
        "No code is waiting for this address. Ask for a new code."]
    assert user_count(app) == 1


def test_codes_are_stored_hashed(app, client, mailbox):
    send_code(client)
    code = mailbox.code_for(GOOD["email"])

    with app.app_context():
        rows = db.session.execute(select(EmailCode.__table__)).all()
    assert len(rows) == 1
    assert all(code not in str(value) for value in rows[0])


# Nobody learns whether an address has an account.

def _page_shape(page: str, address: str) -> str:
    page = page.replace(address, "ADDRESS")
    return re.sub(r'(name="csrf[-_]token"[^>]*?(?:value|content)=")[^"]+', r"\1TOKEN", page)


def test_send_code_answers_before_the_mail_leaves_for_taken_and_free_addresses(database, tmp_path):
    with smtp_server(hold=True) as smtp, app_mailing_to(smtp, database, tmp_path) as app:
        create_user(app, "alice")  # smtp answers no DATA until release()

        taken = send_code(app.test_client(), "alice@example.com")
        free = send_code(app.test_client(), "free@example.com")

        assert smtp.messages == [], "the answer waited until the mail was delivered"
        assert _page_shape(text(taken), "alice@example.com") == _page_shape(text(free), "free@example.com")
        assert "We sent a 6-digit code to free@example.com" in text(free)
        smtp.wait_until_held(1)  # one mail at a time leaves the outbox
        smtp.release()
        assert smtp.wait_for("alice@example.com")[0].subject == "Someone tried to register with your address"
        assert smtp.code_for("free@example.com")


def test_send_code_for_a_taken_address_answers_like_for_a_free_one(app, client, mailbox):
    create_user(app, "alice")

    taken = send_code(client, "alice@example.com")
    free = send_code(client, "free@example.com")

    assert taken.status_code == free.status_code == 200
    assert _page_shape(text(taken), "alice@example.com") == _page_shape(text(free), "free@example.com")


def test_owner_of_a_taken_address_gets_a_notice_without_a_code(app, client, mailbox):
    create_user(app, "alice")

    send_code(client, "alice@example.com")

    mails = mailbox.wait_for("alice@example.com")
    assert len(mails) == 1
    assert mails[0].subject == "Someone tried to register with your address"
    assert "(alice)" in mails[0].body
    assert not re.search(r"\b\d{6}\b", mails[0].subject + mails[0].body)


def test_create_account_for_a_taken_address_answers_like_for_a_free_one(app, client, mailbox):
    create_user(app, "alice")
    send_code(client, "alice@example.com")
    send_code(client, "free@example.com")
    guess = other_code(mailbox.code_for("free@example.com"))

    taken = submit(client, guess, email="alice@example.com")
    free = submit(client, guess, email="free@example.com")

    assert taken.status_code == free.status_code == 400
    assert field_errors(text(taken), "code") == field_errors(text(free), "code")
    assert field_errors(text(taken), "email") == field_errors(text(free), "email") == []
    assert user_count(app) == 1


# Rules for what is typed.

BAD_INPUTS = [
    ("username", "ab"),
    ("username", "a" * 33),
    ("username", "bad name"),
    ("username", "bad-name"),
    ("username", "名字abc"),
    ("nickname", ""),
    ("nickname", "   "),
    ("nickname", "x" * 33),
    ("nickname", "ring\x07bell"),
    ("nickname", "zero\u200bwidth"),
    ("nickname", "two\u2028lines"),
    ("password", "short1!"),
    ("password", "x" * 129),
    ("password", "password123"),
    ("password", "qwertyuiop"),
    ("password", "BOB.THE.BUILDER"),  # the username, in other case
    ("email", "not-an-email"),
    ("email", "bob@@example.com"),
    ("email", "bob@localhost"),
]


@pytest.mark.parametrize("name, value", BAD_INPUTS)
def test_bad_input_is_refused_beside_its_field_and_keeps_what_was_typed(app, client, mailbox, name, value):
    send_code(client)
    fields = {"username": "bob.the.builder", name: value}

    response = submit(client, mailbox.code_for(GOOD["email"]), **fields)

    page = text(response)
    assert response.status_code == 400
    assert field_errors(page, name), f"no error beside {name}"
    typed = {**GOOD, **fields}
    for other in ("username", "nickname", "email"):
        assert typed_value(page, other) == typed[other]
    assert typed_value(page, "password") == ""
    assert typed["password"] not in page
    assert user_count(app) == 0


def test_username_is_unique_in_any_case(app, client, mailbox):
    create_user(app, "alice")
    send_code(client)

    response = submit(client, mailbox.code_for(GOOD["email"]), username="Alice")

    assert response.status_code == 409
    assert field_errors(text(response), "username") == ["This username is taken."]
    assert typed_value(text(response), "username") == "Alice"
    assert user_count(app) == 1


@pytest.mark.parametrize("username", ["abc", "A.b_" + "c" * 28])
def test_username_of_3_to_32_letters_digits_underscores_and_dots_is_accepted(app, client, mailbox, username):
    send_code(client)

    response = submit(client, mailbox.code_for(GOOD["email"]), username=username)

    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.username)) == username


def test_nickname_may_use_any_script(app, client, mailbox):
    send_code(client)

    response = submit(client, mailbox.code_for(GOOD["email"]), nickname="小明")

    assert response.status_code == 302
    assert "小明" in text(client.get("/profile"))


def test_password_may_use_any_script(app, client, mailbox):
    send_code(client)
    assert submit(client, mailbox.code_for(GOOD["email"]), password="我的密码很长很长").status_code == 302
    fresh = app.test_client()

    response = post_form(fresh, "/login", {"login": "bob", "password": "我的密码很长很长"})

    assert response.status_code == 302
    assert fresh.get("/profile").status_code == 200


def test_send_code_refuses_an_invalid_address(client, mailbox):
    response = send_code(client, "not-an-email")

    assert response.status_code == 400
    assert field_errors(text(response), "email") == ["Enter a valid email address."]
    assert typed_value(text(response), "email") == "not-an-email"
    assert mailbox.messages == []
