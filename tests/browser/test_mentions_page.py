"""@mentions in a real browser against the real server (gunicorn, gevent): alice @-mentions bob
through the composer's suggestions (by the pinyin initials of his Chinese nickname, with the
keyboard), and bob's hidden page marks the conversation "[@you]", counts it in the title and
the navigation, and fires a "mentioned you" notification; the Mentions page lists it."""
from playwright.sync_api import expect
from sqlalchemy import update

from extensions import db
from models import User
from tests.browser.conftest import log_in, screenshot
from tests.support.factories import PASSWORD, make_friends, make_group

# Bob's page is hidden (another tab in front) and its notifications are recorded: the page
# sees the permission granted and a Notification class that keeps what it was asked to show.
HIDDEN_WITH_NOTIFICATIONS = """
Object.defineProperty(document, 'visibilityState', { get: () => 'hidden' });
Object.defineProperty(document, 'hidden', { get: () => true });
window.__notifications = [];
window.Notification = class {
  constructor(title, options = {}) { window.__notifications.push({ title, body: options.body, tag: options.tag }); }
  static get permission() { return 'granted'; }
  static requestPermission() { return Promise.resolve('granted'); }
};
"""


def test_alice_mentions_bob_through_the_suggestions_and_bob_is_told(chat_server, chat_page):
    alice, bob = chat_server.person("alice"), chat_server.person("bob")
    make_friends(chat_server.app, alice.id, bob.id)
    group = make_group(chat_server.app, alice.id, "Trip", [bob.id])
    with chat_server.app.app_context():
        db.session.execute(update(User).where(User.id == bob.id).values(nickname="张三"))
        db.session.commit()
        db.session.remove()
    alice_page, bob_page = chat_page(), chat_page()
    bob_page.context.grant_permissions(["notifications"])
    bob_page.add_init_script(HIDDEN_WITH_NOTIFICATIONS)
    log_in(alice_page, alice.username, PASSWORD)
    log_in(bob_page, bob.username, PASSWORD)
    bob_page.goto("/chat")
    alice_page.goto(f"/chat/{group}")
    expect(alice_page.locator("[data-connection]")).to_have_text("Live")

    box = alice_page.locator("#composer-text")
    suggestions = alice_page.locator("[data-testid=mention-suggestions]")
    box.press_sequentially("@")  # the owner gets "Everyone" first, then the members
    expect(suggestions.locator("[role=option]")).to_have_count(2)
    expect(suggestions.locator("[role=option]").first).to_contain_text("Everyone")
    expect(suggestions.locator("[role=option]").first).to_have_attribute("aria-selected", "true")
    box.press("ArrowDown")
    expect(suggestions.locator("[role=option]").nth(1)).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "mention-option-1")
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    box.fill("")

    box.press_sequentially("Hi @zs")  # pinyin initials of 张三
    expect(suggestions.locator("[role=option]")).to_have_count(1)
    expect(suggestions.locator("[role=option]")).to_contain_text("张三")
    box.press("Enter")  # inserts, does not send
    expect(suggestions).to_be_hidden()
    expect(box).to_have_value("Hi @张三 ")
    box.press_sequentially("bring the map")
    box.press("Enter")
    mine = alice_page.locator("#messages .message.mine").last
    expect(mine).not_to_have_class("pending")
    expect(mine.locator(f".mention[data-user-id='{bob.id}']")).to_have_text("@张三")

    row = bob_page.locator(f"#conversation-list [data-conversation-id='{group}']")
    expect(row.locator("[data-mention-mark]")).to_be_visible()
    expect(row.locator("[data-mention-mark]")).to_have_text("[@you]")
    expect(bob_page).to_have_title("(1) [@you] Chat · Parley")
    expect(bob_page.locator("[data-total-mentioned]")).to_have_text("@1")
    bob_page.wait_for_function("window.__notifications.length > 0")
    notes = bob_page.evaluate("window.__notifications")
    assert [note["title"] for note in notes] == [f"{alice.username.capitalize()} mentioned you"]
    assert "bring the map" in notes[0]["body"]
    screenshot(bob_page, "mentions-marked")

    bob_page.goto("/mentions")
    entry = bob_page.locator("[data-testid=mention]")
    expect(entry).to_have_count(1)
    expect(bob_page.locator(".mention-text")).to_contain_text("Hi @张三 bring the map")
    entry.click()
    bob_page.wait_for_url(f"**/chat/{group}?message=*")
    expect(bob_page.locator("#messages .message.mentions-me")).to_have_count(1)
