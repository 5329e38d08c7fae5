"""Read receipts on the chat page in a real browser against the real server (gunicorn, gevent):
"Read" appears live under alice's message when bob opens the direct conversation; in a group
"Read by 1 of 2" appears live, also for a message that bob's page, viewing the group, read with
no request of its own, and clicking it lists who has read it and who has not."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot, send
from tests.support.factories import PASSWORD, make_friends, make_group


def test_direct_message_shows_read_live_when_the_friend_opens_it(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    alice_page, bob_page = chat_page(), chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    log_in(bob_page, bob.username, PASSWORD)
    alice_page.goto(f"/chat/{conversation}")
    expect(alice_page.locator("[data-connection]")).to_have_text("Live")
    send(alice_page, "Are you there?")
    mine = alice_page.locator("#messages .message.mine").last
    expect(mine).not_to_have_class("pending")
    expect(mine.locator("[data-receipt]")).to_have_count(0)

    bob_page.goto(f"/chat/{conversation}")
    expect(bob_page.locator("#messages .message").last).to_contain_text("Are you there?")
    expect(mine.locator("[data-receipt]")).to_have_text("Read")  # no reload on alice's side
    screenshot(alice_page, "receipts-direct")

    send(alice_page, "Good.")  # "Read" stays under the newest message bob has read
    expect(alice_page.locator("#messages .message.mine").last).to_contain_text("Good.")
    expect(alice_page.locator("#messages [data-receipt]")).to_have_count(1)
    expect(alice_page.locator("#messages [data-receipt]").last).to_have_text("Read")
    expect(alice_page.locator("#messages .message.mine").last.locator("[data-receipt]")).to_have_text("Read")


@pytest.mark.parametrize("bobs_mode", ["", "?poll"])  # bob's page on a live stream, or long-polling
def test_group_message_shows_read_by_one_of_two_and_the_reader_list(chat_server, chat_page, bobs_mode):
    alice, bob, carol = (chat_server.person(name) for name in ("alice", "bob", "carol"))
    make_friends(chat_server.app, alice.id, bob.id)
    make_friends(chat_server.app, alice.id, carol.id)
    group = make_group(chat_server.app, alice.id, "Trip", [bob.id, carol.id])
    alice_page, bob_page = chat_page(), chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    log_in(bob_page, bob.username, PASSWORD)
    alice_page.goto(f"/chat/{group}")
    expect(alice_page.locator("[data-connection]")).to_have_text("Live")
    send(alice_page, "Who brings the map?")
    receipt = alice_page.locator("#messages .message.mine").last.locator("[data-receipt]")
    expect(receipt).to_have_text("Read by 0 of 2")

    with bob_page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/read")
                                 and '"viewing":true' in (request.post_data or "")):
        bob_page.goto(f"/chat/{group}{bobs_mode}")  # at the bottom, visible, hearing the server: it views the group
    expect(bob_page.locator("#messages .message").last).to_contain_text("Who brings the map?")
    expect(receipt.locator("button")).to_have_text("Read by 1 of 2")

    # While bob's page views the group, the server reads what reaches it: no request of its own.
    bobs_reads = []
    bob_page.on("request", lambda request: bobs_reads.append(request.url)
                if request.method == "POST" and request.url.endswith("/read") else None)
    send(alice_page, "I do.")
    expect(bob_page.locator("#messages .message").last).to_contain_text("I do.")
    expect(alice_page.locator("#messages .message.mine").last.locator("[data-receipt] button")).to_have_text(
        "Read by 1 of 2")
    assert bobs_reads == []

    receipt.locator("button").click()
    expect(receipt.locator("[data-readers-list=read]")).to_contain_text(bob.username.capitalize())
    expect(receipt.locator("[data-readers-list=unread]")).to_contain_text(carol.username.capitalize())
    expect(receipt.locator("[data-readers-list=read]")).not_to_contain_text(carol.username.capitalize())
    screenshot(alice_page, "receipts-group" + ("-polling" if bobs_mode else ""))
