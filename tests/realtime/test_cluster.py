"""The whole chat across processes: several gunicorn servers on their own ports share one
PostgreSQL schema and one Redis channel, with people connected to different servers. Then the
failures the delivery guarantees are about (docs/delivery.md): a server killed under its
clients, Redis restarted under open streams, a worker SIGKILLed in the middle of a burst."""
import itertools
import os
import signal
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import select

from blueprints.chat import services as chat
from blueprints.profile.services import revoke_token
from core.people import user_brief
from extensions import db
from models import Message, User
from realtime import events
from realtime.eventlog import send_event_on_commit
from tests.realtime.cluster import API, Cluster, LiveClient, PrivateRedis, eventually
from tests.support.streams import EventStream


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """Two servers (one worker each) for the tests that only need to be connected apart;
    each test makes its own people."""
    cluster = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        nodes = cluster.start(1, 1)
        yield cluster, nodes
    finally:
        cluster.close()


@pytest.fixture
def make_cluster(tmp_path_factory):
    """make_cluster(**env) -> a Cluster of the test's own, closed after it."""
    made = []

    def make(**extra_env) -> Cluster:
        made.append(Cluster(tmp_path_factory.mktemp("cluster"), **extra_env))
        return made[-1]

    yield make
    for cluster in made:
        cluster.close()


@pytest.fixture(scope="module")
def redis_cluster_once(tmp_path_factory):
    """A private redis-server and a Cluster of two servers on it, for this module's Redis tests."""
    directory = tmp_path_factory.mktemp("redis")
    redis = PrivateRedis(directory)
    try:
        cluster = Cluster(directory, redis.url)
        try:
            yield redis, cluster, cluster.start(1, 1)
        finally:
            cluster.close()
    finally:
        redis.kill()


@pytest.fixture
def redis_cluster(redis_cluster_once):
    """(a redis-server of these tests' own, which a test may kill and start again, a
    Cluster on it, its two servers), with the redis-server running."""
    redis, _cluster, _nodes = redis_cluster_once
    if not redis.running():
        redis.start()
    return redis_cluster_once


@pytest.fixture
def live():
    """live(person, urls, cursor) -> a LiveClient, closed after the test."""
    opened = []

    def open_(person, urls, cursor) -> LiveClient:
        opened.append(LiveClient(person, urls, cursor))
        return opened[-1]

    yield open_
    for client in opened:
        client.stop()
    for client in opened:
        client.close()


def of_type(event_type: str):
    """A frame predicate: a durable event of `event_type`."""
    return lambda frame: frame.id is not None and frame.json()["type"] == event_type


def bodies(client: LiveClient) -> list[str]:
    return [event["data"]["message"]["body"] for event in client.durable("message.created")]


def assert_exactly(client: LiveClient, expected: list[int]) -> None:
    """The client received exactly `expected`: none lost, none doubled, in increasing order."""
    assert len(client.ids) == len(set(client.ids)), f"{client.person.username} got an id twice"
    assert client.ids == sorted(client.ids), f"{client.person.username} got ids out of order"
    assert client.ids == expected


# -- the whole chat, people on different servers ----------------------------------------------

def test_friend_request_and_its_acceptance_cross_between_servers(shared, live):
    cluster, (a, b) = shared
    alice, bob = cluster.people(2)
    start = cluster.last_event_id()
    alices, bobs = live(alice, [a.url], start), live(bob, [b.url], start)
    alices.wait_connected()
    bobs.wait_connected()

    asked = cluster.call(a, alice, "POST", f"{API}/friend-requests",
                         json={"username": bob.username, "reason": "climbing on Sunday?"})
    assert asked.status_code == 200, asked.text
    received = bobs.wait_for_frame(of_type("friend_request.received")).json()["data"]
    accepted = cluster.call(b, bob, "POST", f"{API}/friend-requests/{received['request']['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    answer = alices.wait_for_frame(of_type("friend_request.accepted")).json()["data"]

    assert received["request"]["sender"]["id"] == alice.id
    assert received["request"]["reason"] == "climbing on Sunday?"
    assert answer["request"]["receiver"]["id"] == bob.id
    for client, person in ((alices, alice), (bobs, bob)):
        expected = cluster.event_ids_for(person, start)
        client.wait_for_ids(expected)
        assert_exactly(client, expected)


def test_direct_and_group_messages_reach_people_on_every_server(shared, live):
    cluster, (a, b) = shared
    alice, bob, carol = cluster.people(3)
    cluster.befriend(a, alice, b, bob)
    cluster.befriend(a, alice, b, carol)
    direct = cluster.direct_conversation(b, bob, alice)
    start = cluster.last_event_id()
    # Carol has two devices, one on each server.
    clients = {"alice": live(alice, [a.url], start), "bob": live(bob, [b.url], start),
               "carol@a": live(carol, [a.url], start), "carol@b": live(carol, [b.url], start)}
    for client in clients.values():
        client.wait_connected()

    group = cluster.make_group(a, alice, [bob, carol], "Climbers")
    cluster.send(a, alice, direct, "bob, are you in?")
    cluster.send(b, bob, direct, "yes!")
    cluster.send(a, alice, group, "hello climbers")
    cluster.send(b, bob, group, "hi all")
    cluster.send(b, carol, group, "from carol's phone")

    for name, client in clients.items():
        person = {"alice": alice, "bob": bob}.get(name, carol)
        expected = cluster.event_ids_for(person, start)
        client.wait_for_ids(expected)
        assert_exactly(client, expected)
    group_talk = ["hello climbers", "hi all", "from carol's phone"]
    assert bodies(clients["alice"]) == ["bob, are you in?", "yes!", *group_talk]
    assert bodies(clients["bob"]) == ["bob, are you in?", "yes!", *group_talk]
    assert bodies(clients["carol@a"]) == bodies(clients["carol@b"]) == group_talk


def alice_online_on(cluster, a, b, live):
    """Two new friends, alice and bob (introduced through servers `a` and `b`), and alice's
    page open on `a` until `a` counts her online. Returns (alice, bob, their direct
    conversation's id, its presence path, alice's LiveClient)."""
    alice, bob = cluster.people(2)
    cluster.befriend(a, alice, b, bob)
    direct = cluster.direct_conversation(a, alice, bob)
    presence_path = f"{API}/conversations/{direct}/presence"
    alices = live(alice, [a.url], cluster.last_event_id())
    alices.wait_connected()
    # A server learns who is online from the broker, its own announcements included.
    eventually(lambda: cluster.call(a, alice, "GET", presence_path).json()["online"] == [alice.id],
               what="alice online")
    return alice, bob, direct, presence_path, alices


@pytest.mark.parametrize("change", ["revoke the token", "disable the person"])
def test_a_credential_revoked_anywhere_is_refused_by_every_server_at_once(shared, change):
    # Each server remembers a credential for AUTH_CACHE_SECONDS (5 s) once it has seen it;
    # the broker's revoke or disable message must make every one of them forget it first.
    cluster, nodes = shared
    alice = cluster.person("alice")
    for node in nodes:
        assert cluster.call(node, alice, "GET", f"{API}/me").status_code == 200
    with cluster.app.app_context():  # another process on the same database and broker
        if change == "revoke the token":
            revoke_token(db.session.get(User, alice.id), alice.token_id)
        else:
            cluster.app.test_cli_runner().invoke(args=["users", "disable", alice.username])
        db.session.remove()
    for node in nodes:
        eventually(lambda: cluster.call(node, alice, "GET", f"{API}/me").status_code == 401,
                   timeout=1.0, what=f"{node.name} refusing the token")


def test_typing_and_presence_cross_between_servers(shared, live):
    cluster, (a, b) = shared
    alice, bob, direct, presence_path, alices = alice_online_on(cluster, a, b, live)

    bobs = live(bob, [b.url], cluster.last_event_id())
    bobs.wait_connected()
    came = alices.wait_for_frame(lambda f: f.event == "presence" and f.json()["user_id"] == bob.id,
                                 what="bob's presence")
    assert came.id is None and came.json()["online"] is True
    assert sorted(cluster.call(a, alice, "GET", presence_path).json()["online"]) == sorted([alice.id, bob.id])

    assert cluster.call(b, bob, "POST", f"{API}/conversations/{direct}/typing").status_code == 204
    typing = alices.wait_for_frame(lambda f: f.event == "typing", what="bob typing")
    assert cluster.call(a, alice, "POST", f"{API}/conversations/{direct}/typing").status_code == 204
    typed_back = bobs.wait_for_frame(lambda f: f.event == "typing", what="alice typing")
    assert typing.id is None and typing.json()["conversation_id"] == direct
    assert typing.json()["user"]["id"] == bob.id
    assert typed_back.id is None and typed_back.json()["user"]["id"] == alice.id

    bobs.close()  # bob's page goes away: after the grace, alice's server hears he left
    went = alices.wait_for_frame(lambda f: f.event == "presence" and f.json() == {"user_id": bob.id, "online": False},
                                 timeout=20, what="bob going offline")
    assert went.id is None
    assert cluster.call(a, alice, "GET", presence_path).json()["online"] == [alice.id]
    assert alices.ids == []  # typing and presence never move a cursor


def test_unread_counts_follow_a_person_across_servers(shared, live):
    cluster, (a, b) = shared
    alice, bob = cluster.people(2)
    cluster.befriend(a, alice, b, bob)
    direct = cluster.direct_conversation(a, alice, bob)
    start = cluster.last_event_id()
    laptop = live(bob, [a.url], start)  # bob's two devices, on different servers
    laptop.wait_connected()

    sent = [cluster.send(a, alice, direct, f"news {n}") for n in range(3)]
    listed = cluster.call(b, bob, "GET", f"{API}/conversations").json()
    assert listed["total_unread"] == 3
    assert [item["unread"] for item in listed["items"] if item["id"] == direct] == [3]

    read = cluster.call(b, bob, "POST", f"{API}/conversations/{direct}/read", json={"message_id": sent[-1]["id"]})
    assert read.status_code == 200 and read.json()["unread"] == 0
    followed = laptop.wait_for_frame(of_type("read.updated"), what="read.updated").json()["data"]
    # The move counts from just before the first message it passed (his position was 0).
    assert followed == {"conversation_id": direct, "user_id": bob.id, "previous_read_message_id": sent[0]["id"] - 1,
                        "last_read_message_id": sent[-1]["id"], "unread": 0}
    assert cluster.call(a, bob, "GET", f"{API}/conversations").json()["total_unread"] == 0

    cluster.send(b, alice, direct, "one more")
    assert cluster.call(a, bob, "GET", f"{API}/conversations").json()["total_unread"] == 1
    expected = cluster.event_ids_for(bob, start)
    laptop.wait_for_ids(expected)
    assert_exactly(laptop, expected)


def test_a_page_viewing_on_one_server_is_told_so_by_a_request_to_another(shared):
    """The view (realtime/viewing.py) reaches the worker holding the page's
    stream through the broker, before the next message does."""
    cluster, (a, b) = shared
    alice, bob = cluster.people(2)
    cluster.befriend(a, alice, b, bob)
    direct = cluster.direct_conversation(a, alice, bob)
    first = cluster.send(a, alice, direct, "first")["id"]
    with EventStream(b.url, person=bob, params={"tab": "bob-page"}) as bobs, \
            EventStream(a.url, person=alice) as alices:
        bobs.hello()
        alices.hello()
        read = cluster.call(a, bob, "POST", f"{API}/conversations/{direct}/read",
                            json={"message_id": first, "tab": "bob-page", "viewing": True})
        assert read.status_code == 200, read.text
        alices.until_type("read.updated")
        second = cluster.send(a, alice, direct, "second")["id"]
        frames = alices.until_type("receipts.updated")
    assert frames[-1].json()["data"]["reads"] == [
        {"user_id": bob.id, "previous_read_message_id": first, "last_read_message_id": second}]


def test_clients_of_a_killed_server_catch_up_on_another(shared):
    cluster, (a, b) = shared
    alice, bob = cluster.people(2)
    cluster.befriend(a, alice, b, bob)
    direct = cluster.direct_conversation(a, alice, bob)
    group = cluster.make_group(a, alice, [bob], "Doomed node")
    [doomed] = cluster.start()
    start = cluster.last_event_id()
    seen: list[int] = []
    with EventStream(doomed.url, person=bob, last_event_id=start, read_timeout=5.0) as stream:
        stream.hello()
        cluster.send(a, alice, direct, "before the crash")
        seen += [int(f.id) for f in stream.until(of_type("message.created"), timeout=10) if f.id]
        doomed.kill()  # master and worker, SIGKILL: no goodbye on the stream
        try:
            stream.read_to_end(timeout=10)
        except httpx.TransportError:
            pass  # cut off, as expected

    missed = [cluster.send(a, alice, direct, f"while you were away {n}")["id"] for n in range(3)]
    renamed = cluster.call(a, alice, "PATCH", f"{API}/groups/{group}", json={"name": "Survivors"})
    assert renamed.status_code == 200, renamed.text
    cluster.send(a, alice, group, "in the group meanwhile")
    listed = cluster.call(b, bob, "GET", f"{API}/conversations").json()
    assert listed["total_unread"] == 5  # the unread counts were never on the dead server

    # Bob's page reconnects to a surviving server with the last id it saw.
    with EventStream(b.url, person=bob, last_event_id=seen[-1], read_timeout=5.0) as stream:
        stream.hello()
        caught_up = cluster.event_ids_for(bob, seen[-1])
        frames = stream.until(lambda f: f.id is not None and int(f.id) == caught_up[-1], timeout=10)
        cluster.send(a, alice, direct, "welcome back")
        frames += stream.until(of_type("message.created"), timeout=10)
    seen += [int(f.id) for f in frames if f.id]
    received = [f.json()["data"]["message"]["id"] for f in frames if f.id and f.json()["type"] == "message.created"]

    assert seen == cluster.event_ids_for(bob, start)
    assert len(seen) == len(set(seen)) == 7
    assert received[:3] == missed
    assert [f.json()["data"]["name"] for f in frames if f.id and f.json()["type"] == "group.renamed"] == ["Survivors"]


# -- Redis restarted under open streams --------------------------------------------------------

def test_redis_restart_under_open_streams_loses_nothing(redis_cluster, live):
    redis, cluster, (a, b) = redis_cluster
    alice, bob, carol, dave = cluster.people(4)
    for friend in (bob, carol, dave):
        cluster.befriend(a, alice, b, friend)
    group = cluster.make_group(a, alice, [bob, carol, dave], "Through the outage")
    start = cluster.last_event_id()
    clients = [live(alice, [a.url], start), live(bob, [b.url], start), live(carol, [a.url, b.url], start)]
    for client in clients:
        client.wait_connected()
    cluster.send(a, alice, group, "before")
    for client in clients:
        client.wait_for_ids(cluster.event_ids_for(client.person, start))
    # Dave reads a little on one server, then his stream ends: he resumes during the outage.
    with EventStream(b.url, person=dave, last_event_id=start, read_timeout=5.0) as stream:
        stream.hello()
        daves = [int(f.id) for f in stream.until(of_type("message.created"), timeout=10) if f.id]
    cluster.wait_for_subscribers(redis, 2)

    redis.kill()
    during = []
    for n, (node, sender) in enumerate(itertools.islice(itertools.cycle([(a, alice), (b, bob), (b, carol)]), 9)):
        during.append(cluster.send(node, sender, group, f"during {n}")["id"])  # the database is the record
    with EventStream(a.url, person=dave, last_event_id=daves[-1], read_timeout=5.0) as stream:
        stream.hello()
        replayed = cluster.event_ids_for(dave, daves[-1])
        frames = stream.until(lambda f: f.id is not None and int(f.id) == replayed[-1], timeout=10)
    daves += [int(f.id) for f in frames if f.id]
    assert [f.json()["data"]["message"]["id"] for f in frames if f.id] == during

    redis.start()  # same port, empty: every subscription is gone
    # Without any new event, each server's listener resubscribes and reads what it missed.
    for client in clients:
        expected = cluster.event_ids_for(client.person, start)
        client.wait_for_ids(expected, timeout=30)
        assert_exactly(client, expected)
    cluster.send(b, dave, group, "after")  # and live delivery goes on through the new Redis
    for client in clients:
        expected = cluster.event_ids_for(client.person, start)
        client.wait_for_ids(expected)
        assert_exactly(client, expected)
        assert bodies(client) == ["before", *[f"during {n}" for n in range(9)], "after"]
    assert [len(client.connections) for client in clients] == [1, 1, 1]  # no stream had to end
    assert daves == cluster.event_ids_for(dave, start)[:10] and len(daves) == 10


def test_sends_waiting_on_redis_when_it_dies_are_all_stored(redis_cluster):
    # The outage as sends meet it: Redis hangs (every request already past its first Redis
    # call waits), then dies. No send may fail: the rate limiter falls back for each of them.
    redis, cluster, (a, _b) = redis_cluster
    alice, bob = cluster.people(2)
    cluster.befriend(a, alice, a, bob)
    conversation = cluster.direct_conversation(a, alice, bob)
    cluster.send(a, alice, conversation, "before")  # the server's Redis connections are open
    statuses = []

    def send(person, n):
        response = cluster.call(a, person, "POST", f"{API}/conversations/{conversation}/messages",
                                json={"body": f"during {n}", "client_id": str(uuid.uuid4())})
        statuses.append(response.status_code)

    redis.pause()
    threads = [threading.Thread(target=send, args=((alice, bob)[n % 2], n)) for n in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)  # every send has reached Redis and waits on it
    redis.kill()
    for thread in threads:
        thread.join(15)
    assert sorted(statuses) == [201] * 10
    with cluster.app.app_context():
        bodies = db.session.scalars(select(Message.body).where(Message.conversation_id == conversation)).all()
    assert sorted(bodies) == sorted(["before", *(f"during {n}" for n in range(10))])


def test_listener_cut_off_by_redis_reads_what_it_missed(redis_cluster, live):
    redis, cluster, (a, b) = redis_cluster
    alice, bob = cluster.people(2)
    cluster.befriend(a, alice, b, bob)
    direct = cluster.direct_conversation(a, alice, bob)
    start = cluster.last_event_id()
    clients = [live(alice, [a.url], start), live(bob, [b.url], start)]
    for client in clients:
        client.wait_connected()
    cluster.wait_for_subscribers(redis, 2)

    def send():
        chat.send_message(db.session.get(User, alice.id), direct, "said as the line dropped")

    message = cluster.commit_unpublished(send)
    # Redis drops both listeners and carries the event to nobody in the same instant; the
    # listeners' client reconnects at once, so no later event may ever show them the gap.
    assert redis.cut_listeners_and_publish(cluster.channel, message) == (2, 0)

    for client in clients:
        expected = cluster.event_ids_for(client.person, start)
        client.wait_for_ids(expected, timeout=10)
        assert_exactly(client, expected)
        assert bodies(client) == ["said as the line dropped"]


def test_listener_back_after_a_long_outage_reads_every_page_of_what_it_missed(redis_cluster, live):
    # More events than one page (EVENT_REPLAY_LIMIT, 1,000) were committed while no listener
    # heard them (a long Redis outage); then the site goes quiet. Each listener must read page
    # after page, not wait for some later event to show it the gap.
    redis, cluster, (a, b) = redis_cluster
    alice, bob = cluster.people(2)
    cluster.befriend(a, alice, b, bob)
    start = cluster.last_event_id()
    clients = [live(alice, [a.url], start), live(bob, [b.url], start)]
    for client in clients:
        client.wait_connected()
    cluster.wait_for_subscribers(redis, 2)
    missed = 1_010

    def change_profile_many_times():  # one transaction: quick to write, one id each
        brief = user_brief(db.session.get(User, alice.id))
        for n in range(missed):
            send_event_on_commit(events.user_updated({**brief, "nickname": f"Alice {n}"}, [alice.id, bob.id]))
        db.session.commit()

    message = cluster.commit_unpublished(change_profile_many_times)
    assert redis.cut_listeners_and_publish(cluster.channel, message) == (2, 0)

    for client in clients:
        expected = cluster.event_ids_for(client.person, start)
        assert len(expected) == missed
        client.wait_for_ids(expected, timeout=30)
        assert_exactly(client, expected)
        nicknames = [event["data"]["user"]["nickname"] for event in client.durable("user.updated")]
        assert nicknames == [f"Alice {n}" for n in range(missed)]


def test_a_server_started_during_an_outage_sees_who_is_online_once_it_subscribes(redis_cluster, live):
    # A worker asks the others who is online (presence.hello) only once its subscription is
    # live: asked earlier, the answers would find nobody listening, and it would show everyone
    # elsewhere offline until their next full list, up to 30 s later.
    redis, cluster, (a, b) = redis_cluster
    alice, bob, _direct, presence_path, _alices = alice_online_on(cluster, a, b, live)
    cluster.call(b, bob, "GET", presence_path)  # both servers' listeners run (and count below)
    cluster.wait_for_subscribers(redis, 2)

    redis.kill()
    [c] = cluster.start(1)  # a new server; its hub starts with bob's stream, Redis still down
    bobs = live(bob, [c.url], cluster.last_event_id())
    bobs.wait_connected()
    redis.start()
    cluster.wait_for_subscribers(redis, 3)
    eventually(lambda: alice.id in cluster.call(c, bob, "GET", presence_path).json()["online"], timeout=5,
               what="alice online as bob's new server sees it")


# -- a worker SIGKILLed in the middle of a burst -----------------------------------------------

def test_worker_killed_mid_burst_loses_and_doubles_nothing(make_cluster, live):
    cluster = make_cluster(FLASK_MESSAGE_RATE_LIMIT="1000 per 1 second")
    a, b = cluster.start(2, 1)
    people = cluster.people(6, "burst")
    owner, *others = people
    for other in others:
        cluster.befriend(a, owner, b, other)
    group = cluster.make_group(a, owner, others, "Burst")
    direct = cluster.direct_conversation(a, owner, people[1])
    start = cluster.last_event_id()
    # Every person has a page on the two-worker server (resuming on either server), two
    # have a second page on the other one.
    clients = [live(person, [a.url, b.url], start) for person in people]
    clients += [live(person, [b.url, a.url], start) for person in people[4:]]
    for client in clients:
        client.wait_connected()

    sent_ok = threading.Semaphore(0)
    client_ids: list[tuple[int, str]] = []
    failures: list[str] = []

    def send_burst(sender, count):
        with httpx.Client(timeout=10) as http:
            for n in range(count):
                conversation = direct if sender in people[:2] and n % 3 == 0 else group
                client_id = str(uuid.uuid4())
                client_ids.append((conversation, client_id))
                for attempt in range(20):  # as the page retries a pending message
                    node = (a, b)[(n + attempt) % 2]
                    try:
                        response = http.post(f"{node.url}{API}/conversations/{conversation}/messages",
                                              headers=sender.bearer,
                                              json={"body": f"{sender.username} {n}", "client_id": client_id})
                        if response.status_code in (200, 201):
                            break
                        failures.append(f"{response.status_code} {response.text[:200]}")
                    except httpx.TransportError:
                        pass  # its worker died under it: send again, with the same client id
                    time.sleep(0.2)
                else:
                    failures.append(f"{sender.username} {n} never stored")
                sent_ok.release()

    senders = [threading.Thread(target=send_burst, args=(sender, 30)) for sender in people[:4]]
    for thread in senders:
        thread.start()
    for _ in range(30):  # a quarter of the burst is in
        assert sent_ok.acquire(timeout=30), "the burst stalled"
    busiest = max(a.worker_pids(), key=a.connections_of)
    os.kill(busiest, signal.SIGKILL)
    for thread in senders:
        thread.join(60)
    assert not any(thread.is_alive() for thread in senders), "a sender is stuck"
    # The killed worker may have died between a commit and its publish; the next event shows
    # the others' listeners the gap, which they fill from the database.
    the_end = cluster.send(b, people[5], group, "the end")
    client_ids.append((group, the_end["client_id"]))

    assert not failures, failures
    assert len(client_ids) == 121
    for client in clients:
        expected = cluster.event_ids_for(client.person, start)
        client.wait_for_ids(expected, timeout=30)
        assert_exactly(client, expected)
    stored = cluster.client_ids_stored(group) + cluster.client_ids_stored(direct)
    assert sorted(filter(None, stored)) == sorted(cid for _conversation, cid in client_ids)
    assert sum(len(client.connections) > 1 for client in clients) >= 1, "the kill hit no stream"
    eventually(lambda: len(a.worker_pids()) == 2, what="the master replacing its worker")
