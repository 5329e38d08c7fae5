"""/api/v1/me: the logged-in person (cookie session or Bearer token)."""
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from blueprints.api.schemas import MeSchema
from blueprints.main.avatars import avatar_url

bp = Blueprint("api_me", __name__, url_prefix="/api/v1", description="The logged-in person")


@bp.route("/me")
@bp.response(200, MeSchema)
@bp.alt_response(401, description="Not logged in")
@login_required
def get_me():
    """Who am I: the account behind this cookie session or access token."""
    user = current_user._get_current_object()
    return {
        "id": user.id,
        "username": user.username,
        "nickname": user.nickname,
        "avatar_url": avatar_url(user),
        "email": user.email,
        "locale": user.locale,
        "is_admin": user.is_admin,
    }
