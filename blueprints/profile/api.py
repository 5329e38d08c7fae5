"""/api/v1/me: the logged-in person (cookie session or Bearer token), and their settings."""
from blueprints.profile import services
from blueprints.profile.schemas import MeSchema, MeUpdateSchema
from core.api import ApiBlueprint, me
from core.people import user_brief
from core.ratelimit import profile_change_limit

bp = ApiBlueprint("api_me", __name__, description="The logged-in person")


@bp.route("/me")
@bp.response(200, MeSchema)
@bp.alt_response(401, description="Not logged in")
def get_me():
    """Who am I: the account behind this cookie session or access token."""
    return _me_json(me())


@bp.route("/me", methods=["PATCH"])
@bp.arguments(MeUpdateSchema, required=False)  # every setting is optional: no body changes nothing
@bp.response(200, MeSchema)
@bp.errors(400, 429)
@profile_change_limit()
def update_me(args):
    """Change your settings (any of them, all or none): `share_read_receipts` (reciprocal: off,
    you see nobody's), `online_notices`, `timezone`."""
    user = me()
    services.change_settings(user, args)
    return _me_json(user)


def _me_json(user) -> dict:
    return {**user_brief(user), "email": user.email, "locale": user.locale, "is_admin": user.is_admin,
            "share_read_receipts": user.share_read_receipts, "online_notices": user.online_notices,
            "timezone": user.timezone}
