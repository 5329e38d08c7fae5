"""/api/v1/users, /api/v1/friends, /api/v1/friend-requests."""
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from blueprints.api.schemas import (ErrorSchema, FriendListSchema, FriendRequestCreateSchema,
                                    FriendRequestListQuerySchema, FriendRequestPageSchema,
                                    FriendRequestResultSchema, FriendRequestSchema, SearchQuerySchema,
                                    SearchResultSchema)
from blueprints.friends import services
from extensions import db
from models import User

bp = Blueprint("api_friends", __name__, url_prefix="/api/v1", description="Friends and friend requests")


def request_body(req) -> dict:
    sender, receiver = db.session.get(User, req.sender_id), db.session.get(User, req.receiver_id)
    return services.request_brief(req, sender, receiver)


@bp.route("/users")
@bp.arguments(SearchQuerySchema, location="query")
@bp.response(200, SearchResultSchema(many=True))
@bp.alt_response(400, schema=ErrorSchema)
@login_required
def search_users(args):
    """Find people by username (exact or prefix, any case)."""
    me = current_user._get_current_object()
    return [{"user": services.user_brief(u), "relation": rel} for u, rel in services.search_users(me, args["q"])]


@bp.route("/friends")
@bp.response(200, FriendListSchema)
@login_required
def list_friends():
    """Your friends, sorted by nickname (Chinese names by pinyin)."""
    me = current_user._get_current_object()
    return {"items": [services.user_brief(u) for u in services.list_friends(me)]}


@bp.route("/friends/<int:user_id>", methods=["DELETE"])
@bp.response(204)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def delete_friend(user_id):
    """End a friendship for both people. Your chat history stays readable."""
    services.delete_friend(current_user._get_current_object(), user_id)


@bp.route("/friend-requests")
@bp.arguments(FriendRequestListQuerySchema, location="query")
@bp.response(200, FriendRequestPageSchema)
@login_required
def list_requests(args):
    """Received or sent friend requests, newest first, paginated."""
    me = current_user._get_current_object()
    rows, total = services.list_requests(me, args["direction"], args["page"], args["per_page"])
    items = []
    for req, other in rows:
        sender, receiver = (other, me) if args["direction"] == "received" else (me, other)
        items.append(services.request_brief(req, sender, receiver))
    return {"items": items, "total": total, "page": args["page"], "per_page": args["per_page"],
            "pending_received": services.pending_count(me.id)}


@bp.route("/friend-requests", methods=["POST"])
@bp.arguments(FriendRequestCreateSchema)
@bp.response(200, FriendRequestResultSchema)
@bp.alt_response(400, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
@login_required
def send_request(args):
    """Send a friend request with a reason; renews a pending one; accepts theirs if they asked first."""
    outcome, req = services.send_friend_request(current_user._get_current_object(), args["username"], args["reason"])
    return {"outcome": outcome, "request": request_body(req)}


@bp.route("/friend-requests/<int:request_id>/accept", methods=["POST"])
@bp.response(200, FriendRequestSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
@login_required
def accept_request(request_id):
    """Accept a friend request addressed to you."""
    return request_body(services.accept_friend_request(current_user._get_current_object(), request_id))


@bp.route("/friend-requests/<int:request_id>/reject", methods=["POST"])
@bp.response(200, FriendRequestSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(409, schema=ErrorSchema)
@login_required
def reject_request(request_id):
    """Reject a friend request addressed to you."""
    return request_body(services.reject_friend_request(current_user._get_current_object(), request_id))
