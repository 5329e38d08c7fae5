"""The chat's rate limits (core/ratelimit.py has the others): sending, one MESSAGE_RATE_LIMIT
budget per person that text messages and attachments share whichever view sends them, and
TYPING_LIMIT per person for typing notices."""
from flask_babel import gettext as _
from flask_limiter import RouteLimit

from core.ratelimit import person_limit


def send_limit(**options) -> RouteLimit:
    """A decorator limiting a send view (text, attachments, forwards) to MESSAGE_RATE_LIMIT per
    person, counted in the one "send" budget every send view shares (429 beyond it); `options`
    as person_limit's (a forward's `cost`: one per conversation it goes to)."""
    return person_limit("MESSAGE_RATE_LIMIT", "send", lambda: _("You are sending messages too fast."), **options)


def typing_limit() -> RouteLimit:
    """A decorator limiting typing notices to TYPING_LIMIT per person (429 beyond it); the chat
    page sends one at most every 3 seconds while its person types."""
    return person_limit("TYPING_LIMIT", "typing", lambda: _("You are sending typing notices too fast."))
