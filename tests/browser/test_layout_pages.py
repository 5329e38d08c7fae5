"""Every main page on a phone (390x844, and 360 px wide) and a desktop (1280x800) in Chromium:
nothing wider than the screen, nothing cut off at the sides, the composer on the screen, emoji
in colour, and on the phone the chat page shows one pane at a time. Screenshots of each page
in each size go to test-artifacts/screenshots/."""
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.support.factories import PASSWORD
from tests.support.showcase import showcase

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
KEYBOARD_OPEN = {"width": 390, "height": 480}  # the phone with its on-screen keyboard up
NARROW = {"width": 360, "height": 740}  # the narrowest phone the pages are made for

# Elements a person reads or uses that lie (partly) outside the screen's width, and how wide
# the document is: a page fits when both say so.
OVERFLOW = """() => {
  const width = window.innerWidth;
  const outside = [];
  for (const el of document.querySelectorAll('a, button, input, select, textarea, label, summary, h1, h2, p, img, time')) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest('dialog:not([open]), .sr-only')) continue;
    if (box.left < -1 || box.right > width + 1) {
      outside.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent.trim().slice(0, 30)}" `
                   + `${Math.round(box.left)}..${Math.round(box.right)}`);
    }
  }
  return { scrollWidth: document.scrollingElement.scrollWidth, width, outside };
}"""


def misfits(page, name: str) -> list[str]:
    """What of `page` lies beyond the screen's sides (nothing when it fits); saves its
    screenshot as test-artifacts/screenshots/<name>.png."""
    (ARTIFACTS / "screenshots").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "screenshots" / f"{name}.png"), full_page=True)
    found = page.evaluate(OVERFLOW)
    wide = [f"{name}: {found['scrollWidth']} px wide"] if found["scrollWidth"] > found["width"] else []
    return wide + [f"{name}: {thing}" for thing in found["outside"]]


def colourful_pixels(locator) -> int:
    """How many pixels of `locator`'s screenshot are strongly coloured (not grey)."""
    image = Image.open(io.BytesIO(locator.screenshot())).convert("RGB")
    return sum(count for count, pixel in image.getcolors(image.width * image.height) if max(pixel) - min(pixel) > 90)


def assert_composer_on_screen(page) -> None:
    box = page.locator("#composer").bounding_box()
    height = page.viewport_size["height"]
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= height, f"composer at {box}, screen {height} high"


@pytest.mark.parametrize("size", SIZES)
def test_every_page_fits_the_screen_and_the_phone_shows_one_chat_pane(browser, live_server, size):
    ids = showcase(live_server.app)
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport=SIZES[size])
    context.set_default_timeout(10_000)
    page = context.new_page()
    phone = size == "phone"
    problems = []
    try:
        for path, name in (("/register", "register"), ("/login", "login")):
            page.goto(path)
            problems += misfits(page, f"{size}-{name}")
            if phone:
                page.set_viewport_size(NARROW)
                problems += misfits(page, f"narrow-{name}")
                page.set_viewport_size(SIZES[size])
        page.fill("#login", "alice")
        page.fill("#password", PASSWORD)
        page.click("main [type=submit]")
        page.wait_for_url("**/")

        # The chat page: on a phone the list alone, then the conversation alone with a way back.
        page.goto("/chat")
        chat_list, chat_main = page.locator(".chat-list"), page.locator(".chat-main")
        back = page.get_by_role("link", name="Back to conversations")
        expect(chat_list).to_be_visible()
        expect(chat_main).to_be_hidden() if phone else expect(chat_main).to_be_visible()
        problems += misfits(page, f"{size}-chat-list")
        chat_list.get_by_role("link", name="Bob").click()
        page.wait_for_url(f"**/chat/{ids['direct']}")
        expect(page.locator("#messages .message")).to_have_count(3)
        # Bob's "Hi Alice! 😀🎉" in his grey bubble: the emoji are drawn in colour.
        page.wait_for_function("document.fonts.status === 'loaded'")
        assert colourful_pixels(page.locator("#messages .message .message-text").first) > 50
        expect(chat_main).to_be_visible()
        expect(chat_list).to_be_hidden() if phone else expect(chat_list).to_be_visible()
        expect(back).to_be_visible() if phone else expect(back).to_be_hidden()
        assert_composer_on_screen(page)
        problems += misfits(page, f"{size}-chat-conversation")
        if phone:
            page.set_viewport_size(KEYBOARD_OPEN)
            page.locator("#composer-text").focus()
            assert_composer_on_screen(page)
            expect(page.locator("#messages .message").last).to_be_in_viewport()
            page.set_viewport_size(SIZES[size])
            back.click()
            page.wait_for_url("**/chat")
            expect(chat_list).to_be_visible()
            expect(chat_main).to_be_hidden()

        pages = ((f"/chat/{ids['group']}", "chat-group"), ("/friends", "friends"), ("/groups", "groups"),
                 (f"/groups/{ids['group']}", "group-detail"), ("/notifications", "notifications"),
                 ("/favorites", "favorites"), ("/mentions", "mentions"), ("/search?q=trail", "search"),
                 ("/profile", "profile"), ("/no-such-page", "error"))
        for path, name in pages:
            page.goto(path)
            problems += misfits(page, f"{size}-{name}")
        # The navigation reaches every page without scrolling sideways: Profile too.
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile")).to_be_in_viewport()
        if phone:  # and every page on the narrowest phone
            page.set_viewport_size(NARROW)
            for path, name in (("/chat", "chat-list"), (f"/chat/{ids['direct']}", "chat-conversation"), *pages):
                page.goto(path)
                problems += misfits(page, f"narrow-{name}")
            page.goto(f"/chat/{ids['direct']}")
            assert_composer_on_screen(page)
    finally:
        context.close()
    assert not problems, "\n".join(problems)
