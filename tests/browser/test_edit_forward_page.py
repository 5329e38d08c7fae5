"""Edit, forward and delete for me on the chat page in a real browser against the real server:
alice edits her message in place and bob sees the new text live, marked edited; bob forwards
it (here, back into the same conversation) and both see "Forwarded from Alice"; bob deletes a
message for himself and only his page loses it."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.support.factories import PASSWORD, make_friends, send_message


@pytest.fixture
def pages(chat_server, chat_page):
    """(alice's page, bob's page), both on their conversation and live; alice sent two messages."""
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    send_message(chat_server.app, alice.id, conversation, "Meet at nine")
    send_message(chat_server.app, alice.id, conversation, "Bring snacks")
    opened = []
    for person in (alice, bob):
        page = chat_page()
        log_in(page, person.username, PASSWORD)
        page.goto(f"/chat/{conversation}")
        expect(page.locator("[data-connection]")).to_have_text("Live")
        page.on("dialog", lambda dialog: dialog.accept())  # the confirm of Delete for me
        opened.append(page)
    return opened


def message(page, text: str):
    return page.locator("#messages .message").filter(has=page.locator(".message-text", has_text=text))


def act(page, text: str, action: str) -> None:
    node = message(page, text).last
    node.hover()
    node.locator(f"[data-{action}]").click()


def test_edit_forward_and_delete_for_me(pages):
    alice_page, bob_page = pages
    act(alice_page, "Meet at nine", "edit")
    box = alice_page.locator("[data-edit-form] textarea")
    box.press("Escape")  # Esc cancels
    expect(alice_page.locator("[data-edit-form]")).to_have_count(0)
    act(alice_page, "Meet at nine", "edit")
    box.fill("Meet at ten")
    box.press("Enter")
    expect(message(alice_page, "Meet at ten").locator(".message-edited")).to_be_visible()
    edited = message(bob_page, "Meet at ten")
    expect(edited.locator(".message-edited")).to_have_text("(edited)")
    expect(message(bob_page, "Meet at nine")).to_have_count(0)

    act(bob_page, "Meet at ten", "forward")
    expect(bob_page.locator("[data-forward-bar]")).to_contain_text("1 selected")
    message(bob_page, "Bring snacks").click()  # choosing: a click adds it
    expect(bob_page.locator("[data-forward-bar]")).to_contain_text("2 selected")
    bob_page.locator("[data-forward-open]").click()
    dialog = bob_page.locator("#forward-dialog")
    dialog.locator("input[type=checkbox]").first.check()
    screenshot(bob_page, "forward-dialog")
    dialog.locator("[data-forward-send]").click()
    expect(dialog).to_be_hidden()
    for page in (alice_page, bob_page):
        expect(page.locator("#messages .message-forwarded")).to_have_count(2)
        expect(page.locator("#messages .message-forwarded").first).to_contain_text("Forwarded from Alice")

    act(bob_page, "Bring snacks", "hide")  # the forwarded copy, the last one
    expect(message(bob_page, "Bring snacks")).to_have_count(1)
    expect(message(alice_page, "Bring snacks")).to_have_count(2)
    screenshot(alice_page, "edited-and-forwarded")
