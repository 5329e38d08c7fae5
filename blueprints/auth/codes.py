"""Emailed one-time codes: issue, rate-limit, verify (single use, expiring, few tries)."""
import hashlib
import hmac
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, select

from core.errors import DomainError, TooManyRequests
from core.timeutil import utcnow
from extensions import db
from models import EmailCode

PURPOSES = ("register", "reset", "change_email")


def ttl_minutes() -> int:
    """How long a code stays valid, in whole minutes (CODE_TTL rounded up), for messages."""
    return max(1, -(-current_app.config["CODE_TTL"] // 60))


def _digest(code: str) -> str:
    # Keyed with SECRET_KEY: six digits are too few for a plain hash to protect them.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def issue_code(email: str, purpose: str, user_id: int | None = None) -> str:
    """Store a new 6-digit code for (`email`, `purpose`) and return it; the caller mails it.

    Earlier codes for the same address and purpose stop working. Raises TooManyRequests when
    a code was issued less than CODE_RESEND_INTERVAL seconds ago. Adds to the session; the
    caller commits.
    """
    assert purpose in PURPOSES
    now = utcnow()
    interval = current_app.config["CODE_RESEND_INTERVAL"]
    last = db.session.scalar(
        select(EmailCode.created_at)
        .where(EmailCode.email == email, EmailCode.purpose == purpose)
        .order_by(EmailCode.created_at.desc())
        .limit(1)
    )
    if last is not None and now - last < timedelta(seconds=interval):
        wait = interval - int((now - last).total_seconds())
        raise TooManyRequests(
            _("A code was just sent. You can ask for a new one in %(n)d seconds.", n=wait),
            retry_after=wait,
            field="email",
        )
    db.session.execute(
        delete(EmailCode).where(EmailCode.email == email, EmailCode.purpose == purpose)
    )
    code = f"{secrets.randbelow(1_000_000):06d}"
    db.session.add(
        EmailCode(
            email=email,
            purpose=purpose,
            user_id=user_id,
            code_hash=_digest(code),
            created_at=now,
            expires_at=now + timedelta(seconds=current_app.config["CODE_TTL"]),
        )
    )
    return code


def consume_code(email: str, purpose: str, code: str, user_id: int | None = None) -> None:
    """Mark the code for (`email`, `purpose`) used if `code` matches; otherwise count a try.

    A wrong try is committed at once (so rolling back the caller's work cannot undo it), then
    DomainError(field="code") is raised; after CODE_MAX_ATTEMPTS wrong tries, or past
    CODE_TTL, the code is dead. On success the code is marked used in the caller's
    transaction, so it stays usable if the caller's later work fails and rolls back.
    """
    now = utcnow()
    row = db.session.scalar(
        select(EmailCode)
        .where(EmailCode.email == email, EmailCode.purpose == purpose, EmailCode.used_at.is_(None))
        .order_by(EmailCode.created_at.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None or (user_id is not None and row.user_id != user_id):
        raise DomainError(_("No code is waiting for this address. Ask for a new code."), "code")
    if row.expires_at <= now:
        raise DomainError(_("This code has expired. Ask for a new code."), "code")
    if row.attempts >= current_app.config["CODE_MAX_ATTEMPTS"]:
        raise DomainError(_("Too many wrong tries. Ask for a new code."), "code")
    if not hmac.compare_digest(row.code_hash, _digest(code.strip())):
        row.attempts += 1
        left = current_app.config["CODE_MAX_ATTEMPTS"] - row.attempts
        db.session.commit()
        if left <= 0:
            raise DomainError(_("Too many wrong tries. Ask for a new code."), "code")
        raise DomainError(ngettext("This code is not right. %(num)d try left.",
                                   "This code is not right. %(num)d tries left.", left), "code")
    row.used_at = now
