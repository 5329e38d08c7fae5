"""@mentions: whom a message may mention (current members other than the sender; @all for a
group's owner), what is stored and carried (ids checked, the HTML highlighted and escaped, the
event), the "[@you]" mark until read past, the Mentions list and page, and the composer's data."""
import html
import json
import re
import threading

from sqlalchemy import event as sa_event, select, update

from blueprints.chat.schemas import MessageSchema
from extensions import db
from models import Mention, User
from tests.support.api import API, assert_error, recall, send_text
from tests.support.events import cursor, events_of
from tests.support.factories import quit_group
from tests.support.uploads import upload


def send(browser, conversation_id: int, body: str, **extra):
    client, headers = browser
    return client.post(f"{API}/conversations/{conversation_id}/messages", json={"body": body, **extra},
                       headers=headers)


def mentioned(browser, conversation_id: int, body: str, **extra) -> dict:
    """Send with mentions and return the stored message (the send must succeed)."""
    response = send(browser, conversation_id, body, **extra)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def mention_rows(app, message_id: int) -> set[tuple[int, bool]]:
    """(user id, named) of the Mention rows of a message."""
    with app.app_context():
        rows = {(m.user_id, m.named)
                for m in db.session.scalars(select(Mention).where(Mention.message_id == message_id))}
        db.session.remove()
        return rows


def conversations(browser) -> tuple[dict, int]:
    """GET /api/v1/conversations: the rows by id, and total_mentioned."""
    client, _headers = browser
    body = client.get(f"{API}/conversations").get_json()
    return {c["id"]: c for c in body["items"]}, body["total_mentioned"]


def mentions_list(browser, **params) -> dict:
    client, _headers = browser
    response = client.get(f"{API}/mentions", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def mark_read(browser, conversation_id: int, message_id: int) -> None:
    client, headers = browser
    response = client.post(f"{API}/conversations/{conversation_id}/read", json={"message_id": message_id},
                           headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)


def rename(app, user_id: int, nickname: str) -> None:
    with app.app_context():
        db.session.execute(update(User).where(User.id == user_id).values(nickname=nickname))
        db.session.commit()


def test_a_mention_stores_the_ids_checked(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    message = mentioned(as_("alice"), group, "@Bob @Carol lunch?", mentions=[bob, carol])
    assert MessageSchema().validate(message) == {}
    assert message["mentions"] == [{"id": bob, "nickname": "Bob"}, {"id": carol, "nickname": "Carol"}]
    assert message["mention_all"] is False
    assert mention_rows(app, message["id"]) == {(bob, True), (carol, True)}


def test_a_made_up_or_non_member_id_is_dropped(app, alice_and_friends, group, as_):
    alice, bob, _carol, dave = alice_and_friends
    message = mentioned(as_("alice"), group, "@Bob hi", mentions=[bob, dave, 987654, alice, bob])
    assert [person["id"] for person in message["mentions"]] == [bob]  # not dave, not made up, not herself
    assert mention_rows(app, message["id"]) == {(bob, True)}


def test_a_message_without_mentions_mentions_nobody(app, group, as_):
    message = send_text(as_("alice"), group, "plain @Bob")
    assert message["mentions"] == [] and message["mention_all"] is False
    assert 'class="mention' not in message["html"]
    assert mention_rows(app, message["id"]) == set()


def test_the_owner_mentions_everyone_with_all(app, alice_and_friends, group, as_):
    alice, bob, carol, _dave = alice_and_friends
    message = mentioned(as_("alice"), group, "@all meeting at 5, @Bob brings the map",
                        mentions=[bob], mention_all=True)
    assert message["mention_all"] is True
    assert message["mentions"] == [{"id": bob, "nickname": "Bob"}]  # the people named, not the whole group
    assert mention_rows(app, message["id"]) == {(bob, True), (carol, False)}
    assert '<span class="mention mention-all">@all</span>' in message["html"]


def test_all_from_a_member_who_is_not_the_owner_is_refused(app, alice_and_friends, group, as_):
    body = assert_error(send(as_("bob"), group, "@all hello", mention_all=True), 403, "mention_all")
    assert "owner" in body["message"]
    client, _headers = as_("alice")
    history = client.get(f"{API}/conversations/{group}/messages").get_json()["items"]
    assert all(m["body"] != "@all hello" for m in history)  # nothing stored


def test_all_from_someone_outside_the_group_is_not_found(app, group, as_):
    assert_error(send(as_("dave"), group, "@all hello", mention_all=True), 404)


def test_all_in_a_direct_conversation_is_ignored_and_the_peer_can_be_named(app, alice_and_friends, direct, as_):
    _alice, bob, *_ = alice_and_friends
    message = mentioned(as_("alice"), direct, "@Bob look", mentions=[bob], mention_all=True)
    assert message["mention_all"] is False
    assert message["mentions"] == [{"id": bob, "nickname": "Bob"}]
    assert mention_rows(app, message["id"]) == {(bob, True)}


def test_more_than_fifty_ids_are_refused(app, group, as_):
    assert_error(send(as_("alice"), group, "many", mentions=list(range(1, 52))), 422)


def test_the_html_highlights_mentions_and_escapes_everything_else(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    rename(app, bob, '<img src=x onerror="alert(1)">&')
    body = 'hi @<img src=x onerror="alert(1)">& and <i>you</i> @Carol, mail bob@Carol.org :+1: https://x.org/@Carol'
    message = mentioned(as_("alice"), group, body, mentions=[bob])
    assert message["mentions"] == [{"id": bob, "nickname": '<img src=x onerror="alert(1)">&'}]
    assert (f'<span class="mention" data-user-id="{bob}">@&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;</span>'
            in message["html"])
    assert "<img" not in message["html"] and "<i>" not in message["html"]
    assert "@Carol," in message["html"]  # carol is not mentioned: plain text
    assert "👍" in message["html"] and 'href="https://x.org/@Carol"' in message["html"]
    message = mentioned(as_("alice"), group, "mail bob@Carol.org, @Carol and @Carolyn", mentions=[carol])
    assert message["html"].count('class="mention"') == 1  # neither the address nor a longer name
    assert f'<span class="mention" data-user-id="{carol}">@Carol</span> and @Carolyn' in message["html"]


def test_history_and_the_chat_page_carry_the_mentions(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    sent = mentioned(as_("alice"), group, "@Bob hi", mentions=[bob])
    client, _headers = as_("carol")
    items = client.get(f"{API}/conversations/{group}/messages").get_json()["items"]
    stored = next(m for m in items if m["id"] == sent["id"])
    assert stored["mentions"] == sent["mentions"] and stored["html"] == sent["html"]
    page = client.get(f"/chat/{group}").get_data(as_text=True)
    found = re.search(r'id="initial-messages" data-json="([^"]*)"', page)
    shown = {m["id"]: m for m in json.loads(html.unescape(found.group(1)))}
    assert shown[sent["id"]]["mentions"] == [{"id": bob, "nickname": "Bob"}]


def test_the_event_carries_the_mentions(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    start = cursor(app)
    message = mentioned(as_("alice"), group, "@Bob here", mentions=[bob])
    for person in (bob, carol):  # every member sees who was mentioned
        (_type, data), = events_of(app, person, start, "message.created")
        assert data["message"]["mentions"] == [{"id": bob, "nickname": "Bob"}]
        assert data["message"]["id"] == message["id"]


def test_the_mention_mark_shows_until_read_past(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    before = send_text(as_("alice"), group, "first")
    message = mentioned(as_("alice"), group, "@Bob are you there?", mentions=[bob])
    after = send_text(as_("alice"), group, "and later")
    rows, total = conversations(as_("bob"))
    assert rows[group]["mentioned"] is True and rows[group]["mentioned_message_id"] == message["id"]
    assert total == 1
    rows, total = conversations(as_("carol"))
    assert rows[group]["mentioned"] is False and total == 0
    mark_read(as_("bob"), group, before["id"])  # not yet past it
    assert conversations(as_("bob"))[0][group]["mentioned"] is True
    mark_read(as_("bob"), group, after["id"])
    rows, total = conversations(as_("bob"))
    assert rows[group]["mentioned"] is False and rows[group]["mentioned_message_id"] is None and total == 0


def test_a_recalled_mention_marks_nothing_and_leaves_the_list(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    message = mentioned(as_("alice"), group, "@Bob oops", mentions=[bob])
    assert recall(as_("alice"), message["id"]).status_code == 200
    assert conversations(as_("bob"))[0][group]["mentioned"] is False
    assert mentions_list(as_("bob"))["items"] == []
    client, _headers = as_("bob")
    recalled = client.get(f"{API}/conversations/{group}/messages").get_json()["items"][0]
    assert recalled["recalled"] and recalled["mentions"] == [] and recalled["mention_all"] is False


def test_the_mentions_list_is_newest_first_by_cursor(app, alice_and_friends, group, direct, as_):
    _alice, bob, *_ = alice_and_friends
    first = mentioned(as_("alice"), group, "@Bob one", mentions=[bob])
    send_text(as_("alice"), group, "not a mention")
    second = mentioned(as_("alice"), direct, "@Bob two", mentions=[bob])
    third = mentioned(as_("alice"), group, "@all three", mention_all=True)
    page = mentions_list(as_("bob"), limit=2)
    assert [item["message"]["id"] for item in page["items"]] == [third["id"], second["id"]]
    assert page["next_before"] == second["id"]
    assert page["items"][0]["conversation"] == {"id": group, "kind": "group", "name": "Hikers"}
    assert page["items"][1]["conversation"]["name"] == "Alice"
    assert page["items"][0]["url"] == f"/chat/{group}?message={third['id']}"
    rest = mentions_list(as_("bob"), limit=2, before=page["next_before"])
    assert [item["message"]["id"] for item in rest["items"]] == [first["id"]] and rest["next_before"] is None
    assert [item["message"]["id"] for item in mentions_list(as_("carol"))["items"]] == [third["id"]]
    assert mentions_list(as_("alice"))["items"] == []  # nobody mentioned her


def test_a_group_left_is_gone_from_the_mentions_list(app, alice_and_friends, group, direct, as_):
    _alice, bob, *_ = alice_and_friends
    mentioned(as_("alice"), group, "@Bob in the group", mentions=[bob])
    kept = mentioned(as_("alice"), direct, "@Bob in private", mentions=[bob])
    quit_group(app, bob, group)
    assert [item["message"]["id"] for item in mentions_list(as_("bob"))["items"]] == [kept["id"]]


def test_the_mentions_page_lists_them_and_opens_their_place(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    message = mentioned(as_("alice"), group, "@Bob see <this>", mentions=[bob])
    client, _headers = as_("bob")
    page = client.get("/mentions").get_data(as_text=True)
    assert f'href="/chat/{group}?message={message["id"]}"' in page
    assert f'<span class="mention" data-user-id="{bob}">@Bob</span> see &lt;this&gt;' in page
    chat = client.get("/chat").get_data(as_text=True)
    assert 'data-total-mentioned' in chat and ">@1</span>" in chat  # the navigation counts it
    assert re.search(r'data-testid="mention-mark"\s*>', chat)  # the row's "[@you]", shown
    assert client.get("/mentions?before=x").status_code == 400


def test_a_caption_can_mention(app, alice_and_friends, group, as_):
    _alice, bob, carol, _dave = alice_and_friends
    response = upload(as_("alice"), group, b"some notes", caption="@Bob @Carol notes", mentions=f"{bob},{carol}")
    assert response.status_code == 201, response.get_data(as_text=True)
    message = response.get_json()
    assert [person["id"] for person in message["mentions"]] == [bob, carol]
    assert mention_rows(app, message["id"]) == {(bob, True), (carol, True)}
    assert_error(upload(as_("bob"), group, b"more notes", caption="@all", mention_all="true"), 403, "mention_all")


def test_the_composer_gets_members_with_usernames_and_pinyin_initials(app, alice_and_friends, group, direct, as_):
    _alice, bob, carol, _dave = alice_and_friends
    rename(app, carol, "张三")

    def composer_data(browser, conversation_id):
        client, _headers = browser
        page = client.get(f"/chat/{conversation_id}").get_data(as_text=True)
        people = json.loads(html.unescape(re.search(r'data-mentionable="([^"]*)"', page).group(1)))
        return people, re.search(r'data-mention-all="([^"]*)"', page).group(1)

    people, mention_all = composer_data(as_("alice"), group)
    assert {p["id"]: (p["username"], p["initials"]) for p in people} == {bob: ("bob", "bob"), carol: ("carol", "zs")}
    assert mention_all == "true"  # the owner may @all
    people, mention_all = composer_data(as_("bob"), group)
    assert bob not in {p["id"] for p in people} and mention_all == ""
    people, _ = composer_data(as_("alice"), direct)
    assert [p["id"] for p in people] == [bob]


def test_a_send_without_mentions_runs_no_extra_statement(app, alice_and_friends, group, as_):
    _alice, bob, *_ = alice_and_friends
    send_text(as_("alice"), group, "warm up")
    with app.app_context():
        engine = db.engine
    statements: list[str] = []
    sending = threading.get_ident()

    def note(_conn, _cursor, statement, _params, _context, _many):
        # The send's own statements: not the push sender's, which reads in its own thread.
        if threading.get_ident() == sending:
            statements.append(" ".join(statement.split()))

    sa_event.listen(engine, "before_cursor_execute", note)
    try:
        send_text(as_("alice"), group, "plain")
        plain = list(statements)
        statements.clear()
        mentioned(as_("alice"), group, "@Bob hi", mentions=[bob])
        with_mentions = list(statements)
    finally:
        sa_event.remove(engine, "before_cursor_execute", note)
    table = re.compile(r"\bmention\b", re.IGNORECASE)
    assert not [s for s in plain if table.search(s)]
    assert len([s for s in with_mentions if s.upper().startswith("INSERT INTO MENTION")]) == 1
    assert len(with_mentions) == len(plain) + 2  # the members' check and the one INSERT
