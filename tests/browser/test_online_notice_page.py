"""'<friend> is online' in a real browser against the real server (gunicorn, gevent): told
once when a friend comes online, not again when they reconnect within the window, and
never to someone who turned the notices off; and the page's `tz` cookie."""
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.support.factories import PASSWORD, make_friends

# Records every notice the page shows (they fade after a few seconds, so a later look could
# miss one): window.noticesShown, the texts in order.
WATCH_NOTICES = """() => {
  window.noticesShown = [];
  new MutationObserver((records) => records.forEach((record) => record.addedNodes.forEach((node) => {
    if (node.dataset && node.dataset.testid === 'online-notice') window.noticesShown.push(node.textContent);
  }))).observe(document.body, { childList: true, subtree: true });
}"""


def open_watching(page, conversation: int):
    """Open the chat page at `conversation` (a direct one: its header says whether the other
    person is online), live, recording the notices it shows; return the header's presence line."""
    page.goto(f"/chat/{conversation}")
    expect(page.locator("[data-connection]")).to_have_text("Live")
    page.evaluate(WATCH_NOTICES)
    return page.locator("[data-peer-presence]")


def test_a_friend_coming_online_is_told_once_and_not_to_who_turned_it_off(chat_server, chat_page):
    alice, bob, carol = (chat_server.person(name) for name in ("alice", "bob", "carol"))
    with_bob = make_friends(chat_server.app, alice.id, bob.id)
    with_carol = make_friends(chat_server.app, alice.id, carol.id)
    alice_page, bob_page = chat_page(), chat_page()
    log_in(alice_page, alice.username, PASSWORD)
    bob_online = open_watching(alice_page, with_bob)
    expect(bob_online).to_have_text("Offline")
    # Every page tells the server the browser's time zone (static/js/timezone.js).
    zone = alice_page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert {cookie["name"]: cookie["value"] for cookie in alice_page.context.cookies()}.get("tz") == zone

    log_in(bob_page, bob.username, PASSWORD)
    bob_page.goto("/chat")  # his first open stream: he is online
    notice = alice_page.get_by_test_id("online-notice")
    expect(notice).to_have_text(f"{bob.username.capitalize()} is online")
    expect(notice.locator("xpath=..")).to_have_attribute("aria-live", "polite")
    expect(bob_online).to_have_text("Online")

    # Bob goes offline (his stream closed past the grace) and comes back within the window.
    bob_tab = bob_page.context
    bob_page.close()
    expect(bob_online).to_have_text("Offline", timeout=15_000)
    bob_tab.new_page().goto("/chat")
    expect(bob_online).to_have_text("Online")  # the same presence frame a notice would come with
    assert alice_page.evaluate("window.noticesShown") == [f"{bob.username.capitalize()} is online"]

    # With the notices off (on the profile, or through the API as here), nothing is said.
    assert chat_server.call(alice, "PATCH", "/api/v1/me", json={"online_notices": False}).status_code == 200
    carol_online = open_watching(alice_page, with_carol)
    with chat_server.stream(carol) as carols:
        carols.hello()
        expect(carol_online).to_have_text("Online")
    assert alice_page.evaluate("window.noticesShown") == []
