"""/api/v1/messages: edit your message, delete one for yourself, forward messages."""
from flask import current_app, request

from blueprints.chat import forwarding, message_actions
from blueprints.chat.action_schemas import ForwardedCopiesSchema, ForwardSchema, MessageEditSchema
from blueprints.chat.limits import send_limit
from blueprints.chat.schemas import MessageSchema
from core.api import ApiBlueprint, me
from core.ratelimit import action_limit

bp = ApiBlueprint("api_message_actions", __name__, description="Edit, delete for me, forward")


def _forward_cost() -> int:
    """A forward counts as one send per conversation it goes to: at least one, at most
    FORWARD_MAX_CONVERSATIONS (a longer list is refused with its own 400)."""
    body = request.get_json(silent=True)
    targets = body.get("conversation_ids") if isinstance(body, dict) else None
    if not isinstance(targets, list) or not all(isinstance(i, int) for i in targets):
        return 1
    return min(max(1, len(set(targets))), current_app.config["FORWARD_MAX_CONVERSATIONS"])


@bp.route("/messages/<int:message_id>", methods=["PATCH"])
@bp.arguments(MessageEditSchema)
@bp.response(200, MessageSchema)
@bp.errors(400, 403, 404, 409, 429)
@action_limit()
def edit_message(args, message_id):
    """Edit the text of your own message (or the caption of your image or file) within
    EDIT_WINDOW seconds of sending it (403 after; 409 once recalled). `mentions` and
    `mention_all` say whom the new text mentions, as a send does, and replace its mentions.
    Everyone in the conversation sees the new text, marked edited (`edited_at`); earlier
    versions are never shown. The same text again changes nothing."""
    payload, _changed = message_actions.edit_message(me(), message_id, args["body"], args["mentions"],
                                                     args["mention_all"])
    return payload


@bp.route("/messages/<int:message_id>/hide", methods=["POST"])
@bp.response(204)
@bp.errors(404, 429)
@action_limit()
def hide_message(message_id):
    """Delete a message for yourself only: it leaves your history, search and conversation
    list on all your devices; the others still see it, and your favorite of it stays.
    Doing it again changes nothing."""
    message_actions.hide_message(me(), message_id)


@bp.route("/messages/forward", methods=["POST"])
@bp.arguments(ForwardSchema)
@bp.response(201, ForwardedCopiesSchema)
@bp.errors(400, 403, 404, 409, 413, 429)
@send_limit(cost=_forward_cost)
def forward_messages(args):
    """Forward messages you can see (text, images, files, voice; not recalled) to
    conversations where you may send, all or nothing: each gets a copy of each, marked
    "forwarded from" its original sender, its attachment served from the same stored bytes.
    Counts as one send per conversation against your sending rate; a copy of someone else's
    file counts against your storage quota (413 past it)."""
    return {"items": forwarding.forward_messages(me(), args["message_ids"], args["conversation_ids"])}
