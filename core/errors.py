"""Domain errors raised by services; views map them to a 4xx status and a form field."""


class DomainError(Exception):
    """A rule was broken by the caller's input; nothing was changed.

    `message` is a translated sentence the user can act on; `field` names the form field it
    belongs to (or None for the whole form); `status` is the HTTP status a view answers with.
    """

    status = 400

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The thing does not exist, or the caller may not know that it exists."""

    status = 404


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403


class Conflict(DomainError):
    """The request clashes with the current state (a name already taken, an answered request)."""

    status = 409


class Unauthorized(DomainError):
    """Credentials were wrong or missing."""

    status = 401


class TooManyRequests(DomainError):
    """The caller must wait `retry_after` seconds before trying again."""

    status = 429

    def __init__(self, message: str, retry_after: int, field: str | None = None):
        super().__init__(message, field)
        self.retry_after = max(1, int(retry_after))


class PayloadTooLarge(DomainError):
    """An upload is over its size limit."""

    status = 413


class UnsupportedMediaType(DomainError):
    """An upload is not of a type this action takes (a voice message that is not sound)."""

    status = 415
