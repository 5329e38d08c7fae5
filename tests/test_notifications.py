"""The notifications page: friend requests received and sent, and the count in the navigation."""
import re

import pytest

from tests.support.factories import make_user, send_request
from tests.support.login import api_headers, login_client, quick_client

API = "/api/v1"


def request_rows(html: str, direction: str) -> list[dict]:
    """The rows of the page's received or sent list: id, status, name, reason, buttons."""
    block = re.search(rf'data-testid="{direction}-requests">(.*?)</ul>', html, re.S)
    assert block, f"no {direction} list"
    rows = []
    pattern = r'<li class="request" data-request-id="(\d+)" data-status="(\w+)">(.*?)</li>'
    for rid, status, body in re.findall(pattern, block.group(1), re.S):
        reason = re.search(r'<p class="reason">(.*?)</p>', body, re.S)
        rows.append({
            "id": int(rid), "status": status,
            "name": re.search(r"<strong>(.*?)</strong>", body).group(1),
            "reason": reason.group(1) if reason else None,
            "label": re.search(r"data-status-label>(.*?)</span>", body).group(1),
            "buttons": re.findall(r'data-answer="(\w+)"', body),
        })
    return rows


def pending_badge(html: str) -> str | None:
    match = re.search(r'data-testid="pending-count"[^>]*>(\d+)</span>', html)
    return match.group(1) if match else None


def page(client, **params) -> str:
    response = client.get("/notifications", query_string=params)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def alice(app):
    return make_user(app, "alice", nickname="Alice Liddell")


@pytest.fixture
def bob(app):
    return make_user(app, "bob", nickname="Bob")


def test_received_request_shows_nickname_reason_and_status(app, alice, bob):
    send_request(app, alice, bob, "We met at the meetup")
    client, _ = quick_client(app, "bob")
    rows = request_rows(page(client), "received")
    assert [(r["name"], r["reason"], r["label"]) for r in rows] == [
        ("Alice Liddell", "We met at the meetup", "pending")]


def test_sent_request_shows_receiver_and_status(app, alice, bob):
    send_request(app, alice, bob, "hello")
    client, _ = quick_client(app, "alice")
    html = page(client)
    assert [(r["name"], r["reason"], r["label"]) for r in request_rows(html, "sent")] == [
        ("Bob", "hello", "pending")]
    assert request_rows(html, "received") == []
    assert "No friend requests yet." in html


def test_requests_are_listed_newest_first(app, bob):
    for name in ("carol", "dave", "erin"):
        send_request(app, make_user(app, name), bob)
    client, _ = quick_client(app, "bob")
    assert [r["name"] for r in request_rows(page(client), "received")] == ["Erin", "Dave", "Carol"]


def test_a_renewed_request_moves_to_the_top(app, bob):
    carol, dave = make_user(app, "carol"), make_user(app, "dave")
    send_request(app, carol, bob, "first")
    send_request(app, dave, bob)
    send_request(app, carol, bob, "again")
    client, _ = quick_client(app, "bob")
    rows = request_rows(page(client), "received")
    assert [(r["name"], r["reason"]) for r in rows] == [("Carol", "again"), ("Dave", None)]


@pytest.fixture
def bob_with_25_requests(app, bob):
    senders = [make_user(app, f"sender{n:02d}") for n in range(25)]
    for sender in senders:
        send_request(app, sender, bob)
    return quick_client(app, "bob")[0]


def test_received_requests_are_paginated_twenty_a_page(bob_with_25_requests):
    client = bob_with_25_requests
    first = request_rows(page(client), "received")
    second = request_rows(page(client, received_page=2), "received")
    assert len(first) == 20 and len(second) == 5
    assert first[0]["name"] == "Sender24" and second[-1]["name"] == "Sender00"
    assert not {r["id"] for r in first} & {r["id"] for r in second}


def test_pager_links_to_older_and_newer_pages(bob_with_25_requests):
    client = bob_with_25_requests
    assert "received_page=2" in page(client) and "Page 1 of 2" in page(client)
    second = page(client, received_page=2)
    assert "Page 2 of 2" in second and "received_page=1" in second


def test_api_pages_received_requests(bob_with_25_requests):
    client = bob_with_25_requests
    response = client.get(f"{API}/friend-requests", query_string={"direction": "received", "page": 2})
    body = response.get_json()
    assert body["total"] == 25 and body["pending_received"] == 25
    assert len(body["items"]) == 5


def test_sent_requests_are_paginated_separately(app, alice):
    for n in range(21):
        send_request(app, alice, make_user(app, f"friend{n:02d}"))
    client, _ = quick_client(app, "alice")
    assert len(request_rows(page(client), "sent")) == 20
    assert len(request_rows(page(client, sent_page=2), "sent")) == 1


def test_bad_page_number_is_refused(app, alice):
    client, _ = quick_client(app, "alice")
    assert client.get("/notifications?received_page=two").status_code == 400


def test_pending_received_request_has_accept_and_reject_buttons(app, alice, bob):
    send_request(app, alice, bob)
    client, _ = quick_client(app, "bob")
    assert request_rows(page(client), "received")[0]["buttons"] == ["accept", "reject"]


def test_sent_request_has_no_answer_buttons(app, alice, bob):
    send_request(app, alice, bob)
    client, _ = quick_client(app, "alice")
    assert request_rows(page(client), "sent")[0]["buttons"] == []


def test_answered_requests_show_their_status_without_buttons(app, alice, bob):
    accepted = send_request(app, alice, bob)
    rejected = send_request(app, make_user(app, "carol"), bob)
    client, headers = quick_client(app, "bob")
    client.post(f"{API}/friend-requests/{accepted}/accept", headers=headers)
    client.post(f"{API}/friend-requests/{rejected}/reject", headers=headers)
    rows = {r["id"]: (r["status"], r["label"], r["buttons"])
            for r in request_rows(page(client), "received")}
    assert rows == {accepted: ("accepted", "accepted", []), rejected: ("rejected", "rejected", [])}
    assert request_rows(page(quick_client(app, "alice")[0]), "sent")[0]["label"] == "accepted"


def test_navigation_counts_pending_received_requests(app, alice, bob):
    send_request(app, alice, bob)
    send_request(app, make_user(app, "carol"), bob)
    send_request(app, bob, make_user(app, "dave"))  # sent by Bob: not counted
    client, _ = quick_client(app, "bob")
    assert pending_badge(page(client)) == "2"
    assert pending_badge(client.get("/friends").get_data(as_text=True)) == "2"


def test_pending_count_drops_after_accepting(app, alice, bob):
    first = send_request(app, alice, bob)
    second = send_request(app, make_user(app, "carol"), bob)
    client = login_client(app, "bob")
    headers = api_headers(client)
    assert pending_badge(page(client)) == "2"
    client.post(f"{API}/friend-requests/{first}/accept", headers=headers)
    assert pending_badge(page(client)) == "1"
    client.post(f"{API}/friend-requests/{second}/reject", headers=headers)
    assert pending_badge(page(client)) is None


def test_no_badge_without_pending_requests(app, alice):
    client, _ = quick_client(app, "alice")
    html = page(client)
    assert pending_badge(html) is None and 'href="/notifications"' in html


def test_notifications_page_needs_login(client):
    response = client.get("/notifications")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
