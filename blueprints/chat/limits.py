"""The send rate limit: MESSAGE_RATE_LIMIT per person, on each of the two send views (text
messages and attachments; Flask-Limiter counts each view's budget separately)."""
from flask import current_app
from flask_login import current_user

from extensions import limiter


def sender_key() -> str:
    """The rate-limit key of the logged-in person's sends: "send:<user id>"."""
    return f"send:{current_user.get_id()}"


def send_limit():
    """A decorator limiting a send view to MESSAGE_RATE_LIMIT per person (429 beyond it)."""
    return limiter.limit(lambda: current_app.config["MESSAGE_RATE_LIMIT"], key_func=sender_key)
