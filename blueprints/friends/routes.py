"""The friends page: search people, send requests, list and delete friends. Its script acts
through the API; the forms here do the same without JavaScript (post/redirect/get)."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.friends import bp, services
from blueprints.friends.forms import FriendRequestForm
from blueprints.friends.presence import friends_online_first
from core.errors import DomainError
from core.ratelimit import action_limit, friend_request_limit, refused_page
from core.typed import typed_form
from core.views import render_form


def _page(form: FriendRequestForm | None = None, exc: DomainError | None = None):
    query = (request.args.get("q") or "").strip()
    results, error = [], None
    if query:
        try:
            results = services.search_users(current_user, query)
        except DomainError as search_exc:
            error = search_exc.message
    if form is None:
        form = FriendRequestForm(formdata=None, username=request.args.get("add", ""))
    return render_form("friends/index.html", form, exc, friends=friends_online_first(current_user),
                       query=query, results=results, search_error=error)


@bp.route("/friends")
@login_required
def index():
    """Friends list, those online now first (with filter and delete menu), and people search
    (?q=username; ?add=username fills in the request form shown without JavaScript)."""
    return _page()


def _outcome_message(outcome: str) -> str:
    return {"sent": _("Friend request sent."), "updated": _("Your pending request was updated."),
            "accepted": _("They had already asked you: you are now friends.")}[outcome]


@bp.route("/friends/requests", methods=["POST"])
@refused_page(lambda exc: _page(FriendRequestForm(typed_form()), exc))
@login_required
@friend_request_limit()
def send_request():
    """The request form without JavaScript: send a friend request with a reason (as the API
    does), then back to the friends page (303); a refusal shows the page again with the
    reason and what was typed."""
    form = FriendRequestForm()
    if not form.validate():
        return _page(form)
    try:
        outcome, _req = services.send_friend_request(current_user, form.username.data, form.reason.data)
    except DomainError as exc:
        return _page(form, exc)
    flash(_outcome_message(outcome), "success")
    return redirect(url_for("friends.index"), 303)


@bp.route("/friends/<int:user_id>/delete", methods=["POST"])
@login_required
@action_limit()
def delete_friend(user_id: int):
    """End a friendship without JavaScript (as the API's DELETE does), then back (303)."""
    services.delete_friend(current_user, user_id)
    flash(_("They are no longer your friend. You can still read your chat history."), "success")
    return redirect(url_for("friends.index"), 303)
