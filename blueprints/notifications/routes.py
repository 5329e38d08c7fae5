"""The notifications page: two lists, received and sent friend requests, newest first; its
script answers them through the API, the forms here without JavaScript (post/redirect/get)."""
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.friends import services
from blueprints.notifications import bp
from core.input import int_arg
from core.ratelimit import action_limit

PER_PAGE = 20


@bp.route("/notifications")
@login_required
def index():
    """Received requests (with Accept and Reject while pending) and sent requests, in pages:
    `received_page` and `sent_page` from 1 (400 for anything but a whole number up to
    core.input.PAGE_MAX)."""
    received_page, sent_page = int_arg("received_page", 1), int_arg("sent_page", 1)
    received, received_total = services.list_requests(current_user, "received", received_page, PER_PAGE)
    sent, sent_total = services.list_requests(current_user, "sent", sent_page, PER_PAGE)
    return render_template(
        "notifications/index.html",
        received=received, received_total=received_total, received_page=received_page,
        sent=sent, sent_total=sent_total, sent_page=sent_page, per_page=PER_PAGE,
        status_label=services.status_label,
    )


@bp.route("/notifications/<int:request_id>/accept", methods=["POST"])
@login_required
@action_limit()
def accept(request_id: int):
    """Accept a friend request addressed to you (without JavaScript), then back (303)."""
    services.accept_friend_request(current_user, request_id)
    flash(_("You are now friends."), "success")
    return redirect(url_for("notifications.index"), 303)


@bp.route("/notifications/<int:request_id>/reject", methods=["POST"])
@login_required
@action_limit()
def reject(request_id: int):
    """Reject a friend request addressed to you (without JavaScript), then back (303)."""
    services.reject_friend_request(current_user, request_id)
    flash(_("Request rejected."), "success")
    return redirect(url_for("notifications.index"), 303)


def pending_requests() -> dict:
    """The count of friend requests waiting for the person's answer, for the navigation. A
    template context processor (core/hooks.py installs it)."""
    if current_user and current_user.is_authenticated:
        return {"pending_requests": services.pending_count(current_user.id)}
    return {"pending_requests": 0}
