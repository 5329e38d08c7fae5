"""The whole story, end to end, in Debian's Chromium against the real server (gunicorn,
gevent) with its mail going to a real SMTP server: two people register with the emailed code,
log in, become friends, chat live both ways, send an image and a file, keep them as favorites,
share a group and one of them quits it; a page whose event stream is blocked carries the chat
by long-polling. Screenshots of the main pages go to test-artifacts/walkthrough-*.png."""
import io
import re
from urllib.parse import urlparse

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import log_in, page_factory, screenshot
from tests.support.factories import PASSWORD
from tests.support.servers import Server

FALLBACK_TIMEOUT = 20_000  # ms: the page gives up on a silent stream after 4 s; slack for load


def png_bytes(width: int = 640, height: int = 480, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def story_server(tmp_path_factory, mailbox):
    """The real server, mailing through the test's SMTP server."""
    running = Server(tmp_path_factory.mktemp("walkthrough"), {
        "FLASK_MAIL_SERVER": "127.0.0.1",
        "FLASK_MAIL_PORT": str(mailbox.port),
        "FLASK_MAIL_SUPPRESS_SEND": "false",
        # A heartbeat every 5 s keeps the page's liveness window (two heartbeats) wide enough
        # that a busy machine never pushes a healthy stream into the polling fallback.
        "FLASK_EVENT_HEARTBEAT": "5",
    })
    yield running
    running.stop()


def go(page, link: str, url: str) -> None:
    """Follow the navigation's `link` and wait for the page at `url` (a glob) to load."""
    page.locator("header nav").get_by_role("link", name=link).click()
    page.wait_for_url(url)


def register(page, mailbox, username: str, nickname: str, email: str, shot: str | None = None) -> None:
    """Register through /register: "Send code", the code from the mail, "Create account"."""
    page.goto("/register")
    page.fill("#username", username)
    page.fill("#nickname", nickname)
    page.fill("#email", email)
    page.get_by_role("button", name="Send code").click()
    expect(page.locator(".flash-info")).to_contain_text(f"We sent a 6-digit code to {email}")
    expect(page.locator("#username")).to_have_value(username)  # kept across the step
    page.fill("#code", mailbox.code_for(email))
    page.fill("#password", PASSWORD)
    if shot:
        screenshot(page, shot)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/")
    expect(page.locator(".flash-success")).to_have_text(f"Welcome to Parley, {nickname}!")


def log_out(page) -> None:
    page.locator("header").get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    expect(page.locator(".flash-info")).to_have_text("You are logged out.")


def send(page, text: str) -> None:
    box = page.locator("#composer-text")
    box.fill(text)
    box.press("Enter")


def open_conversation(page, name: str, connection: str = "Live", timeout: float | None = None) -> None:
    """From the chat page's list, open the conversation called `name`; wait until the page
    says it is connected as `connection`."""
    title = page.locator(".conversation-name").get_by_text(name, exact=True)
    page.locator("#conversation-list [data-conversation-id]").filter(has=title).locator("a").click()
    page.wait_for_url("**/chat/*")
    expect(page.get_by_test_id("conversation-name")).to_have_text(name)
    expect(page.locator("[data-connection]")).to_have_text(connection, timeout=timeout)


def favorite(message) -> None:
    """Press ☆ on `message` (shown on hover); it turns into ★."""
    star = message.locator("[data-favorite]")
    message.hover()
    expect(star).to_have_text("☆")
    star.click()
    expect(star).to_have_text("★")
    expect(star).to_have_attribute("aria-pressed", "true")


def test_two_people_go_through_the_whole_story(browser, story_server, mailbox):
    page_errors = []
    with page_factory(browser, story_server.url) as new_page:
        def watched(page):
            page.on("pageerror", lambda error: page_errors.append(f"{page.url}: {error}"))
            return page

        alice, bob = watched(new_page()), watched(new_page())

        # -- Register with the mailed code, log out, log in again through /login.
        register(alice, mailbox, "alice", "Alice", "alice@example.org", shot="walkthrough-register")
        register(bob, mailbox, "bob", "Bob", "bob@example.org")
        for address in ("alice@example.org", "bob@example.org"):
            assert len(mailbox.to(address)) == 1  # one code each, through SMTP
        log_out(alice)
        alice.fill("#login", "alice")
        alice.fill("#password", PASSWORD)
        screenshot(alice, "walkthrough-login")
        alice.get_by_role("button", name="Log in").click()
        alice.wait_for_url("**/")
        expect(alice.locator("h1")).to_have_text("Hello, Alice")
        log_out(bob)
        log_in(bob, "bob@example.org", PASSWORD)  # by email this time
        expect(bob.locator("h1")).to_have_text("Hello, Bob")

        # -- Alice finds Bob by username and asks him, with a reason.
        go(alice, "Friends", "**/friends")
        alice.fill("#q", "bo")
        alice.locator("#find-people").get_by_role("button", name="Search").click()
        alice.wait_for_url("**/friends?q=bo")
        found = alice.locator("[data-testid=search-results] [data-user-id]").filter(has_text="@bob")
        expect(found).to_have_count(1)
        found.get_by_role("button", name="Add friend").click()
        dialog = alice.locator("#add-friend-dialog")
        expect(dialog.locator("#add-username")).to_have_value("bob")
        dialog.locator("#add-reason").fill("Alice from the climbing club")
        dialog.get_by_role("button", name="Send request").click()
        expect(dialog).to_be_hidden()
        expect(alice.locator("#live-status")).to_contain_text("Friend request sent.")
        expect(found.locator(".relation")).to_have_text("Request sent")
        screenshot(alice, "walkthrough-friends")

        # -- Bob sees it on /notifications, with the count in the navigation, and accepts.
        go(bob, "Notifications", "**/notifications")
        expect(bob.get_by_test_id("pending-count")).to_have_text("1")
        request = bob.locator("[data-testid=received-requests] [data-request-id]")
        expect(request).to_have_count(1)
        expect(request).to_contain_text("Alice")
        expect(request).to_contain_text("Alice from the climbing club")
        screenshot(bob, "walkthrough-notifications")
        request.get_by_role("button", name="Accept").click()
        expect(request.locator("[data-status-label]")).to_have_text("accepted")
        expect(bob.get_by_test_id("pending-count")).to_have_count(0)
        go(alice, "Notifications", "**/notifications")
        sent = alice.locator("[data-testid=sent-requests] [data-request-id]")
        expect(sent).to_have_count(1)
        expect(sent).to_contain_text("Bob")
        expect(sent.locator("[data-status-label]")).to_have_text("accepted")

        # -- Both open their chat; messages arrive live both ways (no reload).
        for page, peer in ((alice, "Bob"), (bob, "Alice")):
            go(page, "Chat", "**/chat")
            open_conversation(page, peer)
            page.evaluate("window.walkthroughLoaded = true")  # gone if the page ever reloads
        send(alice, "Hi Bob! Climbing on Saturday? :mountain:")
        expect(bob.locator("#messages .message").last).to_contain_text("Hi Bob! Climbing on Saturday? ⛰")
        send(bob, "Sure, I'll bring the rope")
        expect(alice.locator("#messages .message").last).to_contain_text("Sure, I'll bring the rope")
        expect(alice.locator("#messages .message")).to_have_count(2)
        expect(bob.locator("#messages .message")).to_have_count(2)

        # -- Alice sends an image, Bob a file, through the composer's file input.
        alice.locator("[data-attach-input]").set_input_files(
            {"name": "crag.png", "mimeType": "image/png", "buffer": png_bytes()})
        image = bob.locator("#messages .message", has=bob.locator(".attachment-image"))
        thumbnail = image.locator(".attachment-image img")
        expect(thumbnail).to_have_attribute("alt", "crag.png")
        expect(thumbnail).to_have_attribute("src", re.compile(r"/thumbnail$"))
        expect(thumbnail).to_be_visible()
        expect(alice.locator("#messages .message.mine .attachment-image img")).to_be_visible()
        bob.locator("[data-attach-input]").set_input_files(
            {"name": "route-notes.txt", "mimeType": "text/plain", "buffer": b"Pitch one is 5c and well bolted.\n" * 40})
        card = alice.locator("#messages .message .attachment-file")
        expect(card).to_contain_text("route-notes.txt")
        expect(card).to_contain_text("text/plain")
        expect(card).to_have_attribute("href", re.compile(r"^/attachments/"))
        expect(bob.locator("#messages .message.mine .attachment-file")).to_contain_text("route-notes.txt")
        for page in (alice, bob):
            expect(page.locator("#messages .message")).to_have_count(4)
            assert page.evaluate("window.walkthroughLoaded") is True
        screenshot(bob, "walkthrough-chat")

        # -- Bob keeps both as favorites (☆) and finds each under its type on /favorites.
        file_message = bob.locator("#messages .message", has=bob.locator(".attachment-file"))
        favorite(image)
        favorite(file_message)
        go(bob, "Favorites", "**/favorites")
        favorites = bob.locator("[data-testid=favorites] .favorite")
        expect(favorites).to_have_count(2)
        bob.get_by_test_id("tab-image").click()
        bob.wait_for_url("**/favorites?type=image")
        expect(favorites).to_have_count(1)
        expect(favorites.locator(".attachment-image img")).to_have_attribute("alt", "crag.png")
        screenshot(bob, "walkthrough-favorites")
        bob.get_by_test_id("tab-file").click()
        bob.wait_for_url("**/favorites?type=file")
        expect(favorites).to_have_count(1)
        expect(favorites.locator(".file-name")).to_have_text("route-notes.txt")

        # -- Alice creates a group with Bob; both see its conversation; a message arrives live.
        go(alice, "Groups", "**/groups")
        alice.get_by_role("button", name="Create group").click()
        create = alice.locator("#create-group-dialog")
        create.locator("#group-name").fill("Saturday climbers")
        create.get_by_label("Bob").check()
        create.get_by_role("button", name="Create", exact=True).click()
        alice.wait_for_url("**/groups/*")
        expect(alice.get_by_test_id("group-name")).to_have_text("Saturday climbers")
        expect(alice.locator("#member-list [data-user-id]")).to_have_count(2)
        expect(alice.locator("#member-list")).to_contain_text("Bob")
        screenshot(alice, "walkthrough-group-page")
        go(bob, "Groups", "**/groups")
        row = bob.locator("#group-list [data-group-id]").filter(has_text="Saturday climbers")
        expect(row).to_contain_text("2 members")
        screenshot(bob, "walkthrough-groups")
        for page in (alice, bob):
            go(page, "Chat", "**/chat")
            open_conversation(page, "Saturday climbers")
            expect(page.get_by_test_id("member-count")).to_have_text("2 members")
        send(alice, "Welcome to the group, Bob")
        expect(bob.locator("#messages .message")).to_have_count(1)
        expect(bob.locator("#messages .message")).to_contain_text("Welcome to the group, Bob")

        # -- Bob quits the group from its row's menu (right-click), after confirming.
        go(bob, "Groups", "**/groups")
        row.click(button="right")
        bob.locator("#group-menu").get_by_role("menuitem", name="Quit group").click()
        confirm = bob.locator("#confirm-dialog")
        expect(confirm).to_contain_text("Quit Saturday climbers?")
        confirm.get_by_role("button", name="Quit group").click()
        expect(row).to_have_count(0)
        expect(bob.get_by_test_id("group-count")).to_have_text("0")
        expect(bob.locator("#live-status")).to_contain_text("You left Saturday climbers.")
        bob.reload()
        expect(bob.locator("#group-list [data-group-id]")).to_have_count(0)

        # -- A page whose event stream is blocked (a buffering proxy) falls back to
        # long-polling, and Alice's messages reach it, each exactly once.
        go(alice, "Chat", "**/chat")
        open_conversation(alice, "Bob")
        polled = watched(bob.context.new_page())
        held = []  # the stream's requests, never answered
        polled.route(lambda url: urlparse(url).path == "/events", lambda route: held.append(route))
        polls = []
        polled.on("request", lambda request: polls.append(request.url)
                  if urlparse(request.url).path == "/events/poll" else None)
        polled.goto("/chat")
        open_conversation(polled, "Alice", "Live (polling)", timeout=FALLBACK_TIMEOUT)
        assert held, "the page never tried the stream"
        assert polls, "the page never polled"
        shown = polled.locator("#messages .message")
        expect(shown).to_have_count(4)
        for text in ("Polled one", "Polled two", "Polled three"):
            send(alice, text)
        expect(shown).to_have_count(7)
        expect(shown.locator(".message-text").filter(has_text="Polled")).to_have_text(
            ["Polled one", "Polled two", "Polled three"])
        send(polled, "Got all three")  # sending works from the polling page too
        expect(alice.locator("#messages .message").last).to_contain_text("Got all three")
        send(alice, "See you Saturday")  # comes after every event of the messages above
        expect(shown).to_have_count(9)
        expect(shown.last).to_contain_text("See you Saturday")
        for text in ("Polled one", "Polled two", "Polled three", "Got all three", "See you Saturday"):
            expect(shown.filter(has_text=text)).to_have_count(1)
        expect(polled.locator("[data-connection]")).to_have_text("Live (polling)")

    assert page_errors == [], page_errors
