"""/api/v1 pins: pin and unpin a message, list a conversation's pinned messages."""
from blueprints.chat.pinned import conversation_pins
from blueprints.pins import services
from blueprints.pins.schemas import PinListSchema, PinSchema
from core.api import ApiBlueprint, me
from core.ratelimit import action_limit

bp = ApiBlueprint("api_pins", __name__, description="Pinned messages")


@bp.route("/conversations/<int:conversation_id>/pins")
@bp.response(200, PinListSchema)
@bp.errors(404)
def list_pins(conversation_id):
    """The conversation's pinned messages, newest pin first (members only)."""
    items, can_pin = conversation_pins(me(), conversation_id)
    return {"items": items, "can_pin": can_pin}


@bp.route("/messages/<int:message_id>/pin", methods=["POST"])
@bp.response(201, PinSchema)
@bp.alt_response(200, schema=PinSchema, description="Already pinned: the pin")
@bp.errors(403, 404, 409, 429)
@action_limit()
def pin(message_id):
    """Pin a message you can see to the top of its conversation: in a group, the owner only
    (403 for other members); in a direct conversation, either of you. At most PINS_MAX pins
    per conversation (409 beyond); 409 for a recalled message."""
    item, pinned = services.pin_message(me(), message_id)
    return item, 201 if pinned else 200


@bp.route("/messages/<int:message_id>/pin", methods=["DELETE"])
@bp.response(204)
@bp.errors(403, 404, 429)
@action_limit()
def unpin(message_id):
    """Unpin a message (who may: as for pinning); 204 also when it was not pinned."""
    services.unpin_message(me(), message_id)
