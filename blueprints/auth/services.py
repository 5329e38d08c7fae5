"""Account actions: validation rules, registration, authentication, password reset and change."""
import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from blueprints.auth import codes, passwords, sessions
from core.errors import Conflict, DomainError, Unauthorized
from core.mail import send_mail
from extensions import db
from models import User

USERNAME_RE = re.compile(r"[A-Za-z0-9_.]{3,32}")


def clean_username(username: str) -> str:
    """Return `username` stripped; DomainError unless it is 3–32 of A–Z, a–z, 0–9, `_`, `.`."""
    username = (username or "").strip()
    if not USERNAME_RE.fullmatch(username):
        raise DomainError(
            _("Use 3 to 32 characters: letters, digits, underscore (_) and dot (.)."), "username"
        )
    return username


def clean_nickname(nickname: str) -> str:
    """Return `nickname` in NFC, stripped; DomainError unless 1–32 characters, no control characters."""
    nickname = unicodedata.normalize("NFC", (nickname or "").strip())
    if not 1 <= len(nickname) <= 32:
        raise DomainError(_("Use 1 to 32 characters."), "nickname")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in nickname):
        raise DomainError(_("A nickname cannot contain control characters."), "nickname")
    return nickname


def clean_email(email: str, field: str = "email") -> str:
    """Return `email` normalised and lower-cased (RFC 5321 syntax via email-validator), or DomainError."""
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise DomainError(_("Enter a valid email address."), field) from None
    return result.normalized.lower()


def find_user_by_login(login: str) -> User | None:
    """Return the user whose username (any case) or email is `login`, or None."""
    login = (login or "").strip()
    if "@" in login:
        return db.session.scalar(select(User).where(User.email == login.lower()))
    return db.session.scalar(select(User).where(User.username_key == login.lower()))


def username_taken(username: str) -> bool:
    """True when `username` is used by an account, compared case-insensitively."""
    return db.session.scalar(select(func.count()).where(User.username_key == username.lower())) > 0


def email_owner(email: str) -> User | None:
    """Return the account using the normalised address `email`, or None."""
    return db.session.scalar(select(User).where(User.email == email))


def send_register_code(email: str) -> None:
    """Mail a registration code to `email`.

    The outcome looks the same whether or not the address is taken: when it is, the owner gets
    a notice instead of a code (and a code that nobody can read is stored, so the resend limit
    behaves identically); either mail leaves after the answer (core.mail.send_mail). Raises
    DomainError for a malformed address, TooManyRequests within the resend interval.
    """
    email = clean_email(email)
    code = codes.issue_code(email, "register")
    owner = email_owner(email)
    db.session.commit()
    if owner is not None:
        send_mail(email, _("Someone tried to register with your address"), "register_taken",
                  user=owner)
    else:
        send_mail(email, _("Your Parley code: %(code)s", code=code), "register_code", code=code,
                  minutes=codes.ttl_minutes())


def new_user(username: str, nickname: str, email: str, password: str, is_admin: bool = False) -> User:
    """Validate and return a new, unsaved user without its password hash, which the caller
    sets (no code check: the CLI and `register` use it).

    Raises DomainError for a broken rule, Conflict when the username or email is taken.
    """
    username = clean_username(username)
    nickname = clean_nickname(nickname)
    email = clean_email(email)
    passwords.check_policy(password, username)
    if username_taken(username):
        raise Conflict(_("This username is taken."), "username")
    if email_owner(email) is not None:
        raise Conflict(_("This email address cannot be used. Try another or log in."), "email")
    user = User(
        username=username,
        username_key=username.lower(),
        nickname=nickname,
        email=email,
        is_admin=is_admin,
    )
    return user


def register(username: str, nickname: str, email: str, password: str, code: str) -> User:
    """Create the account once the emailed `code` for `email` is right; return the new user.

    Every other field is checked before the code, so a typo elsewhere costs no code try;
    except whether the address is taken, which is told only after a right code (its owner
    never gets one), so this form cannot reveal who has an account.
    Raises DomainError / Conflict naming the field; nothing is stored on error.
    """
    try:
        user = new_user(username, nickname, email, password)
    except Conflict as exc:
        if exc.field == "email":
            codes.consume_code(clean_email(email), "register", code or "")
        raise
    codes.consume_code(user.email, "register", code or "")
    # Hashed only after a right code: argon2 is slow on purpose and this form has no rate
    # limit, so a guessed code must not cost the server a hash.
    user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    _commit_unique(user)
    return user


def create_user(username: str, nickname: str, email: str, password: str, is_admin: bool = False) -> User:
    """Create an account without an emailed code (admin CLI); same rules and errors as `new_user`."""
    user = new_user(username, nickname, email, password, is_admin)
    user.password_hash = passwords.hash_password(password)
    db.session.add(user)
    _commit_unique(user)
    return user


def _commit_unique(user: User) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        # Two registrations raced for the same name or address; the loser changes nothing.
        db.session.rollback()
        raise Conflict(_("This username or email address was just taken. Try another."), "username") from None


def authenticate(login: str, password: str) -> User:
    """Return the user for `login` (username or email) and `password`, upgrading an old hash.

    Raises Unauthorized with one message whichever part was wrong, and for a disabled account
    only once the password is right.
    """
    user = find_user_by_login(login)
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password or "")
        raise Unauthorized(_("The username or password is not right."))
    ok, new_hash = passwords.verify_password(user.password_hash, password or "")
    if not ok:
        raise Unauthorized(_("The username or password is not right."))
    if not user.is_active:
        raise Unauthorized(_("This account is disabled. Contact the site's administrator."))
    if new_hash:
        user.password_hash = new_hash
        db.session.commit()
    return user


def send_reset_code(email: str) -> None:
    """Mail a password-reset code to `email` if an active account uses it.

    Answers the same either way (a code row is stored regardless, so the resend limit looks
    the same); the mail leaves after the answer. Raises DomainError for a malformed address,
    TooManyRequests.
    """
    email = clean_email(email)
    code = codes.issue_code(email, "reset")
    owner = email_owner(email)
    db.session.commit()
    if owner is not None and owner.is_active:
        send_mail(email, _("Your Parley code: %(code)s", code=code), "reset_code", code=code,
                  minutes=codes.ttl_minutes(),
                  user=owner)


def reset_password(email: str, code: str, new_password: str) -> User:
    """Set a new password with the emailed `code`, ending every session of the account.

    Raises DomainError naming the field (email, code, password); nothing changes on error.
    """
    email = clean_email(email)
    owner = email_owner(email)
    # The username check waits until the code is right: before that, nothing may depend on
    # whether the address has an account.
    passwords.check_policy(new_password)
    codes.consume_code(email, "reset", code or "")
    if owner is None or not owner.is_active:
        db.session.rollback()
        raise DomainError(_("No code is waiting for this address. Ask for a new code."), "code")
    try:
        passwords.check_policy(new_password, owner.username)
    except DomainError:
        db.session.rollback()  # the code stays usable with a better password
        raise
    owner.password_hash = passwords.hash_password(new_password)
    sessions.end_sessions(owner.id)
    db.session.commit()
    return owner


def change_password(user: User, current: str, new_password: str, keep_session_id: int | None) -> None:
    """Change `user`'s password after checking `current`; end every other session.

    Raises Unauthorized (field current_password) or DomainError (field new_password).
    """
    ok, _unused = passwords.verify_password(user.password_hash, current or "")
    if not ok:
        raise DomainError(_("Your current password is not right."), "current_password")
    passwords.check_policy(new_password, user.username, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    sessions.end_sessions(user.id, keep_id=keep_session_id)
    db.session.commit()


def set_password(user: User, new_password: str) -> None:
    """Set `user`'s password without the current one (admin CLI); ends every session."""
    passwords.check_policy(new_password, user.username)
    user.password_hash = passwords.hash_password(new_password)
    sessions.end_sessions(user.id)
    db.session.commit()
