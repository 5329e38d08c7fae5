"""Messages through the real server: live to the other person's stream, a retried send never
doubled, typing frames without id, and refusals that put nothing on any stream."""
import uuid

from tests.support.factories import make_friends


def test_message_reaches_the_friend_live_and_a_retried_send_is_not_doubled(server):
    alice, bob = server.people(2)
    conversation = make_friends(server.app, alice.id, bob.id)
    client_id = str(uuid.uuid4())
    path = f"/api/v1/conversations/{conversation}/messages"
    with server.stream(bob) as bobs:
        bobs.hello()
        first = server.call(alice, "POST", path, json={"body": "hello 👋", "client_id": client_id})
        assert first.status_code == 201
        [frame] = bobs.until_type("message.created")
        retried = server.call(alice, "POST", path, json={"body": "hello 👋", "client_id": client_id})
        assert retried.status_code == 200 and retried.json()["id"] == first.json()["id"]
        server.call(alice, "POST", path, json={"body": "next"})
        later = bobs.until_type("message.created")
    assert frame.json()["data"]["message"]["body"] == "hello 👋"
    assert [f.json()["data"]["message"]["body"] for f in later] == ["next"]  # no second "hello"


def test_typing_reaches_the_friend_without_an_id(server):
    alice, bob = server.people(2)
    conversation = make_friends(server.app, alice.id, bob.id)
    with server.stream(bob) as bobs:
        bobs.hello()
        assert server.call(alice, "POST", f"/api/v1/conversations/{conversation}/typing").status_code == 204
        typing = bobs.until(lambda frame: frame.event == "typing")
    assert typing[-1].id is None
    assert typing[-1].json()["user"]["id"] == alice.id


def test_sending_where_you_are_not_a_member_is_refused_and_nobody_hears_it(server):
    alice, bob, mallory = server.people(3)
    conversation = make_friends(server.app, alice.id, bob.id)
    with server.stream(bob) as bobs:
        bobs.hello()
        refused = server.call(mallory, "POST", f"/api/v1/conversations/{conversation}/messages",
                              json={"body": "let me in"})
        assert refused.status_code == 404 and refused.json()["message"]
        server.call(alice, "POST", f"/api/v1/conversations/{conversation}/messages", json={"body": "hi bob"})
        frames = bobs.until_type("message.created")
    # The first message event Bob's stream carries is Alice's: the refused one left no trace.
    assert [f.json()["data"]["message"]["body"] for f in frames] == ["hi bob"]
