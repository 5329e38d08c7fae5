"""Password policy and hashing (argon2id, with older hashes upgraded at login)."""
import unicodedata
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from werkzeug.security import check_password_hash

from core.errors import DomainError

MIN_LENGTH = 8
MAX_LENGTH = 128


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    # argon2id with ARGON2_* settings; the defaults are RFC 9106 §4's second recommended
    # option (t=3, 64 MiB), as argon2-cffi's own.
    return _hasher_for(*_hasher_params())


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most common passwords of leaked sets (its "passwords" list).
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def normalize(password: str) -> str:
    """Return `password` in Unicode NFC, so the same typed text always hashes the same."""
    return unicodedata.normalize("NFC", password)


def check_policy(password: str, username: str = "", field: str = "password") -> None:
    """Refuse a password that breaks the policy: 8–128 characters, any script, not common.

    Follows NIST SP 800-63B §5.1.1.2: length over composition rules, and a blocklist of
    commonly used passwords. Raises DomainError naming `field`.
    """
    password = normalize(password)
    if len(password) < MIN_LENGTH:
        raise DomainError(_("Use at least %(n)d characters.", n=MIN_LENGTH), field)
    if len(password) > MAX_LENGTH:
        raise DomainError(_("Use at most %(n)d characters.", n=MAX_LENGTH), field)
    lowered = password.lower()
    if lowered in _common_passwords() or (username and lowered == username.lower()):
        raise DomainError(
            _("This password is too common and easy to guess. Please choose another."), field
        )


def hash_password(password: str) -> str:
    """Return the argon2id hash (PHC string) of `password`."""
    return _hasher().hash(normalize(password))


def verify_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """Check `password` against `stored_hash`.

    Returns (matches, new_hash): new_hash is a fresh argon2id hash when the stored one is
    older (Werkzeug pbkdf2/scrypt, or argon2 with weaker parameters) and should be replaced.
    """
    password = normalize(password)
    if stored_hash.startswith("$argon2"):
        hasher = _hasher()
        try:
            hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False, None
        return True, hash_password(password) if hasher.check_needs_rehash(stored_hash) else None
    if stored_hash.startswith(("pbkdf2:", "scrypt:")):
        if check_password_hash(stored_hash, password):
            return True, hash_password(password)
        return False, None
    return False, None


def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so that a login attempt for
    a missing user costs the same time as one for a real user."""
    return _dummy_hash_for(*_hasher_params())


def _hasher_params() -> tuple[int, int, int]:
    config = current_app.config
    return config["ARGON2_TIME_COST"], config["ARGON2_MEMORY_COST"], config["ARGON2_PARALLELISM"]


@lru_cache(maxsize=4)
def _dummy_hash_for(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher_for(time_cost, memory_cost, parallelism).hash("parley-no-such-user")
