"""Streams on the real server follow membership live: removed, departed and later members,
and presence of members coming back."""
import threading
import time

import pytest

from tests.realtime.actions import API, ask, befriend, ids, make_group, rename, types
from tests.support.streams import durable


# -- permissions are live --------------------------------------------------------------------------

# How bob leaves the group: who acts, the request, and the event that ends his stay.
LEAVING = {
    "removed_by_the_owner": ("owner", "DELETE", "/groups/{group}/members/{bob}", "group.member_removed"),
    "who_quits": ("bob", "POST", "/groups/{group}/quit", "group.member_left"),
}


@pytest.mark.parametrize("how", LEAVING)
def test_member_who_leaves_stops_receiving(server, trio_group, how):
    owner, bob, carol, group_id = trio_group
    actor, method, path, left_type = LEAVING[how]
    stranger = server.person()
    cursor = server.last_event_id()
    with server.stream(bob) as bobs, server.stream(carol) as carols:
        bobs.hello()
        carols.hello()
        response = server.call(owner if actor == "owner" else bob, method,
                               API + path.format(group=group_id, bob=bob.id))
        assert response.status_code == 204, response.text
        [left] = durable(bobs.until_type(left_type))
        assert left["data"]["user_id"] == bob.id
        rename(server, owner, group_id, "Without Bob")
        assert types(carols.until_type("group.renamed")) == [left_type, "group.renamed"]
        ask(server, stranger, bob, "later")  # a later event that is bob's
        assert types(bobs.until_type("friend_request.received")) == ["friend_request.received"]
    with server.stream(bob, last_event_id=cursor) as replay:
        assert types(replay.until_type("friend_request.received")) == [left_type, "friend_request.received"]


def test_member_added_later_gets_nothing_from_before(server, trio_group):
    owner, bob, _carol, group_id = trio_group
    dave = server.person()
    befriend(server, owner, dave)
    cursor = server.last_event_id()
    with server.stream(dave, last_event_id=cursor) as daves:
        daves.hello()
        rename(server, owner, group_id, "Before Dave")
        response = server.call(owner, "POST", f"{API}/groups/{group_id}/members", json={"user_ids": [dave.id]})
        assert response.status_code == 200, response.text
        rename(server, owner, group_id, "With Dave")
        live = daves.until(lambda f: f.id is not None and f.json()["data"].get("name") == "With Dave")
    assert types(live) == ["group.member_added", "group.renamed"]
    with server.stream(dave, last_event_id=cursor) as replay:
        replayed = replay.until_type("group.renamed")
    assert durable(replayed) == durable(live)
    assert set(server.event_ids_for(bob, cursor)) > set(ids(live))  # bob, there before, got more


# -- presence -------------------------------------------------------------------------------------

def test_members_coming_back_together_light_up_in_one_write(start_server):
    # After a blip everyone reconnects at once; each arrival reaching every member already back
    # one write at a time would cost n(n-1)/2 writes per group. Presence frames gathered over
    # FLASK_PRESENCE_BATCH reach each stream together, and none is lost. The batch is 3 s here
    # (1 s by default), so arrivals spread by a loaded machine still fall within one batch.
    batch = 3.0
    server = start_server(FLASK_PRESENCE_BATCH=batch)
    owner, *members = server.people(4)
    for member in members:
        befriend(server, owner, member)
    make_group(server, owner, members)
    arrived = {}
    with server.stream(owner) as owners:
        owners.hello()

        def watch():  # note when each member's presence reaches the owner
            for frame in owners.frames(timeout=2 * batch + 4):
                if frame.event == "presence" and frame.json()["online"]:
                    arrived[frame.json()["user_id"]] = time.monotonic()
                if len(arrived) == len(members):
                    return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        others = []
        try:
            first_opened = time.monotonic()
            for member in members:  # 0.15 s apart: one write each would arrive as spread
                others.append(server.stream(member))
                others[-1].hello()
                time.sleep(0.15)
            all_online = time.monotonic()
            watcher.join(2 * batch + 4)
        finally:
            for stream in others:
                stream.close()
    # Every arrival was announced between first_opened and all_online: within one batch.
    assert all_online - first_opened < batch, "the machine took a whole batch to open three streams"
    assert sorted(arrived) == sorted(member.id for member in members)
    assert max(arrived.values()) - min(arrived.values()) < 0.1
