"""GET /events/poll on the real server: long-polling for scripts that cannot hold a stream."""
import threading
import time

import httpx
import pytest

from tests.realtime.actions import ask, befriend


# -- long-polling ------------------------------------------------------------------------------------

def poll(server, person, **params) -> httpx.Response:
    return server.call(person, "GET", "/events/poll", params=params, timeout=15)


def test_poll_answers_at_once_when_events_wait(server):
    alice, bob = server.people(2)
    cursor = server.last_event_id()
    ask(server, alice, bob, "one")
    ask(server, alice, bob, "two")
    started = time.monotonic()
    response = poll(server, bob, after=cursor, timeout=10)
    assert time.monotonic() - started < 0.5
    assert response.status_code == 200
    body = response.json()
    assert [e["id"] for e in body["events"]] == server.event_ids_for(bob, cursor)
    assert [e["type"] for e in body["events"]] == ["friend_request.received", "friend_request.updated"]
    assert body["cursor"] == body["events"][-1]["id"]
    assert set(body["events"][0]) == {"id", "type", "data", "created_at"}


def test_poll_wakes_up_when_an_event_arrives(server):
    alice, bob = server.people(2)
    cursor = server.last_event_id()
    answer = {}

    def wait():
        answer["response"] = poll(server, bob, after=cursor, timeout=10)
        answer["at"] = time.monotonic()

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.3)
    assert waiter.is_alive(), "the poll answered with nothing to say"
    sent_at = time.monotonic()
    with httpx.Client(base_url=server.url) as other:
        ask(server, alice, bob, "wake up", client=other)
    waiter.join(12)
    assert answer["at"] - sent_at < 1.0
    body = answer["response"].json()
    assert [e["data"]["request"]["reason"] for e in body["events"]] == ["wake up"]
    assert body["cursor"] == body["events"][0]["id"] == server.last_event_id()


def test_poll_times_out_with_no_events_and_the_same_cursor(server):
    alice = server.person()
    cursor = server.last_event_id()
    started = time.monotonic()
    response = poll(server, alice, after=cursor, timeout=1)
    waited = time.monotonic() - started
    assert response.status_code == 200
    assert (response.json()["events"], response.json()["cursor"]) == ([], cursor)
    assert 0.9 < waited < 2.0


def test_friends_long_polling_do_not_wake_each_other(server):
    # Each poll opens and closes a stream; were every close to announce "offline" at once, two
    # friends' polls would wake each other with presence news in a busy loop.
    alice, bob = server.people(2)
    befriend(server, alice, bob)
    cursor = server.last_event_id()
    answers = {alice.id: [], bob.id: []}
    until = time.monotonic() + 2.5

    def keep_polling(person):
        after = cursor
        with httpx.Client(base_url=server.url, timeout=10) as client:
            while time.monotonic() < until:
                response = server.call(person, "GET", "/events/poll", client=client,
                                       params={"after": after, "timeout": 1})
                answers[person.id].append(response.json())
                after = response.json()["cursor"]

    pollers = [threading.Thread(target=keep_polling, args=(person,)) for person in (alice, bob)]
    for poller in pollers:
        poller.start()
    for poller in pollers:
        poller.join(10)
    assert [len(answers[alice.id]) <= 5, len(answers[bob.id]) <= 5] == [True, True], answers
    news = [item["data"] for person in answers.values() for body in person for item in body["ephemeral"]]
    assert all(item["online"] for item in news), news  # nobody flickered offline between polls


@pytest.mark.parametrize("params", [{"after": "abc"}, {"after": "-1"}, {"after": "²"}, {"after": "٣"},
                                    {"timeout": "1"}, {"after": "0", "timeout": "99"},
                                    {"after": "0", "timeout": "x"}, {"after": "0", "timeout": "nan"}])
def test_poll_rejects_a_bad_cursor_or_timeout(server, params):
    alice = server.person()
    response = poll(server, alice, **params)
    assert response.status_code == 400, response.text
