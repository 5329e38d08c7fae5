"""The profile's devices list: every logged-in browser, and logging them out."""
import re
from datetime import datetime, timedelta, timezone

from tests.support.factories import create_user
from tests.support.login import AuthActions, CHROME_ON_WINDOWS, FIREFOX_ON_LINUX, is_logged_in, login_client
from tests.support.pages import post_profile, section


def devices(client) -> dict[int, str]:
    """{session id: row HTML} of the devices table on `client`'s profile page."""
    html = section(client.get("/profile").get_data(as_text=True), "devices")
    return {int(sid): row for sid, row in re.findall(r'<tr data-session-id="(\d+)">(.*?)</tr>', html, re.S)}


def this_device(client) -> int:
    (sid,) = [sid for sid, row in devices(client).items() if "This device" in row]
    return sid


def other_devices(client) -> list[int]:
    return [sid for sid, row in devices(client).items() if "This device" not in row]


def test_device_shows_browser_and_system(app, user):
    laptop = login_client(app, user_agent=CHROME_ON_WINDOWS)
    (row,) = devices(laptop).values()
    assert "Chrome on Windows" in row


def test_device_shows_address_and_last_seen(app, user):
    laptop = login_client(app, user_agent=CHROME_ON_WINDOWS)
    (row,) = devices(laptop).values()
    assert "<td>127.0.0.1</td>" in row
    seen = datetime.fromisoformat(re.search(r'<time datetime="([^"]+)"', row).group(1))
    if seen.tzinfo is None:
        seen = seen.replace(tzinfo=timezone.utc)
    assert abs(datetime.now(timezone.utc) - seen) < timedelta(minutes=1)


def test_every_logged_in_browser_is_listed(app, user):
    laptop = login_client(app, user_agent=CHROME_ON_WINDOWS)
    login_client(app, user_agent=FIREFOX_ON_LINUX)
    rows = devices(laptop)
    assert len(rows) == 2
    assert "Chrome on Windows" in rows[this_device(laptop)]
    (other,) = other_devices(laptop)
    assert "Firefox on Linux" in rows[other]


def test_unknown_browser_is_named_as_unknown(app, user):
    script = login_client(app, user_agent="???")
    (row,) = devices(script).values()
    assert "Unknown browser on unknown system" in row


def test_logging_out_another_device_logs_it_out(app, user):
    laptop = login_client(app, user_agent=CHROME_ON_WINDOWS)
    phone = login_client(app, user_agent=FIREFOX_ON_LINUX)
    (phone_sid,) = other_devices(laptop)
    response = post_profile(laptop, f"/profile/sessions/{phone_sid}/end", None)
    assert response.status_code == 302
    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    assert list(devices(laptop)) == [this_device(laptop)]


def test_logging_out_this_device_from_the_list_logs_it_out(app, user):
    laptop = login_client(app)
    response = post_profile(laptop, f"/profile/sessions/{this_device(laptop)}/end", None)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    assert not is_logged_in(laptop)


def test_logging_out_all_other_devices(app, user):
    laptop = login_client(app, user_agent=CHROME_ON_WINDOWS)
    phone = login_client(app, user_agent=FIREFOX_ON_LINUX)
    tablet = login_client(app)
    assert len(devices(laptop)) == 3
    response = post_profile(laptop, "/profile/sessions/end-others", None)
    assert response.status_code == 302
    assert not is_logged_in(phone)
    assert not is_logged_in(tablet)
    assert is_logged_in(laptop)
    assert len(devices(laptop)) == 1


def test_someone_elses_session_is_not_found_and_stays_logged_in(app, user):
    laptop = login_client(app)
    create_user(app, "bob")
    bob = login_client(app, "bob")
    bob_sid = this_device(bob)
    response = post_profile(laptop, f"/profile/sessions/{bob_sid}/end", None)
    assert response.status_code == 404
    assert is_logged_in(bob)
    assert is_logged_in(laptop)


def test_someone_elses_session_is_not_ended_by_log_out_all_others(app, user):
    laptop = login_client(app)
    create_user(app, "bob")
    bob = login_client(app, "bob")
    post_profile(laptop, "/profile/sessions/end-others", None)
    assert is_logged_in(bob)


def test_logged_out_browser_disappears_from_the_list(app, user):
    laptop = login_client(app)
    phone = login_client(app)
    assert len(devices(laptop)) == 2
    assert AuthActions(phone).logout().status_code == 302
    assert len(devices(laptop)) == 1
