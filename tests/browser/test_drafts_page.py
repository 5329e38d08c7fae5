"""Drafts on the chat page in a real browser: what alice typed to bob and did not send is back
when she returns from another conversation or reloads, the caret at its end; once sent, gone."""
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.support.factories import PASSWORD, make_friends


def test_unsent_text_is_kept_per_conversation_until_sent(chat_server, chat_page):
    alice, bob, carol = (chat_server.person(name) for name in ("alice", "bob", "carol"))
    with_bob = make_friends(chat_server.app, alice.id, bob.id)
    with_carol = make_friends(chat_server.app, alice.id, carol.id)
    page = chat_page()
    log_in(page, alice.username, PASSWORD)
    page.goto(f"/chat/{with_bob}")
    box = page.locator("#composer-text")
    box.press_sequentially("half a thought")

    page.goto(f"/chat/{with_carol}")
    expect(box).to_have_value("")  # each conversation has its own draft
    page.goto(f"/chat/{with_bob}")
    expect(box).to_have_value("half a thought")
    assert box.evaluate("b => [b.selectionStart, b.selectionEnd]") == [14, 14]
    page.reload()
    expect(box).to_have_value("half a thought")

    box.press("End")
    box.press_sequentially(", finished")
    box.press("Enter")
    expect(page.locator("#messages .message.mine").last).to_contain_text("half a thought, finished")
    page.reload()
    expect(box).to_have_value("")
