"""Web Push: the browsers (one subscription per device) that a person let Parley notify."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.timeutil import utcnow
from extensions import db
from models.types import UTCDateTime


class PushSubscription(db.Model):
    """One browser's push subscription (the W3C Push API's PushSubscription) for `user_id`:
    its push service `endpoint` (unique: a browser that subscribes again replaces its row),
    its P-256 public key `p256dh` and 16-byte `auth` secret (both base64url, RFC 8291 §3),
    `device`, a label such as "Chrome on Linux" for the profile page, and `locale`."""

    __tablename__ = "push_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    endpoint: Mapped[str] = mapped_column(Text, unique=True)
    p256dh: Mapped[str] = mapped_column(String(100))
    auth: Mapped[str] = mapped_column(String(40))
    device: Mapped[str] = mapped_column(String(100), default="")
    # The language the browser asked for when it subscribed: notifications use it unless the
    # person chose one on their profile.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
