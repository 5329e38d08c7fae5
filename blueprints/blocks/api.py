"""/api/v1/blocks: block and unblock people, list whom you blocked."""
from blueprints.blocks import services
from blueprints.blocks.schemas import BlockCreateSchema, BlockListSchema, BlockSchema
from core.api import ApiBlueprint, me
from core.ratelimit import action_limit

bp = ApiBlueprint("api_blocks", __name__, description="Blocked people")


@bp.route("/blocks")
@bp.response(200, BlockListSchema)
def list_blocks():
    """The people you blocked, most recent first."""
    return {"items": [services.block_json(block, person) for block, person in services.list_blocks(me())]}


@bp.route("/blocks", methods=["POST"])
@bp.arguments(BlockCreateSchema)
@bp.response(201, BlockSchema)
@bp.alt_response(200, schema=BlockSchema, description="Already blocked: the existing block")
@bp.errors(400, 404, 429)
@action_limit()
def block(args):
    """Block a person: neither of you can send the other direct messages or friend requests
    any more (they are told only that it could not be delivered), their pending requests to
    you are hidden, and their messages in groups you share are collapsed on your chat page.
    They are not told. Blocking yourself: 400; an unknown id: 404."""
    block_row, person, created = services.block_user(me(), args["user_id"])
    return services.block_json(block_row, person), 201 if created else 200


@bp.route("/blocks/<int:user_id>", methods=["DELETE"])
@bp.response(204)
@bp.errors(404, 429)
@action_limit()
def unblock(user_id):
    """Unblock a person (204 also when they were not blocked; 404 for an unknown id)."""
    services.unblock_user(me(), user_id)
