"""The block forms: block someone by username (the profile page's block list, and the
notifications page's received requests), unblock (the block list). Classic form posts that go
back to the page they came from with a flashed message."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.blocks import bp, services
from core.errors import DomainError
from core.ratelimit import action_limit


def _back():
    # Only to pages named here: the form's `next` is never a URL.
    if request.form.get("next") == "notifications":
        return redirect(url_for("notifications.index"))
    return redirect(url_for("profile.profile") + "#blocks")


@bp.route("/profile/blocks", methods=["POST"])
@login_required
@action_limit()
def block():
    """Block the person whose username the form's `username` names (CSRF checked by
    CSRFProtect, as for every form post); `next` "notifications" goes back there."""
    try:
        person = services.person_named(request.form.get("username", "")[:64])
        services.block_user(current_user, person.id)
    except DomainError as exc:
        flash(exc.message, "danger")
        return _back()
    flash(_("%(name)s is blocked.", name=person.nickname), "success")
    return _back()


@bp.route("/profile/blocks/<int:user_id>/unblock", methods=["POST"])
@login_required
@action_limit()
def unblock(user_id: int):
    """Unblock person `user_id`."""
    try:
        services.unblock_user(current_user, user_id)
    except DomainError as exc:
        flash(exc.message, "danger")
        return _back()
    flash(_("Unblocked."), "success")
    return _back()
