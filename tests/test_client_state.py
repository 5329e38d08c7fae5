"""Events are enough to keep a client's state right (Zulip's verify_action).

A small client model loads what a page loads (conversations, friends, friend requests, groups
and, for the groups it owns, the invite link) together with the event cursor, then applies
the events recorded for its person, in order. After each kind of action, the state built
from the events must equal the state loaded fresh, for everyone: the actor, the people the
action concerns and a bystander.
"""
import copy
from dataclasses import dataclass

import pytest

from extensions import db
from realtime.eventlog import events_for_user, last_event_id
from tests.support.factories import invite_code, make_friends, make_group, make_user, quit_group, send_request
from tests.support.login import quick_client

API = "/api/v1"
PREVIEW = 120  # characters of the last message the conversation list shows


# The client model

def get(browser, path, **params) -> dict:
    client, _headers = browser
    response = client.get(f"{API}{path}", query_string=params)
    assert response.status_code == 200, (path, response.get_json())
    return response.get_json()


def requests(browser, direction) -> dict:
    page = get(browser, "/friend-requests", direction=direction, per_page=100)
    assert page["total"] == len(page["items"])
    return {r["id"]: (r["status"], r["reason"]) for r in page["items"]}


def loaded(browser, me: int) -> dict:
    """The state a client starts from, loaded as a page does."""
    listing = get(browser, "/conversations")
    conversations = {
        c["id"]: {"kind": c["kind"], "name": c["name"], "unread": c["unread"],
                  "last_read": c["last_read_message_id"],
                  "last_message": (c["last_message"]["id"], c["last_message"]["preview"])
                  if c["last_message"] else None}
        for c in listing["items"]}
    groups = {g["id"]: (g["name"], g["member_count"], g["owner_id"])
              for g in get(browser, "/groups")["items"]}
    invites = {}
    for group_id, (_name, _count, owner_id) in groups.items():
        if owner_id == me:
            url = get(browser, f"/groups/{group_id}")["invite_url"]
            invites[group_id] = url.rsplit("/", 1)[1] if url else None
    return {"friends": {f["id"] for f in get(browser, "/friends")["items"]},
            "received": requests(browser, "received"), "sent": requests(browser, "sent"),
            "groups": groups, "invites": invites, "conversations": conversations,
            "total_unread": listing["total_unread"]}


def view(state: dict) -> dict:
    """What the client shows: its state without its memory of conversations it left."""
    return {key: value for key, value in state.items() if key != "left"}


def new_conversation(kind: str, name: str) -> dict:
    return {"kind": kind, "name": name, "unread": 0, "last_read": 0, "last_message": None}


def _request(state: dict, request: dict, me: int) -> None:
    side = "received" if request["receiver"]["id"] == me else "sent"
    state[side][request["id"]] = (request["status"], request["reason"])


def _joined(state: dict, group: dict, me: int) -> None:
    state["groups"][group["id"]] = (group["name"], group["member_count"], group["owner_id"])
    # Someone rejoining sees their earlier stays again: the client remembers what it had.
    conversation = state["left"].pop(group["id"], None) or new_conversation("group", group["name"])
    state["conversations"][group["id"]] = {**conversation, "name": group["name"]}
    if group["owner_id"] == me:
        state["invites"][group["id"]] = None  # a link is made later, by group.invite_changed


def _gone(state: dict, group_id: int) -> None:
    state["groups"].pop(group_id)
    state["left"][group_id] = state["conversations"].pop(group_id)
    state["invites"].pop(group_id, None)


def _members_changed(state: dict, group_id: int, by: int, owner_id: int | None = None) -> None:
    name, count, owner = state["groups"][group_id]
    state["groups"][group_id] = (name, count + by, owner if owner_id is None else owner_id)


def apply(state: dict, event, me: int) -> None:
    """Apply one event, as the person `me`'s client would."""
    data = event.data
    if event.type in ("friend_request.received", "friend_request.updated", "friend_request.rejected"):
        _request(state, data["request"], me)
    elif event.type == "friend_request.accepted":
        request = data["request"]
        _request(state, request, me)
        other = request["sender"] if request["receiver"]["id"] == me else request["receiver"]
        state["friends"].add(other["id"])
        state["conversations"].setdefault(data["conversation_id"],
                                          new_conversation("direct", other["nickname"]))
    elif event.type == "friend.removed":
        state["friends"] -= set(data["user_ids"])
    elif event.type == "group.created":
        _joined(state, {**data["group"], "member_count": len(data["members"])}, me)
    elif event.type in ("group.member_added", "group.member_joined"):
        newcomers = data["members"] if event.type == "group.member_added" else [data["member"]]
        if me in {person["id"] for person in newcomers}:
            _joined(state, data["group"], me)
        else:
            _members_changed(state, data["group_id"], len(newcomers))
    elif event.type in ("group.member_left", "group.member_removed"):
        if data["user_id"] == me:
            _gone(state, data["group_id"])
        else:
            _members_changed(state, data["group_id"], -1, data.get("owner_id"))
    elif event.type == "group.renamed":
        name, count, owner = state["groups"][data["group_id"]]
        state["groups"][data["group_id"]] = (data["name"], count, owner)
        state["conversations"][data["group_id"]]["name"] = data["name"]
    elif event.type == "group.dissolved":
        _gone(state, data["group_id"])
    elif event.type == "group.invite_changed":
        state["invites"][data["group_id"]] = data["invite_code"]
    elif event.type == "message.created":
        message = data["message"]
        conversation = state["conversations"][message["conversation_id"]]
        conversation["last_message"] = (message["id"], message["body"][:PREVIEW])
        if message["sender"] is None or message["sender"]["id"] != me:
            conversation["unread"] += 1
    elif event.type == "read.updated" and data["user_id"] == me:
        conversation = state["conversations"][data["conversation_id"]]
        conversation["unread"] = data["unread"]
        conversation["last_read"] = data["last_read_message_id"]
    elif event.type == "read.updated":
        pass  # someone read this person's messages: a read receipt, not this person's state
    else:
        raise AssertionError(f"the client does not know event type {event.type!r}")
    state["total_unread"] = sum(c["unread"] for c in state["conversations"].values())


# The world the actions happen in

@dataclass
class World:
    app: object
    ids: dict  # username -> user id
    browsers: dict  # username -> (client, headers)
    direct: int  # alice and bob's conversation
    group: int  # Hikers: alice (owner), bob, carol

    def call(self, username, method, path, json=None):
        """`username` calls the API; the call must succeed. Returns the JSON body, if any."""
        client, headers = self.browsers[username]
        response = client.open(f"{API}{path}", method=method, json=json, headers=headers)
        assert response.status_code < 300, (path, response.get_data(as_text=True))
        return response.get_json(silent=True)

    def send(self, username, conversation_id, body):
        return self.call(username, "POST", f"/conversations/{conversation_id}/messages", {"body": body})

    def verify(self, action, changed: set[str]) -> None:
        """Do `action`; then for everyone, the events since the state was loaded must turn
        it into the state loaded afresh. `changed` names whose state the action changes."""
        with self.app.app_context():
            cursor = last_event_id()
        before = {name: loaded(self.browsers[name], uid) for name, uid in self.ids.items()}
        action()
        saw_change = set()
        for name, uid in self.ids.items():
            built = {**copy.deepcopy(before[name]), "left": {}}
            with self.app.app_context():
                events = events_for_user(uid, cursor)
                types = [event.type for event in events]
                for event in events:
                    apply(built, event, uid)
                db.session.rollback()
            fresh = loaded(self.browsers[name], uid)
            assert view(built) == fresh, f"{name}'s client went wrong after {types}"
            if fresh != before[name]:
                saw_change.add(name)
        assert saw_change == changed


@pytest.fixture
def world(app):
    """alice is friends with bob, carol and dave; bob with carol; erin knows no one. alice owns
    Hikers (bob, carol). bob wrote to alice, carol to Hikers: some unread messages to start."""
    names = ("alice", "bob", "carol", "dave", "erin")
    ids = {name: make_user(app, name) for name in names}
    direct = make_friends(app, ids["alice"], ids["bob"])
    for a, b in (("alice", "carol"), ("alice", "dave"), ("bob", "carol")):
        make_friends(app, ids[a], ids[b])
    group = make_group(app, ids["alice"], "Hikers", [ids["bob"], ids["carol"]])
    world = World(app, ids, {name: quick_client(app, name) for name in names}, direct, group)
    world.send("bob", direct, "hi alice")
    world.send("carol", group, "hi all")
    return world


# Friends

def test_sending_a_friend_request(world):
    world.verify(lambda: world.call("erin", "POST", "/friend-requests",
                                    {"username": "alice", "reason": "hi"}),
                 changed={"erin", "alice"})


def test_renewing_a_friend_request(world):
    send_request(world.app, world.ids["erin"], world.ids["alice"], "hi")
    world.verify(lambda: world.call("erin", "POST", "/friend-requests",
                                    {"username": "alice", "reason": "it's erin, from the club"}),
                 changed={"erin", "alice"})


def test_accepting_a_friend_request(world):
    request_id = send_request(world.app, world.ids["erin"], world.ids["alice"], "hi")
    world.verify(lambda: world.call("alice", "POST", f"/friend-requests/{request_id}/accept"),
                 changed={"erin", "alice"})


def test_asking_back_accepts_their_request(world):
    send_request(world.app, world.ids["erin"], world.ids["alice"], "hi")
    world.verify(lambda: world.call("alice", "POST", "/friend-requests", {"username": "erin"}),
                 changed={"erin", "alice"})


def test_rejecting_a_friend_request(world):
    request_id = send_request(world.app, world.ids["erin"], world.ids["alice"], "hi")
    world.verify(lambda: world.call("alice", "POST", f"/friend-requests/{request_id}/reject"),
                 changed={"erin", "alice"})


def test_deleting_a_friend(world):
    world.verify(lambda: world.call("alice", "DELETE", f"/friends/{world.ids['bob']}"),
                 changed={"alice", "bob"})


def test_becoming_friends_again(world):
    world.call("alice", "DELETE", f"/friends/{world.ids['bob']}")
    request_id = send_request(world.app, world.ids["bob"], world.ids["alice"], "sorry")
    world.verify(lambda: world.call("alice", "POST", f"/friend-requests/{request_id}/accept"),
                 changed={"alice", "bob"})


# Groups

def test_creating_a_group(world):
    members = [world.ids["bob"], world.ids["dave"]]
    world.verify(lambda: world.call("alice", "POST", "/groups", {"name": "Climbers", "member_ids": members}),
                 changed={"alice", "bob", "dave"})


def test_adding_a_member(world):
    world.verify(lambda: world.call("alice", "POST", f"/groups/{world.group}/members",
                                    {"user_ids": [world.ids["dave"]]}),
                 changed={"alice", "bob", "carol", "dave"})


def test_joining_by_invite(world):
    code = invite_code(world.app, world.ids["alice"], world.group)
    world.verify(lambda: world.call("erin", "POST", "/groups/join", {"code": code}),
                 changed={"alice", "bob", "carol", "erin"})


def test_leaving_and_rejoining_a_group(world):
    code = invite_code(world.app, world.ids["alice"], world.group)
    welcome = world.send("alice", world.group, "welcome")["id"]
    world.call("carol", "POST", f"/conversations/{world.group}/read", {"message_id": welcome})

    def leave_and_come_back():
        quit_group(world.app, world.ids["carol"], world.group)
        world.send("alice", world.group, "while carol was away")
        world.call("carol", "POST", "/groups/join", {"code": code})
    world.verify(leave_and_come_back, changed={"alice", "bob"})


def test_quitting_a_group(world):
    world.verify(lambda: world.call("bob", "POST", f"/groups/{world.group}/quit"),
                 changed={"alice", "bob", "carol"})


def test_owner_quitting_passes_the_group_and_its_invite_link_on(world):
    invite_code(world.app, world.ids["alice"], world.group)
    world.verify(lambda: world.call("alice", "POST", f"/groups/{world.group}/quit"),
                 changed={"alice", "bob", "carol"})


def test_last_member_quitting_dissolves_the_group(world):
    solo = make_group(world.app, world.ids["dave"], "Just me")
    world.verify(lambda: quit_group(world.app, world.ids["dave"], solo), changed={"dave"})


def test_removing_a_member(world):
    world.verify(lambda: world.call("alice", "DELETE", f"/groups/{world.group}/members/{world.ids['carol']}"),
                 changed={"alice", "bob", "carol"})


def test_renaming_a_group(world):
    world.verify(lambda: world.call("alice", "PATCH", f"/groups/{world.group}", {"name": "Walkers"}),
                 changed={"alice", "bob", "carol"})


def test_turning_on_the_invite_link(world):
    world.verify(lambda: world.call("alice", "PUT", f"/groups/{world.group}/invite", {"enabled": True}),
                 changed={"alice"})


def test_dissolving_a_group(world):
    world.verify(lambda: world.call("alice", "DELETE", f"/groups/{world.group}"),
                 changed={"alice", "bob", "carol"})


# Messages

def test_sending_a_direct_message(world):
    world.verify(lambda: world.send("alice", world.direct, "hello bob " + "x" * 200),
                 changed={"alice", "bob"})


def test_sending_a_group_message(world):
    world.verify(lambda: world.send("bob", world.group, "see you at the trail"),
                 changed={"alice", "bob", "carol"})


def test_marking_a_conversation_read(world):
    newest = world.send("alice", world.group, "everyone read this")["id"]
    world.verify(lambda: world.call("bob", "POST", f"/conversations/{world.group}/read",
                                    {"message_id": newest}),
                 changed={"bob"})
