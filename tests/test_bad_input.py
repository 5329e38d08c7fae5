"""Input a client can send that is not what its field says: JSON nested thousands deep, lone
surrogates, NUL characters, bytes that are not UTF-8, numbers that are not whole or are out of
range. Each is refused with a 4xx and a message naming the problem (never a 500, never coerced),
and nothing is stored. Both databases: PostgreSQL fails on a NUL or an out-of-range number
where SQLite shrugs, so every case runs on each (the `app` fixture's backends)."""
import html
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from extensions import db
from tests.support.api import API
from tests.support.factories import PASSWORD, invite_code, send_message
from tests.support.login import csrf_token, quick_client
from tests.support.uploads import file_part, raw_multipart

HUGE = "1" + "0" * 20  # past every integer column of either database
DEEP = 2000  # levels of JSON nesting: past Python's recursion limit


@pytest.fixture
def world(app, alice_and_friends, direct, group):
    """alice (logged in as `browser`), her direct conversation with bob holding one message
    of his, and her group with an invite link."""
    alice, bob, *_ = alice_and_friends
    return SimpleNamespace(app=app, direct=direct, group=group, browser=quick_client(app, "alice"),
                           message=send_message(app, bob, direct, "hello"), code=invite_code(app, alice, group))


# Ways to send: the JSON API, raw bodies, pages and forms, as a logged-in browser.

def api(w, method: str, path: str, **kwargs):
    client, headers = w.browser
    return client.open(API + path, method=method, headers=headers, **kwargs)


def raw_json(w, path: str, body: bytes | str, method: str = "POST"):
    return api(w, method, path, data=body, content_type="application/json")


def get_page(w, path: str, **environ):
    client, _headers = w.browser
    return client.get(path, environ_overrides=environ)


def post_form(w, path: str, body: bytes):
    """POST a urlencoded body exactly as given (the CSRF token goes in its header)."""
    client, headers = w.browser
    return client.post(path, data=body, content_type="application/x-www-form-urlencoded", headers=headers)


def log_in_as(w, login: str):
    client = w.app.test_client()
    return client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": csrf_token(client)})


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


# (id, request, status, words the message must contain, field the API names or None)
CASES = [
    # JSON bodies
    ("json-nested-2000-levels", lambda w: raw_json(w, "/favorites", nested(DEEP)), 400, "nested", None),
    ("json-field-nested-2000-levels",
     lambda w: raw_json(w, "/favorites", '{"message_id": %s}' % nested(DEEP)), 400, "nested", None),
    ("json-nested-40-levels", lambda w: raw_json(w, "/groups", '{"name": "Hi", "member_ids": %s}' % nested(40)),
     400, "nested", None),
    ("json-lone-surrogate-in-message",
     lambda w: raw_json(w, f"/conversations/{w.direct}/messages", '{"body": "hi \\ud800"}'), 422, "surrogate", "body"),
    ("json-lone-low-surrogate-in-group-name",
     lambda w: raw_json(w, "/groups", '{"name": "\\udc00 club"}'), 422, "surrogate", "name"),
    ("json-not-utf8", lambda w: raw_json(w, f"/conversations/{w.direct}/messages", b'{"body": "caf\xe9"}'),
     400, "UTF-8", None),
    ("json-nan", lambda w: raw_json(w, "/favorites", '{"message_id": NaN}'), 400, "not valid JSON", None),
    ("json-nul-in-group-name", lambda w: api(w, "POST", "/groups", json={"name": "Hi\x00kers"}), 422, "NUL", "name"),
    ("json-message-id-with-a-fraction",
     lambda w: api(w, "POST", "/favorites", json={"message_id": w.message + 0.5}), 422, "whole number", "message_id"),
    ("json-message-id-1.0", lambda w: api(w, "POST", "/favorites", json={"message_id": float(w.message)}),
     422, "whole number", "message_id"),
    ("json-member-id-with-a-fraction",
     lambda w: api(w, "POST", "/groups", json={"name": "Hi", "member_ids": [1.5]}), 422, "whole number", "member_ids"),
    ("json-message-id-as-text", lambda w: api(w, "POST", "/favorites", json={"message_id": str(w.message)}),
     422, "whole number", "message_id"),
    ("json-read-position-with-a-fraction",
     lambda w: api(w, "POST", f"/conversations/{w.direct}/read", json={"message_id": w.message + 0.5}),
     422, "whole number", "message_id"),
    ("json-invite-switch-as-text", lambda w: api(w, "PUT", f"/groups/{w.group}/invite", json={"enabled": "no"}),
     422, "true or false", "enabled"),
    # API query strings and multipart parts
    ("api-query-page-in-other-digits", lambda w: api(w, "GET", "/favorites?page=%EF%BC%92"),
     422, "whole number", "page"),
    ("api-query-limit-with-a-space", lambda w: api(w, "GET", f"/conversations/{w.direct}/messages?limit=+5"),
     422, "whole number", "limit"),
    ("api-query-not-utf8", lambda w: api(w, "GET", "/users?q=bo%FF"), 422, "UTF-8", "q"),
    ("api-query-nul", lambda w: api(w, "GET", "/favorites?q=a%00"), 422, "NUL", "q"),
    ("caption-not-utf8", lambda w: raw_multipart(w.browser, w.direct, [
        (file_part("notes.txt"), b"notes"), (b'form-data; name="caption"', b"caf\xe9")]), 422, "UTF-8", "caption"),
    ("file-name-not-utf8", lambda w: raw_multipart(w.browser, w.direct, [
        (b"form-data; name=\"file\"; filename*=UTF-8''caf%E9.txt", b"notes")]), 422, "UTF-8", "file"),
    ("file-name-raw-bytes", lambda w: raw_multipart(w.browser, w.direct, [
        (b'form-data; name="file"; filename="caf\xe9.txt"', b"notes")]), 400, "UTF-8", None),
    # Pages: numbers in the address
    ("favorites-huge-page", lambda w: get_page(w, f"/favorites?page={HUGE}"), 400, "page", None),
    ("favorites-page-in-words", lambda w: get_page(w, "/favorites?page=two"), 400, "page", None),
    ("favorites-page-zero", lambda w: get_page(w, "/favorites?page=0"), 400, "page", None),
    ("notifications-huge-received-page", lambda w: get_page(w, f"/notifications?received_page={HUGE}"),
     400, "received_page", None),
    ("notifications-huge-sent-page", lambda w: get_page(w, f"/notifications?sent_page={HUGE}"),
     400, "sent_page", None),
    ("chat-huge-message", lambda w: get_page(w, f"/chat/{w.direct}?message={HUGE}"), 400, "message", None),
    ("chat-message-in-words", lambda w: get_page(w, f"/chat/{w.direct}?message=latest"), 400, "message", None),
    # Pages: text in the address
    ("friends-search-nul", lambda w: get_page(w, "/friends?q=bo%00b"), 400, "NUL", None),
    ("favorites-search-nul", lambda w: get_page(w, "/favorites?q=%00"), 400, "NUL", None),
    ("friends-search-not-utf8", lambda w: get_page(w, "/friends?q=bo%FF"), 400, "UTF-8", None),
    ("friends-search-raw-bytes", lambda w: get_page(w, "/friends", QUERY_STRING="q=bo\xff"), 400, "UTF-8", None),
    ("join-code-nul", lambda w: get_page(w, "/groups/join/%00"), 400, "NUL", None),
    ("attachment-id-nul", lambda w: get_page(w, "/attachments/a%00b"), 400, "NUL", None),
    ("join-code-not-utf8", lambda w: get_page(w, "/groups/join", PATH_INFO="/groups/join/\xff"), 400, "UTF-8", None),
    ("join-with-a-nul-code",
     lambda w: post_form(w, f"/groups/join/{w.code}%00", b""), 400, "NUL", None),
    # Forms
    ("login-username-nul", lambda w: log_in_as(w, "alice\x00"), 400, "NUL", None),
    ("token-name-nul", lambda w: post_form(w, "/profile/tokens", b"token-name=bot%00"), 400, "NUL", None),
    ("nickname-not-utf8", lambda w: post_form(w, "/profile/nickname", b"nickname-nickname=caf%E9"), 400, "UTF-8", None),
    ("nickname-raw-bytes", lambda w: post_form(w, "/profile/nickname", b"nickname-nickname=caf\xe9"),
     400, "UTF-8", None),
]


VOLATILE = {"last_seen_at", "expires_at", "last_used_at"}  # touched by any logged-in request


def stored(app) -> dict[str, list[str]]:
    """Every row of every table (but the columns a mere visit touches), to compare."""
    with app.app_context():
        rows = {table.name: sorted(map(repr, db.session.execute(
            select(*[c for c in table.columns if c.name not in VOLATILE])).all()))
            for table in db.metadata.sorted_tables}
        db.session.remove()
    return rows


def message_of(response) -> str:
    """The answer's message: the JSON body's, or the error page's text."""
    if response.mimetype == "application/json":
        body = response.get_json()
        assert body["code"] == response.status_code
        return body["message"]
    assert response.mimetype == "text/html"
    match = re.search(r'<section class="card error-page">.*?<h1>.*?</h1>\s*<p>(.*?)</p>',
                      response.get_data(as_text=True), re.S)
    assert match, "not the error page"
    return html.unescape(match.group(1))


def reasons(errors) -> list[str]:
    """The messages of a field's errors: a list, or by item index for a list field."""
    if isinstance(errors, dict):
        return [reason for value in errors.values() for reason in reasons(value)]
    assert errors and all(isinstance(e, str) and e for e in errors)
    return errors


@pytest.mark.parametrize("send, status, words, field", [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_input_is_refused_with_a_message_and_nothing_stored(world, send, status, words, field):
    before = stored(world.app)
    response = send(world)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    message = message_of(response)
    if field is not None:  # the API names the field, the reason beside it
        message = " ".join(reasons(response.get_json()["errors"][field]))
    assert words.lower() in message.lower(), message[:2000]
    assert stored(world.app) == before


def test_a_line_break_in_next_is_not_followed_and_not_a_500(world):
    client = world.app.test_client()
    response = client.post("/login?next=/chat%0d%0aSet-Cookie:%20x=1",
                           data={"login": "alice", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "Set-Cookie" not in response.headers["Location"]
    assert "x=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("digits", ["\u0661", "\uff11", "1\u0660"])  # Arabic-Indic and fullwidth digits
def test_ids_in_paths_are_ascii_digits_only(world, digits):
    assert get_page(world, f"/chat/{digits}").status_code == 404
    client, headers = world.browser
    assert client.get(f"{API}/conversations/{digits}/messages", headers=headers).status_code == 404


def test_a_nul_in_the_browsers_user_agent_still_logs_in(world):
    # gunicorn refuses such a header; behind another server it reaches the session row.
    client = world.app.test_client()
    response = client.post("/login", data={"login": "alice", "password": PASSWORD, "csrf_token": csrf_token(client)},
                           headers={"User-Agent": "Mozilla/5.0\x00evil"})
    assert response.status_code == 302
    assert client.get("/profile").status_code == 200  # logged in: the page, not the login form
