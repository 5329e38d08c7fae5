"""Parley installs as an app: the pages link a valid manifest, the service worker registers,
and once it has, a page opened without a network says Parley is offline instead of the
browser's own error."""
from urllib.parse import urljoin

from tests.browser.conftest import log_in
from tests.support.factories import PASSWORD, make_user


def test_the_app_installs_and_says_it_is_offline_without_a_network(new_page, live_server):
    make_user(live_server.app, "alice")
    page = new_page(service_workers="allow")
    log_in(page, "alice", PASSWORD)

    manifest_url = page.get_attribute('link[rel="manifest"]', "href")
    manifest = page.evaluate("async (url) => (await fetch(url)).json()", manifest_url)
    assert manifest["name"] == "Parley" and manifest["display"] == "standalone"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    # Ready resolves once the worker is active, i.e. once its shell is precached.
    scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
    assert scope == urljoin(live_server.url, "/")
    page.goto("/profile")
    assert page.get_by_role("button", name="Allow notifications on this device").is_visible()

    page.context.set_offline(True)
    page.goto("/chat")
    assert page.get_by_role("heading", name="Parley is offline").is_visible()
    assert page.locator("link[rel=stylesheet]").evaluate("link => link.sheet.cssRules.length") > 0
    page.context.set_offline(False)
    page.get_by_role("link", name="Try again").click()
    page.wait_for_url("**/chat")
    assert page.get_by_role("heading", name="Parley is offline").count() == 0
