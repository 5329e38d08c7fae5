"""The friends, notifications and groups pages in a real browser: dialogs, right-click
menus, menu buttons and confirmations."""
from playwright.sync_api import expect

from tests.browser.conftest import log_in, screenshot
from tests.support.factories import PASSWORD, create_user


def test_friend_request_accept_and_delete_in_browser(live_server, new_page):
    create_user(live_server.app, "alice", nickname="Alice")
    create_user(live_server.app, "bob", nickname="Bob")
    alice, bob = new_page(), new_page()
    log_in(alice, "alice", PASSWORD)
    log_in(bob, "bob", PASSWORD)

    # Alice finds Bob and sends a request with a reason through the dialog.
    alice.goto("/friends?q=bo")
    row = alice.locator("[data-testid=search-results] [data-user-id]").first
    expect(row).to_contain_text("Bob")
    row.get_by_role("button", name="Add friend").click()
    dialog = alice.locator("#add-friend-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#add-username")).to_have_value("bob")
    dialog.locator("#add-reason").fill("We met at the meetup")
    screenshot(alice, "friends-add-dialog")
    dialog.get_by_role("button", name="Send request").click()
    expect(dialog).to_be_hidden()
    expect(alice.locator("#live-status")).to_contain_text("Friend request sent.")
    expect(row.locator(".relation")).to_have_text("Request sent")

    # Bob sees it on the notifications page, with the count in the navigation, and accepts.
    bob.goto("/notifications")
    expect(bob.locator("[data-testid=pending-count]")).to_have_text("1")
    request = bob.locator("[data-testid=received-requests] [data-request-id]").first
    expect(request).to_contain_text("We met at the meetup")
    screenshot(bob, "notifications")
    request.get_by_role("button", name="Accept").click()
    expect(request.locator("[data-status-label]")).to_have_text("accepted")
    expect(request.get_by_role("button", name="Accept")).to_have_count(0)
    expect(bob.locator("[data-testid=pending-count]")).to_have_count(0)

    # Alice's sent list shows it accepted; her friends list has Bob.
    alice.goto("/notifications")
    expect(alice.locator("[data-testid=sent-requests] [data-request-id]").first).to_contain_text("accepted")
    alice.goto("/friends")
    friend = alice.locator("#friend-list [data-user-id]").filter(has_text="Bob")
    expect(friend).to_have_count(1)

    # Right-click opens the menu; cancelling the confirmation keeps the friend.
    friend.click(button="right")
    menu = alice.locator("#friend-menu")
    expect(menu).to_be_visible()
    screenshot(alice, "friends-context-menu")
    menu.get_by_role("menuitem", name="Delete friend").click()
    confirm = alice.locator("#confirm-dialog")
    expect(confirm).to_be_visible()
    expect(confirm).to_contain_text("Delete Bob from your friends?")
    confirm.get_by_role("button", name="Cancel").click()
    expect(confirm).to_be_hidden()
    expect(friend).to_have_count(1)

    # The row's menu button opens the same menu; confirming deletes for good.
    friend.locator("[data-menu-button]").click()
    expect(menu).to_be_visible()
    menu.get_by_role("menuitem", name="Delete friend").click()
    confirm.get_by_role("button", name="Delete friend").click()
    expect(friend).to_have_count(0)
    alice.reload()
    expect(alice.locator("#friend-list [data-user-id]")).to_have_count(0)
    bob.goto("/friends")
    expect(bob.locator("#friend-list [data-user-id]")).to_have_count(0)


def test_add_friend_dialog_shows_errors_and_keeps_input(live_server, new_page):
    create_user(live_server.app, "alice", nickname="Alice")
    page = new_page()
    log_in(page, "alice", PASSWORD)
    page.goto("/friends")
    page.get_by_role("button", name="Add friend by username").click()
    dialog = page.locator("#add-friend-dialog")
    dialog.locator("#add-username").fill("nobody_here")
    dialog.locator("#add-reason").fill("hello")
    dialog.get_by_role("button", name="Send request").click()
    expect(dialog.locator("[data-field-error=username]")).to_have_text("No one has this username.")
    expect(dialog.locator("#add-reason")).to_have_value("hello")
    dialog.locator("#add-username").fill("alice")
    dialog.get_by_role("button", name="Send request").click()
    expect(dialog.locator("[data-field-error=username]")).to_contain_text("yourself")


def test_group_create_invite_join_and_quit_in_browser(live_server, new_page):
    from blueprints.friends import services as friends
    from extensions import db
    from models import User

    ids = {name: create_user(live_server.app, name, nickname=name.capitalize()) for name in ("alice", "bob", "carol")}
    with live_server.app.app_context():
        alice_user, bob_user = db.session.get(User, ids["alice"]), db.session.get(User, ids["bob"])
        friends.send_friend_request(alice_user, "bob", "")
        friends.send_friend_request(bob_user, "alice", "")  # accepts Alice's request
    alice, bob, carol = new_page(), new_page(), new_page()
    for page, name in ((alice, "alice"), (bob, "bob"), (carol, "carol")):
        log_in(page, name, PASSWORD)

    # Alice creates a group with Bob through the dialog.
    alice.goto("/groups")
    alice.get_by_role("button", name="Create group").click()
    dialog = alice.locator("#create-group-dialog")
    dialog.locator("#group-name").fill("Hiking club")
    dialog.get_by_label("Bob").check()
    dialog.get_by_role("button", name="Create", exact=True).click()
    alice.wait_for_url("**/groups/*")
    expect(alice.locator("[data-testid=group-name]")).to_have_text("Hiking club")
    expect(alice.locator("#member-list [data-user-id]")).to_have_count(2)

    # The owner renames it and creates an invite link; Carol joins with it.
    alice.locator("#rename-name").fill("Hiking & climbing")
    alice.get_by_role("button", name="Rename").click()
    expect(alice.locator("[data-testid=group-name]")).to_have_text("Hiking & climbing")
    alice.get_by_role("button", name="Create link").click()
    invite = alice.locator("[data-testid=invite-url]")
    expect(invite).to_be_visible()
    screenshot(alice, "group-page")
    carol.goto(invite.inner_text())
    carol.get_by_role("button", name="Join group").click()
    carol.wait_for_url("**/groups/*")
    expect(carol.locator("#member-list [data-user-id]")).to_have_count(3)

    # Bob quits from the groups list with the right-click menu, after confirming.
    bob.goto("/groups")
    row = bob.locator("#group-list [data-group-id]").filter(has_text="Hiking & climbing")
    expect(row).to_contain_text("3 members")
    row.click(button="right")
    bob.locator("#group-menu").get_by_role("menuitem", name="Quit group").click()
    screenshot(bob, "groups-quit-confirm")
    bob.locator("#confirm-dialog").get_by_role("button", name="Quit group").click()
    expect(row).to_have_count(0)
    alice.reload()
    expect(alice.locator("#member-list [data-user-id]")).to_have_count(2)
