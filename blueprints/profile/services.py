"""Profile actions on the logged-in user's own account."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from blueprints.auth import codes, sessions
from blueprints.auth.services import clean_email, clean_nickname, email_owner
from core.errors import Conflict, DomainError, NotFound, PayloadTooLarge
from core.mail import send_mail
from core.people import user_brief
from core.timezones import is_zone
from extensions import db
from models import AccessToken, Membership, User, UserSession
from realtime import events
from realtime.eventlog import send_event_on_commit
from storage import blob_store
from storage.images import open_image, square_png


def _announce_profile(user: User) -> None:
    """Record a user.updated event ({"user": brief}) for everyone who shows `user`'s name or
    picture: the current members of their conversations, so open pages follow the change
    without a reload. That is themselves (their other tabs), their friends (every friendship
    has a direct conversation with both as members) and their fellow group members; one query."""
    theirs = select(Membership.conversation_id).where(Membership.user_id == user.id, Membership.left_at.is_(None))
    audience = db.session.scalars(select(Membership.user_id).distinct().where(
        Membership.conversation_id.in_(theirs), Membership.left_at.is_(None))).all()
    send_event_on_commit(events.user_updated(user_brief(user), [user.id, *audience]))


def set_nickname(user: User, nickname: str) -> None:
    """Change `user`'s nickname (1–32 characters, any script); their friends and fellow
    members see it at once (user.updated). Raises DomainError(field nickname)."""
    nickname = clean_nickname(nickname)
    if nickname != user.nickname:
        user.nickname = nickname
        _announce_profile(user)
    db.session.commit()


def set_avatar(user: User, data: bytes) -> None:
    """Make `data` (PNG, JPEG, GIF or WebP bytes, at most AVATAR_MAX_BYTES) `user`'s avatar.

    The image is decoded and re-encoded as a PNG square of at most AVATAR_SIZE px, so no
    metadata survives; friends and fellow members see it at once (user.updated). Raises
    PayloadTooLarge or DomainError(field file).
    """
    limit = current_app.config["AVATAR_MAX_BYTES"]
    if len(data) > limit:
        raise PayloadTooLarge(_("The image is larger than %(n)d MB.", n=limit // (1024 * 1024)), "file")
    if not data:
        raise DomainError(_("Choose an image file."), "file")
    png = square_png(open_image(data), current_app.config["AVATAR_SIZE"])
    user.avatar_key = blob_store().put(png)
    _announce_profile(user)
    db.session.commit()


def remove_avatar(user: User) -> None:
    """Go back to the generated avatar (initials on a colour)."""
    if user.avatar_key is not None:
        user.avatar_key = None
        _announce_profile(user)
    db.session.commit()


def send_email_change_code(user: User, new_email: str) -> str:
    """Mail a code to `new_email` to confirm it as `user`'s address; return it normalised.

    If another account uses the address, its owner is told instead and no code goes out, so
    the answer reveals nothing; either mail leaves after the answer (core.mail.send_mail).
    Raises DomainError(field email), TooManyRequests.
    """
    new_email = clean_email(new_email)
    if new_email == user.email:
        raise DomainError(_("This is already your email address."), "email")
    code = codes.issue_code(new_email, "change_email", user_id=user.id)
    owner = email_owner(new_email)
    db.session.commit()
    if owner is not None:
        send_mail(new_email, _("Someone tried to use your address on Parley"), "email_taken", user=owner)
    else:
        send_mail(new_email, _("Your Parley code: %(code)s", code=code), "email_change_code", minutes=codes.ttl_minutes(),
                  code=code, user=user)
    return new_email


def confirm_email_change(user: User, new_email: str, code: str) -> None:
    """Make `new_email` `user`'s address once the code mailed to it is right.

    Raises DomainError(field email or code) or Conflict; nothing changes on error.
    """
    new_email = clean_email(new_email)
    codes.consume_code(new_email, "change_email", code or "", user_id=user.id)
    if email_owner(new_email) is not None:
        db.session.rollback()
        raise Conflict(_("This email address cannot be used. Try another."), "email")
    user.email = new_email
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(_("This email address cannot be used. Try another."), "email") from None


def set_locale(user: User, locale: str | None) -> None:
    """Set `user`'s language (a key of LANGUAGES), or None to follow the browser."""
    if locale and locale not in current_app.config["LANGUAGES"]:
        raise DomainError(_("This language is not available."), "locale")
    user.locale = locale or None
    db.session.commit()


SETTINGS = ("share_read_receipts", "online_notices", "timezone")  # what change_settings takes


def change_settings(user: User, changes: dict) -> None:
    """Apply `changes` ({name: value} for some of SETTINGS) to `user` in one transaction, all or
    none: `online_notices` (bool: a notice on their open pages when a friend comes online),
    `timezone` (an IANA name of core.timezones.zone_names; "" or None: the browser's),
    `share_read_receipts` (bool; reciprocal: while off, nobody learns what they have read -
    their read position moves record no event for senders and count in no receipt - and they
    see nobody's receipts, for moves and questions from now on). Raises DomainError (field
    "timezone") for a zone name this server does not know."""
    changes = {name: changes[name] for name in SETTINGS if name in changes}
    if "timezone" in changes:
        changes["timezone"] = changes["timezone"] or None
        if changes["timezone"] is not None and not is_zone(changes["timezone"]):
            raise DomainError(_("Choose a time zone from the list (such as Asia/Shanghai)."), "timezone")
    for name, value in changes.items():
        setattr(user, name, value)
    db.session.commit()


def list_sessions(user: User) -> list[UserSession]:
    """Return `user`'s logged-in sessions, most recently seen first."""
    return list(db.session.scalars(
        select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.last_seen_at.desc())
    ))


def end_session(user: User, session_id: int) -> None:
    """Log out `user`'s session `session_id`. Raises NotFound if it is not one of theirs."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_("This session does not exist any more."))
    db.session.delete(row)
    sessions.revoke_on_commit("session", [row.token_hash])
    db.session.commit()


def end_other_sessions(user: User, keep_id: int | None) -> int:
    """Log out every session of `user` but `keep_id`; return how many ended."""
    count = sessions.end_sessions(user.id, keep_id=keep_id)
    db.session.commit()
    return count


def list_tokens(user: User) -> list[AccessToken]:
    """Return `user`'s personal access tokens, newest first."""
    return list(db.session.scalars(
        select(AccessToken).where(AccessToken.user_id == user.id).order_by(AccessToken.id.desc())
    ))


def create_token(user: User, name: str) -> str:
    """Create a personal access token named `name` (1–64 characters); return it (shown once)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 64:
        raise DomainError(_("Give the token a name of 1 to 64 characters."), "name")
    raw = sessions.create_token(user, name)
    db.session.commit()
    return raw


def revoke_token(user: User, token_id: int) -> None:
    """Revoke `user`'s token `token_id`; it stops working at once. Raises NotFound otherwise."""
    deleted = db.session.scalars(
        delete(AccessToken).where(AccessToken.id == token_id, AccessToken.user_id == user.id)
        .returning(AccessToken.token_hash)
    ).all()
    if not deleted:
        db.session.rollback()
        raise NotFound(_("This token does not exist any more."))
    sessions.revoke_on_commit("token", deleted)
    db.session.commit()
