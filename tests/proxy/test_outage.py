"""The chat page while the server is down behind nginx: it backs off instead of asking in a
tight loop (nginx answers 502 in a millisecond when nothing listens upstream), honours a
maintenance page's Retry-After, says "Reconnecting…", and carries on once the server is back.
Debian's Chromium drives the page; nginx's access log counts what the tab asked."""
from contextlib import ExitStack

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, page_factory, screenshot
from tests.proxy.conftest import readme_locations, send_message
from tests.support.factories import PASSWORD, make_friends

OUTAGE_SECONDS = 8  # how long the tab is watched while the server is down
RETRY_AFTER = 3  # seconds, the maintenance page's Retry-After


def maintenance_config(upstream: str) -> str:
    """README's blocks, and a maintenance answer while the upstream cannot be reached: 503
    with Retry-After instead of nginx's 502, as many sites set up for deploys."""
    return readme_locations(upstream) + f"""
        error_page 502 = @maintenance;
        location @maintenance {{
            add_header Retry-After {RETRY_AFTER} always;
            return 503 "Down for maintenance";
        }}"""


@pytest.fixture
def friends(server):
    """(alice, bob, their direct conversation's id)."""
    alice, bob = server.person("alice"), server.person("bob")
    return alice, bob, make_friends(server.app, alice.id, bob.id)


@pytest.fixture
def chat(server, start_nginx, friends, browser):
    """chat(config, query) -> (nginx, bob's chat page with alice, an HTTP client of the site)
    through an nginx of `config` (the server block's body); `query` ("?poll" or "") is added
    to the page's address."""
    with ExitStack() as stack:
        def open_chat(config: str, query: str):
            nginx = start_nginx(config)
            page = stack.enter_context(page_factory(browser, nginx.url))()
            log_in(page, friends[1].username, PASSWORD)
            page.goto(f"/chat/{friends[2]}{query}")
            front = stack.enter_context(httpx.Client(base_url=nginx.url, timeout=10))
            return nginx, page, front

        yield open_chat


def requests_during_outage(server, nginx, page, status: str | None = None) -> list[dict]:
    """Stop the server, watch the page for OUTAGE_SECONDS, and return the requests nginx saw
    from it meanwhile (only those answered `status`, when given)."""
    seen = len(nginx.requests())
    server.halt()
    page.wait_for_timeout(OUTAGE_SECONDS * 1000)
    during = nginx.requests()[seen:]
    return [r for r in during if status is None or r["status"] == status]


def test_polling_page_backs_off_while_the_server_is_down_then_recovers(server, chat, friends):
    alice, _bob, conversation = friends
    nginx, page, front = chat(readme_locations(server.upstream), "?poll")
    connection = page.locator("[data-connection]")
    expect(connection).to_have_text("Live (polling)")

    during = requests_during_outage(server, nginx, page)
    polls = [r for r in during if r["uri"] == "/events/poll"]
    print(f"{len(during)} requests in {OUTAGE_SECONDS} s while the server was down, {len(polls)} polls")
    # With backoff (0.5-1 s, then doubling) at most five fast failures fit in 8 s.
    assert 1 <= len(polls) <= 8, f"the page polled {len(polls)} times in {OUTAGE_SECONDS} s"
    assert len(during) <= 10, f"the page made {len(during)} requests in {OUTAGE_SECONDS} s"
    expect(connection).to_have_text("Reconnecting…")
    screenshot(page, "outage-reconnecting")

    server.start()
    # The next try comes at most one backoff step (here under 16 s) after the server is back.
    expect(connection).to_have_text("Live (polling)", timeout=45_000)
    send_message(front, alice, conversation, "back again")
    expect(page.locator("#messages .message-text")).to_have_text(["back again"])


def test_polling_page_honours_retry_after(server, chat):
    nginx, page, _front = chat(maintenance_config(server.upstream), "?poll")
    expect(page.locator("[data-connection]")).to_have_text("Live (polling)")

    refused = [r for r in requests_during_outage(server, nginx, page, status="503")
               if r["uri"] == "/events/poll"]
    ends = [float(r["msec"]) for r in refused]
    gaps = [later - earlier for earlier, later in zip(ends, ends[1:])]
    print(f"{len(refused)} polls answered 503 in {OUTAGE_SECONDS} s, gaps {[round(g, 2) for g in gaps]} s")
    assert 1 <= len(refused) <= OUTAGE_SECONDS // RETRY_AFTER + 1
    assert all(gap >= RETRY_AFTER - 0.05 for gap in gaps), f"asked again before Retry-After: {gaps}"
    expect(page.locator("[data-connection]")).to_have_text("Reconnecting…")


def test_streaming_page_backs_off_while_the_server_is_down_then_recovers(server, chat, friends):
    alice, _bob, conversation = friends
    nginx, page, front = chat(readme_locations(server.upstream), "")
    connection = page.locator("[data-connection]")
    expect(connection).to_have_text("Live")

    during = requests_during_outage(server, nginx, page)
    print(f"{len(during)} requests in {OUTAGE_SECONDS} s while the server was down: "
          f"{sorted({r['uri'] for r in during})}")
    # The stream that dropped, one reconnection, a login check, then polls backing off.
    assert 1 <= len(during) <= 12, f"the page made {len(during)} requests in {OUTAGE_SECONDS} s"
    expect(connection).to_have_text("Reconnecting…")

    server.start()
    expect(connection).to_have_text("Live (polling)", timeout=45_000)
    send_message(front, alice, conversation, "back again")
    expect(page.locator("#messages .message-text")).to_have_text(["back again"])
