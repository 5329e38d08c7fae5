"""A person's time zone and "friend is online" notices: the settings (profile form and API),
the times the pages render in that zone, and the friends page listing who is online first."""
import json
import re
from datetime import datetime, timezone

from extensions import db
from models import FriendRequest, User
from realtime import hub
from realtime.presence import PRESENCE
from tests.support.factories import send_request
from tests.support.pages import field_error, post_profile

API = "/api/v1"
SENT_AT = datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc)  # 11:04 in Shanghai, 22:04 the day before in New York


def stored(app, user_id: int, column: str):
    with app.app_context():
        return getattr(db.session.get(User, user_id), column)


def settings(browser) -> dict:
    client, _headers = browser
    me = client.get(f"{API}/me").get_json()
    return {"online_notices": me["online_notices"], "timezone": me["timezone"]}


def patch(browser, body: dict):
    client, headers = browser
    return client.patch(f"{API}/me", json=body, headers=headers)


# The settings

def test_notices_are_on_and_the_zone_is_the_browsers_by_default(app, alice_and_friends, as_):
    assert settings(as_("bob")) == {"online_notices": True, "timezone": None}


def test_the_api_changes_either_setting_and_leaves_the_other(app, alice_and_friends, as_):
    assert patch(as_("bob"), {"timezone": "Asia/Shanghai"}).get_json()["timezone"] == "Asia/Shanghai"
    assert patch(as_("bob"), {"online_notices": False}).status_code == 200
    assert settings(as_("bob")) == {"online_notices": False, "timezone": "Asia/Shanghai"}
    assert patch(as_("bob"), {"timezone": None}).get_json()["timezone"] is None  # the browser's again


def test_the_api_refuses_an_unknown_zone_and_changes_nothing(app, alice_and_friends, as_):
    for bad in ("Mars/Olympus_Mons", "asia/shanghai", "../etc/passwd", "localtime", "", 8):
        response = patch(as_("bob"), {"timezone": bad, "online_notices": False})
        assert response.status_code == 422, bad
        assert "timezone" in response.get_json()["errors"], bad
    assert patch(as_("bob"), {}).status_code == 200  # nothing to change, nothing changed
    assert patch(as_("bob"), {"online_notices": "no"}).status_code == 422
    assert settings(as_("bob")) == {"online_notices": True, "timezone": None}


def test_the_profile_form_saves_both_settings(app, alice_and_friends, as_):
    client, _headers = as_("bob")
    html = client.get("/profile").get_data(as_text=True)
    assert "<option selected value=\"\">Browser's (default)</option>" in html
    response = post_profile(client, "/profile/preferences", "preferences",
                            {"preferences-timezone": "America/New_York"})  # the box left unticked: off
    assert response.status_code == 302
    assert settings(as_("bob")) == {"online_notices": False, "timezone": "America/New_York"}
    html = client.get("/profile").get_data(as_text=True)
    assert '<option selected value="America/New_York">America/New York</option>' in html
    assert "Times on these pages are shown in America/New_York." in html


def test_the_profile_form_refuses_an_unknown_zone_and_keeps_what_was_sent(app, alice_and_friends, as_):
    client, _headers = as_("bob")
    response = post_profile(client, "/profile/preferences", "preferences",
                            {"preferences-timezone": "Mars/Olympus_Mons", "preferences-online_notices": "y"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "time zone" in field_error(html, "preferences-timezone")
    assert '<option selected value="Mars/Olympus_Mons">Mars/Olympus_Mons</option>' in html
    assert stored(app, alice_and_friends[1], "timezone") is None


# Times rendered in the person's zone

def request_time(client, request_id: int) -> str:
    """The time shown beside friend request `request_id` on `client`'s notifications page."""
    html = client.get("/notifications").get_data(as_text=True)
    match = re.search(rf'data-request-id="{request_id}".*?<time class="muted" datetime="[^"]+">([^<]+)</time>', html, re.S)
    assert match, "no request time on the page"
    return match.group(1)


def asked_at_a_known_time(app, sender: int, receiver: int) -> int:
    """A friend request from `sender` to `receiver`, last changed at SENT_AT; its id."""
    request_id = send_request(app, sender, receiver)
    with app.app_context():
        db.session.get(FriendRequest, request_id).updated_at = SENT_AT
        db.session.commit()
    return request_id


def test_times_follow_the_browsers_zone_from_its_cookie(app, alice_and_friends, as_):
    _alice, _bob, carol, dave = alice_and_friends  # not friends with each other
    asked = asked_at_a_known_time(app, carol, dave)
    client, _headers = as_("dave")
    assert request_time(client, asked) == "1/2/26, 3:04\u202fAM"  # no cookie yet: UTC
    client.set_cookie("tz", "Asia/Shanghai")
    assert request_time(client, asked) == "1/2/26, 11:04\u202fAM"  # +8 h
    client.set_cookie("tz", "Mars/Olympus_Mons")  # a bad cookie is ignored
    assert request_time(client, asked) == "1/2/26, 3:04\u202fAM"


def test_the_zone_set_on_the_profile_wins_over_the_browsers(app, alice_and_friends, as_):
    _alice, _bob, carol, dave = alice_and_friends  # not friends with each other
    asked = asked_at_a_known_time(app, carol, dave)
    client, _headers = as_("dave")
    client.set_cookie("tz", "America/New_York")
    assert request_time(client, asked) == "1/1/26, 10:04\u202fPM"
    assert patch(as_("dave"), {"timezone": "Asia/Shanghai"}).status_code == 200
    assert request_time(client, asked) == "1/2/26, 11:04\u202fAM"


# The friends page: who is online, first

def comes_online(app, user_id: int) -> None:
    """Another worker tells this one, through the broker, that `user_id` opened a stream there."""
    with app.app_context():
        hub().on_message(json.dumps({"kind": PRESENCE, "worker": "another-worker", "user_id": user_id,
                                     "online": True, "conversation_ids": []}).encode())


def test_the_friends_page_lists_who_is_online_first(app, alice_and_friends, as_):
    _alice, _bob, _carol, dave = alice_and_friends
    client, _headers = as_("alice")
    html = client.get("/friends").get_data(as_text=True)
    assert re.findall(r'data-name="(\w+)"', html) == ["Bob", "Carol", "Dave"]
    assert 'data-testid="online-dot"' not in html
    comes_online(app, dave)
    html = client.get("/friends").get_data(as_text=True)
    assert re.findall(r'data-name="(\w+)"', html) == ["Dave", "Bob", "Carol"]
    rows = re.findall(r'<li class="person( online)?"[^>]*data-name="(\w+)"', html)
    assert rows == [(" online", "Dave"), ("", "Bob"), ("", "Carol")]
    assert html.count('data-testid="online-dot"') == 1
