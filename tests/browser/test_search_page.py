"""Search in a real browser: from the chat page's search box to the results, and from a result
into the conversation at that message, with the messages around it."""
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.support.factories import PASSWORD, create_user, make_friends, send_message


def test_bob_searches_two_chinese_characters_and_opens_the_hit_in_context(live_server, new_page):
    app = live_server.app
    alice = create_user(app, "alice", nickname="Alice")
    bob = create_user(app, "bob", nickname="Bob")
    conversation = make_friends(app, alice, bob)
    send_message(app, alice, conversation, "上周的事情先放一放")
    target = send_message(app, alice, conversation, "我们明天下午开会,<b>别迟到</b>")
    for n in range(60):  # enough newer messages that the hit is not on the chat's first page
        send_message(app, bob if n % 2 else alice, conversation, f"later message {n}")
    page = new_page()
    log_in(page, "bob", PASSWORD)
    page.goto("/chat")
    page.get_by_test_id("chat-search").fill("开会")
    page.get_by_test_id("chat-search").press("Enter")

    hits = page.get_by_test_id("search-hit")
    expect(hits).to_have_count(1)
    expect(hits.first).to_contain_text("Alice")
    expect(hits.first.locator("mark")).to_have_text("开会")
    expect(hits.first).to_contain_text("<b>别迟到</b>")  # the message's markup shown as text
    screenshot(page, "search-results")

    hits.first.click()
    page.wait_for_url(f"**/chat/{conversation}?message={target}")
    focused = page.locator(f"#messages .message.focused[data-message-id='{target}']")
    expect(focused).to_be_visible()
    expect(focused).to_contain_text("我们明天下午开会")
    expect(page.locator("#messages")).to_contain_text("上周的事情先放一放")  # the context before it
    screenshot(page, "search-opened-in-chat")


def test_searching_with_nothing_to_find_keeps_the_query_and_says_why(live_server, new_page):
    create_user(live_server.app, "bob", nickname="Bob")
    page = new_page()
    log_in(page, "bob", PASSWORD)
    page.goto("/search?q=%3F%21")
    expect(page.get_by_test_id("search-error")).to_have_text("Type a word to search for.")
    expect(page.get_by_test_id("search-q")).to_have_value("?!")
