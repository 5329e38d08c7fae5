"""The profile page's notification form: whether notifications show the message's text. A
classic form post that goes back to the profile with a flashed message (the device's own
on/off switch is static/js/push.js, on the same section)."""
from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.push import bp, services
from core.ratelimit import action_limit


@bp.route("/profile/push/previews", methods=["POST"])
@login_required
@action_limit()
def change_previews():
    """Save the "show the message's text" checkbox (`previews`; absent means off)."""
    services.set_previews(current_user, bool(request.form.get("previews")))
    flash(_("Your notification setting is saved."), "success")
    return redirect(url_for("profile.profile") + "#push")
