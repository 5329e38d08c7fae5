"""The chat page in a real browser against the real server (gunicorn, gevent): two people
chat live both ways, see typing, and the long-polling fallback carries the chat too."""
import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot, send
from tests.support.factories import PASSWORD, make_friends, make_group


def test_two_friends_chat_live_both_ways(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    alice_page, bob_page = chat_page(), chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    log_in(bob_page, bob.username, PASSWORD)
    alice_page.goto(f"/chat/{conversation}")
    bob_page.goto(f"/chat/{conversation}")
    expect(alice_page.locator("[data-connection]")).to_have_text("Live")
    expect(bob_page.locator("[data-connection]")).to_have_text("Live")

    send(alice_page, "Hello Bob :wave: see https://example.org <b>not bold</b>")
    mine = alice_page.locator("#messages .message.mine").last
    expect(mine).to_contain_text("Hello Bob 👋")
    expect(mine).not_to_have_class("pending")
    received = bob_page.locator("#messages .message").last
    expect(received).to_contain_text("Hello Bob 👋")
    expect(received.locator("a[href='https://example.org']")).to_have_count(1)
    expect(received.locator("b")).to_have_count(0)  # shown as text, never as HTML
    expect(received).to_contain_text("<b>not bold</b>")

    bob_page.locator("#composer-text").press_sequentially("Hi")
    expect(alice_page.locator("[data-typing]")).to_contain_text("is typing")
    bob_page.locator("#composer-text").press("Enter")
    expect(alice_page.locator("#messages .message").last).to_contain_text("Hi")
    screenshot(alice_page, "chat")

    # Enter sends, Shift+Enter adds a line, as the composer says.
    box = alice_page.locator("#composer-text")
    expect(box).to_have_attribute("placeholder", "Write a message… (Enter sends, Shift+Enter adds a line)")
    box.fill("line one")
    box.press("Shift+Enter")
    box.press_sequentially("line two")
    box.press("Enter")
    expect(bob_page.locator("#messages .message").last.locator(".message-text")).to_have_text("line one\nline two")
    assert len(bob_page.locator("#messages .message").all()) == 3


def test_long_polling_carries_the_chat(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    alice_page, bob_page = chat_page(), chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    log_in(bob_page, bob.username, PASSWORD)
    # ?poll forces the fallback, as a page behind a buffering proxy ends up using it.
    bob_page.goto(f"/chat/{conversation}?poll")
    alice_page.goto(f"/chat/{conversation}")
    expect(bob_page.locator("[data-connection]")).to_have_text("Live (polling)")
    for text in ("one", "two", "three"):
        send(alice_page, text)
    expect(bob_page.locator("#messages .message")).to_have_count(3)
    expect(bob_page.locator("#messages .message-text")).to_have_text(["one", "two", "three"])
    send(bob_page, "back to you")
    expect(alice_page.locator("#messages .message").last).to_contain_text("back to you")


def test_unread_badge_and_title_follow_new_messages(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    alice_page = chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    alice_page.goto("/chat")
    expect(alice_page.locator("[data-connection]")).to_have_count(0)  # no conversation open
    chat_server.call(bob, "POST", f"/api/v1/conversations/{conversation}/messages", json={"body": "ping"})
    item = alice_page.locator(f"#conversation-list [data-conversation-id='{conversation}']")
    expect(item.locator("[data-unread-badge]")).to_have_text("1")
    expect(alice_page).to_have_title("(1) Chat · Parley")
    item.locator("a").click()
    expect(alice_page.locator("#messages .message")).to_have_count(1)
    expect(item.locator("[data-unread-badge]")).to_be_hidden()


def test_group_chat_shows_members_and_who_is_online(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    make_friends(chat_server.app, alice.id, bob.id)
    group = make_group(chat_server.app, alice.id, "Trip", [bob.id])
    alice_page, bob_page = chat_page(), chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    log_in(bob_page, bob.username, PASSWORD)
    alice_page.goto(f"/chat/{group}")
    expect(alice_page.locator("[data-testid=member-count]")).to_have_text("2 members")
    expect(alice_page.locator("[data-online-count]")).to_have_text("1 online")
    bob_page.goto(f"/chat/{group}")
    expect(alice_page.locator("[data-online-count]")).to_have_text("2 online")
    send(bob_page, "Who brings the map?")
    expect(alice_page.locator("#messages .message").last).to_contain_text("Who brings the map?")
    bob_page.close()
    expect(alice_page.locator("[data-online-count]")).to_have_text("1 online", timeout=15_000)


def test_a_new_group_appears_in_the_open_conversation_list(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(chat_server.app, alice.id, bob.id)
    page = chat_page()
    log_in(page, alice.username, PASSWORD)
    page.goto(f"/chat/{conversation}")
    expect(page.locator("[data-connection]")).to_have_text("Live")
    created = chat_server.call(bob, "POST", "/api/v1/groups", json={"name": "Book club", "member_ids": [alice.id]})
    assert created.status_code == 201
    group = created.json()["id"]
    item = page.locator(f"#conversation-list [data-conversation-id='{group}']")
    expect(item).to_contain_text("Book club")
    expect(page.locator("#conversation-list [data-conversation-id]").first).to_have_attribute(
        "data-conversation-id", str(group))  # newest activity first
    item.locator("a").click()
    expect(page.locator("[data-testid=conversation-name]")).to_have_text("Book club")


def test_a_new_nickname_shows_at_once_on_the_others_page(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    direct = make_friends(chat_server.app, alice.id, bob.id)
    group = make_group(chat_server.app, alice.id, "Trip", [bob.id])
    alice_page, bob_page = chat_page(), chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    log_in(bob_page, bob.username, PASSWORD)
    chat_server.call(bob, "POST", f"/api/v1/conversations/{group}/messages", json={"body": "Map's on me"})
    alice_page.goto(f"/chat/{group}")
    expect(alice_page.locator("[data-connection]")).to_have_text("Live")
    bobs_message = alice_page.locator("#messages .message").last
    expect(bobs_message.locator(".message-meta strong")).to_have_text(re.compile(r"^Bob\d+$"))

    bob_page.goto("/profile")
    bob_page.locator("input[name='nickname-nickname']").fill("Captain Bob")
    bob_page.locator("input[name='nickname-nickname']").press("Enter")
    expect(bob_page.locator(".account-name")).to_have_text("Captain Bob")

    # No reload on alice's side: her open page follows.
    expect(bobs_message.locator(".message-meta strong")).to_have_text("Captain Bob")
    expect(alice_page.locator(f"[data-member-id='{bob.id}']")).to_contain_text("Captain Bob")
    direct_item = alice_page.locator(f"#conversation-list [data-conversation-id='{direct}']")
    expect(direct_item).to_contain_text("Captain Bob")
