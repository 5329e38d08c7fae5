"""Mute and block on the chat page in a real browser against the real server (gunicorn,
gevent): bob mutes the group and its new message no longer counts in his total unread (the
row keeps its own count, greyed, with 🔕), while a mention still reaches him; alice blocks
carol and carol's direct message is refused without saying why."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot, send
from tests.support.factories import PASSWORD, make_friends, make_group


@pytest.fixture
def people(chat_server, chat_page):
    """alice (owner of "Hikers" with bob and carol, friends with both) and a function opening a
    live chat page of one of them on a conversation."""
    alice, bob, carol = (chat_server.person(name) for name in ("alice", "bob", "carol"))
    with_bob = make_friends(chat_server.app, alice.id, bob.id)
    with_carol = make_friends(chat_server.app, alice.id, carol.id)
    group = make_group(chat_server.app, alice.id, "Hikers", [bob.id, carol.id])

    def open_page(person, conversation):
        page = chat_page()
        log_in(page, person.username, PASSWORD)
        page.goto(f"/chat/{conversation}")
        expect(page.locator("[data-connection]")).to_have_text("Live")
        return page
    return {"alice": alice, "bob": bob, "carol": carol, "with_bob": with_bob, "with_carol": with_carol,
            "group": group, "open": open_page}


def row(page, conversation: int):
    return page.locator(f"#conversation-list [data-conversation-id='{conversation}']")


def test_a_muted_group_leaves_the_total_unread_but_still_counts_on_its_row(people):
    alice_page = people["open"](people["alice"], people["group"])
    bob_page = people["open"](people["bob"], people["group"])
    bob_page.get_by_test_id("mute-toggle").click()
    expect(bob_page.get_by_test_id("mute-toggle")).to_have_attribute("aria-pressed", "true")
    expect(row(bob_page, people["group"]).get_by_test_id("muted-mark")).to_be_visible()
    bob_page.goto(f"/chat/{people['with_bob']}")  # the group is muted on every page of his
    expect(bob_page.locator("[data-connection]")).to_have_text("Live")
    expect(row(bob_page, people["group"]).get_by_test_id("muted-mark")).to_be_visible()

    send(alice_page, "Who brings the map?")
    group_row = row(bob_page, people["group"])
    expect(group_row.locator("[data-unread-badge]")).to_have_text("1")
    expect(group_row.locator("[data-preview]")).to_have_text("Who brings the map?")
    expect(bob_page.locator("[data-total-unread]")).to_be_hidden()
    assert not re.match(r"^\(\d+\)", bob_page.title()), bob_page.title()
    screenshot(bob_page, "chat-muted-group")

    # A message in a conversation he did not mute counts as before.
    alice_direct = people["open"](people["alice"], people["with_bob"])
    bob_page.goto(f"/chat/{people['group']}")
    expect(bob_page.locator("[data-connection]")).to_have_text("Live")
    send(alice_direct, "And you?")
    expect(bob_page.locator("[data-total-unread]")).to_have_text("1")
    expect(bob_page).to_have_title(re.compile(r"^\(1\) "))


def test_a_blocked_person_cannot_send_a_direct_message(people):
    alice_page = people["open"](people["alice"], people["with_carol"])
    carol_page = people["open"](people["carol"], people["with_carol"])
    alice_page.get_by_test_id("block-toggle").click()
    alice_page.locator("#confirm-dialog [data-confirm-ok]").click()
    expect(alice_page.get_by_test_id("block-toggle")).to_have_text("Unblock")

    send(carol_page, "Are you there?")
    failed = carol_page.locator("#messages .message.failed").last
    expect(failed).to_be_visible()
    expect(failed.locator(".message-status")).to_contain_text("Your message could not be delivered.")
    expect(alice_page.locator("#messages .message", has_text="Are you there?")).to_have_count(0)
    screenshot(carol_page, "chat-blocked-refused")

    # In the group they share, carol's messages fold away on alice's page, and open on Show.
    carol_group = people["open"](people["carol"], people["group"])
    alice_page.goto(f"/chat/{people['group']}")
    expect(alice_page.locator("[data-connection]")).to_have_text("Live")
    send(carol_group, "Hello everyone")
    expect(carol_group.locator("#messages .message.mine").last).not_to_have_class(re.compile("pending"))
    folded = alice_page.locator("#messages .message").last
    expect(folded).to_contain_text("Message from a blocked person")
    expect(folded.locator(".message-text", has_text="Hello everyone")).to_be_hidden()
    folded.get_by_role("button", name="Show").click()
    expect(folded.locator(".message-text", has_text="Hello everyone")).to_be_visible()
