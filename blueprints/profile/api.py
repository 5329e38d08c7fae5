"""/api/v1/me: the logged-in person (cookie session or Bearer token)."""
from blueprints.profile.schemas import MeSchema
from core.api import ApiBlueprint, me
from core.people import user_brief

bp = ApiBlueprint("api_me", __name__, description="The logged-in person")


@bp.route("/me")
@bp.response(200, MeSchema)
@bp.alt_response(401, description="Not logged in")
def get_me():
    """Who am I: the account behind this cookie session or access token."""
    user = me()
    return {**user_brief(user), "email": user.email, "locale": user.locale, "is_admin": user.is_admin}
