"""axe-core (from npm: package.json, installed by `make setup-test`) finds no serious or
critical accessibility violation on the main pages, light and dark, desktop and phone."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.factories import PASSWORD
from tests.support.servers import require
from tests.support.showcase import showcase

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
GRAVE = ("serious", "critical")


@pytest.fixture
def axe_path():
    """axe.min.js; skips when `make setup-test` has not installed it (fails under CI=true)."""
    require(AXE.exists(), "node_modules/axe-core is missing: run `make setup-test` (npm ci)")
    return str(AXE)


def grave_violations(page, axe_path: str, name: str, rules: list[str] | None = None) -> list[str]:
    """The serious and critical violations axe-core finds on `page` (of `rules` only, when
    given: axe's rule ids), one line per element."""
    page.add_script_tag(path=axe_path)
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    violations = page.evaluate("(options) => axe.run(document, options).then((r) => r.violations)", options)
    return [f"{name}: {v['id']} ({v['impact']}): {v['help']}: {node['target']} {node['failureSummary']!r}"
            for v in violations if v["impact"] in GRAVE for node in v["nodes"]]


def test_main_pages_have_no_serious_accessibility_violations(browser, live_server, axe_path):
    ids = showcase(live_server.app)
    # bypass_csp: the pages allow only their own scripts (script-src 'self'), and axe comes inline.
    context = browser.new_context(base_url=live_server.url, locale="en-US", bypass_csp=True,
                                  viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    found = []
    try:
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            page.goto("/login")
            found += grave_violations(page, axe_path, f"{scheme} login")
        page.fill("#login", "alice")
        page.fill("#password", PASSWORD)
        page.click("main [type=submit]")
        page.wait_for_url("**/")
        pages = ((f"/chat/{ids['direct']}", "chat"), (f"/chat/{ids['group']}", "group chat"), ("/friends", "friends"),
                 ("/groups", "groups"), ("/notifications", "notifications"), ("/favorites", "favorites"),
                 ("/profile", "profile"), ("/search?q=trail", "search"))
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            for path, name in pages:
                page.goto(path)
                if path.startswith("/chat"):
                    expect(page.locator("#messages .message").first).to_be_visible()
                # Only the colours differ in the dark: the other rules ran in the light.
                found += grave_violations(page, axe_path, f"{scheme} {name}",
                                          ["color-contrast"] if scheme == "dark" else None)
        # The phone's chat: the list alone, then the conversation with its Back link.
        page.set_viewport_size({"width": 390, "height": 844})
        for path, name in (("/chat", "phone chat list"), (f"/chat/{ids['direct']}", "phone chat")):
            page.goto(path)
            found += grave_violations(page, axe_path, name)
    finally:
        context.close()
    assert not found, "\n".join(found)
