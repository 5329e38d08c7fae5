"""The profile page (/profile) and the actions its forms post to."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from user_agents import parse as parse_user_agent

from blueprints.auth import services as auth_services
from blueprints.auth import sessions
from blueprints.blocks.services import list_blocks
from blueprints.profile import bp, services
from blueprints.profile.forms import (AvatarForm, EmailForm, LanguageForm, NicknameForm,
                                      PasswordForm, PreferencesForm, ReceiptsForm, TokenForm)
from core.errors import DomainError
from core.forms import ActionForm
from core.ratelimit import profile_change_limit, refused_page
from core.timezones import zone_choices
from core.views import render_form, upload_limit
from extensions import limiter

FORMS = {
    "nickname": NicknameForm,
    "avatar": AvatarForm,
    "email": EmailForm,
    "password": PasswordForm,
    "language": LanguageForm,
    "receipts": ReceiptsForm,
    "preferences": PreferencesForm,
    "token": TokenForm,
}


def _language_choices():
    return [("", _l("Same as my browser"))] + list(current_app.config["LANGUAGES"].items())


def _build(name: str, bound: bool = False):
    form_class = FORMS[name]
    form = form_class(prefix=name) if bound else form_class(prefix=name, formdata=None)
    if name == "language":
        form.locale.choices = _language_choices()
    if name == "preferences":  # a zone not listed (set through the API, or sent wrong) stays shown
        zones = zone_choices()
        unlisted = {current_user.timezone, form.timezone.data} - {None, ""} - set(zones)
        form.timezone.choices = [("", _l("Browser's (default)")), *((zone, zone.replace("_", " ")) for zone in zones),
                                 *((zone, zone) for zone in sorted(unlisted))]
    return form


def _device(row) -> str:
    agent = parse_user_agent(row.user_agent or "")
    browser = agent.browser.family if agent.browser.family != "Other" else _("Unknown browser")
    system = agent.os.family if agent.os.family != "Other" else _("unknown system")
    return _("%(browser)s on %(system)s", browser=browser, system=system)


def render_profile(failed=None, exc: DomainError | None = None, status: int = 200, **context):
    """Render /profile; `failed` is the bound form that had errors, shown with what was typed."""
    forms = {name: _build(name) for name in FORMS}
    forms["nickname"].nickname.data = current_user.nickname
    forms["language"].locale.data = current_user.locale or ""
    forms["receipts"].share.data = current_user.share_read_receipts
    forms["preferences"].timezone.data = current_user.timezone or ""
    forms["preferences"].online_notices.data = current_user.online_notices
    main_form = forms["nickname"]
    if failed is not None:
        forms[failed._prefix.rstrip("-")] = failed
        main_form = failed
    current_sid = sessions.current_session_id()
    devices = [(row, _device(row), row.id == current_sid) for row in services.list_sessions(current_user)]
    return render_form(
        "profile/profile.html", main_form, exc, status,
        forms=forms, action_form=ActionForm(formdata=None), devices=devices,
        tokens=services.list_tokens(current_user), blocks=list_blocks(current_user),
        shown_zone=get_timezone().zone, **context,
    )


def _fail(form, exc: DomainError | None = None):
    return render_profile(failed=form, exc=exc, status=400)


def _refused(name: str):
    # What the profile form `name` answers when a rate limit refuses it (core/ratelimit.py's
    # refused_page): the page again, with what was typed and the refusal on that form.
    return lambda exc: render_profile(failed=_build(name, bound=True), exc=exc)


def _not_sending_code() -> bool:
    return "email-send_code" not in request.form


def _code_sent(response) -> bool:
    return response.status_code == 200  # the page again with "we sent a code"; errors are 4xx


# Codes mailed to new addresses, per client address as on the register and reset pages.
email_code_limit = limiter.limit(lambda: current_app.config["CODE_LIMIT_PER_ADDRESS"],
                                 exempt_when=_not_sending_code, deduct_when=_code_sent)


@bp.route("/profile")
@login_required
def profile():
    """The profile page."""
    return render_profile()


@bp.route("/profile/nickname", methods=["POST"])
@refused_page(_refused("nickname"))
@login_required
@profile_change_limit()
def change_nickname():
    form = _build("nickname", bound=True)
    if not form.validate():
        return _fail(form)
    try:
        services.set_nickname(current_user, form.nickname.data)
    except DomainError as exc:
        return _fail(form, exc)
    flash(_("Your nickname is saved."), "success")
    return redirect(url_for("profile.profile"))


@bp.route("/profile/avatar", methods=["POST"])
@refused_page(_refused("avatar"))
@upload_limit("AVATAR_MAX_BYTES")
@login_required
@profile_change_limit()
def change_avatar():
    limit = current_app.config["AVATAR_MAX_BYTES"]
    form = _build("avatar", bound=True)
    if not form.validate():
        return _fail(form)
    try:
        services.set_avatar(current_user, form.file.data.read(limit + 1))
    except DomainError as exc:
        return _fail(form, exc)
    flash(_("Your avatar is saved."), "success")
    return redirect(url_for("profile.profile"))


@bp.route("/profile/avatar/remove", methods=["POST"])
@refused_page(_refused("avatar"))
@login_required
@profile_change_limit()
def remove_avatar():
    services.remove_avatar(current_user)
    flash(_("Your avatar is removed."), "success")
    return redirect(url_for("profile.profile"))


@bp.route("/profile/email", methods=["POST"])
@refused_page(_refused("email"))
@login_required
@email_code_limit
def change_email():
    form = _build("email", bound=True)
    if form.send_code.data:
        if not form.email.validate(form):
            return _fail(form)
        try:
            services.send_email_change_code(current_user, form.email.data)
        except DomainError as exc:
            return _fail(form, exc)
        flash(_("We sent a 6-digit code to %(email)s. Enter it below.", email=form.email.data), "info")
        return render_profile(failed=form)
    if not form.validate():
        return _fail(form)
    if not (form.code.data or "").strip():
        return _fail(form, DomainError(_("Enter the code we sent to the new address."), "code"))
    try:
        services.confirm_email_change(current_user, form.email.data, form.code.data)
    except DomainError as exc:
        return _fail(form, exc)
    flash(_("Your email address is changed."), "success")
    return redirect(url_for("profile.profile"))


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    form = _build("password", bound=True)
    if not form.validate():
        return _fail(form)
    try:
        auth_services.change_password(current_user, form.current_password.data, form.new_password.data,
                                      keep_session_id=sessions.current_session_id())
    except DomainError as exc:
        return _fail(form, exc)
    flash(_("Your password is changed. Your other devices are logged out."), "success")
    return redirect(url_for("profile.profile"))


@bp.route("/profile/language", methods=["POST"])
@login_required
def change_language():
    form = _build("language", bound=True)
    if not form.validate():
        return _fail(form)
    try:
        services.set_locale(current_user, form.locale.data)
    except DomainError as exc:
        return _fail(form, exc)
    flash(_("Your language is saved."), "success")
    return redirect(url_for("profile.profile"))


@bp.route("/profile/receipts", methods=["POST"])
@refused_page(_refused("receipts"))
@login_required
@profile_change_limit()
def change_receipts():
    form = _build("receipts", bound=True)
    if not form.validate():
        return _fail(form)
    services.change_settings(current_user, {"share_read_receipts": bool(form.share.data)})
    flash(_("Your read receipts setting is saved."), "success")
    return redirect(url_for("profile.profile") + "#receipts")


@bp.route("/profile/preferences", methods=["POST"])
@refused_page(_refused("preferences"))
@login_required
@profile_change_limit()
def change_preferences():
    form = _build("preferences", bound=True)
    if not form.validate():
        return _fail(form)
    try:
        services.change_settings(current_user, {"timezone": form.timezone.data,
                                                "online_notices": form.online_notices.data})
    except DomainError as exc:
        return _fail(form, exc)
    flash(_("Your time zone and notices are saved."), "success")
    return redirect(url_for("profile.profile") + "#preferences")


@bp.route("/profile/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int):
    was_current = session_id == sessions.current_session_id()
    try:
        services.end_session(current_user, session_id)
    except DomainError as exc:
        abort(exc.status, exc.message)
    if was_current:
        logout_user()
        return redirect(url_for("auth.login"))
    flash(_("That device is logged out."), "success")
    return redirect(url_for("profile.profile") + "#devices")


@bp.route("/profile/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions():
    count = services.end_other_sessions(current_user, sessions.current_session_id())
    flash(_("%(n)d other devices are logged out.", n=count), "success")
    return redirect(url_for("profile.profile") + "#devices")


@bp.route("/profile/tokens", methods=["POST"])
@login_required
def create_token():
    form = _build("token", bound=True)
    if not form.validate():
        return _fail(form)
    try:
        raw = services.create_token(current_user, form.name.data)
    except DomainError as exc:
        return _fail(form, exc)
    # Shown in this answer only: the raw token is never stored, so it cannot be shown again;
    # no-store keeps it out of the browser's caches (and its back button) too.
    response = render_profile(new_token=raw)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profile/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(token_id: int):
    try:
        services.revoke_token(current_user, token_id)
    except DomainError as exc:
        abort(exc.status, exc.message)
    flash(_("The token is revoked."), "success")
    return redirect(url_for("profile.profile") + "#tokens")
