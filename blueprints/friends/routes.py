"""The friends page: search people, send requests, list and delete friends."""
from flask import render_template, request
from flask_login import current_user, login_required

from blueprints.friends import bp, services
from blueprints.friends.presence import friends_online_first
from core.errors import DomainError


@bp.route("/friends")
@login_required
def index():
    """Friends list, those online now first (with filter and delete menu), and people search
    (?q=username)."""
    query = (request.args.get("q") or "").strip()
    results, error = [], None
    if query:
        try:
            results = services.search_users(current_user, query)
        except DomainError as exc:
            error = exc.message
    return render_template("friends/index.html", friends=friends_online_first(current_user),
                           query=query, results=results, search_error=error)
