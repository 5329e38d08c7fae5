"""People and their credentials: users, login sessions, access tokens, email codes."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import DDL, BigInteger, ForeignKey, Index, String, event, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.timeutil import utcnow
from extensions import db
from models.types import UTCDateTime


class User(UserMixin, db.Model):
    """A person with an account. `username_key` and `email` are stored lower-cased for uniqueness."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    nickname: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    avatar_key: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    is_admin: Mapped[bool] = mapped_column(default=False)
    # Read receipts are reciprocal: someone who does not share theirs sees nobody else's.
    share_read_receipts: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Push notifications show the message's text only when the person allows it (off: "New message").
    push_previews: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A short notice on their open pages when a friend comes online (static/js/online-notice.js).
    online_notices: Mapped[bool] = mapped_column(default=True, server_default=true())
    timezone: Mapped[str | None] = mapped_column(String(64))  # an IANA name; None: the browser's
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    sessions: Mapped[list["UserSession"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )
    tokens: Mapped[list["AccessToken"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled users cannot log in
        return self.disabled_at is None

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserSession(db.Model):
    """One logged-in browser. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(512), default="")
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="sessions")


class AccessToken(db.Model):
    """A personal access token for scripts and bots (`Authorization: Bearer`); stored hashed."""

    __tablename__ = "access_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(16))  # the first characters, to tell tokens apart
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="tokens")


class EmailCode(db.Model):
    """A 6-digit code mailed to `email` for one `purpose`; stored as an HMAC, used at most once."""

    __tablename__ = "email_code"
    __table_args__ = (Index("ix_email_code_email_purpose", "email", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    purpose: Mapped[str] = mapped_column(String(16))  # register | reset | change_email
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CredentialEpoch(db.Model):
    """One row counting the changes that workers' credential caches must forget (a session
    or token ended, a person disabled or changed): each worker reads it once a second and
    forgets everything when it moved (blueprints/auth/cache.py)."""

    __tablename__ = "credential_epoch"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    value: Mapped[int] = mapped_column(BigInteger, default=0)


# create_all (tests, first runs) gets the row too; the migration inserts it itself.
event.listen(CredentialEpoch.__table__, "after_create", DDL("INSERT INTO credential_epoch (id, value) VALUES (1, 0)"))
