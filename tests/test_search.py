"""Search through /api/v1/search and the /search page, on SQLite and PostgreSQL with the same
cases: Chinese as people type it, English words by prefix, mixed text, captions and file
names; only what the person can see (stays, recalls); snippets escaped and marked; pages by
cursor; the index kept by send, recall and the migration's backfill."""
import pytest
from sqlalchemy import inspect, text

from extensions import db
from search import index as search_index
from tests.support.api import API, assert_error, recall, send_text
from tests.support.factories import add_to_group, quit_group
from tests.support.uploads import image_bytes, uploaded


def search(browser, **params) -> dict:
    client, _headers = browser
    response = client.get(f"{API}/search", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def found(browser, q, **params) -> list[str]:
    """The bodies (or file names) found for `q`, newest first."""
    return [hit["message"]["body"] or hit["message"]["attachment"]["name"]
            for hit in search(browser, q=q, **params)["items"]]


@pytest.fixture
def chatter(as_, direct, group):
    """A few messages in alice's direct conversation with bob and in the group Hikers."""
    alice, bob = as_("alice"), as_("bob")
    for body in ("我们明天开会讨论周报", "Meeting notes: budget", "开会了!Meeting at 3pm 在会议室"):
        send_text(alice, direct, body)
    send_text(bob, group, "周末去爬山吗")
    send_text(bob, group, "the weekly report 周报 is late")
    return alice, bob


def test_a_two_character_chinese_word_finds_the_messages_containing_it(chatter):
    alice, _bob = chatter
    assert found(alice, "开会") == ["开会了!Meeting at 3pm 在会议室", "我们明天开会讨论周报"]
    assert found(alice, "周报") == ["the weekly report 周报 is late", "我们明天开会讨论周报"]
    assert found(alice, "会议室") == ["开会了!Meeting at 3pm 在会议室"]
    assert found(alice, "爬山") == ["周末去爬山吗"]


def test_chinese_runs_of_three_must_occur_whole(as_, direct):
    alice = as_("alice")
    send_text(alice, direct, "周报 和 报表")  # both bigrams of 周报表, but apart
    send_text(alice, direct, "请交周报表")
    assert found(alice, "周报表") == ["请交周报表"]


def test_one_chinese_character_finds_it_anywhere(chatter):
    alice, _bob = chatter
    assert found(alice, "山") == ["周末去爬山吗"]  # the last character of its run
    assert len(found(alice, "会")) == 2


def test_english_words_match_whole_words_by_prefix_case_insensitively(chatter):
    alice, _bob = chatter
    assert found(alice, "meet") == ["开会了!Meeting at 3pm 在会议室", "Meeting notes: budget"]
    assert found(alice, "MEETING") == found(alice, "meet")
    assert found(alice, "eeting") == []  # a word's middle is not a word
    assert found(alice, "budget notes") == ["Meeting notes: budget"]  # every word, any order


def test_mixed_chinese_and_english(chatter):
    alice, _bob = chatter
    assert found(alice, "meeting 开会") == ["开会了!Meeting at 3pm 在会议室"]
    assert found(alice, "report周报") == ["the weekly report 周报 is late"]


def test_captions_and_file_names_are_found(as_, direct):
    alice = as_("alice")
    uploaded(alice, direct, b"quarterly numbers", filename="Q3-Budget_报表.txt")
    uploaded(alice, direct, image_bytes(), filename="beach.png", caption="Sunset at the 海边")
    assert found(alice, "budget") == ["Q3-Budget_报表.txt"]
    assert found(alice, "报表") == ["Q3-Budget_报表.txt"]
    assert found(alice, "海边") == ["Sunset at the 海边"]
    assert found(alice, "sunset", kind="image") == ["Sunset at the 海边"]
    assert found(alice, "sunset", kind="file") == []


def test_people_find_only_conversations_they_are_in(chatter, as_):
    _alice, bob = chatter
    carol, dave = as_("carol"), as_("dave")
    assert found(bob, "开会") == ["开会了!Meeting at 3pm 在会议室", "我们明天开会讨论周报"]  # his direct one
    assert found(carol, "开会") == []  # alice and bob's conversation
    assert found(carol, "周报") == ["the weekly report 周报 is late"]  # the group
    assert found(dave, "周报") == []


def test_a_group_member_finds_nothing_from_before_joining_or_after_leaving(app, as_, alice_and_friends, group):
    alice_id, _bob, _carol, dave_id = alice_and_friends
    alice = as_("alice")
    send_text(alice, group, "before dave joined")
    add_to_group(app, alice_id, group, dave_id)
    send_text(alice, group, "after dave joined")
    dave = as_("dave")
    assert found(dave, "dave") == ["after dave joined"]
    quit_group(app, dave_id, group)
    send_text(alice, group, "dave has left")
    assert found(dave, "dave") == []  # no longer a member: nothing of the group
    client, _headers = dave
    assert_error(client.get(f"{API}/search", query_string={"q": "dave", "conversation_id": group}), 404)


def test_a_recalled_message_is_never_found(as_, direct):
    alice = as_("alice")
    message = send_text(alice, direct, "secret plan 计划")
    assert found(alice, "计划") == ["secret plan 计划"]
    assert recall(alice, message["id"]).status_code == 200
    assert found(alice, "计划") == []
    assert found(alice, "secret") == []


def test_filters_by_conversation_and_sender(chatter, direct, group, alice_and_friends):
    alice, _bob = chatter
    _alice_id, bob_id, *_rest = alice_and_friends
    assert found(alice, "周报", conversation_id=direct) == ["我们明天开会讨论周报"]
    assert found(alice, "周报", conversation_id=group) == ["the weekly report 周报 is late"]
    assert found(alice, "周报", sender_id=bob_id) == ["the weekly report 周报 is late"]


def test_hits_carry_conversation_sender_time_and_the_way_back(chatter, direct):
    alice, _bob = chatter
    hit = search(alice, q="budget")["items"][0]
    assert hit["conversation"] == {"id": direct, "kind": "direct", "name": "Bob"}  # his nickname
    assert hit["message"]["sender"]["username"] == "alice"
    assert hit["message"]["created_at"]
    assert hit["url"] == f"/chat/{direct}?message={hit['message']['id']}"
    client, _headers = alice
    page = client.get(hit["url"])
    assert page.status_code == 200 and "Meeting notes: budget" in page.get_data(as_text=True)


def test_snippets_mark_the_matches_and_escape_the_message(as_, direct):
    alice = as_("alice")
    send_text(alice, direct, "<script>alert(1)</script> meeting & 开会 <b>now</b>")
    snippet = search(alice, q="meet 开会")["items"][0]["snippet"]
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet and "&amp;" in snippet
    assert "<mark>meet</mark>ing" in snippet and "<mark>开会</mark>" in snippet


def test_a_long_message_is_cut_around_its_first_match(as_, direct):
    alice = as_("alice")
    send_text(alice, direct, "x " * 200 + "needle " + "y " * 200)
    snippet = search(alice, q="needle")["items"][0]["snippet"]
    assert snippet.startswith("…") and snippet.endswith("…")
    assert "<mark>needle</mark>" in snippet and len(snippet) < 200


def test_results_page_by_cursor_newest_first(as_, direct):
    alice = as_("alice")
    bodies = [f"standup {n}" for n in range(5)]
    for body in bodies:
        send_text(alice, direct, body)
    first = search(alice, q="standup", limit=2)
    second = search(alice, q="standup", limit=2, before=first["next_before"])
    third = search(alice, q="standup", limit=2, before=second["next_before"])
    pages = [hit["message"]["body"] for page in (first, second, third) for hit in page["items"]]
    assert pages == bodies[::-1]
    assert third["next_before"] is None


def test_relevance_order_puts_the_closer_match_first_and_pages_by_offset(as_, direct):
    alice = as_("alice")
    long = "a release with many other words around it, in a message that goes on and on for a while"
    send_text(alice, direct, "release")
    send_text(alice, direct, "release notes")
    send_text(alice, direct, long)
    assert found(alice, "release") == [long, "release notes", "release"]  # newest first
    best = search(alice, q="release", order="relevance", limit=2)
    assert [hit["message"]["body"] for hit in best["items"]] == ["release", "release notes"]
    assert best["next_offset"] == 2 and best["next_before"] is None
    rest = search(alice, q="release", order="relevance", limit=2, offset=2)
    assert [hit["message"]["body"] for hit in rest["items"]] == [long]
    assert rest["next_offset"] is None


@pytest.mark.parametrize("params, status, field", [
    ({"q": "!!! ???"}, 400, "q"),  # nothing to search for
    ({"q": ""}, 422, "q"),
    ({"q": "x" * 201}, 422, "q"),
    ({"q": "ok", "kind": "video"}, 422, "kind"),
    ({"q": "ok", "order": "random"}, 422, "order"),
    ({"q": "ok", "before": "abc"}, 422, "before"),
    ({"q": "ok", "limit": "0"}, 422, "limit"),
])
def test_bad_searches_are_refused_with_a_reason(as_, direct, params, status, field):
    client, _headers = as_("alice")
    assert_error(client.get(f"{API}/search", query_string=params), status, field)


def test_a_stranger_searching_a_conversation_gets_404(as_, direct):
    client, _headers = as_("carol")
    assert_error(client.get(f"{API}/search", query_string={"q": "hello", "conversation_id": direct}), 404)


def test_the_search_page_shows_hits_with_links_into_the_chat(chatter, direct):
    alice, _bob = chatter
    client, _headers = alice
    response = client.get("/search", query_string={"q": "开会"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('data-testid="search-hit"') == 2
    assert f'href="/chat/{direct}?message=' in html
    assert "<mark>开会</mark>" in html


def test_the_search_page_keeps_what_was_typed_when_it_cannot_search(as_, direct):
    client, _headers = as_("alice")
    response = client.get("/search", query_string={"q": "?!", "conversation_id": direct})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="?!"' in html and "Type a word to search for." in html


def test_the_chat_page_has_a_search_box(as_, direct):
    client, _headers = as_("alice")
    html = client.get(f"/chat/{direct}").get_data(as_text=True)
    assert 'action="/search"' in html and f"/search?conversation_id={direct}" in html


def test_the_backfill_indexes_messages_stored_before_the_index(app, as_, direct):
    alice = as_("alice")
    send_text(alice, direct, "old message 旧消息")
    kept = send_text(alice, direct, "recalled one 撤回")
    recall(alice, kept["id"])
    with app.app_context():
        connection = db.session.connection()
        connection.execute(text(f"DELETE FROM {search_index.TABLE}"))  # as before migration 0007
        db.session.commit()
    assert found(alice, "旧消息") == []
    with app.app_context():
        connection = db.session.connection()
        search_index.drop_index(connection)
        db.session.commit()
        migration = _migration_0007()
        migration.op = _Op(db.session.connection())
        migration.upgrade()
        db.session.commit()
    assert found(alice, "旧消息") == ["old message 旧消息"]
    assert found(alice, "撤回") == []


def test_the_index_is_written_with_the_message(app, as_, direct):
    alice = as_("alice")
    message = send_text(alice, direct, "indexed at once")
    with app.app_context():
        column = "rowid" if db.engine.dialect.name == "sqlite" else "message_id"
        stored = db.session.execute(text(f"SELECT {column} FROM {search_index.TABLE}")).scalars().all()
        assert stored == [message["id"]]
        assert search_index.TABLE in inspect(db.engine).get_table_names()


def test_characters_that_nfkc_spreads_over_words_are_stored_and_found(as_, direct):
    """NFKC makes "ﷺ" four words, "⑴" "(1)" and "ﹰ" a space and a mark: a term never holds a
    space or ASCII punctuation, so these are stored like any text (on PostgreSQL "ﹰ" once
    failed the send's whole transaction) and found alike on both databases."""
    alice = as_("alice")
    ligature = send_text(alice, direct, "ﷺ")
    send_text(alice, direct, "ﹰ")
    numbered = send_text(alice, direct, "⑴ agenda")
    assert [hit["message"]["id"] for hit in search(alice, q="ﷺ")["items"]] == [ligature["id"]]
    assert [hit["message"]["id"] for hit in search(alice, q="⑴ agenda")["items"]] == [numbered["id"]]


def test_migration_0010_indexes_again_what_nfkc_spread_over_words(app, as_, direct):
    alice = as_("alice")
    ligature = send_text(alice, direct, "ﷺ")
    plain = send_text(alice, direct, "plain words")
    with app.app_context():
        column = "rowid" if db.engine.dialect.name == "sqlite" else "message_id"
        db.session.execute(text(f"DELETE FROM {search_index.TABLE}"))  # as if indexed with other terms
        db.session.commit()
        migration = _migration("0010_search_pending_list")
        migration.op = _Op(db.session.connection())
        migration.upgrade()
        db.session.commit()
        stored = db.session.execute(text(f"SELECT {column} FROM {search_index.TABLE}")).scalars().all()
    assert stored == [ligature["id"]]  # only what changed: "plain words" is left as it was
    assert found(alice, "ﷺ") == ["ﷺ"] and plain["id"] not in stored


class _Op:
    """What migrations 0007 and 0010 ask of alembic's `op`: its connection, and statements run
    on it."""

    def __init__(self, connection):
        self.connection = connection

    def get_bind(self):
        return self.connection

    def execute(self, statement):
        self.connection.execute(statement)


def _migration_0007():
    return _migration("0007_search")


def _migration(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
