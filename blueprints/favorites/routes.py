"""The favorites page: favorites by type, with search and pages; remove one."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.favorites import bp, services
from core.input import int_arg
from core.ratelimit import action_limit
from core.views import safe_next

TABS = ("all", "text", "image", "file", "voice")


@bp.route("/favorites")
@login_required
def index():
    """Favorites newest first; `type` (all, text, image, file), `q` (text and file names),
    `page` from 1 (400 for anything but a whole number from 1 to core.input.PAGE_MAX)."""
    kind = request.args.get("type", "all")
    q = request.args.get("q", "")[:100]
    page = int_arg("page", 1)
    per_page = current_app.config["FAVORITES_PER_PAGE"]
    favorites, total = services.list_favorites(current_user, kind, q, page, per_page)
    return render_template("favorites/index.html", favorites=list(zip(services.favorite_jsons(current_user, favorites), favorites)),
                           total=total, page=page, per_page=per_page, kind=kind, q=q, tabs=TABS)


@bp.route("/favorites/<int:favorite_id>/remove", methods=["POST"])
@login_required
@action_limit()
def remove(favorite_id: int):
    """Remove a favorite, then go back to the page it was removed from."""
    services.remove_favorite(current_user, favorite_id)
    flash(_("Removed from your favorites."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("favorites.index")))


@bp.route("/favorites/messages/<int:message_id>/add", methods=["POST"])
@login_required
@action_limit()
def add(message_id: int):
    """Favorite a message (the chat page's form without JavaScript), then go back to the page
    it was favorited on (`next`); one you cannot see gets the error page (404)."""
    services.add_favorite(current_user, message_id)
    flash(_("Added to your favorites."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("favorites.index")), 303)


@bp.route("/favorites/messages/<int:message_id>/remove", methods=["POST"])
@login_required
@action_limit()
def remove_message(message_id: int):
    """Unfavorite a message by its id (the chat page's form without JavaScript), then go back
    to `next`; nothing to do when it was not a favorite."""
    services.remove_favorite_of_message(current_user, message_id)
    flash(_("Removed from your favorites."), "success")
    return redirect(safe_next(request.form.get("next"), url_for("favorites.index")), 303)
