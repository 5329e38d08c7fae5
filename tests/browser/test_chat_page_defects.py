"""Defects of the chat page found by trying it (issue 15), each in a real browser against the
real server (gunicorn, gevent): one server and one logged-in page per person for the module."""
import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, page_factory, send
from tests.support.factories import PASSWORD, make_friends, make_group
from tests.support.servers import Server

# The WCAG 2 contrast ratio of an element's text against the first opaque background behind
# it (https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio).
CONTRAST = """(el) => {
  const rgb = (css) => css.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let behind = el;
  while (behind && (rgb(getComputedStyle(behind).backgroundColor)[3] ?? 1) === 0) behind = behind.parentElement;
  const back = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
  const [hi, lo] = [luminance(rgb(getComputedStyle(el).color)), luminance(back)].sort((a, b) => b - a);
  return (hi + 0.05) / (lo + 0.05);
}"""


@pytest.fixture(scope="module")
def chat(tmp_path_factory, browser):
    """(server, {name: person}, {name: page}, direct conversation of alice and bob): both
    logged in; each test opens what it needs."""
    server = Server(tmp_path_factory.mktemp("defects"))
    people = {name: server.person(name) for name in ("alice", "bob")}
    direct = make_friends(server.app, people["alice"].id, people["bob"].id)
    with page_factory(browser, server.url) as factory:
        pages = {}
        for name, person in people.items():
            pages[name] = factory()
            log_in(pages[name], person.username, PASSWORD)
        yield server, people, pages, direct
    server.stop()


def open_chat(page, conversation: int) -> None:
    page.goto(f"/chat/{conversation}")
    expect(page.locator("[data-connection]")).to_have_text("Live")


def test_recalled_message_is_readable_by_its_sender_and_the_others(chat):
    server, people, pages, direct = chat
    alice, bob = pages["alice"], pages["bob"]
    open_chat(alice, direct)
    open_chat(bob, direct)
    send(alice, "oops, wrong chat")
    mine = alice.locator("#messages .message.mine").last
    expect(mine).to_have_attribute("data-message-id", re.compile(r"\d+"))  # stored
    message_id = int(mine.get_attribute("data-message-id"))
    assert server.call(people["alice"], "POST", f"/api/v1/messages/{message_id}/recall").status_code == 200
    for page, words in ((alice, "You recalled a message"), (bob, "recalled a message")):
        note = page.locator(f"#messages [data-message-id='{message_id}'] .message-text")
        expect(note).to_contain_text(words)
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            assert note.evaluate(CONTRAST) >= 4.5, f"{words!r} is hard to read ({scheme})"
        page.emulate_media(color_scheme="light")


def test_typing_line_ends_when_the_typists_message_arrives(chat):
    _server, _people, pages, direct = chat
    alice, bob = pages["alice"], pages["bob"]
    open_chat(alice, direct)
    open_chat(bob, direct)
    typing = alice.locator("[data-typing]")
    bob.locator("#composer-text").press_sequentially("on my way")
    expect(typing).to_contain_text("is typing")
    bob.locator("#composer-text").press("Enter")
    expect(alice.locator("#messages .message").last).to_contain_text("on my way")
    # The ping that showed it keeps it for 4 s; the message itself must end it.
    expect(typing).to_have_text("", timeout=1000)


def test_a_refused_message_says_why_and_gives_its_text_back(chat):
    _server, _people, pages, direct = chat
    alice = pages["alice"]
    open_chat(alice, direct)
    box = alice.locator("#composer-text")
    send(alice, "null\x00byte")
    failed = alice.locator("#messages .message.failed")
    expect(failed.locator(".message-status")).to_contain_text("NUL character")  # the server's reason, shown
    expect(failed.get_by_role("button", name="Retry")).to_have_count(0)  # it would be refused again
    failed.get_by_role("button", name="Edit").click()
    expect(failed).to_have_count(0)
    expect(box).to_have_value("null\x00byte")

    # A network failure can succeed on a retry: Retry is offered, and works.
    alice.route("**/api/v1/conversations/*/messages", lambda route: route.abort())
    send(alice, "through a tunnel")
    expect(failed.get_by_role("button", name="Edit")).to_have_count(0)
    alice.unroute("**/api/v1/conversations/*/messages")
    failed.get_by_role("button", name="Retry").click()
    expect(alice.locator("#messages .message.mine").last).to_have_attribute("data-message-id", re.compile(r"\d+"))
    expect(failed).to_have_count(0)


def test_files_sent_together_arrive_in_the_order_chosen(chat):
    server, people, pages, direct = chat
    alice, bob = pages["alice"], pages["bob"]
    open_chat(alice, direct)
    open_chat(bob, direct)
    files = [{"name": name, "mimeType": "application/octet-stream", "buffer": b"x" * size}
             for name, size in (("big.bin", 1_500_000), ("medium.bin", 200_000), ("small.bin", 10))]
    alice.locator("[data-attach-input]").set_input_files(files)
    chosen = ["big.bin", "medium.bin", "small.bin"]
    expect(bob.locator("#messages .attachment-file")).to_have_count(3, timeout=20_000)
    for page in (alice, bob):
        expect(page.locator("#messages .message .file-name")).to_have_text(chosen)
    history = server.call(people["bob"], "GET", f"/api/v1/conversations/{direct}/messages?limit=3").json()
    assert [m["attachment"]["name"] for m in reversed(history["items"])] == chosen


def test_a_group_left_elsewhere_raises_no_errors_on_its_open_page(chat):
    server, people, pages, _direct = chat
    bob = pages["bob"]
    group = make_group(server.app, people["alice"].id, "Hikers", [people["bob"].id])
    errors, in_flight = [], set()
    bob.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    bob.on("pageerror", lambda error: errors.append(str(error)))
    bob.on("request", lambda request: in_flight.add(request))
    bob.on("requestfinished", lambda request: in_flight.discard(request))
    bob.on("requestfailed", lambda request: in_flight.discard(request))
    open_chat(bob, group)
    assert server.call(people["bob"], "POST", f"/api/v1/groups/{group}/quit").status_code in (200, 204)
    expect(bob.locator(f"#conversation-list [data-conversation-id='{group}']")).to_have_count(0)
    expect(bob.locator("#composer-text")).to_be_disabled()
    deadline = time.monotonic() + 5  # what the page asked on learning it left has its answer
    while any("/events" not in request.url for request in in_flight) and time.monotonic() < deadline:
        bob.wait_for_timeout(50)
    assert errors == []
