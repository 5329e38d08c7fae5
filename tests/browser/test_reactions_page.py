"""Reactions and pins on the chat page in a real browser against the real server (gunicorn,
gevent): bob reacts to alice's message from the React picker and alice sees the chip live;
her click on it adds hers (highlighted, both named in its title), a second click takes it back;
bob pins the message and alice's pinned bar shows it live, jumping to it; unpinning empties it."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.support.factories import PASSWORD, make_friends, send_message


def message(page, text: str):
    return page.locator("#messages .message").filter(has=page.locator(".message-text", has_text=text))


def test_reactions_and_pins_show_live_on_both_pages(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    send_message(chat_server.app, alice.id, conversation, "Lunch at noon?")
    for n in range(30):  # enough to scroll the message out of view
        send_message(chat_server.app, alice.id, conversation, f"filler {n}")
    pages = []
    for person in (alice, bob):
        page = chat_page()
        log_in(page, person.username, PASSWORD)
        page.goto(f"/chat/{conversation}")
        expect(page.locator("[data-connection]")).to_have_text("Live")
        pages.append(page)
    alice_page, bob_page = pages

    node = message(bob_page, "Lunch at noon?")
    node.scroll_into_view_if_needed()
    node.hover()
    node.locator("[data-react]").click()
    bob_page.locator("#reaction-picker [data-react-emoji='👍']").click()
    expect(bob_page.locator("#reaction-picker")).to_be_hidden()
    expect(node.locator(".reaction-chip")).to_have_text("👍 1")
    expect(node.locator(".reaction-chip")).to_have_class(re.compile("mine"))

    chip = message(alice_page, "Lunch at noon?").locator(".reaction-chip")
    expect(chip).to_have_text("👍 1")  # live
    expect(chip).not_to_have_class(re.compile("mine"))
    chip.click()
    expect(chip).to_have_text("👍 2")
    expect(chip).to_have_class(re.compile("mine"))
    names = f"{bob.username.capitalize()}, {alice.username.capitalize()}"  # nicknames
    expect(chip).to_have_attribute("title", f"Reacted: {names}")
    expect(node.locator(".reaction-chip")).to_have_text("👍 2")
    screenshot(alice_page, "reactions")
    chip.click()
    expect(chip).to_have_text("👍 1")
    expect(node.locator(".reaction-chip")).to_have_text("👍 1")

    node.locator("[data-pin]").click()
    bar = alice_page.locator("[data-pinned]")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Lunch at noon?")
    screenshot(alice_page, "pinned-bar")
    original = message(alice_page, "Lunch at noon?")
    alice_page.locator("#messages").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    expect(original).not_to_be_in_viewport()
    bar.locator("[data-pin-jump]").click()
    expect(original).to_have_class(re.compile("focused"))
    expect(original).to_be_in_viewport()
    bar.locator("[data-unpin]").click()
    expect(bar).to_be_hidden()
    expect(bob_page.locator("[data-pinned]")).to_be_hidden()
    expect(node.locator("[data-pin]")).to_have_text("Pin")
