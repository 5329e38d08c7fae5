"""Friendly error pages, and JSON error bodies for requests that want JSON: the app's error
handlers (core/hooks.py registers them, after the JSON API's own, so these answer every error),
and the after-commit note the overload answer reads."""
import logging
import time

from flask import Response, current_app, g, has_app_context, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_limiter import RateLimitExceeded
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError
from wtforms import ValidationError

from core.errors import DomainError, TooManyRequests
from core.input import InvalidInput
from core.ratelimit import REFUSED_PAGE
from extensions import db, limiter

log = logging.getLogger("parley.errors")


def wants_json() -> bool:
    """True for API paths, and for requests that prefer JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def _titles() -> dict[int, str]:
    return {
        400: _("That request could not be understood"),
        401: _("Please log in"),
        403: _("You may not do that"),
        404: _("Page not found"),
        405: _("That action is not allowed here"),
        409: _("That clashes with something that changed"),
        413: _("That is too large"),
        422: _("Some of what you sent is not valid"),
        429: _("Too many tries"),
        500: _("Something went wrong on our side"),
        503: _("Temporarily unavailable"),
    }


def _default_message(code: int) -> str:
    return {
        400: _("Please check what you entered and try again."),
        401: _("Log in to see this page."),
        403: _("Your account does not have access to this."),
        404: _("The page you asked for does not exist, or you cannot see it."),
        405: _("Go back and use the page's own buttons."),
        413: _("The upload is larger than allowed."),
        422: _("Some fields are not valid: see the errors beside them."),
        429: _("Please wait a little and try again."),
        500: _("We have been told about it. Please try again in a moment."),
        503: _("Please try again in a minute."),
    }.get(code, _("Please try again."))


def error_response(code: int, message: str | None, errors=None, headers=None):
    """Answer with status `code`: JSON {code, status, message[, errors]} or the HTML error page."""
    title = _titles().get(code, _("Error"))
    message = message or _default_message(code)
    if wants_json():
        body = {"code": code, "status": title, "message": message}
        if errors:
            body["errors"] = errors
        response = jsonify(body)
    elif request_ctx.url_adapter is None:
        # A Host outside TRUSTED_HOSTS leaves no URL adapter, so the page's links cannot be built.
        response = Response(f"{title}\n\n{message}\n", mimetype="text/plain")
    else:
        response = render_template("errors/error.html", code=code, title=title, message=message)
    return response, code, headers or {}


def _http_message(exc: HTTPException) -> str | None:
    # Our own abort(code, "message") calls carry a sentence meant for people; Werkzeug's
    # stock descriptions are replaced by translated ones.
    if exc.description and exc.description != type(exc).description:
        return str(exc.description)
    return None


def handle_http_exception(exc: HTTPException):
    """Any abort(code[, message]) or Werkzeug error (404, 405, 413, 429 with Retry-After...):
    its status, its own sentence or a translated default, and webargs' field errors (422)."""
    if exc.code and exc.code >= 500:
        db.session.rollback()
    if isinstance(exc, InvalidInput) and (page := _typed_page()) is not None:
        return page(DomainError(str(exc.description)))
    data = getattr(exc, "data", None) or {}
    headers = dict(exc.get_headers()) if exc.code == 405 else {}
    headers.pop("Content-Type", None)
    if exc.code == 429:
        retry = _retry_after()
        if retry is None:
            return error_response(429, None, headers=headers)
        message = _limit_message(exc, retry)
        # A form page refused by its limit shows itself again, with what was typed.
        page = getattr(current_app.view_functions.get(request.endpoint or ""), REFUSED_PAGE, None)
        if page is not None and not wants_json():
            return page(TooManyRequests(message, retry))
        return error_response(429, message, headers={**headers, "Retry-After": str(retry)})
    return error_response(exc.code or 500, _http_message(exc), _field_errors(data.get("messages")), headers)


def _typed_page():
    # A logged-in person's form page whose text the input rules refused (a NUL character):
    # what its view declared with `refused_page`, to show itself again with what was typed
    # (request.typed_form) and the reason, once the form's CSRF token holds: the refusal came
    # before the token was checked.
    page = getattr(current_app.view_functions.get(request.endpoint or ""), REFUSED_PAGE, None)
    typed = request.typed_form
    if page is None or typed is None or wants_json() or not current_user.is_authenticated:
        return None
    try:
        validate_csrf(typed.get("csrf_token"))
    except ValidationError:
        return None
    return page


def _retry_after() -> int | None:
    # Flask-Limiter's RateLimitExceeded names the limit, not the wait; the breached window does.
    limit = limiter.current_limit
    return max(1, int(limit.reset_at - time.time())) if limit else None


def _limit_message(exc: HTTPException, retry: int) -> str:
    # The limits of core/ratelimit.py carry their reason ("You have sent too many friend
    # requests."); the login and code limits, and abort(429), keep the general sentence.
    if not (isinstance(exc, RateLimitExceeded) and exc.limit.error_message):
        return _("Too many tries. Please wait %(n)d seconds and try again.", n=retry)
    return _("%(reason)s Please wait %(wait)s and try again.", reason=exc.description, wait=_wait(retry))


def _wait(seconds: int) -> str:
    # As people say a wait: seconds up to 5 minutes, then minutes, then hours (rounded up).
    if seconds <= 300:
        return ngettext("%(num)d second", "%(num)d seconds", seconds)
    if seconds <= 2 * 3600:
        return ngettext("%(num)d minute", "%(num)d minutes", -(-seconds // 60))
    return ngettext("%(num)d hour", "%(num)d hours", -(-seconds // 3600))


def _field_errors(messages):
    # webargs groups errors by location ({"json": {"name": [...]}}); callers want them by field.
    if not isinstance(messages, dict):
        return messages
    flat = {}
    for location, fields in messages.items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


def handle_csrf_error(exc: CSRFError):
    """A missing or stale CSRF token: 400, asking for a reload."""
    return error_response(400, _("This form has expired or was sent from another site. "
                                 "Reload the page and try again."))


def handle_domain_error(exc: DomainError):
    """A service's DomainError not caught by its view: roll back, answer exc.status with the
    message (beside exc.field when it names one) and Retry-After for TooManyRequests."""
    db.session.rollback()
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else {}
    errors = {exc.field: [exc.message]} if exc.field else None
    return error_response(exc.status, exc.message, errors, headers)


def note_commit(_events, _control_messages) -> None:
    """A step of the commit pipeline, run after every commit (events or not): note in `g` that
    this request committed a change. Whether it did decides what an overload may answer
    (`handle_pool_timeout`). Outside an app context (scripts) there is no request to note."""
    if has_app_context():
        g.parley_committed = True


def handle_pool_timeout(exc: PoolTimeout):
    """Every pooled database connection stayed busy for the pool's whole timeout: the
    worker is overloaded. Answer 503 without touching the database again: the page is
    rendered for nobody (the person's row may be expired, and reloading it would wait for
    the pool once more) in the browser's language. Before any commit nothing was written,
    and Retry-After invites the retry; after one, the change is saved and only the answer
    failed, so the message says so and invites no retry (that could do it twice)."""
    db.session.close()  # no rollback: it would expire the loaded rows
    current_app.login_manager._update_request_context_with_user()  # answer as nobody
    log.warning("database pool exhausted on %s %s: %s", request.method, request.path, exc)
    if g.get("parley_committed"):
        return error_response(503, _("Your change was saved, but the server is too busy to show it. "
                                     "Reload the page in a moment."))
    return error_response(503, _("The server is busy. Please try again in a moment."),
                          headers={"Retry-After": "2"})


def handle_server_error(exc: InternalServerError):
    """An unhandled exception: roll back, log it with its traceback, answer a plain 500."""
    db.session.rollback()
    log.exception("unhandled error on %s %s", request.method, request.path,
                  exc_info=exc.original_exception or exc)
    return error_response(500, None)
