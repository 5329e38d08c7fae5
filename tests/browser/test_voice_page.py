"""A voice message in a real browser against the real server (gunicorn, gevent): Chromium's
fake microphone records through MediaRecorder, and the message plays in both open chats."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.factories import PASSWORD, make_friends
from tests.support.servers import Server

# A microphone that plays a beep, allowed without asking.
FAKE_MICROPHONE = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture
def chat(tmp_path_factory, browser):
    """(alice's page, bob's page): two friends with their chat open and live, in a Chromium
    of their own with the fake microphone (the shared one has none; Playwright starts this one
    from the same instance)."""
    server = Server(tmp_path_factory.mktemp("voice"))
    alice, bob = server.person("alice"), server.person("bob")
    conversation = make_friends(server.app, alice.id, bob.id)
    recording = browser.browser_type.launch(executable_path=CHROMIUM, headless=True,
                                            args=CHROMIUM_ARGS + FAKE_MICROPHONE)
    try:
        pages = []
        for person in (alice, bob):
            context = recording.new_context(base_url=server.url, locale="en-US", viewport={"width": 1280, "height": 860})
            context.grant_permissions(["microphone"], origin=server.url)
            context.set_default_timeout(10_000)
            page = context.new_page()
            log_in(page, person.username, PASSWORD)
            page.goto(f"/chat/{conversation}")
            expect(page.locator("[data-connection]")).to_have_text("Live")
            pages.append(page)
        yield pages[0], pages[1]
    finally:
        recording.close()
        server.stop()


def test_a_recorded_voice_message_plays_in_both_chats(chat):
    alice, bob = chat
    alice.get_by_test_id("voice-record").click()
    bar = alice.get_by_test_id("voice-bar")
    expect(bar).to_be_visible()
    expect(alice.get_by_test_id("voice-timer")).to_have_text("0:02", timeout=5_000)  # the timer runs
    screenshot(alice, "chat-voice-recording")
    alice.get_by_test_id("voice-send").click()
    expect(bar).to_be_hidden()

    for page in (alice, bob):
        message = page.locator("#messages .message").last
        expect(message.locator(".attachment-audio audio")).to_have_count(1)
        expect(message.get_by_test_id("audio-duration")).to_have_text(re.compile(r"^0:0[2-4]$"))
        # The player reads the served bytes (inline, as audio/webm).
        page.wait_for_function("() => document.querySelector('#messages .message:last-child audio').readyState >= 1")
    expect(bob.locator("#conversation-list [data-preview]").first).to_have_text(re.compile(r"^\[Voice\] 0:0[2-4]$"))
    expect(alice.locator("[data-uploads] .upload")).to_have_count(0)
    screenshot(bob, "chat-voice")
