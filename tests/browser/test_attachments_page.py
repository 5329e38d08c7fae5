"""Images, files and favorites in a real browser against the real server (gunicorn, gevent):
an image sent by one person appears as a thumbnail in the other's open chat without a
reload; files, drop, paste, cancel, favorites and recall work from the chat page."""
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import log_in, page_factory, screenshot
from tests.support.factories import PASSWORD, make_friends
from tests.support.servers import Server


def png_bytes(width: int = 640, height: int = 480, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def chat(tmp_path_factory, browser):
    """(server, alice's page, bob's page, conversation id): two friends, both with the chat
    open and live."""
    server = Server(tmp_path_factory.mktemp("attachments"))
    alice, bob = server.person("alice"), server.person("bob")
    conversation = make_friends(server.app, alice.id, bob.id)
    with page_factory(browser, server.url) as factory:
        pages = factory(), factory()
        for page, person in zip(pages, (alice, bob)):
            log_in(page, person.username, PASSWORD)
            page.goto(f"/chat/{conversation}")
            expect(page.locator("[data-connection]")).to_have_text("Live")
        yield server, pages[0], pages[1], conversation
    server.stop()


def test_an_image_appears_as_a_thumbnail_in_the_other_open_chat(chat):
    _server, alice, bob, _conversation = chat
    alice.locator("#composer-text").fill("our trip")  # becomes the caption
    alice.locator("[data-attach-input]").set_input_files(
        {"name": "trip.png", "mimeType": "image/png", "buffer": png_bytes()})

    thumbnail = bob.locator("#messages .message").last.locator(".attachment-image img")
    expect(thumbnail).to_be_visible()
    expect(bob.locator("#messages .message").last).to_contain_text("our trip")
    assert bob.evaluate("(img) => img.complete && img.naturalWidth", thumbnail.element_handle()) == 320
    assert "/thumbnail" in thumbnail.get_attribute("src")
    expect(alice.locator("[data-uploads] .upload")).to_have_count(0)  # the upload row is gone

    thumbnail.click()  # opens full size in the viewer
    viewer = bob.locator("#lightbox")
    expect(viewer).to_be_visible()
    expect(viewer.locator("img")).to_have_attribute("src", thumbnail.evaluate("(img) => img.closest('a').getAttribute('href')"))
    bob.wait_for_function("() => document.querySelector('#lightbox img').naturalWidth === 640")  # full size
    screenshot(bob, "chat-image")
    bob.keyboard.press("Escape")


def test_a_file_shows_its_name_size_and_a_download_link(chat):
    _server, alice, bob, _conversation = chat
    alice.locator("[data-attach-input]").set_input_files(
        {"name": "会议记录.txt", "mimeType": "text/plain", "buffer": b"minutes of the meeting\n" * 100})
    card = bob.locator("#messages .message").last.locator(".attachment-file")
    expect(card).to_contain_text("会议记录.txt")
    expect(card).to_contain_text("2.2 KB · text/plain")
    href = card.get_attribute("href")
    with bob.expect_download() as download:
        card.click()
    assert download.value.suggested_filename == "会议记录.txt"
    assert href.startswith("/attachments/")


def test_dropped_and_pasted_images_are_sent(chat):
    _server, alice, bob, _conversation = chat
    for event in ("drop", "paste"):
        alice.evaluate("""([kind, bytes]) => {
            const file = new File([new Uint8Array(bytes)], kind + '.png', { type: 'image/png' });
            const data = new DataTransfer();
            data.items.add(file);
            if (kind === 'drop') {
              const area = document.querySelector('.chat-main');
              area.dispatchEvent(new DragEvent('dragenter', { dataTransfer: data, bubbles: true }));
              area.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
            } else {
              document.querySelector('#composer-text').dispatchEvent(
                new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
            }
        }""", [event, list(png_bytes(64, 48, "orange"))])
        expect(bob.locator("#messages .message .attachment-image img[alt='%s.png']" % event)).to_be_visible()
    expect(alice.locator("[data-drop-hint]")).to_be_hidden()


def test_a_cancelled_upload_sends_nothing(chat):
    _server, alice, bob, _conversation = chat
    held = []  # the upload is held on its way (a slow link), so it is still in flight
    alice.route("**/attachments", lambda route: held.append(route))
    alice.locator("[data-attach-input]").set_input_files(
        {"name": "big.bin", "mimeType": "application/octet-stream", "buffer": bytes(256 * 1024)})
    row = alice.locator("[data-uploads] .upload")
    expect(row.locator("progress")).to_be_visible()
    for _ in range(100):  # the route handler runs as Playwright pumps events
        if held:
            break
        alice.wait_for_timeout(50)
    assert held, "the upload never started"
    row.get_by_role("button", name="Cancel").click()
    expect(row).to_have_count(0)
    # The held request must not be let through afterwards: unroute would continue it, and a
    # cancelled upload's bytes never reach the server on a real link either.
    for route in held:
        try:
            route.abort()
        except PlaywrightError:  # already settled by the cancel
            pass
    alice.unroute("**/attachments")
    alice.locator("#composer-text").fill("after the cancel")
    alice.locator("#composer-text").press("Enter")
    expect(bob.locator("#messages .message").last).to_contain_text("after the cancel")
    assert bob.locator("#messages .attachment-file").count() == 0


def test_too_large_a_file_is_refused_in_the_page_with_the_limits(chat):
    _server, alice, _bob, _conversation = chat
    alice.locator("[data-attach-input]").set_input_files(
        {"name": "huge.png", "mimeType": "image/png", "buffer": bytes(11 * 1024 * 1024)})
    failed = alice.locator("[data-uploads] .upload.failed")
    expect(failed).to_contain_text("huge.png is too large: images up to 10 MB, files up to 50 MB.")


def test_favorite_from_the_chat_then_find_it_by_type(chat):
    _server, alice, bob, _conversation = chat
    alice.locator("[data-attach-input]").set_input_files(
        {"name": "sunset.png", "mimeType": "image/png", "buffer": png_bytes(200, 100, "orange")})
    alice.locator("#composer-text").fill("a text to keep")
    alice.locator("#composer-text").press("Enter")
    image = bob.locator("#messages .message", has=bob.locator(".attachment-image"))
    text = bob.locator("#messages .message", has_text="a text to keep")
    for message in (image, text):
        message.hover()
        message.locator("[data-favorite]").click()
        expect(message.locator("[data-favorite]")).to_have_attribute("aria-pressed", "true")
    bob.goto("/favorites?type=image")
    favorites = bob.locator("[data-testid=favorites] .favorite")
    expect(favorites).to_have_count(1)
    expect(favorites.first.locator(".attachment-image img")).to_have_attribute("alt", "sunset.png")
    bob.get_by_test_id("tab-text").click()
    expect(favorites).to_have_count(1)
    expect(favorites.first).to_contain_text("a text to keep")
    screenshot(bob, "favorites")
    favorites.first.get_by_role("link", name="Open in chat").click()
    expect(bob.locator("#messages .message.focused")).to_contain_text("a text to keep")


def test_recall_takes_a_message_back_for_both(chat):
    _server, alice, bob, _conversation = chat
    alice.locator("#composer-text").fill("oops, wrong chat")
    alice.locator("#composer-text").press("Enter")
    expect(bob.locator("#messages .message").last).to_contain_text("oops, wrong chat")
    mine = alice.locator("#messages .message.mine").last
    expect(mine).to_have_attribute("data-message-id", re.compile(r"\d+"))
    alice.once("dialog", lambda dialog: dialog.accept())
    mine.hover()
    mine.locator("[data-recall]").click()
    expect(alice.locator("#messages .message").last).to_contain_text("You recalled a message")
    expect(bob.locator("#messages .message").last).to_contain_text(re.compile(r"Alice\d* recalled a message"))
    expect(bob.locator("#messages")).not_to_contain_text("oops, wrong chat")
