"""Account pages: /register, /login, /logout, /password/forgot, /password/reset."""
from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from flask_smorest import Blueprint as ApiBlueprint

from blueprints.auth import bp, codes, services, sessions
from blueprints.auth.forms import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from core.errors import DomainError
from core.forms import ActionForm
from core.ratelimit import refused_page
from core.views import render_form, safe_next
from extensions import csrf, db, limiter


def _login_key() -> str:
    # Per-account limit: the account's username and email share one budget; for a name that
    # is no account, what was typed (case-folded) is the key.
    typed = (request.form.get("login") or "").strip().lower()
    user = services.find_user_by_login(typed)
    return f"login-user:{user.username_key}" if user is not None else f"login:{typed}"


def _code_sent(_response) -> bool:
    return bool(g.get("code_sent"))


def _failed_login(response) -> bool:
    return response.status_code == 401


code_limit = limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_ADDRESS"], methods=["POST"],
                           deduct_when=_code_sent)


def log_in(user, remember: bool) -> None:
    """Start a fresh server-side session for `user` (a new session id: no fixation)."""
    session.clear()
    raw = sessions.start_session(user, remember, request.headers.get("User-Agent", ""),
                                 request.remote_addr or "")
    db.session.commit()
    session["sid"] = raw
    session.permanent = remember
    login_user(user)


def _send_code(template: str, form, send, sent_message: str):
    # The "Send code" button of a page: only the email field is checked, the rest is kept.
    if not form.email.validate(form):
        return render_form(template, form, status=400)
    try:
        send(form.email.data)
    except DomainError as exc:
        return render_form(template, form, exc)
    g.code_sent = True
    flash(sent_message, "info")
    return render_form(template, form)


@bp.route("/register", methods=["GET", "POST"])
@refused_page(lambda exc: render_form("auth/register.html", RegisterForm(), exc))
@code_limit
def register():
    """Register; the "Send code" button mails a code, "Create account" checks it."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if request.method == "GET":
        return render_form("auth/register.html", form)
    if form.send_code.data:
        return _send_code("auth/register.html", form, services.send_register_code, ngettext(
            "We sent a 6-digit code to %(email)s. It is valid for %(num)d minute.",
            "We sent a 6-digit code to %(email)s. It is valid for %(num)d minutes.",
            codes.ttl_minutes(), email=form.email.data))
    if not form.validate():
        return render_form("auth/register.html", form)
    try:
        user = services.register(form.username.data, form.nickname.data, form.email.data,
                                 form.password.data, form.code.data)
    except DomainError as exc:
        return render_form("auth/register.html", form, exc)
    log_in(user, remember=False)
    flash(_("Welcome to Parley, %(name)s!", name=user.nickname), "success")
    return redirect(url_for("main.index"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"], methods=["POST"],
               deduct_when=_failed_login)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_login_key, deduct_when=_failed_login)
def login():
    """Log in with username or email and password."""
    next_url = safe_next(request.args.get("next"), url_for("main.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if request.method == "GET" or not form.validate():
        return render_form("auth/login.html", form)
    try:
        user = services.authenticate(form.login.data, form.password.data)
    except DomainError as exc:
        return render_form("auth/login.html", form, exc)
    log_in(user, remember=form.remember.data)
    return redirect(next_url)


@bp.route("/logout", methods=["POST"])
def logout():
    """End this session for good: its cookie will not work again."""
    ActionForm()  # the CSRF check runs for every POST in a request hook (core/hooks.py)
    raw = session.get("sid")
    if raw:
        sessions.end_session_by_token(raw)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@refused_page(lambda exc: render_form("auth/forgot_password.html", ForgotPasswordForm(), exc))
@code_limit
def forgot_password():
    """Ask for a password-reset code by email."""
    form = ForgotPasswordForm()
    if request.method == "GET" or not form.validate():
        return render_form("auth/forgot_password.html", form)
    try:
        services.send_reset_code(form.email.data)
    except DomainError as exc:
        return render_form("auth/forgot_password.html", form, exc)
    g.code_sent = True
    flash(_("If an account uses %(email)s, we sent it a 6-digit code.", email=form.email.data), "info")
    return redirect(url_for("auth.reset_password", email=form.email.data))


@bp.route("/password/reset", methods=["GET", "POST"])
@refused_page(lambda exc: render_form("auth/reset_password.html", ResetPasswordForm(), exc))
@code_limit
def reset_password():
    """Set a new password with the emailed code; every session of the account ends."""
    form = ResetPasswordForm()
    if request.method == "GET":
        form.email.data = request.args.get("email", "")
        return render_form("auth/reset_password.html", form)
    if form.send_code.data:
        return _send_code("auth/reset_password.html", form, services.send_reset_code,
                          _("If an account uses %(email)s, we sent it a 6-digit code.", email=form.email.data))
    if not form.validate():
        return render_form("auth/reset_password.html", form)
    try:
        services.reset_password(form.email.data, form.code.data, form.password.data)
    except DomainError as exc:
        return render_form("auth/reset_password.html", form, exc)
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    flash(_("Your password is changed. Log in with the new one."), "success")
    return redirect(url_for("auth.login"))


def require_login_for_api():
    """A request hook (core/hooks.py installs it after the upload limit, before check_csrf).
    Every operation of the JSON API (a view of a flask-smorest blueprint) needs a login, as
    the OpenAPI document says: without one, answer 401 first, before the request's arguments
    are read (422) or its CSRF token asked for (400). Authentication then gives its
    database connection back, so a request waiting on its rate limit holds none."""
    blueprint = current_app.blueprints.get(request.blueprint) if request.blueprint else None
    if isinstance(blueprint, ApiBlueprint):
        if not current_user.is_authenticated:
            abort(401)
        sessions.release_connection(current_user._get_current_object())


def check_csrf():
    """A request hook (core/hooks.py installs it last, after the API's 401): every unsafe
    request carries a CSRF token, except Bearer-token requests (no cookie)."""
    if request.method in ("GET", "HEAD", "OPTIONS", "TRACE"):
        return
    if sessions.bearer_token() is not None:
        return
    csrf.protect()
