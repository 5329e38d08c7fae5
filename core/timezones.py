"""Time zone choice: the person's setting, else the browser's (the `tz` cookie), else UTC."""
import zoneinfo
from functools import cache

import pytz
from flask import has_request_context, request
from flask_login import current_user

COOKIE = "tz"  # set by static/js/timezone.js from Intl.DateTimeFormat().resolvedOptions().timeZone


@cache
def zone_names() -> frozenset[str]:
    """Every IANA zone name this machine knows (zoneinfo's, from the system's tzdata) that
    flask-babel can also format with (it converts through pytz); "localtime" and "Factory"
    are no zones a person lives in."""
    return frozenset(zoneinfo.available_timezones() & pytz.all_timezones_set)


@cache
def zone_choices() -> tuple[str, ...]:
    """The zones a person picks from: the common "Region/City" names and UTC, sorted."""
    return tuple(sorted(set(pytz.common_timezones) & zone_names()))


def is_zone(name: str | None) -> bool:
    """True when `name` is a zone name of `zone_names` (exact spelling)."""
    return bool(name) and name in zone_names()


def select_timezone() -> str | None:
    """The zone for this request's times (Flask-Babel's timezone selector): the person's
    setting, else a valid `tz` cookie (a bad one is ignored), else None (the default, UTC)."""
    if not has_request_context():  # the CLI, mail sent in the background: no person here
        return None
    if current_user and current_user.is_authenticated and is_zone(current_user.timezone):
        return current_user.timezone
    cookie = request.cookies.get(COOKIE)
    return cookie if is_zone(cookie) else None
