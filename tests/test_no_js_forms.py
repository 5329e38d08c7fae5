"""The pages' forms for browsers without JavaScript: each posts, then redirects back
(post/redirect/get); a refusal says why and keeps what was typed; each needs its CSRF token."""
import html
import io

import pytest
from sqlalchemy import func, select

from extensions import db
from models import Conversation, Favorite, Message
from tests.support.factories import make_user, send_message, send_request


@pytest.fixture
def alice(as_):
    """alice's browser: (client, its CSRF token for forms)."""
    client, headers = as_("alice")
    return client, headers["X-CSRFToken"]


def post(browser, path, data=None, **kwargs):
    client, token = browser
    return client.post(path, data={"csrf_token": token, **(data or {})}, **kwargs)


def page(browser, path) -> str:
    return html.unescape(browser[0].get(path).get_data(as_text=True))


def members_of(group_page: str) -> str:
    """The member list of a group's page."""
    return group_page.split('id="member-list"')[1].split("</ul>")[0]


def texts(app, conversation_id) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Message.body).where(Message.conversation_id == conversation_id)
                                       .order_by(Message.id)))


# The chat composer


def test_message_sent_without_javascript_shows_after_the_redirect(app, alice, direct, as_):
    response = post(alice, f"/chat/{direct}", {"body": "Lunch at noon?"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/chat/{direct}")
    assert "Lunch at noon?" in page(alice, f"/chat/{direct}")
    # The same send as the API's: bob's history has it, and so does his event stream's record.
    bob, _headers = as_("bob")
    items = bob.get(f"/api/v1/conversations/{direct}/messages").get_json()["items"]
    assert [item["body"] for item in items] == ["Lunch at noon?"]


def test_the_same_form_sent_twice_stores_one_message(app, alice, direct):
    form = {"body": "Only once", "client_id": "0b7c9a3e-3f1d-4c2a-9a51-8d7e6f5a4b3c"}
    assert post(alice, f"/chat/{direct}", form).status_code == 303
    assert post(alice, f"/chat/{direct}", form).status_code == 303
    assert texts(app, direct) == ["Only once"]


def test_empty_message_is_refused_with_the_reason(app, alice, direct):
    response = post(alice, f"/chat/{direct}", {"body": "   "})
    assert response.status_code == 400
    assert "Type a message first." in response.get_data(as_text=True)
    assert texts(app, direct) == []


def test_too_long_message_is_refused_and_the_text_kept(app, alice, direct):
    body = "long words " * 500
    response = post(alice, f"/chat/{direct}", {"body": body})
    assert response.status_code == 400
    shown = html.unescape(response.get_data(as_text=True))
    assert "A message can be at most 5000 characters." in shown
    assert body in shown  # back in the composer, to shorten and send
    assert texts(app, direct) == []


def test_message_with_a_nul_character_is_refused_and_the_text_kept(app, alice, direct):
    response = post(alice, f"/chat/{direct}", {"body": "half\x00way"})
    assert response.status_code == 400
    shown = html.unescape(response.get_data(as_text=True))
    assert "Text cannot contain the NUL character" in shown
    assert "halfway" in shown  # what was typed, without the character no one can store
    assert texts(app, direct) == []


def test_send_to_a_former_friend_is_refused_and_the_text_kept(app, alice, direct, alice_and_friends):
    alice_id, bob_id, *_ = alice_and_friends
    post(alice, f"/friends/{bob_id}/delete")
    response = post(alice, f"/chat/{direct}", {"body": "Are you still there?"})
    assert response.status_code == 403
    shown = html.unescape(response.get_data(as_text=True))
    assert "Are you still there?" in shown
    assert texts(app, direct) == []


def test_send_to_a_conversation_you_are_not_in_is_not_found(app, direct, as_):
    client, headers = as_("dave")
    response = client.post(f"/chat/{direct}", data={"csrf_token": headers["X-CSRFToken"], "body": "hi"})
    assert response.status_code == 404
    assert texts(app, direct) == []


def test_sending_too_fast_is_refused_and_the_text_kept(app, alice, direct):
    app.config["MESSAGE_RATE_LIMIT"] = "1 per minute"
    assert post(alice, f"/chat/{direct}", {"body": "first"}).status_code == 303
    response = post(alice, f"/chat/{direct}", {"body": "second, too soon"})
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    shown = html.unescape(response.get_data(as_text=True))
    assert "You are sending messages too fast." in shown
    assert "second, too soon" in shown
    assert texts(app, direct) == ["first"]


def test_composer_form_needs_its_csrf_token(app, alice, direct):
    response = alice[0].post(f"/chat/{direct}", data={"body": "forged"})
    assert response.status_code == 400
    assert texts(app, direct) == []


def test_files_sent_without_javascript_show_after_the_redirect(app, alice, direct):
    files = [(io.BytesIO(b"first notes"), "a.txt"), (io.BytesIO(b"second notes"), "b.txt")]
    response = post(alice, f"/attachments/conversations/{direct}", {"files": files},
                    content_type="multipart/form-data")
    assert response.status_code == 303
    shown = page(alice, f"/chat/{direct}").split('data-testid="nojs-messages"')[1]
    assert shown.index("a.txt") < shown.index("b.txt")  # in the order chosen


def test_no_file_chosen_says_so(app, alice, direct):
    response = post(alice, f"/attachments/conversations/{direct}", {}, content_type="multipart/form-data",
                    follow_redirects=True)
    assert "Choose a file first." in response.get_data(as_text=True)


def test_chat_page_says_live_updates_need_javascript(app, alice, direct):
    shown = page(alice, f"/chat/{direct}")
    assert "<noscript>" in shown
    assert "Live updates need JavaScript: reload the page to see new messages." in shown


# Favorites from the chat


def test_message_favorited_and_unfavorited_without_javascript(app, alice, direct, alice_and_friends):
    message_id = send_message(app, alice_and_friends[1], direct, "Worth keeping")
    back = f"/chat/{direct}"
    response = post(alice, f"/favorites/messages/{message_id}/add", {"next": back})
    assert response.status_code == 303 and response.headers["Location"].endswith(back)
    assert "Worth keeping" in page(alice, "/favorites")
    assert "Remove from favorites" in page(alice, back)
    assert post(alice, f"/favorites/messages/{message_id}/remove", {"next": back}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Favorite)) == 0


def test_favorite_form_needs_its_csrf_token(app, alice, direct, alice_and_friends):
    message_id = send_message(app, alice_and_friends[1], direct, "Worth keeping")
    assert alice[0].post(f"/favorites/messages/{message_id}/add").status_code == 400


# Friends and friend requests


def test_friend_request_with_a_reason_sent_without_javascript(app, alice, as_):
    make_user(app, "erin")
    response = post(alice, "/friends/requests", {"username": "erin", "reason": "We met at the meetup"})
    assert response.status_code == 303
    assert "Friend request sent." in page(alice, "/friends")
    erin, _headers = as_("erin")
    assert "We met at the meetup" in html.unescape(erin.get("/notifications").get_data(as_text=True))


def test_friend_request_to_nobody_keeps_the_reason(app, alice):
    response = post(alice, "/friends/requests", {"username": "nobody_here", "reason": "Hello from the meetup"})
    assert response.status_code == 404
    shown = html.unescape(response.get_data(as_text=True))
    assert "No one has this username." in shown
    assert "Hello from the meetup" in shown and 'value="nobody_here"' in shown


def test_friend_request_form_needs_its_csrf_token(app, alice):
    make_user(app, "erin")
    assert alice[0].post("/friends/requests", data={"username": "erin"}).status_code == 400
    assert "@erin" not in page(alice, "/notifications")


def test_friend_request_accepted_without_javascript(app, alice, as_):
    erin_id = make_user(app, "erin")
    request_id = send_request(app, erin_id, 1, "hi")
    response = post(alice, f"/notifications/{request_id}/accept")
    assert response.status_code == 303
    assert "You are now friends." in page(alice, "/notifications")
    assert "@erin" in page(alice, "/friends")


def test_friend_request_rejected_without_javascript(app, alice):
    erin_id = make_user(app, "erin")
    request_id = send_request(app, erin_id, 1, "hi")
    assert post(alice, f"/notifications/{request_id}/reject").status_code == 303
    assert "Request rejected." in page(alice, "/notifications")
    assert "@erin" not in page(alice, "/friends")


def test_answering_needs_its_csrf_token(app, alice):
    request_id = send_request(app, make_user(app, "erin"), 1, "hi")
    assert alice[0].post(f"/notifications/{request_id}/accept").status_code == 400


def test_friend_deleted_without_javascript(app, alice, alice_and_friends):
    response = post(alice, f"/friends/{alice_and_friends[1]}/delete")
    assert response.status_code == 303
    assert "@bob" not in page(alice, "/friends")


# Groups


def test_group_created_without_javascript_opens_its_page(app, alice, alice_and_friends):
    bob_id = alice_and_friends[1]
    response = post(alice, "/groups", {"name": "Book club", "members": [str(bob_id)]})
    assert response.status_code == 303
    shown = page(alice, response.headers["Location"])
    assert "Book club" in shown and "@bob" in shown


def test_group_name_refused_keeps_what_was_typed(app, alice, alice_and_friends):
    name = "A name far too long for any group to carry around " * 2
    response = post(alice, "/groups", {"name": name, "members": [str(alice_and_friends[1])]})
    assert response.status_code == 400
    shown = html.unescape(response.get_data(as_text=True))
    assert name.strip() in shown
    assert f'value="{alice_and_friends[1]}" checked' in shown
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Conversation).where(Conversation.kind == "group")) == 0


def test_create_group_form_needs_its_csrf_token(app, alice):
    assert alice[0].post("/groups", data={"name": "Book club"}).status_code == 400


def test_group_quit_and_members_added_and_removed_without_javascript(app, alice, group, alice_and_friends, as_):
    _alice, bob_id, carol_id, dave_id = alice_and_friends
    assert post(alice, f"/groups/{group}/members", {"members": [str(dave_id)]}).status_code == 303
    assert "@dave" in members_of(page(alice, f"/groups/{group}"))
    assert post(alice, f"/groups/{group}/members/{carol_id}/remove").status_code == 303
    assert "@carol" not in members_of(page(alice, f"/groups/{group}"))
    bob, headers = as_("bob")
    response = bob.post(f"/groups/{group}/quit", data={"csrf_token": headers["X-CSRFToken"]})
    assert response.status_code == 303
    assert "You left Hikers." in html.unescape(bob.get("/groups").get_data(as_text=True))


def test_nul_refusal_without_the_csrf_token_shows_no_text(app, alice, direct):
    response = alice[0].post(f"/chat/{direct}", data={"body": "forged\x00text"})
    assert response.status_code == 400
    assert "forgedtext" not in response.get_data(as_text=True)


# Refusals that must stay 4xx, and say nothing on the next page


def test_nul_message_to_a_conversation_you_are_not_in_is_not_found(app, direct, as_):
    client, headers = as_("dave")
    for conversation_id in (direct, 999999):
        response = client.post(f"/chat/{conversation_id}", data={"csrf_token": headers["X-CSRFToken"], "body": "a\x00b"})
        assert response.status_code == 404
    assert "NUL" not in client.get("/chat").get_data(as_text=True)  # no stale refusal on the next page
    assert texts(app, direct) == []


def test_sending_too_fast_to_a_conversation_you_are_not_in_is_not_found(app, direct, as_):
    app.config["MESSAGE_RATE_LIMIT"] = "1 per minute"
    client, headers = as_("dave")
    for _try in range(2):
        response = client.post(f"/chat/{direct}", data={"csrf_token": headers["X-CSRFToken"], "body": "hi"})
        assert response.status_code == 404
    shown = client.get("/chat").get_data(as_text=True)
    assert "too fast" not in shown and "you are not in it" not in shown


def test_files_to_a_conversation_you_are_not_in_are_not_found(app, direct, as_):
    client, headers = as_("dave")
    response = client.post(f"/attachments/conversations/{direct}", content_type="multipart/form-data",
                           data={"csrf_token": headers["X-CSRFToken"], "files": [(io.BytesIO(b"notes"), "a.txt")]})
    assert response.status_code == 404
    assert "a.txt" not in client.get("/chat").get_data(as_text=True)
    assert texts(app, direct) == []


# A page restored by Back (the browser's page cache) with its old client id


def test_chat_page_is_not_kept_by_the_browser(app, alice, direct):
    assert "no-store" in alice[0].get(f"/chat/{direct}").headers["Cache-Control"]


def test_new_text_sent_from_an_old_page_is_not_lost(app, alice, direct):
    client_id = "0b7c9a3e-3f1d-4c2a-9a51-8d7e6f5a4b3c"
    assert post(alice, f"/chat/{direct}", {"body": "first", "client_id": client_id}).status_code == 303
    response = post(alice, f"/chat/{direct}", {"body": "something else", "client_id": client_id})
    assert response.status_code == 409
    shown = html.unescape(response.get_data(as_text=True))
    assert "This page was out of date, so your message was not sent" in shown
    assert "something else" in shown.split('name="body"')[1]  # back in the composer
    fresh = shown.split('id="client_id" name="client_id"')[1].split('value="')[1].split('"')[0]
    assert fresh != client_id  # a fresh client id: sending again stores it
    assert post(alice, f"/chat/{direct}", {"body": "something else", "client_id": fresh}).status_code == 303
    assert texts(app, direct) == ["first", "something else"]


# The file form: its sending rate, its size, and sent twice


def files(*names):
    return [(io.BytesIO(f"notes of {name}".encode()), name) for name in names]


def test_files_count_against_the_sending_rate_one_each(app, alice, direct):
    app.config["MESSAGE_RATE_LIMIT"] = "3 per minute"
    assert post(alice, f"/attachments/conversations/{direct}", {"files": files("a.txt", "b.txt")},
                content_type="multipart/form-data").status_code == 303
    response = post(alice, f"/attachments/conversations/{direct}", {"files": files("c.txt", "d.txt")},
                    content_type="multipart/form-data")
    assert response.status_code == 429
    assert "You are sending messages too fast." in response.get_data(as_text=True)
    assert len(texts(app, direct)) == 2


def test_too_many_files_at_once_are_refused_with_the_limit(app, alice, direct):
    response = post(alice, f"/attachments/conversations/{direct}",
                    {"files": files(*(f"{n}.txt" for n in range(11)))}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose at most 10 files at a time." in response.get_data(as_text=True)
    assert texts(app, direct) == []


def test_the_same_file_form_sent_twice_stores_each_file_once(app, alice, direct):
    client_id = "5d1f0c8e-7a2b-4e3c-9f10-2b3c4d5e6f70"
    for _try in range(2):
        assert post(alice, f"/attachments/conversations/{direct}", {"files": files("a.txt", "b.txt"),
                    "client_id": client_id}, content_type="multipart/form-data").status_code == 303
    assert len(texts(app, direct)) == 2


def test_chat_page_file_form_carries_a_client_id(app, alice, direct):
    form = page(alice, f"/chat/{direct}").split('class="nojs-files"')[1].split("</form>")[0]
    assert 'name="client_id"' in form


# Typed text kept after a NUL refusal or a rate limit


def test_friend_request_with_a_nul_character_keeps_what_was_typed(app, alice):
    make_user(app, "erin")
    response = post(alice, "/friends/requests", {"username": "erin", "reason": "Met at\x00 the meetup"})
    assert response.status_code == 400
    shown = html.unescape(response.get_data(as_text=True))
    assert "Met at the meetup" in shown and 'value="erin"' in shown


def test_group_name_with_a_nul_character_keeps_what_was_typed(app, alice, alice_and_friends):
    bob_id = alice_and_friends[1]
    response = post(alice, "/groups", {"name": "Book\x00 club", "members": [str(bob_id)]})
    assert response.status_code == 400
    shown = html.unescape(response.get_data(as_text=True))
    assert "Text cannot contain the NUL character" in shown
    assert 'value="Book club"' in shown and f'value="{bob_id}" checked' in shown


def test_group_created_too_often_keeps_what_was_typed(app, alice, alice_and_friends):
    app.config["ACTION_LIMIT"] = "1 per minute"
    assert post(alice, "/groups", {"name": "Book club"}).status_code == 303
    response = post(alice, "/groups", {"name": "Chess club"})
    assert response.status_code == 429 and response.headers["Retry-After"]
    shown = html.unescape(response.get_data(as_text=True))
    assert "You are doing that too often." in shown and 'value="Chess club"' in shown


# Blocked people


def test_messages_from_a_blocked_person_are_folded_without_javascript(app, alice, group, alice_and_friends):
    bob_id = alice_and_friends[1]
    send_message(app, bob_id, group, "Buy my course")
    client, token = alice
    assert client.post("/api/v1/blocks", json={"user_id": bob_id}, headers={"X-CSRFToken": token}).status_code == 201
    listed = page(alice, f"/chat/{group}").split('data-testid="nojs-messages"')[1].split("</ol>")[0]
    folded = listed.split("Message from a blocked person")
    assert len(folded) == 2 and "Buy my course" in folded[1]  # the text only behind the fold
    assert "<details" in folded[0]
