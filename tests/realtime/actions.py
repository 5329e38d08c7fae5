"""Actions through the real server's API (so its broker carries the events), for the stream
tests: friend requests, friendships and groups made by HTTP, and the ids and types of frames."""
from tests.support.streams import durable

API = "/api/v1"


def ask(server, sender, receiver, reason: str = "", client=None) -> dict:
    """`sender` asks `receiver` to be friends (or renews the pending request)."""
    response = server.call(sender, "POST", f"{API}/friend-requests", client=client,
                           json={"username": receiver.username, "reason": reason})
    assert response.status_code == 200, response.text
    return response.json()


def befriend(server, a, b) -> None:
    request_id = ask(server, a, b)["request"]["id"]
    response = server.call(b, "POST", f"{API}/friend-requests/{request_id}/accept")
    assert response.status_code == 200, response.text


def make_group(server, owner, members, name: str = "Hikers") -> int:
    """`owner` (already friends with `members`) creates a group with them; returns its id."""
    response = server.call(owner, "POST", f"{API}/groups",
                           json={"name": name, "member_ids": [m.id for m in members]})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def rename(server, owner, group_id: int, name: str, client=None) -> None:
    response = server.call(owner, "PATCH", f"{API}/groups/{group_id}", client=client, json={"name": name})
    assert response.status_code == 200, response.text


def types(frames) -> list[str]:
    return [body["type"] for body in durable(frames)]


def ids(frames) -> list[int]:
    return [body["id"] for body in durable(frames)]

