"""Replies on the chat page in a real browser against the real server (gunicorn, gevent):
bob replies quoting alice's message, alice sees the quote live and clicking it jumps to the
original, on the page or opened with its context; a recalled original shows in its quotes."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.support.factories import PASSWORD, make_friends, send_message


@pytest.fixture
def friends(chat_server, chat_page):
    """alice and bob, friends, each on the chat page of their conversation once it is live:
    (conversation id, alice, bob, alice's page, bob's page), pages opened by `open_pages()`."""
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    pages = {}

    def open_pages():
        for person in (alice, bob):
            page = pages[person.username] = chat_page()
            log_in(page, person.username, PASSWORD)
            page.goto(f"/chat/{conversation}")
            expect(page.locator("[data-connection]")).to_have_text("Live")
        return pages[alice.username], pages[bob.username]
    return conversation, alice, bob, open_pages


def message(page, text: str):
    """The message on `page` whose own text is `text`."""
    return page.locator("#messages .message").filter(has=page.locator(".message-text", has_text=text))


def start_reply(page, text: str) -> None:
    node = message(page, text)
    node.hover()
    node.locator("[data-reply]").click()


def test_reply_quotes_the_original_live_and_jumps_to_it(chat_server, friends):
    conversation, alice, bob, open_pages = friends
    send_message(chat_server.app, alice.id, conversation, "Where shall we meet?")
    for n in range(30):  # enough to scroll the original out of view
        send_message(chat_server.app, alice.id, conversation, f"filler {n}")
    alice_page, bob_page = open_pages()

    start_reply(bob_page, "Where shall we meet?")
    bar = bob_page.locator("[data-reply-bar]")
    expect(bar).to_be_visible()
    expect(bar).to_contain_text(f"Replying to {alice.username.capitalize()}:")
    expect(bar).to_contain_text("Where shall we meet?")
    screenshot(bob_page, "reply-composer")
    bob_page.locator("#composer-text").press("Escape")  # Esc cancels the reply
    expect(bar).to_be_hidden()
    start_reply(bob_page, "Where shall we meet?")
    box = bob_page.locator("#composer-text")
    box.fill("At the <b>station</b>")
    box.press("Enter")
    expect(bar).to_be_hidden()
    mine = bob_page.locator("#messages .message.mine").last
    expect(mine).not_to_have_class(re.compile("pending"))
    expect(mine.locator(".message-quote")).to_contain_text("Where shall we meet?")

    reply = alice_page.locator("#messages .message").last
    expect(reply).to_contain_text("At the <b>station</b>")  # text, never HTML
    quote = reply.locator(".message-quote")
    expect(quote).to_contain_text(alice.username.capitalize())
    expect(quote).to_contain_text("Where shall we meet?")
    original = message(alice_page, "Where shall we meet?")
    expect(original).not_to_be_in_viewport()
    screenshot(alice_page, "reply-quote")
    quote.click()
    expect(original).to_have_class(re.compile("focused"))
    expect(original).to_be_in_viewport()

    # A plain message after the reply quotes nothing.
    bob_page.locator("#composer-text").fill("no quote")
    bob_page.locator("#composer-text").press("Enter")
    expect(alice_page.locator("#messages .message").last).to_contain_text("no quote")
    expect(alice_page.locator("#messages .message").last.locator(".message-quote")).to_have_count(0)


def test_quote_opens_an_original_not_on_the_page_with_its_context(chat_server, friends):
    conversation, alice, bob, open_pages = friends
    first = send_message(chat_server.app, alice.id, conversation, "The very first message")
    for n in range(60):  # more than the page shows (50): the original is not on it
        send_message(chat_server.app, alice.id, conversation, f"later {n}")
    alice_page, bob_page = open_pages()
    expect(message(alice_page, "The very first message")).to_have_count(0)

    response = chat_server.call(bob, "POST", f"/api/v1/conversations/{conversation}/messages",
                                json={"body": "Replying to the start", "reply_to": first})
    assert response.status_code == 201, response.text
    quote = alice_page.locator("#messages .message").last.locator(".message-quote")
    expect(quote).to_contain_text("The very first message")
    quote.click()
    alice_page.wait_for_url(re.compile(rf"/chat/{conversation}\?message={first}$"))
    original = message(alice_page, "The very first message")
    expect(original).to_have_class(re.compile("focused"))
    expect(original).to_be_in_viewport()
    expect(message(alice_page, "later 0")).to_have_count(1)  # with what follows it
    expect(alice_page.locator("#messages .message").last).to_contain_text("Replying to the start")


def test_recalled_original_shows_as_recalled_in_its_quotes(chat_server, friends):
    conversation, alice, bob, open_pages = friends
    alice_page, bob_page = open_pages()
    box = alice_page.locator("#composer-text")
    box.fill("Meet at noon")
    box.press("Enter")
    start_reply(bob_page, "Meet at noon")
    bob_page.locator("#composer-text").fill("OK")
    bob_page.locator("#composer-text").press("Enter")
    quote = alice_page.locator("#messages .message").last.locator(".message-quote")
    expect(quote).to_contain_text("Meet at noon")

    alice_page.once("dialog", lambda dialog: dialog.accept())
    original = message(alice_page, "Meet at noon")
    original.hover()
    original.locator("[data-recall]").click()
    for page in (alice_page, bob_page):
        expect(page.locator("#messages .message").last.locator(".message-quote")).to_contain_text(
            "This message was recalled")
        expect(page.locator("#messages .message").last.locator(".message-quote")).not_to_contain_text("Meet at noon")
    # A new page shows it recalled too, from history.
    bob_page.reload()
    expect(bob_page.locator("#messages .message").last.locator(".message-quote")).to_contain_text(
        "This message was recalled")
