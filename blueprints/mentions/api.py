"""/api/v1/mentions: the messages that mention you."""
from blueprints.mentions import services
from blueprints.mentions.schemas import MentionPageSchema, MentionQuerySchema
from core.api import ApiBlueprint, me

bp = ApiBlueprint("api_mentions", __name__, description="Mentions")


@bp.route("/mentions")
@bp.arguments(MentionQuerySchema, location="query")
@bp.response(200, MentionPageSchema)
def list_mentions(args):
    """Messages that mention you (by name, or a group owner's @all), newest first, by cursor
    (`before=<message id>`, `limit` up to 50): only those you can still see in the chat (your
    conversations now, from when you joined, not recalled)."""
    return services.list_mentions(me(), args["before"], args["limit"])
