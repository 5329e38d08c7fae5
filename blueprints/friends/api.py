"""/api/v1/users, /api/v1/friends, /api/v1/friend-requests."""
from blueprints.friends import services
from blueprints.friends.schemas import (FriendListSchema, FriendRequestCreateSchema,
                                        FriendRequestListQuerySchema, FriendRequestPageSchema,
                                        FriendRequestResultSchema, FriendRequestSchema, SearchQuerySchema,
                                        SearchResultSchema)
from core.api import ApiBlueprint, me
from core.people import user_brief
from core.ratelimit import action_limit, friend_request_limit
from extensions import db
from models import User

bp = ApiBlueprint("api_friends", __name__, description="Friends and friend requests")


def request_json(req) -> dict:
    sender, receiver = db.session.get(User, req.sender_id), db.session.get(User, req.receiver_id)
    return services.request_brief(req, sender, receiver)


@bp.route("/users")
@bp.arguments(SearchQuerySchema, location="query")
@bp.response(200, SearchResultSchema(many=True))
@bp.errors(400)
def search_users(args):
    """Find people by username (exact or prefix, any case)."""
    return [{"user": user_brief(u), "relation": rel} for u, rel in services.search_users(me(), args["q"])]


@bp.route("/friends")
@bp.response(200, FriendListSchema)
def list_friends():
    """Your friends, sorted by nickname (Chinese names by pinyin)."""
    return {"items": [user_brief(u) for u in services.list_friends(me())]}


@bp.route("/friends/<int:user_id>", methods=["DELETE"])
@bp.response(204)
@bp.errors(404, 429)
@action_limit()
def delete_friend(user_id):
    """End a friendship for both people. Your chat history stays readable."""
    services.delete_friend(me(), user_id)


@bp.route("/friend-requests")
@bp.arguments(FriendRequestListQuerySchema, location="query")
@bp.response(200, FriendRequestPageSchema)
def list_requests(args):
    """Received or sent friend requests, newest first, paginated."""
    viewer = me()
    rows, total = services.list_requests(viewer, args["direction"], args["page"], args["per_page"])
    items = []
    for req, other in rows:
        sender, receiver = (other, viewer) if args["direction"] == "received" else (viewer, other)
        items.append(services.request_brief(req, sender, receiver))
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"],
            "pending_received": services.pending_count(viewer.id)}


@bp.route("/friend-requests", methods=["POST"])
@bp.arguments(FriendRequestCreateSchema)
@bp.response(200, FriendRequestResultSchema)
@bp.errors(400, 403, 404, 409, 429)
@friend_request_limit()
def send_request(args):
    """Send a friend request with a reason; renews a pending one; accepts theirs if they asked first."""
    outcome, req = services.send_friend_request(me(), args["username"], args["reason"])
    return {"outcome": outcome, "request": request_json(req)}


@bp.route("/friend-requests/<int:request_id>/accept", methods=["POST"])
@bp.response(200, FriendRequestSchema)
@bp.errors(403, 404, 409, 429)
@action_limit()
def accept_request(request_id):
    """Accept a friend request addressed to you."""
    return request_json(services.accept_friend_request(me(), request_id))


@bp.route("/friend-requests/<int:request_id>/reject", methods=["POST"])
@bp.response(200, FriendRequestSchema)
@bp.errors(403, 404, 409, 429)
@action_limit()
def reject_request(request_id):
    """Reject a friend request addressed to you."""
    return request_json(services.reject_friend_request(me(), request_id))
