"""Parley behind nginx, three ways: as README recommends, as a careless admin leaves it, and
with a read timeout shorter than a long-poll's wait. Raw HTTP clients show what nginx passes
on; Debian's Chromium shows what a person on the chat page sees."""
import re
import time

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in, page_factory, screenshot
from config import Config
from tests.proxy.conftest import FRONT_HOST, ProxiedServer, readme_locations, send_message
from tests.support.factories import PASSWORD, make_friends
from tests.support.streams import EventStream

HEARTBEATS_PER_TIMEOUT = 4  # README: a 15 s heartbeat under nginx's 60 s read timeout
CLOUDFLARE_IDLE_CUT = 100  # seconds: a proxied connection idle this long is cut
IDLE_TIMEOUTS = 3  # how many read timeouts long the stream stays idle
BROWSER_ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what Chromium asks for, EventSource included


def careless_config(upstream: str) -> tuple[str, str]:
    """(server block, http block) of a site proxied the way many are: the usual headers, but
    response buffering on, Parley's X-Accel-Buffering ignored, and gzip for every type."""
    server = f"""
        location / {{
            proxy_pass http://{upstream};
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_buffering on;
            proxy_ignore_headers X-Accel-Buffering;
        }}"""
    http = "gzip on; gzip_types *; gzip_proxied any;"
    return server, http


def short_read_timeout_config(upstream: str, seconds: int) -> str:
    """README's blocks with its proxy_read_timeout lowered to `seconds`."""
    locations = readme_locations(upstream)
    lowered = locations.replace("proxy_read_timeout 60s;", f"proxy_read_timeout {seconds}s;")
    assert lowered != locations, "README's snippet no longer sets proxy_read_timeout 60s"
    return lowered


@pytest.fixture
def friends(server):
    """(alice, bob, their direct conversation's id)."""
    alice, bob = server.person("alice"), server.person("bob")
    return alice, bob, make_friends(server.app, alice.id, bob.id)


@pytest.fixture
def front():
    """front(nginx) -> an HTTP client of the public site (nginx), closed after the test."""
    clients = []

    def open_client(nginx) -> httpx.Client:
        clients.append(httpx.Client(base_url=nginx.url, timeout=10))
        return clients[-1]

    yield open_client
    for client in clients:
        client.close()


def message_texts(page) -> list[str]:
    """The texts of the messages the page shows, top to bottom."""
    return page.locator("#messages .message-text").all_inner_texts()


def poll_recorder(page) -> list:
    """Every response to the page's long-polls, as they finish (a list that grows)."""
    responses = []
    page.on("response", lambda response: responses.append(response) if "/events/poll" in response.url else None)
    return responses


def delivered_message_ids(responses) -> list[int]:
    """The message ids the page's long-polls received, in order, repeats included."""
    ids = []
    for response in responses:
        if response.status == 200:
            ids += [event["data"]["message"]["id"] for event in response.json()["events"]
                    if event["type"] == "message.created"]
    return ids


# -- as README recommends ---------------------------------------------------------------------------
def test_first_event_arrives_within_a_second(server, start_nginx, friends, front):
    alice, bob, conversation = friends
    nginx = start_nginx(readme_locations(server.upstream))
    with EventStream(nginx.url, person=alice, read_timeout=30) as stream:
        stream.hello(timeout=10)
        assert stream.response.headers["content-type"].startswith("text/event-stream")
        assert "content-encoding" not in stream.response.headers
        started = time.monotonic()
        message = send_message(front(nginx), bob, conversation, "first")
        frames = stream.until_type("message.created", timeout=10)
        took = time.monotonic() - started
    assert frames[-1].json()["data"]["message"]["id"] == message["id"]
    print(f"first event through nginx {took * 1000:.0f} ms after the POST began")
    assert took < 1.0


def test_readme_read_timeout_leaves_room_for_several_heartbeats():
    # The production heartbeat against README's nginx read timeout (and Cloudflare's 100 s idle
    # cut, the longer): at least HEARTBEATS_PER_TIMEOUT pings fall in each, the ratio the next
    # test holds, scaled down, through a real nginx.
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", readme_locations("x:1")).group(1))
    assert read_timeout // Config.EVENT_HEARTBEAT >= HEARTBEATS_PER_TIMEOUT
    assert CLOUDFLARE_IDLE_CUT // Config.EVENT_HEARTBEAT >= HEARTBEATS_PER_TIMEOUT


def test_idle_stream_outlives_the_proxy_read_timeout(start_nginx, front, tmp_path_factory):
    # README's set-up with its times divided by 15: a 1 s heartbeat under a 4 s read timeout
    # (15 s under 60 s in production), idle three read timeouts long. What would take nginx's
    # default 60 s three times over takes 12 s; the same frames cross the same nginx.
    heartbeat, read_timeout = 1, HEARTBEATS_PER_TIMEOUT
    server = ProxiedServer(tmp_path_factory.mktemp("server"), {"FLASK_EVENT_HEARTBEAT": str(heartbeat)})
    try:
        alice, bob = server.person("alice"), server.person("bob")
        conversation = make_friends(server.app, alice.id, bob.id)
        nginx = start_nginx(short_read_timeout_config(server.upstream, read_timeout))
        # The client waits longer than nginx would, so only nginx or the server could end it.
        with EventStream(nginx.url, person=alice, read_timeout=3 * read_timeout) as stream:
            stream.hello(timeout=10)
            opened = time.monotonic()
            pings = 0
            while time.monotonic() - opened < IDLE_TIMEOUTS * read_timeout:
                frame = stream.next(timeout=3 * read_timeout, pings=True)
                assert frame is not None, f"the stream ended after {time.monotonic() - opened:.0f} s idle"
                assert frame.event == "ping", f"an idle stream sent {frame}"
                pings += 1
            idle = time.monotonic() - opened
            assert not [r for r in nginx.requests() if r["uri"] == "/events"], "nginx closed the stream"
            message = send_message(front(nginx), bob, conversation, "still there?")
            frames = stream.until_type("message.created", timeout=10)
    finally:
        server.stop()
    assert frames[-1].json()["data"]["message"]["id"] == message["id"]
    print(f"idle {idle:.0f} s through nginx (read timeout {read_timeout} s), {pings} pings, "
          "then the event arrived on the same connection")
    assert pings >= IDLE_TIMEOUTS * read_timeout // heartbeat - 2


def test_page_stays_live(server, start_nginx, friends, browser, front):
    alice, bob, conversation = friends
    nginx = start_nginx(readme_locations(server.upstream))
    with page_factory(browser, nginx.url) as new_page:
        page = new_page()
        log_in(page, bob.username, PASSWORD)
        page.goto(f"/chat/{conversation}")
        expect(page.locator("[data-connection]")).to_have_text("Live")
        send_message(front(nginx), alice, conversation, "through the proxy")
        expect(page.locator("#messages .message-text")).to_have_text(["through the proxy"])
        expect(page.locator("[data-connection]")).to_have_text("Live")


# -- as a careless admin leaves it ------------------------------------------------------------------
def test_careless_proxy_holds_back_even_the_stream_headers(server, start_nginx, friends):
    alice, _bob, _conversation = friends
    nginx = start_nginx(*careless_config(server.upstream))
    # Straight to the server the headers and the hello come at once...
    direct = httpx.Client(base_url=server.url, headers={"Host": FRONT_HOST})
    with EventStream(server.url, person=alice, client=direct) as stream:
        stream.hello(timeout=10)
    direct.close()
    # ...through this nginx not even the status line does.
    started = time.monotonic()
    with httpx.Client(base_url=nginx.url) as client, pytest.raises(httpx.ReadTimeout):
        with client.stream("GET", "/events", headers={
                **alice.bearer, "Accept": "text/event-stream", "Accept-Encoding": BROWSER_ACCEPT_ENCODING},
                timeout=httpx.Timeout(5.0, read=5.0)) as response:
            pytest.fail(f"headers arrived after {time.monotonic() - started:.1f} s: {response.headers}")


def test_page_behind_careless_proxy_falls_back_to_polling_and_misses_nothing(
        server, start_nginx, friends, browser, front):
    alice, bob, conversation = friends
    nginx = start_nginx(*careless_config(server.upstream))
    with page_factory(browser, nginx.url) as new_page:
        page = new_page()
        log_in(page, bob.username, PASSWORD)
        stream_opened, stream_answered = [], []
        page.on("request", lambda request: stream_opened.append(time.monotonic())
                if "/events?" in request.url else None)
        page.on("response", lambda response: stream_answered.append(response)
                if "/events?" in response.url else None)
        polls = poll_recorder(page)
        page.goto(f"/chat/{conversation}")
        expect(page.locator("[data-connection]")).to_have_text("Live (polling)", timeout=20_000)
        noticed = time.monotonic() - stream_opened[0]
        print(f"the page tried the stream and switched to long-polling {noticed:.1f} s later")
        assert noticed < 10
        assert not stream_answered, "the stream's headers reached the browser after all"

        # A burst from another person, then one more: all of them, once each, in order.
        sent = [send_message(front(nginx), alice, conversation, f"burst {n}") for n in range(1, 21)]
        expect(page.locator("#messages .message")).to_have_count(len(sent), timeout=20_000)
        sent.append(send_message(front(nginx), alice, conversation, "after the burst"))
        expect(page.locator("#messages .message")).to_have_count(len(sent), timeout=20_000)
        assert message_texts(page) == [message["body"] for message in sent]
        expect(page.locator("[data-connection]")).to_have_text("Live (polling)")
        assert delivered_message_ids(polls) == [message["id"] for message in sent]
        screenshot(page, "proxy-careless-polling")


# -- a read timeout shorter than a long-poll's wait -------------------------------------------------
def test_chat_carries_on_when_the_proxy_cuts_idle_polls(server, start_nginx, friends, browser, front):
    alice, bob, conversation = friends
    read_timeout = 5
    assert server.app.config["POLL_TIMEOUT"] > read_timeout  # the page's polls outwait nginx
    nginx = start_nginx(short_read_timeout_config(server.upstream, read_timeout))
    with page_factory(browser, nginx.url) as new_page:
        page = new_page()
        log_in(page, bob.username, PASSWORD)
        polls = poll_recorder(page)
        page.goto(f"/chat/{conversation}?poll")  # as a page behind a buffering proxy ends up
        expect(page.locator("[data-connection]")).to_have_text("Live (polling)")

        def next_cut_poll() -> None:
            page.wait_for_event("response", lambda r: "/events/poll" in r.url and r.status == 504,
                                timeout=(read_timeout + 15) * 1000)

        # Two idle polls in a row are cut; the page asks again each time.
        next_cut_poll()
        next_cut_poll()
        sent = [send_message(front(nginx), alice, conversation, f"after a cut {n}") for n in range(1, 11)]
        expect(page.locator("#messages .message")).to_have_count(len(sent), timeout=20_000)
        cuts = sum(1 for response in polls if response.status == 504)
        next_cut_poll()  # idle again: cut again
        sent.append(send_message(front(nginx), alice, conversation, "after another cut"))
        expect(page.locator("#messages .message")).to_have_count(len(sent), timeout=20_000)
        assert message_texts(page) == [message["body"] for message in sent]
        assert delivered_message_ids(polls) == [message["id"] for message in sent]
        expect(page.locator("[data-connection]")).to_have_text("Live (polling)")
    waits = [float(r["request_time"]) for r in nginx.requests()
             if r["uri"] == "/events/poll" and r["status"] == "504"]
    print(f"{len(waits)} idle polls answered 504 by nginx after {min(waits):.1f}-{max(waits):.1f} s")
    assert cuts >= 2 and len(waits) >= 3
    assert all(read_timeout - 0.5 < wait < read_timeout + 5 for wait in waits)
