"""Dense messages on the chat page, in Chromium against the real server: a run of messages from
one sender within a few minutes shows one avatar, name and time (also across a page of older
history and for live messages), message actions show on hover, keyboard focus or a long press
instead of taking a row under every message, and long messages fold with "Show more"."""
import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.timeutil import utcnow
from tests.browser.conftest import log_in, screenshot, send
from tests.support.factories import PASSWORD, make_friends, send_message

LONG = "\n".join(f"line {n} of a long story" for n in range(1, 31))  # 30 lines: folds
ONE_LINE_PX = 44  # the most a one-line message may take inside a run (it took ~97 px)

# For each message shown: its text's first line, and whether it shows its sender's avatar and
# name (it heads a run) - as the person sees it, from the computed layout.
HEADS = """list => [...list.querySelectorAll('.message')].map((li) => {
  const shown = (el) => { // visible, and more than a screen reader's 1-pixel box
    const box = el.getBoundingClientRect();
    return getComputedStyle(el).visibility !== 'hidden' && box.width > 1 && box.height > 1;
  };
  return [li.querySelector('.message-text').textContent.split('\\n')[0],
          shown(li.querySelector('.avatar')) && shown(li.querySelector('.message-meta strong'))];
})"""


def heads(page) -> list[str]:
    """The messages that show their sender's avatar and name, in order."""
    return [text for text, head in page.locator("#messages").evaluate(HEADS) if head]


@contextmanager
def noon_context(browser, server, **options):
    """A fresh browser context on `server` whose clock reads about noon now (an Etc/GMT zone),
    so an hour of seeded history never spans midnight (a day separator would split its runs)."""
    offset = 12 - utcnow().hour  # hours east of UTC; Etc/GMT zones count the other way round
    zone = "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"
    context = browser.new_context(base_url=server.url, locale="en-US", timezone_id=zone,
                                  viewport={"width": 1280, "height": 860}, **options)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def message(page, text: str):
    """The message whose text starts with `text` (the last, if several do)."""
    starts = re.compile(f"^{re.escape(text)}")
    return page.locator("#messages .message").filter(has=page.locator(".message-text", has_text=starts)).last


@pytest.fixture
def seeded(chat_server):
    """alice and bob, friends, with a history: 55 of bob's messages 10 s apart an hour ago (one
    run, longer than the page's 50), bob again after a gap, two of alice's, then bob's long
    story a minute ago. Returns (conversation id, alice, bob)."""
    app = chat_server.app
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    conversation = make_friends(app, alice.id, bob.id)
    now = utcnow()
    start = now - timedelta(minutes=70)
    for n in range(55):
        send_message(app, bob.id, conversation, f"early {n}", at=start + timedelta(seconds=10 * n))
    send_message(app, bob.id, conversation, "after the gap", at=now - timedelta(minutes=30))
    send_message(app, alice.id, conversation, "alice answers", at=now - timedelta(minutes=29))
    send_message(app, alice.id, conversation, "alice again", at=now - timedelta(minutes=28))
    send_message(app, bob.id, conversation, LONG, at=now - timedelta(minutes=1))
    return conversation, alice, bob


def test_runs_share_one_header_and_actions_wait_for_hover(chat_server, browser, seeded):
    conversation, alice, bob = seeded
    with noon_context(browser, chat_server) as context:
        dense_story(chat_server, context.new_page(), conversation, alice, bob)


def dense_story(chat_server, page, conversation, alice, bob):
    log_in(page, alice.username, PASSWORD)
    page.goto(f"/chat/{conversation}")
    expect(page.locator("[data-connection]")).to_have_text("Live")

    assert heads(page) == ["early 9", "after the gap", "alice answers", "line 1 of a long story"]
    top, second = message(page, "early 20").bounding_box(), message(page, "early 21").bounding_box()
    assert second["y"] - top["y"] <= ONE_LINE_PX, (top, second)
    assert top["height"] <= ONE_LINE_PX, top

    # Actions: no room taken, invisible until the pointer is over the message or focus is in it.
    node = message(page, "early 20")
    actions = node.locator(".message-actions")
    expect(actions).to_have_css("opacity", "0")
    node.hover()
    expect(actions).to_have_css("opacity", "1")
    expect(node.locator(".message-meta time")).to_have_css("opacity", "1")  # a continued message's time
    page.mouse.move(0, 0)
    expect(actions).to_have_css("opacity", "0")
    node.locator("[data-reply]").focus()
    expect(actions).to_have_css("opacity", "1")
    node.locator("[data-reply]").blur()
    assert node.locator(".message-meta time").get_attribute("title")  # with its date, on hover

    # The long story folds; Show more unfolds it, Show less folds it again.
    story = message(page, "line 1 of a long story")
    toggle = story.get_by_role("button", name="Show more")
    body = story.locator(".message-text")
    folded = body.bounding_box()["height"]
    assert folded < 300, folded
    expect(story.get_by_text("line 30 of a long story")).not_to_be_in_viewport()
    toggle.click()
    expect(story.get_by_role("button", name="Show less")).to_have_attribute("aria-expanded", "true")
    assert body.bounding_box()["height"] > folded * 1.5
    story.get_by_role("button", name="Show less").click()
    expect(story.get_by_role("button", name="Show more")).to_be_visible()
    screenshot(page, "message-density")

    # A live message from bob joins his run; alice's own then start a run of hers.
    chat_server.call(bob, "POST", f"/api/v1/conversations/{conversation}/messages", json={"body": "live one"})
    expect(message(page, "live one")).to_be_visible()
    send(page, "from the page")
    send(page, "and again")
    expect(page.locator("#messages .message.pending")).to_have_count(0)
    assert heads(page)[-2:] == ["line 1 of a long story", "from the page"]
    # Edited on another device, a message stays in its run, "(edited)" beside it.
    again = message(page, "and again")
    chat_server.call(alice, "PATCH", f"/api/v1/messages/{again.get_attribute('data-message-id')}",
                     json={"body": "and again, edited"})
    expect(again.locator(".message-edited")).to_be_visible()
    assert heads(page)[-2:] == ["line 1 of a long story", "from the page"]

    # Deleting the head of a run for oneself hands the header to the next message.
    page.once("dialog", lambda dialog: dialog.accept())
    head = message(page, "alice answers")
    head.hover()
    head.locator("[data-hide]").click()
    expect(message(page, "alice answers")).to_have_count(0)
    assert "alice again" in heads(page)

    # Older history: bob's run goes on across the page boundary under one header.
    page.locator("#messages").evaluate("list => { list.scrollTop = 0; }")
    expect(message(page, "early 0")).to_be_attached()
    assert heads(page)[:2] == ["early 0", "after the gap"]


def test_long_press_shows_actions_on_a_touch_screen(chat_server, browser, seeded):
    conversation, alice, _bob = seeded
    with noon_context(browser, chat_server, has_touch=True, is_mobile=True) as context:
        page = context.new_page()
        log_in(page, alice.username, PASSWORD)
        page.goto(f"/chat/{conversation}")
        node = message(page, "alice again")
        actions = node.locator(".message-actions")
        expect(actions).to_be_hidden()
        box = node.locator(".message-text").bounding_box()
        point = {"x": box["x"] + 10, "y": box["y"] + box["height"] / 2}
        cdp = context.new_cdp_session(page)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [point]})
        expect(actions).to_be_visible()  # after about half a second, still pressed
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        expect(actions).to_be_visible()
        screenshot(page, "message-actions-long-press")
        actions.locator("[data-reply]").tap()
        expect(page.locator("[data-reply-bar]")).to_be_visible()
