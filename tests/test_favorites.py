"""Favorites through /api/v1/favorites and the /favorites page: what can be favorited, the copy
a favorite keeps after leaving, recall and dissolution, listing by type with search and pages,
the way back to the chat, and the events a favorite records."""
import re

import pytest

from extensions import db
from tests.support.api import API, assert_error, favorite, favorited, get, recall, send_text
from tests.support.apps import make_app
from tests.support.events import cursor, events_of
from tests.support.factories import add_to_group, make_friends, make_user, quit_group, remove_from_group
from tests.support.login import csrf_from, quick_client
from tests.support.uploads import KB, file_part, image_bytes, noise, raw_multipart, uploaded
# The shared fixtures, used by name in the tests below.


def listed(browser, **params) -> dict:
    client, _headers = browser
    response = client.get(f"{API}/favorites", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def items(browser, **params) -> list[dict]:
    return listed(browser, **params)["items"]


def unfavorite(browser, favorite_id: int):
    client, headers = browser
    return client.delete(f"{API}/favorites/{favorite_id}", headers=headers)


def page(browser, **params) -> str:
    client, _headers = browser
    response = client.get("/favorites", query_string=params)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def favorite_ids_on(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-favorite-id="(\d+)"', html)]


def entry(html: str, favorite_id: int) -> str:
    """The page's <li> of one favorite."""
    match = re.search(rf'<li class="favorite" data-favorite-id="{favorite_id}".*?</li>', html, re.S)
    assert match, f"favorite {favorite_id} not on the page"
    return match.group(0)


# What can be favorited

def test_text_message_can_be_favorited_with_its_sender_and_place(app, group, as_):
    message = send_text(as_("bob"), group, "Meet at the **trailhead** at 7")
    fav = favorited(as_("carol"), message["id"])
    assert (fav["message_id"], fav["kind"], fav["body"]) == (message["id"], "text", "Meet at the **trailhead** at 7")
    assert (fav["sender_nickname"], fav["sender"]["username"]) == ("Bob", "bob")
    assert (fav["conversation_id"], fav["conversation_name"]) == (group, "Hikers")
    assert fav["sent_at"] == message["created_at"]
    assert fav["attachment"] is None


def test_direct_conversation_favorite_is_named_after_the_other_person(app, direct, as_):
    message = send_text(as_("alice"), direct, "hi")
    assert favorited(as_("bob"), message["id"])["conversation_name"] == "Alice"


@pytest.mark.parametrize("kind, data, name", [
    ("image", image_bytes("PNG"), "summit.png"),
    ("file", b"gpx track", "route.gpx"),
])
def test_image_or_file_can_be_favorited(app, group, as_, kind, data, name):
    message = uploaded(as_("bob"), group, data, name, caption="from today")
    fav = favorited(as_("carol"), message["id"])
    assert (fav["kind"], fav["body"]) == (kind, "from today")
    assert fav["attachment"] == message["attachment"]


def test_own_message_can_be_favorited(app, group, as_):
    message = send_text(as_("alice"), group, "note to self")
    assert favorited(as_("alice"), message["id"])["sender_nickname"] == "Alice"


def test_favoriting_again_keeps_one_favorite(app, group, as_):
    message = send_text(as_("bob"), group, "twice")
    first = favorited(as_("carol"), message["id"])
    again = favorite(as_("carol"), message["id"])
    assert again.status_code == 200
    assert again.get_json()["id"] == first["id"]
    assert [f["id"] for f in items(as_("carol"))] == [first["id"]]


def test_favorite_can_be_removed(app, group, as_):
    fav = favorited(as_("carol"), send_text(as_("bob"), group, "gone soon")["id"])
    assert unfavorite(as_("carol"), fav["id"]).status_code == 204
    assert items(as_("carol")) == []


def test_favorite_can_be_removed_by_its_message(app, group, as_):
    message = send_text(as_("bob"), group, "gone soon")
    favorited(as_("carol"), message["id"])
    client, headers = as_("carol")
    assert client.delete(f"{API}/messages/{message['id']}/favorite", headers=headers).status_code == 204
    assert items(as_("carol")) == []


def test_removing_a_favorite_twice_changes_nothing_more(app, group, as_):
    fav = favorited(as_("carol"), send_text(as_("bob"), group, "gone soon")["id"])
    unfavorite(as_("carol"), fav["id"])
    assert unfavorite(as_("carol"), fav["id"]).status_code in (204, 404)
    assert items(as_("carol")) == []


def test_favorite_can_be_made_again_after_removing_it(app, group, as_):
    message = send_text(as_("bob"), group, "again")
    unfavorite(as_("carol"), favorited(as_("carol"), message["id"])["id"])
    assert favorite(as_("carol"), message["id"]).status_code == 201


def test_someone_elses_favorite_cannot_be_removed(app, group, as_):
    fav = favorited(as_("carol"), send_text(as_("bob"), group, "mine")["id"])
    assert_error(unfavorite(as_("bob"), fav["id"]), 404)
    assert [f["id"] for f in items(as_("carol"))] == [fav["id"]]


def test_message_of_a_group_one_is_not_in_cannot_be_favorited(app, group, as_):
    message = send_text(as_("bob"), group, "members only")
    assert_error(favorite(as_("dave"), message["id"]), 404)
    assert items(as_("dave")) == []


def test_message_from_before_joining_cannot_be_favorited(app, alice_and_friends, group, as_):
    message = send_text(as_("bob"), group, "before dave")
    add_to_group(app, alice_and_friends[0], group, alice_and_friends[3])
    assert_error(favorite(as_("dave"), message["id"]), 404)


def test_message_that_does_not_exist_cannot_be_favorited(app, alice_and_friends, as_):
    assert_error(favorite(as_("alice"), 999_999), 404)


def test_recalled_message_cannot_be_favorited(app, group, as_):
    message = send_text(as_("bob"), group, "oops")
    recall(as_("bob"), message["id"])
    assert_error(favorite(as_("carol"), message["id"]), 404)


# What a favorite keeps

def test_favorite_survives_the_senders_departure(app, alice_and_friends, group, as_):
    _alice, bob, _carol, _dave = alice_and_friends
    data = noise(2 * KB)
    message = uploaded(as_("bob"), group, data, "map.bin", caption="the map")
    fav = favorited(as_("carol"), message["id"])
    quit_group(app, bob, group)
    [kept] = items(as_("carol"))
    assert (kept["id"], kept["body"], kept["sender_nickname"]) == (fav["id"], "the map", "Bob")
    assert get(as_("carol"), kept["attachment"]["url"]).data == data


def test_favorite_stays_viewable_after_leaving_the_group(app, alice_and_friends, group, as_):
    data = noise(2 * KB)
    message = uploaded(as_("bob"), group, data, "map.bin", caption="the map")
    favorited(as_("carol"), message["id"])
    quit_group(app, alice_and_friends[2], group)
    [kept] = items(as_("carol"))
    assert (kept["body"], kept["conversation_name"]) == ("the map", "Hikers")
    assert get(as_("carol"), kept["attachment"]["url"]).data == data


def test_favorite_stays_viewable_after_being_removed_from_the_group(app, alice_and_friends, group, as_):
    message = uploaded(as_("bob"), group, image_bytes("PNG"), "summit.png")
    favorited(as_("carol"), message["id"])
    remove_from_group(app, alice_and_friends[0], group, alice_and_friends[2])
    [kept] = items(as_("carol"))
    for url in (kept["attachment"]["url"], kept["attachment"]["thumbnail_url"]):
        assert get(as_("carol"), url).status_code == 200


def test_favorite_stays_viewable_after_the_group_is_dissolved(app, group, as_):
    data = noise(2 * KB)
    message = uploaded(as_("bob"), group, data, "map.bin", caption="the map")
    favorited(as_("carol"), message["id"])
    client, headers = as_("alice")
    assert client.delete(f"{API}/groups/{group}", headers=headers).status_code == 204
    [kept] = items(as_("carol"))
    assert (kept["body"], kept["chat_url"]) == ("the map", None)
    assert get(as_("carol"), kept["attachment"]["url"]).data == data
    assert get(as_("bob"), kept["attachment"]["url"]).status_code == 404  # no favorite, no group


def test_favorite_keeps_the_text_after_the_sender_recalls_it(app, group, as_):
    message = send_text(as_("bob"), group, "I take it back")
    favorited(as_("carol"), message["id"])
    assert recall(as_("bob"), message["id"]).status_code == 200
    [kept] = items(as_("carol"))
    assert (kept["body"], kept["kind"]) == ("I take it back", "text")
    assert "I take it back" in kept["html"]


def test_favorite_keeps_the_picture_after_the_sender_recalls_it(app, group, as_):
    message = uploaded(as_("bob"), group, image_bytes("PNG", colour=(1, 2, 3)), "oops.png")
    favorited(as_("carol"), message["id"])
    recall(as_("bob"), message["id"])
    [kept] = items(as_("carol"))
    for url in (kept["attachment"]["url"], kept["attachment"]["thumbnail_url"]):
        assert get(as_("carol"), url).status_code == 200
    for other in ("alice", "bob"):  # members without a favorite lose it
        assert get(as_(other), kept["attachment"]["url"]).status_code == 404


def test_favorite_does_not_open_the_file_to_others(app, group, as_):
    message = uploaded(as_("bob"), group, noise(KB), "private.bin")
    favorited(as_("carol"), message["id"])
    assert get(as_("dave"), message["attachment"]["url"]).status_code == 404


def test_removed_favorite_no_longer_opens_a_recalled_file(app, group, as_):
    message = uploaded(as_("bob"), group, noise(KB), "oops.bin")
    fav = favorited(as_("carol"), message["id"])
    recall(as_("bob"), message["id"])
    unfavorite(as_("carol"), fav["id"])
    assert get(as_("carol"), message["attachment"]["url"]).status_code == 404


# The way back to the chat

def test_favorite_leads_back_to_its_message_in_the_chat(app, group, as_):
    message = send_text(as_("bob"), group, "here")
    fav = favorited(as_("carol"), message["id"])
    assert fav["chat_url"] == f"/chat/{group}?message={message['id']}"
    client, _headers = as_("carol")
    assert client.get(fav["chat_url"]).status_code == 200


def test_favorite_does_not_lead_back_after_leaving(app, alice_and_friends, group, as_):
    message = send_text(as_("bob"), group, "here")
    favorited(as_("carol"), message["id"])
    quit_group(app, alice_and_friends[2], group)
    assert items(as_("carol"))[0]["chat_url"] is None


def test_favorite_does_not_lead_back_to_a_recalled_message(app, group, as_):
    message = send_text(as_("bob"), group, "here")
    favorited(as_("carol"), message["id"])
    recall(as_("bob"), message["id"])
    assert items(as_("carol"))[0]["chat_url"] is None


# Listing, filters, search and pages

@pytest.fixture
def collection(app, group, as_):
    """carol's favorites, favorited in this order: a text, a picture, a file, another text.
    Returns {label: favorite id}."""
    bob = as_("bob")
    messages = {
        "text": send_text(bob, group, "Sunrise at the Lake"),
        "image": uploaded(bob, group, image_bytes("PNG"), "lake.png", caption="the view"),
        "file": uploaded(bob, group, b"track", "Route_100%.gpx"),
        "other": send_text(bob, group, "bring 50% more water_bottles"),
    }
    return {label: favorited(as_("carol"), m["id"])["id"] for label, m in messages.items()}


def test_favorites_are_listed_newest_first(app, collection, as_):
    assert [f["id"] for f in items(as_("carol"))] == [collection[k] for k in ("other", "file", "image", "text")]


def test_newest_favorite_comes_first_whatever_the_message_age(app, group, as_):
    old, new = send_text(as_("bob"), group, "old"), send_text(as_("bob"), group, "new")
    favorited(as_("carol"), new["id"])
    favorited(as_("carol"), old["id"])
    assert [f["body"] for f in items(as_("carol"))] == ["old", "new"]


@pytest.mark.parametrize("kind, expected", [
    ("all", ["other", "file", "image", "text"]), ("text", ["other", "text"]), ("image", ["image"]), ("file", ["file"]),
])
def test_favorites_can_be_filtered_by_type(app, collection, as_, kind, expected):
    assert [f["id"] for f in items(as_("carol"), type=kind)] == [collection[k] for k in expected]


def test_unknown_type_is_refused(app, collection, as_):
    client, _headers = as_("carol")
    response = client.get(f"{API}/favorites", query_string={"type": "video"})
    assert response.status_code in (400, 422)
    assert_error(response, response.status_code, "type")


@pytest.mark.parametrize("q, expected", [
    ("lake", ["image", "text"]),  # the text, and the picture by its file name
    ("SUNRISE", ["text"]),  # any case
    ("route_", ["file"]),  # a file's name
    ("View", ["image"]),  # a caption
    ("nothing like it", []),
])
def test_search_finds_text_and_file_names(app, collection, as_, q, expected):
    assert [f["id"] for f in items(as_("carol"), q=q)] == [collection[k] for k in expected]


@pytest.mark.parametrize("q, expected", [
    ("%", ["other", "file"]),
    ("0%", ["other", "file"]),
    ("_", ["other", "file"]),
    ("e_b", []),  # "_" is not "any one character": "water_bottles" has "r_b", not "e_b"
    ("5%", []),
], ids=["percent", "digit-percent", "underscore", "underscore-not-a-wildcard", "percent-not-a-wildcard"])
def test_percent_and_underscore_are_searched_literally(app, collection, as_, q, expected):
    assert [f["id"] for f in items(as_("carol"), q=q)] == [collection[k] for k in expected]


def test_search_and_type_combine(app, collection, as_):
    assert [f["id"] for f in items(as_("carol"), q="lake", type="text")] == [collection["text"]]


def test_search_finds_chinese_text(app, group, as_):
    fav = favorited(as_("carol"), send_text(as_("bob"), group, "明天去爬山吗？")["id"])
    assert [f["id"] for f in items(as_("carol"), q="爬山")] == [fav["id"]]


def test_one_persons_favorites_are_not_anothers(app, collection, as_):
    assert items(as_("alice")) == []
    assert listed(as_("alice"))["total"] == 0


@pytest.fixture
def paged(database, mailbox, tmp_path):
    """An app showing 2 favorites a page, where carol has favorited 5 texts ("m0".."m4")."""
    app = make_app(database, mailbox, tmp_path, FAVORITES_PER_PAGE=2)
    alice, bob = make_user(app, "alice"), make_user(app, "bob")
    direct = make_friends(app, alice, bob)
    alices, bobs = quick_client(app, "alice"), quick_client(app, "bob")
    for n in range(5):
        favorited(bobs, send_text(alices, direct, f"m{n}")["id"])
    yield app, bobs
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_favorites_come_in_pages(paged):
    _app, bob = paged
    pages = [listed(bob, page=n) for n in (1, 2, 3)]
    assert [[f["body"] for f in p["items"]] for p in pages] == [["m4", "m3"], ["m2", "m1"], ["m0"]]
    assert {(p["total"], p["per_page"]) for p in pages} == {(5, 2)}


def test_page_past_the_end_is_empty(paged):
    _app, bob = paged
    assert listed(bob, page=4)["items"] == []


def test_search_counts_only_what_matches(paged):
    _app, bob = paged
    result = listed(bob, q="m3")
    assert (result["total"], [f["body"] for f in result["items"]]) == (1, ["m3"])


# Events

def test_favorite_is_announced_to_the_persons_own_devices_only(app, alice_and_friends, group, as_):
    alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("bob"), group, "worth keeping")
    after = cursor(app)
    fav = favorited(as_("carol"), message["id"])
    [(_type, data)] = events_of(app, carol, after, "favorite.created")
    assert (data["favorite"]["id"], data["favorite"]["body"]) == (fav["id"], "worth keeping")
    assert events_of(app, bob, after) == [] and events_of(app, alice, after) == []


def test_removing_a_favorite_is_announced_to_the_person_only(app, alice_and_friends, group, as_):
    alice, bob, carol, _dave = alice_and_friends
    message = send_text(as_("bob"), group, "worth keeping")
    fav = favorited(as_("carol"), message["id"])
    after = cursor(app)
    unfavorite(as_("carol"), fav["id"])
    assert events_of(app, carol, after) == [("favorite.deleted", {"id": fav["id"], "message_id": message["id"]})]
    assert events_of(app, bob, after) == [] and events_of(app, alice, after) == []


def test_favoriting_again_records_no_event(app, alice_and_friends, group, as_):
    message = send_text(as_("bob"), group, "twice")
    favorited(as_("carol"), message["id"])
    after = cursor(app)
    favorite(as_("carol"), message["id"])
    assert events_of(app, alice_and_friends[2], after) == []


# The favorites page

def test_page_needs_a_login(app):
    response = app.test_client().get("/favorites")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_page_shows_sender_conversation_and_time(app, group, as_):
    message = send_text(as_("bob"), group, "Meet at 7")
    fav = favorited(as_("carol"), message["id"])
    html = entry(page(as_("carol")), fav["id"])
    assert "Bob" in html and "Hikers" in html and "Meet at 7" in html
    assert f'datetime="{message["created_at"]}"' in html


def test_page_lists_newest_first(app, collection, as_):
    assert favorite_ids_on(page(as_("carol"))) == [collection[k] for k in ("other", "file", "image", "text")]


def test_page_shows_the_picture_and_the_file(app, collection, as_):
    html = page(as_("carol"))
    picture, file = entry(html, collection["image"]), entry(html, collection["file"])
    assert re.search(r'<img src="/attachments/[\w-]+/thumbnail"', picture)
    assert "Route_100%.gpx" in file and re.search(r'href="/attachments/[\w-]+"', file)


def test_page_tabs_filter_by_type(app, collection, as_):
    assert favorite_ids_on(page(as_("carol"), type="image")) == [collection["image"]]
    assert favorite_ids_on(page(as_("carol"), type="file")) == [collection["file"]]


def test_page_search_box_searches(app, collection, as_):
    html = page(as_("carol"), q="100%")
    assert favorite_ids_on(html) == [collection["file"]]
    assert 'value="100%"' in html  # the box keeps what was typed


def test_page_says_when_nothing_matches(app, collection, as_):
    html = page(as_("carol"), q="zebra")
    assert favorite_ids_on(html) == []
    assert 'data-testid="favorites-empty"' in html


def test_page_with_an_unknown_type_does_not_fail(app, collection, as_):
    client, _headers = as_("carol")
    assert client.get("/favorites", query_string={"type": "video"}).status_code in (200, 400)


def test_page_shows_favorite_text_as_text(app, group, as_):
    fav = favorited(as_("carol"), send_text(as_("bob"), group, '<img src=x onerror="alert(1)">')["id"])
    html = entry(page(as_("carol")), fav["id"])
    assert "<img src=x" not in html and "&lt;img src=x" in html


def test_page_shows_a_file_name_as_text(app, group, as_):
    message = raw_multipart(as_("bob"), group, [(file_part("<script>alert(1)</script>.txt"), b"x")]).get_json()
    fav = favorited(as_("carol"), message["id"])
    html = entry(page(as_("carol")), fav["id"])
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_page_goes_to_older_favorites(paged):
    _app, bob = paged
    first = page(bob)
    assert 'page=2' in first
    assert favorite_ids_on(page(bob, page=3)) and 'page=2' in page(bob, page=3)


def test_page_offers_the_chat_only_while_the_message_is_visible(app, alice_and_friends, group, as_):
    kept = favorited(as_("carol"), send_text(as_("bob"), group, "here")["id"])
    assert f'href="/chat/{group}?message=' in entry(page(as_("carol")), kept["id"])
    quit_group(app, alice_and_friends[2], group)
    assert "/chat/" not in entry(page(as_("carol")), kept["id"])


def test_favorite_can_be_removed_from_the_page(app, collection, as_):
    client, _headers = as_("carol")
    html = page(as_("carol"), type="text")
    response = client.post(f"/favorites/{collection['text']}/remove",
                           data={"csrf_token": csrf_from(entry(html, collection["text"])),
                                 "next": "/favorites?type=text"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/favorites?type=text"
    assert collection["text"] not in [f["id"] for f in items(as_("carol"))]


def test_removing_from_the_page_needs_the_csrf_token(app, collection, as_):
    client, _headers = as_("carol")
    assert client.post(f"/favorites/{collection['text']}/remove").status_code == 400
    assert collection["text"] in [f["id"] for f in items(as_("carol"))]


def test_someone_elses_favorite_cannot_be_removed_from_the_page(app, collection, as_):
    client, headers = as_("bob")
    assert client.post(f"/favorites/{collection['text']}/remove", headers=headers).status_code == 404
    assert collection["text"] in [f["id"] for f in items(as_("carol"))]


def test_removing_from_the_page_never_redirects_off_site(app, collection, as_):
    client, _headers = as_("carol")
    html = page(as_("carol"))
    response = client.post(f"/favorites/{collection['text']}/remove",
                           data={"csrf_token": csrf_from(entry(html, collection["text"])), "next": "//evil.example/"})
    assert response.headers["Location"] == "/favorites"

