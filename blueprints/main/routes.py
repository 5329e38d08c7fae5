"""The home page and avatar images."""
from flask import Response, abort, current_app, render_template, send_file
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import login_required

from blueprints.main import bp
from blueprints.main.avatars import generated_avatar_svg
from core.people import avatar_url
from extensions import db, talisman
from models import User
from storage import blob_store

AVATAR_HEADERS = {"Cache-Control": "private, max-age=86400"}


@bp.route("/")
def index():
    """Home: a welcome for visitors, the person's start page once logged in."""
    return render_template("main/index.html")


@bp.route("/users/<int:user_id>/avatar")
@login_required
@talisman(content_security_policy={"default-src": "'none'", "style-src": "'unsafe-inline'"})
def avatar(user_id: int):
    """A person's avatar: their uploaded PNG, or a generated SVG of their initials."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if user.avatar_key:
        try:
            handle = blob_store().open(user.avatar_key)
        except FileNotFoundError:
            handle = None
        if handle is not None:
            response = send_file(handle, mimetype="image/png", etag=user.avatar_key, conditional=True,
                                 max_age=86400)
            response.headers["Cache-Control"] = AVATAR_HEADERS["Cache-Control"]
            return response
    svg = generated_avatar_svg(user.id, user.nickname)
    return Response(svg, mimetype="image/svg+xml", headers=AVATAR_HEADERS)


NAV = (
    ("chat.index", _l("Chat")),
    ("friends.index", _l("Friends")),
    ("groups.index", _l("Groups")),
    ("notifications.index", _l("Notifications")),
    ("favorites.index", _l("Favorites")),
    ("profile.profile", _l("Profile")),
)


def layout_context() -> dict:
    """What every page's layout needs: the navigation (pages that exist), avatar URLs, the
    locale. A template context processor (core/hooks.py installs it)."""
    nav = [(endpoint, label) for endpoint, label in NAV if endpoint in current_app.view_functions]
    return {"nav_items": nav, "avatar_url": avatar_url, "get_locale": get_locale}
