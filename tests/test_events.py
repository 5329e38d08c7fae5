"""The event log: who each change is recorded for, replay bounded by membership, and ids that
are exactly 1..N in commit order, also under rollbacks and concurrent writers."""
import threading
import time

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from extensions import db
from models import Event, User
from realtime.eventlog import events_for_user, last_event_id, send_event_on_commit, take_event_ids, write_events
from realtime.events import NewEvent
from tests.support.events import events_seen
from tests.support.factories import (add_to_group, invite_code, join_group, make_friends, make_group,
                                     make_user, quit_group, remove_from_group, rename_group, send_request)
from tests.support.login import quick_client

API = "/api/v1"


def event_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Event.id).order_by(Event.id)))


def last_of(app, event_type) -> int:
    """The id of the newest event of `event_type`."""
    with app.app_context():
        return db.session.scalar(select(Event.id).where(Event.type == event_type)
                                 .order_by(Event.id.desc()))


def audience(app, event_id, people) -> set[int]:
    """Which of `people` replay event `event_id`."""
    return {person for person in people if event_id in {i for i, _t in events_seen(app, person)}}


def types_seen(app, person, after=0) -> list[str]:
    return [t for _i, t in events_seen(app, person, after)]


@pytest.fixture
def trio(app):
    """alice, bob and carol; no one is friends yet."""
    return tuple(make_user(app, name) for name in ("alice", "bob", "carol"))


@pytest.fixture
def crew(app):
    """alice, friends with bob, carol and dave; erin knows no one."""
    ids = tuple(make_user(app, name) for name in ("alice", "bob", "carol", "dave", "erin"))
    for friend in ids[1:4]:
        make_friends(app, ids[0], friend)
    return ids


# Friend events reach exactly the two people concerned

def test_request_event_reaches_receiver_and_sender_only(app, trio):
    alice, bob, carol = trio
    send_request(app, alice, bob, "hi")
    event_id = last_of(app, "friend_request.received")
    assert audience(app, event_id, trio) == {alice, bob}
    with app.app_context():
        assert db.session.get(Event, event_id).data["request"]["reason"] == "hi"


def test_renewed_request_event_reaches_both(app, trio):
    alice, bob, _carol = trio
    send_request(app, alice, bob, "hi")
    send_request(app, alice, bob, "hello again")
    assert audience(app, last_of(app, "friend_request.updated"), trio) == {alice, bob}


def test_accepted_event_reaches_both(app, trio):
    alice, bob, _carol = trio
    request_id = send_request(app, alice, bob)
    client, headers = quick_client(app, "bob")
    client.post(f"{API}/friend-requests/{request_id}/accept", headers=headers)
    assert audience(app, last_of(app, "friend_request.accepted"), trio) == {alice, bob}


def test_rejected_event_reaches_both(app, trio):
    alice, bob, carol = trio
    request_id = send_request(app, carol, bob)
    client, headers = quick_client(app, "bob")
    client.post(f"{API}/friend-requests/{request_id}/reject", headers=headers)
    assert audience(app, last_of(app, "friend_request.rejected"), trio) == {carol, bob}


def test_friend_removed_event_reaches_both(app, trio):
    alice, bob, _carol = trio
    make_friends(app, alice, bob)
    client, headers = quick_client(app, "bob")
    assert client.delete(f"{API}/friends/{alice}", headers=headers).status_code == 204
    assert audience(app, last_of(app, "friend.removed"), trio) == {alice, bob}


# Group events reach the members as of each event

def test_group_created_event_reaches_its_first_members(app, crew):
    alice, bob, carol, dave, erin = crew
    make_group(app, alice, "Hikers", [bob, carol])
    assert audience(app, last_of(app, "group.created"), crew) == {alice, bob, carol}


def test_member_added_event_reaches_members_and_newcomer(app, crew):
    alice, bob, carol, dave, erin = crew
    group = make_group(app, alice, "Hikers", [bob])
    add_to_group(app, alice, group, carol)
    assert audience(app, last_of(app, "group.member_added"), crew) == {alice, bob, carol}


def test_member_joined_event_reaches_members_and_newcomer(app, crew):
    alice, bob, carol, dave, erin = crew
    group = make_group(app, alice, "Hikers", [bob])
    join_group(app, erin, invite_code(app, alice, group))
    assert audience(app, last_of(app, "group.member_joined"), crew) == {alice, bob, erin}


def test_member_left_event_reaches_members_and_the_leaver(app, crew):
    alice, bob, carol, dave, erin = crew
    group = make_group(app, alice, "Hikers", [bob, carol])
    quit_group(app, bob, group)
    assert audience(app, last_of(app, "group.member_left"), crew) == {alice, bob, carol}


def test_member_removed_event_reaches_members_and_the_removed(app, crew):
    alice, bob, carol, dave, erin = crew
    group = make_group(app, alice, "Hikers", [bob, carol])
    remove_from_group(app, alice, group, carol)
    assert audience(app, last_of(app, "group.member_removed"), crew) == {alice, bob, carol}


def test_renamed_event_reaches_current_members_only(app, crew):
    alice, bob, carol, dave, erin = crew
    group = make_group(app, alice, "Hikers", [bob, carol])
    quit_group(app, carol, group)
    rename_group(app, alice, group, "Climbers")
    assert audience(app, last_of(app, "group.renamed"), crew) == {alice, bob}


def test_dissolved_event_reaches_everyone_who_was_in(app, crew):
    alice, bob, carol, dave, erin = crew
    group = make_group(app, alice, "Hikers", [bob, carol])
    client, headers = quick_client(app, "alice")
    assert client.delete(f"{API}/groups/{group}", headers=headers).status_code == 204
    assert audience(app, last_of(app, "group.dissolved"), crew) == {alice, bob, carol}


def test_last_member_leaving_records_the_dissolution_for_them(app, crew):
    alice = crew[0]
    group = make_group(app, alice, "Solo")
    quit_group(app, alice, group)
    assert audience(app, last_of(app, "group.dissolved"), crew) == {alice}


def test_invite_link_change_reaches_the_owner_only(app, crew):
    alice, bob, *_ = crew
    group = make_group(app, alice, "Hikers", [bob])
    invite_code(app, alice, group)
    assert audience(app, last_of(app, "group.invite_changed"), crew) == {alice}


# Replay is bounded by each stay in the group

def test_added_member_never_replays_events_from_before_joining(app, crew):
    alice, bob, carol, *_ = crew
    group = make_group(app, alice, "Hikers", [bob])
    rename_group(app, alice, group, "Climbers")
    before = last_event_id_of(app)
    add_to_group(app, alice, group, carol)
    group_events = [(i, t) for i, t in events_seen(app, carol) if t.startswith("group.")]
    assert group_events and all(i > before for i, _t in group_events)
    assert [t for _i, t in group_events] == ["group.member_added"]


def test_removed_member_stops_replaying_group_events(app, crew):
    alice, bob, carol, *_ = crew
    group = make_group(app, alice, "Hikers", [bob, carol])
    remove_from_group(app, alice, group, carol)
    removed_at = last_of(app, "group.member_removed")
    rename_group(app, alice, group, "Climbers")
    add_to_group(app, alice, group, crew[3])
    carol_sees = events_seen(app, carol)
    assert carol_sees[-1] == (removed_at, "group.member_removed")
    assert "group.renamed" in types_seen(app, bob)


def test_member_who_quit_gets_the_leave_event_but_nothing_after(app, crew):
    alice, bob, carol, *_ = crew
    group = make_group(app, alice, "Hikers", [bob, carol])
    quit_group(app, bob, group)
    left_at = last_of(app, "group.member_left")
    rename_group(app, alice, group, "Climbers")
    client, headers = quick_client(app, "alice")
    client.delete(f"{API}/groups/{group}", headers=headers)
    assert events_seen(app, bob)[-1] == (left_at, "group.member_left")
    assert types_seen(app, bob, after=left_at) == []


def test_rejoining_member_sees_both_stays_but_not_the_gap(app, crew):
    alice, bob, carol, *_ = crew
    group = make_group(app, alice, "Hikers", [bob, carol])
    code = invite_code(app, alice, group)
    quit_group(app, bob, group)
    rename_group(app, alice, group, "During the gap")
    gap = last_of(app, "group.renamed")
    join_group(app, bob, code)
    rename_group(app, alice, group, "After return")
    seen = events_seen(app, bob)
    assert gap not in {i for i, _t in seen}
    group_types = [t for _i, t in seen if t.startswith("group.")]
    assert group_types == ["group.created", "group.member_left", "group.member_joined", "group.renamed"]
    with app.app_context():
        last_rename = db.session.get(Event, seen[-1][0])
        assert last_rename.data["name"] == "After return"


def test_replay_after_a_cursor_returns_only_later_events(app, trio):
    alice, bob, carol = trio
    send_request(app, alice, bob)
    cursor = last_event_id_of(app)
    send_request(app, carol, alice)
    assert [t for _i, t in events_seen(app, alice, after=cursor)] == ["friend_request.received"]
    assert events_seen(app, bob, after=cursor) == []


def last_event_id_of(app) -> int:
    with app.app_context():
        return last_event_id()


# Ids: exactly 1..N, in commit order

def test_event_ids_are_one_to_n_in_the_order_things_happened(app, crew):
    alice, bob, carol, dave, erin = crew
    group = make_group(app, alice, "Hikers", [bob])
    add_to_group(app, alice, group, carol)
    rename_group(app, alice, group, "Climbers")
    quit_group(app, bob, group)
    ids = event_ids(app)
    assert ids == list(range(1, len(ids) + 1))
    assert last_event_id_of(app) == len(ids)
    with app.app_context():
        types = list(db.session.scalars(select(Event.type).order_by(Event.id)))
    assert types[-4:] == ["group.created", "group.member_added", "group.renamed", "group.member_left"]


def test_events_of_one_commit_get_consecutive_ids(app, trio):
    alice = trio[0]
    with app.app_context():
        first = send_event_on_commit(NewEvent("test.first", {}, user_ids=[alice]))
        second = send_event_on_commit(NewEvent("test.second", {}, user_ids=[alice]))
        db.session.commit()
        assert (first.id, second.id) == (1, 2)
    assert types_seen(app, alice) == ["test.first", "test.second"]


def test_rolled_back_event_leaves_no_hole(app, trio):
    alice, bob, _carol = trio
    send_request(app, alice, bob)
    with app.app_context():
        send_event_on_commit(NewEvent("test.rolled_back", {}, user_ids=[alice]))
        db.session.rollback()
        send_event_on_commit(NewEvent("test.kept", {}, user_ids=[alice]))
        db.session.commit()
    assert event_ids(app) == [1, 2]
    assert types_seen(app, alice) == ["friend_request.received", "test.kept"]


def test_event_dropped_with_a_closed_session_is_never_committed(app, trio):
    alice = trio[0]
    with app.app_context():
        send_event_on_commit(NewEvent("test.abandoned", {}, user_ids=[alice]))
        db.session.close()
        send_event_on_commit(NewEvent("test.kept", {}, user_ids=[alice]))
        db.session.commit()
    assert types_seen(app, alice) == ["test.kept"]
    assert event_ids(app) == [1]


def test_transaction_failing_after_recording_leaves_no_hole(app, trio):
    alice, bob, _carol = trio
    with app.app_context():
        send_event_on_commit(NewEvent("test.doomed", {}, user_ids=[alice]))
        db.session.add(User(username="bob", username_key="bob", nickname="Bob 2",
                            email="other@example.com", password_hash="x"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    send_request(app, alice, bob)
    assert event_ids(app) == [1]
    assert types_seen(app, bob) == ["friend_request.received"]


def test_refused_request_records_no_event(app, trio):
    alice, bob, _carol = trio
    request_id = send_request(app, alice, bob)
    client, headers = quick_client(app, "bob")
    client.post(f"{API}/friend-requests/{request_id}/accept", headers=headers)
    before = event_ids(app)
    assert client.post(f"{API}/friend-requests/{request_id}/reject", headers=headers).status_code == 409
    assert client.post(f"{API}/groups", json={"name": ""}, headers=headers).status_code == 400
    send_request(app, bob, make_user(app, "dave"))
    assert event_ids(app) == list(range(1, len(before) + 2))


WRITERS, TRANSACTIONS = 8, 30


def test_concurrent_writers_get_gapless_ids_in_commit_order(app, trio):
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    alice = trio[0]
    start = threading.Barrier(WRITERS + 1)
    done = threading.Event()
    errors, snapshots, committed = [], [], []

    def writer(n):
        with app.app_context():
            try:
                start.wait()
                for i in range(TRANSACTIONS):
                    # Some real work in the transaction, then the event, then commit or not.
                    db.session.execute(select(User.id).where(User.id == alice)).scalar_one()
                    event = NewEvent("test.race", {"writer": n, "i": i}, user_ids=[alice])
                    # Both ways of taking ids: at commit, and now (the send path's), alone
                    # or together in one transaction.
                    if i % 3 != 1:
                        send_event_on_commit(event)
                    if i % 3 != 0:
                        write_events([(take_event_ids(), event)])
                    if (n * TRANSACTIONS + i) % 5 == 0:  # 20% rolled back
                        db.session.rollback()
                    else:
                        db.session.commit()
                        committed.append(2 if i % 3 == 2 else 1)
            except Exception as exc:  # noqa: BLE001 - any failure is the bug being looked for
                errors.append(repr(exc))
            finally:
                db.session.remove()

    def reader():
        with app.app_context():
            try:
                start.wait()
                while not done.is_set():
                    snapshots.append(list(db.session.scalars(text("SELECT id FROM event ORDER BY id"))))
                    db.session.rollback()
            except Exception as exc:  # noqa: BLE001
                errors.append(repr(exc))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    watcher = threading.Thread(target=reader)
    for thread in [*threads, watcher]:
        thread.start()
    deadline = time.monotonic() + 60
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    done.set()
    watcher.join(10)

    assert errors == []
    expected = sum(committed)
    assert len(committed) == WRITERS * TRANSACTIONS * 4 // 5
    assert event_ids(app) == list(range(1, expected + 1))
    assert len(snapshots) > 1
    holes = [s for s in snapshots if s != list(range(1, len(s) + 1))]
    assert holes == []
    with app.app_context():
        assert len(events_for_user(alice, 0, limit=10_000)) == expected
