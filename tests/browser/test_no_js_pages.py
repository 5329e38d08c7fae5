"""The site with JavaScript off in Chromium: the main actions work as plain forms that post
and redirect back (post/redirect/get), and the chat page says that live updates need scripts."""
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.support.factories import PASSWORD, create_user


def test_main_actions_work_with_javascript_off(browser, live_server):
    create_user(live_server.app, "alice", nickname="Alice")
    create_user(live_server.app, "bob", nickname="Bob")
    contexts = [browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False,
                                    viewport={"width": 1280, "height": 860}) for _person in range(2)]
    try:
        alice, bob = (context.new_page() for context in contexts)
        for page in (alice, bob):
            page.set_default_timeout(10_000)
        log_in(alice, "alice", PASSWORD)
        log_in(bob, "bob", PASSWORD)

        # Alice finds Bob and asks him, with a reason, through the form shown without scripts.
        alice.goto("/friends?q=bob")
        alice.locator("[data-testid=search-results]").get_by_role("link", name="Add friend").click()
        form = alice.locator("#request-form")
        expect(form.locator("#username")).to_have_value("bob")
        form.locator("#reason").fill("We met at the meetup")
        form.get_by_role("button", name="Send request").click()
        expect(alice.locator(".flash")).to_have_text("Friend request sent.")

        # Bob accepts on his notifications page.
        bob.goto("/notifications")
        request = bob.locator("[data-testid=received-requests] [data-request-id]").first
        expect(request).to_contain_text("We met at the meetup")
        request.get_by_role("button", name="Accept").click()
        expect(bob.locator(".flash")).to_have_text("You are now friends.")

        # Alice writes in their direct conversation and sees her message after the redirect.
        alice.goto("/chat")
        alice.locator("#conversation-list").get_by_role("link", name="Bob").click()
        expect(alice.locator("[data-testid=noscript-note]")).to_contain_text("Live updates need JavaScript")
        # Without the script Enter adds a line: the composer promises nothing about keys.
        expect(alice.locator("#composer-text")).to_have_attribute("placeholder", "Write a message…")
        alice.locator("#composer-text").fill("Hello without scripts")
        alice.locator("#composer button[type=submit]").click()
        messages = alice.locator("[data-testid=nojs-messages]")
        expect(messages).to_contain_text("Hello without scripts")
        expect(alice.locator("#composer-text")).to_have_value("")
        screenshot(alice, "chat-without-javascript")

        # Bob reloads and sees it; he keeps it in his favorites.
        bob.goto("/chat")
        bob.locator("#conversation-list").get_by_role("link", name="Alice").click()
        message = bob.locator("[data-testid=nojs-messages] .message").filter(has_text="Hello without scripts")
        message.get_by_role("button", name="Add to favorites").click()
        expect(bob.locator(".flash")).to_have_text("Added to your favorites.")
        bob.goto("/favorites")
        expect(bob.locator("[data-testid=favorites]")).to_contain_text("Hello without scripts")

        # Alice creates a group with Bob in it.
        alice.goto("/groups")
        create = alice.locator("#create-group")
        create.get_by_label("Name").fill("Book club")
        create.get_by_label("Bob").check()
        create.get_by_role("button", name="Create").click()
        expect(alice.locator("[data-testid=group-name]")).to_have_text("Book club")
        expect(alice.locator("#member-list")).to_contain_text("Bob")
    finally:
        for context in contexts:
            context.close()
