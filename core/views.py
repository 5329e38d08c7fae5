"""Small helpers the thin views share: mapping domain errors onto forms, safe redirects."""
from urllib.parse import urlsplit

from flask import abort, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from core.errors import DomainError, TooManyRequests


def attach_error(form: FlaskForm, exc: DomainError) -> None:
    """Show `exc.message` beside the field it names, or at the top of `form`."""
    field = form._fields.get(exc.field) if exc.field else None
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def render_form(template: str, form: FlaskForm, exc: DomainError | None = None, status: int = 200, **context):
    """Render `template` with `form`; with `exc`, show it on the form and answer exc.status.

    Password fields are emptied so a typed password is never sent back to the browser.
    """
    if exc is not None:
        attach_error(form, exc)
        status = exc.status
    elif form.errors:
        status = 400
    for field in form:
        if field.type == "PasswordField":
            field.data = ""
    response = make_response(render_template(template, form=form, **context), status)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def safe_next(target: str | None, default: str) -> str:
    """Return `target` when it is a path on this site (no scheme, no host, no control
    characters such as a line break, which would end a Location header), else `default`."""
    if not target:
        return default
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or any(ord(c) < 32 or ord(c) == 127 for c in target)):
        return default
    return target


def hidden_from_anonymous(view):
    """Declare that `view` serves something private whose very existence is not told: a
    caller who is not logged in gets the same 404 as for a missing one, not the login page
    (the login manager's unauthorized handler reads this mark: blueprints/auth/sessions.py).
    Put it right under the route decorator, above `login_required`."""
    view.hidden_from_anonymous = True
    return view


def is_hidden_from_anonymous() -> bool:
    """True when this request's view is marked `hidden_from_anonymous`."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "hidden_from_anonymous", False))


UPLOAD_SLACK = 64 * 1024  # bytes of multipart framing and other fields allowed beyond a file


def upload_limit(config_key: str):
    """Declare that a view takes an upload of at most `app.config[config_key]` bytes.

    `enforce_upload_limit` (run before any other request hook) then answers 413 before
    reading the body when its declared length is over the limit, and caps reading otherwise.
    """
    def decorate(view):
        view.upload_limit_key = config_key
        return view
    return decorate


def enforce_upload_limit() -> None:
    """Refuse an over-large upload (413) before anything reads its body."""
    view = current_app.view_functions.get(request.endpoint or "")
    key = getattr(view, "upload_limit_key", None)
    if key is None:
        return
    limit = current_app.config[key]
    request.max_content_length = limit + UPLOAD_SLACK
    if request.content_length is not None and request.content_length > limit + UPLOAD_SLACK:
        abort(413, _("The file is larger than %(n)d MB.", n=max(1, -(-limit // (1024 * 1024)))))
