"""Web Push: the browsers (one subscription per device) that a person let Parley notify."""
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow
from extensions import db
from models.types import UTCDateTime


class PushSubscription(db.Model):
    """One browser's push subscription (the W3C Push API's PushSubscription) for `user_id`:
    its push service `endpoint` (unique: a browser that subscribes again replaces its row),
    its P-256 public key `p256dh` and 16-byte `auth` secret (both base64url, RFC 8291 §3),
    `device`, a label such as "Chrome on Linux" for the profile page, and `locale`. It lives
    as long as the login that made it: `user_session_id` (a browser's cookie session) or
    `access_token_id` (an API client's Bearer token), exactly one of them; ending that
    session (logout, "end session", a password change, a disabled account) or revoking that
    token deletes it in the database (ON DELETE CASCADE), so the next person on a shared
    browser never gets the previous one's notifications. `failures` counts the sends in a
    row that never reached the push service (connection, DNS, timeout)."""

    __tablename__ = "push_subscription"
    __table_args__ = (CheckConstraint("(user_session_id IS NULL) <> (access_token_id IS NULL)", name="one_login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    user_session_id: Mapped[int | None] = mapped_column(ForeignKey("user_session.id", ondelete="CASCADE"),
                                                        index=True)
    access_token_id: Mapped[int | None] = mapped_column(ForeignKey("access_token.id", ondelete="CASCADE"),
                                                        index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(100), default="")
    # The language the browser asked for when it subscribed: notifications use it unless the
    # person chose one on their profile.
    locale: Mapped[str | None] = mapped_column(String(16))
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
