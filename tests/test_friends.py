"""Finding people, friend requests and the friends list, through /api/v1 and /friends."""
import re
import threading

import pytest
from sqlalchemy import func, select

from blueprints.friends import services
from extensions import db
from models import Conversation, FriendRequest, Friendship, Membership, User
from tests.support.api import assert_error
from tests.support.factories import at_once, make_friends, make_user, make_users, send_request
from tests.support.login import api_headers, login_client, quick_client

API = "/api/v1"


def search(client, q):
    response = client.get(f"{API}/users", query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def found(client, q) -> list[str]:
    """The usernames a search for `q` finds, in the order shown."""
    return [row["user"]["username"] for row in search(client, q)]


def ask(client, headers, username, reason=""):
    return client.post(f"{API}/friend-requests", json={"username": username, "reason": reason},
                       headers=headers)


def requests_of(client, direction="received", **params):
    response = client.get(f"{API}/friend-requests", query_string={"direction": direction, **params})
    assert response.status_code == 200
    return response.get_json()


def friend_names(client) -> list[str]:
    response = client.get(f"{API}/friends")
    assert response.status_code == 200
    return [friend["username"] for friend in response.get_json()["items"]]


def friendship_rows(app, a, b) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Friendship).where(
            Friendship.user_id.in_([a, b]), Friendship.friend_id.in_([a, b])))


def request_status(app, request_id) -> str:
    with app.app_context():
        return db.session.get(FriendRequest, request_id).status


def pending_requests(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(FriendRequest)
                                 .where(FriendRequest.status == "pending"))


@pytest.fixture
def alice(app):
    return make_user(app, "alice", nickname="Alice")


@pytest.fixture
def bob(app):
    return make_user(app, "bob", nickname="Bob")


@pytest.fixture
def as_alice(app, alice):
    return quick_client(app, "alice")


@pytest.fixture
def as_bob(app, bob):
    return quick_client(app, "bob")


# Search

def test_search_finds_exact_username_in_any_case(app, as_alice, bob):
    client, _ = as_alice
    assert found(client, "BoB") == ["bob"]


def test_search_finds_usernames_starting_with_the_query(app, as_alice):
    make_users(app, "bobby", "bob.smith", "robert", "carlbob")
    client, _ = as_alice
    assert sorted(found(client, "Bob")) == ["bob.smith", "bobby"]


def test_search_lists_the_exact_match_first(app, as_alice):
    make_users(app, "ann_a", "ann.b", "ann")
    client, _ = as_alice
    assert found(client, "ANN")[0] == "ann"


def test_search_takes_underscore_and_percent_literally(app, as_alice):
    make_users(app, "ann_b", "annxb", "ann")
    client, _ = as_alice
    assert found(client, "ann_") == ["ann_b"]
    assert found(client, "a%") == []


def test_search_never_matches_an_email_address(app, as_alice):
    make_user(app, "carol", email="cbrown@example.com")
    client, _ = as_alice
    assert found(client, "cbrown@example.com") == []
    assert found(client, "cbrown") == []
    assert found(client, "carol@example.com") == []
    assert found(client, "alice@example.com") == []
    assert found(client, "carol") == ["carol"]


def test_search_does_not_find_disabled_accounts(app, as_alice):
    make_user(app, "dave", disabled=True)
    make_user(app, "davina")
    client, _ = as_alice
    assert found(client, "dav") == ["davina"]
    assert found(client, "dave") == []


def test_search_results_carry_avatar_nickname_username_and_relation(app, alice, as_alice):
    sara, sasha, saul, sandy = (make_user(app, name, nickname=name.upper())
                                for name in ("sara", "sasha", "saul", "sandy"))
    make_user(app, "sam", nickname="Sam")
    client, _ = quick_client(app, "sam")
    sam = search(client, "sam")[0]["user"]["id"]
    make_friends(app, sam, sara)
    send_request(app, sam, sasha)
    send_request(app, saul, sam)
    rows = {row["user"]["username"]: row for row in search(client, "sa")}
    assert {name: row["relation"] for name, row in rows.items()} == {
        "sam": "self", "sara": "friend", "sasha": "request_sent", "saul": "request_received",
        "sandy": "none"}
    assert rows["sandy"]["user"]["nickname"] == "SANDY"
    assert rows["sandy"]["user"]["id"] == sandy
    assert client.get(rows["sandy"]["user"]["avatar_url"]).status_code == 200


def test_blank_search_is_refused_with_a_field_error(as_alice):
    client, _ = as_alice
    response = client.get(f"{API}/users", query_string={"q": "   "})
    assert_error(response, 400, "q")


def test_search_needs_login(client, alice):
    response = client.get(f"{API}/users", query_string={"q": "alice"})
    assert_error(response, 401)


def test_friends_page_shows_search_results(app, as_alice):
    make_user(app, "bob", nickname="Bobby Tables")
    make_user(app, "robert")
    client, _ = as_alice
    html = client.get("/friends?q=BO").get_data(as_text=True)
    results = re.search(r'data-testid="search-results">(.*?)</ul>', html, re.S).group(1)
    assert "Bobby Tables" in results and "@bob" in results
    assert 'data-relation="none"' in results
    assert "robert" not in results


def test_friends_page_says_when_no_one_matches(as_alice):
    client, _ = as_alice
    html = client.get("/friends?q=nobody").get_data(as_text=True)
    assert "No one has a username starting with" in html


# Sending requests

def test_sent_request_appears_in_both_lists(app, as_alice, as_bob):
    client, headers = as_alice
    response = ask(client, headers, "bob", "We met at the meetup")
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "sent"
    received = requests_of(as_bob[0])["items"]
    assert [(r["sender"]["username"], r["reason"], r["status"]) for r in received] == [
        ("alice", "We met at the meetup", "pending")]
    sent = requests_of(client, "sent")["items"]
    assert [(r["receiver"]["username"], r["status"]) for r in sent] == [("bob", "pending")]


def test_request_without_csrf_token_is_refused(app, as_alice, bob):
    client, _ = as_alice
    response = ask(client, {}, "bob")
    assert_error(response, 400)
    assert pending_requests(app) == 0


def test_request_through_real_login_and_page_token(app, alice, bob):
    client = login_client(app, "alice")
    headers = api_headers(client)
    assert ask(client, headers, "bob").get_json()["outcome"] == "sent"
    assert pending_requests(app) == 1


def test_cannot_send_a_request_to_yourself(app, as_alice):
    client, headers = as_alice
    body = assert_error(ask(client, headers, "ALICE"), 400, "username")
    assert body["message"] == "You cannot send a friend request to yourself."
    assert pending_requests(app) == 0


def test_cannot_send_a_request_to_a_friend(app, alice, bob, as_alice):
    make_friends(app, alice, bob)
    client, headers = as_alice
    body = assert_error(ask(client, headers, "bob"), 409, "username")
    assert body["message"] == "Bob is already your friend."
    assert pending_requests(app) == 0


def test_cannot_send_a_request_to_a_disabled_account(app, as_alice):
    make_user(app, "dave", disabled=True)
    client, headers = as_alice
    body = assert_error(ask(client, headers, "dave"), 400, "username")
    assert body["message"] == "This account is disabled and cannot receive friend requests."
    assert pending_requests(app) == 0


def test_request_to_unknown_username_is_404(app, as_alice):
    client, headers = as_alice
    body = assert_error(ask(client, headers, "nobody"), 404, "username")
    assert body["message"] == "No one has this username."


def test_reason_over_200_characters_is_refused(app, as_alice, bob):
    client, headers = as_alice
    body = assert_error(ask(client, headers, "bob", "x" * 201), 400, "reason")
    assert body["errors"]["reason"] == ["Keep the reason to 200 characters."]
    assert pending_requests(app) == 0


def test_reason_of_200_characters_is_kept_whole(app, as_alice, as_bob):
    client, headers = as_alice
    assert ask(client, headers, "bob", "x" * 200).status_code == 200
    assert requests_of(as_bob[0])["items"][0]["reason"] == "x" * 200


def test_request_without_username_names_the_field(as_alice):
    client, headers = as_alice
    response = client.post(f"{API}/friend-requests", json={"reason": "hi"}, headers=headers)
    assert_error(response, 422, "username")


def test_asking_again_while_pending_updates_reason_and_time(app, as_alice, as_bob):
    client, headers = as_alice
    first = ask(client, headers, "bob", "first try").get_json()["request"]
    again = ask(client, headers, "bob", "second try")
    assert again.get_json()["outcome"] == "updated"
    sent = requests_of(client, "sent")["items"]
    assert len(sent) == 1
    assert sent[0]["id"] == first["id"]
    assert sent[0]["reason"] == "second try"
    assert sent[0]["updated_at"] > first["updated_at"]
    assert [r["reason"] for r in requests_of(as_bob[0])["items"]] == ["second try"]


def test_asking_someone_who_asked_you_makes_you_friends(app, alice, bob, as_bob):
    send_request(app, alice, bob, "hi Bob")
    client, headers = as_bob
    response = ask(client, headers, "alice", "hi Alice")
    assert response.status_code == 200
    body = response.get_json()
    assert body["outcome"] == "accepted"
    assert body["request"]["status"] == "accepted"
    assert friend_names(client) == ["alice"]
    assert friendship_rows(app, alice, bob) == 2
    assert pending_requests(app) == 0


def ask_as(user_id, other_id):
    """An action for at_once: `user_id` asks `other_id` through the service."""
    def action():
        me, other = db.session.get(User, user_id), db.session.get(User, other_id)
        return services.send_friend_request(me, other.username, "")[0]
    return action


def test_two_people_asking_each_other_at_once_become_friends_once(app):
    for round_ in range(6):
        a, b = make_user(app, f"racer{round_}a"), make_user(app, f"racer{round_}b")
        assert sorted(map(str, at_once(app, ask_as(a, b), ask_as(b, a)))) == ["accepted", "sent"]
        assert friendship_rows(app, a, b) == 2
        assert pending_requests(app) == 0


def _ask_together(app, pairs) -> list[int]:
    """Each (client, headers, username) sends a request at the same moment; their statuses."""
    barrier, statuses = threading.Barrier(len(pairs)), []

    def send(client, headers, username):
        barrier.wait(10)
        statuses.append(ask(client, headers, username).status_code)

    threads = [threading.Thread(target=send, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return statuses


def test_two_people_asking_each_other_through_the_api_get_no_error(app, alice, bob):
    for round_ in range(3):
        if round_:  # start each round as strangers again
            with app.app_context():
                services.delete_friend(db.session.get(User, alice), bob)
        (ca, ha), (cb, hb) = quick_client(app, "alice"), quick_client(app, "bob")
        assert _ask_together(app, [(ca, ha, "bob"), (cb, hb, "alice")]) == [200, 200]
        assert friendship_rows(app, alice, bob) == 2
        assert pending_requests(app) == 0


# Answering requests

def test_accepting_makes_both_friends(app, alice, bob, as_alice, as_bob):
    request_id = send_request(app, alice, bob)
    client, headers = as_bob
    response = client.post(f"{API}/friend-requests/{request_id}/accept", headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "accepted"
    assert friend_names(client) == ["alice"]
    assert friend_names(as_alice[0]) == ["bob"]


def test_rejecting_leaves_them_strangers(app, alice, bob, as_alice, as_bob):
    request_id = send_request(app, alice, bob)
    client, headers = as_bob
    response = client.post(f"{API}/friend-requests/{request_id}/reject", headers=headers)
    assert response.get_json()["status"] == "rejected"
    assert friend_names(client) == []
    assert requests_of(as_alice[0], "sent")["items"][0]["status"] == "rejected"


def test_a_rejected_person_can_ask_again(app, alice, bob, as_alice):
    request_id = send_request(app, alice, bob)
    client, headers = as_alice
    with app.app_context():
        services.reject_friend_request(db.session.get(User, bob), request_id)
    response = ask(client, headers, "bob", "please")
    assert response.get_json()["outcome"] == "sent"
    assert response.get_json()["request"]["id"] != request_id


@pytest.mark.parametrize("first, second", [("accept", "reject"), ("reject", "accept")])
def test_answering_an_answered_request_is_409_and_changes_nothing(app, alice, bob, as_bob, first,
                                                                  second):
    request_id = send_request(app, alice, bob)
    client, headers = as_bob
    assert client.post(f"{API}/friend-requests/{request_id}/{first}", headers=headers).status_code == 200
    response = client.post(f"{API}/friend-requests/{request_id}/{second}", headers=headers)
    body = assert_error(response, 409)
    status = "accepted" if first == "accept" else "rejected"
    assert status in body["message"]
    assert request_status(app, request_id) == status
    assert friendship_rows(app, alice, bob) == (2 if first == "accept" else 0)


def test_a_third_person_cannot_answer_someone_elses_request(app, alice, bob):
    request_id = send_request(app, alice, bob)
    make_user(app, "mallory")
    client, headers = quick_client(app, "mallory")
    for answer in ("accept", "reject"):
        assert_error(client.post(f"{API}/friend-requests/{request_id}/{answer}", headers=headers), 404)
    assert request_status(app, request_id) == "pending"
    assert friendship_rows(app, alice, bob) == 0


def test_the_sender_cannot_answer_their_own_request(app, alice, bob, as_alice):
    request_id = send_request(app, alice, bob)
    client, headers = as_alice
    for answer in ("accept", "reject"):
        response = client.post(f"{API}/friend-requests/{request_id}/{answer}", headers=headers)
        body = assert_error(response, 403)
        assert body["message"] == "Only the person you asked can answer this request."
    assert request_status(app, request_id) == "pending"
    assert friendship_rows(app, alice, bob) == 0


def test_answering_an_unknown_request_is_404(as_bob):
    client, headers = as_bob
    assert_error(client.post(f"{API}/friend-requests/999/accept", headers=headers), 404)


# The friends list

def test_friends_are_sorted_by_nickname_with_chinese_by_pinyin(app):
    me = make_user(app, "me")
    for username, nickname in (("zs", "张三"), ("bob", "Bob"), ("am", "阿明"), ("alice", "alice"),
                               ("zoe", "Zoe")):
        make_friends(app, me, make_user(app, username, nickname=nickname))
    client, _ = quick_client(app, "me")
    items = client.get(f"{API}/friends").get_json()["items"]
    assert [f["nickname"] for f in items] == ["阿明", "alice", "Bob", "张三", "Zoe"]
    html = client.get("/friends").get_data(as_text=True)
    assert re.findall(r'data-menu="friend-menu" data-user-id="\d+" data-name="([^"]+)"', html) == [
        "阿明", "alice", "Bob", "张三", "Zoe"]


def test_deleting_a_friend_ends_the_friendship_for_both(app, alice, bob, as_alice, as_bob):
    make_friends(app, alice, bob)
    client, headers = as_alice
    assert client.delete(f"{API}/friends/{bob}", headers=headers).status_code == 204
    assert friend_names(client) == []
    assert friend_names(as_bob[0]) == []
    assert friendship_rows(app, alice, bob) == 0


def test_deleting_someone_who_is_not_a_friend_is_404(app, alice, bob, as_alice):
    client, headers = as_alice
    body = assert_error(client.delete(f"{API}/friends/{bob}", headers=headers), 404)
    assert body["message"] == "This person is not your friend."


def test_deleting_a_friend_keeps_the_chat_history(app, alice, bob, as_alice):
    conversation_id = make_friends(app, alice, bob)
    client, headers = as_alice
    client.delete(f"{API}/friends/{bob}", headers=headers)
    with app.app_context():
        assert db.session.get(Conversation, conversation_id) is not None
        assert set(db.session.scalars(select(Membership.user_id).where(
            Membership.conversation_id == conversation_id))) == {alice, bob}


def test_friends_again_after_deleting_share_the_same_conversation(app, alice, bob, as_alice):
    conversation_id = make_friends(app, alice, bob)
    client, headers = as_alice
    client.delete(f"{API}/friends/{bob}", headers=headers)
    assert make_friends(app, alice, bob) == conversation_id
    assert friend_names(client) == ["bob"]


def test_friends_page_offers_a_delete_menu_on_each_friend(app, alice, bob, as_alice):
    make_friends(app, alice, bob)
    client, _ = as_alice
    html = client.get("/friends").get_data(as_text=True)
    row = re.search(r'<li class="person" data-menu="friend-menu" data-user-id="(\d+)"[^>]*>(.*?)</li>',
                    html, re.S)
    assert row and int(row.group(1)) == bob
    assert "data-menu-button" in row.group(2) and "<button" in row.group(2)
    menu = re.search(r'<div id="friend-menu"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert 'data-action="delete-friend"' in menu and "Delete friend" in menu
    assert '<span class="muted" data-testid="friend-count">1</span>' in html


def test_friends_page_without_friends_says_so(as_alice):
    client, _ = as_alice
    html = client.get("/friends").get_data(as_text=True)
    assert 'data-menu="friend-menu"' not in html
    assert "No friends yet." in html
