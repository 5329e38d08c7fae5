"""/api/v1/messages/<id>/reactions: react to a message with an emoji, or take it back."""
from blueprints.chat.payloads import message_jsons
from blueprints.chat.schemas import MessageSchema
from blueprints.reactions import services
from blueprints.reactions.schemas import ReactionChangeSchema
from core.api import ApiBlueprint, me
from core.ratelimit import action_limit

bp = ApiBlueprint("api_reactions", __name__, description="Reactions")


@bp.route("/messages/<int:message_id>/reactions", methods=["POST"])
@bp.arguments(ReactionChangeSchema)
@bp.response(201, MessageSchema)
@bp.alt_response(200, schema=MessageSchema, description="You had already reacted with this emoji")
@bp.errors(400, 403, 404, 409, 429)
@action_limit()
def add_reaction(args, message_id):
    """React to a message you can see with one emoji: the message, its `reactions` counting
    yours. At most REACTIONS_MAX different emoji on a message (409 for another one; one
    already there can always be added); 409 for a recalled message; 403 in a direct
    conversation with someone who is no longer your friend."""
    message, added = services.add_reaction(me(), message_id, args["emoji"])
    return message_jsons([message])[0], 201 if added else 200


@bp.route("/messages/<int:message_id>/reactions", methods=["DELETE"])
@bp.arguments(ReactionChangeSchema)
@bp.response(200, MessageSchema)
@bp.errors(400, 403, 404, 409, 429)
@action_limit()
def remove_reaction(args, message_id):
    """Take back your reaction `emoji` on a message: the message, its `reactions` without
    yours (an emoji nobody reacts with any more is gone). Also 200 when you had not reacted
    with it."""
    message, _removed = services.remove_reaction(me(), message_id, args["emoji"])
    return message_jsons([message])[0]
