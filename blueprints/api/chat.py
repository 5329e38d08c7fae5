"""/api/v1/conversations: list, history, send (idempotent by client id), read position."""
from flask import current_app
from flask_login import current_user, login_required
from flask_smorest import Blueprint

from blueprints.api.schemas import (ConversationListSchema, ErrorSchema, HistoryQuerySchema,
                                    MessageCreateSchema, MessagePageSchema, MessageSchema, ReadSchema,
                                    PresenceSchema, ReadStateSchema)
from blueprints.chat import services
from blueprints.favorites.services import favorited_message_ids
from extensions import limiter

bp = Blueprint("api_chat", __name__, url_prefix="/api/v1", description="Conversations and messages")


def _me():
    return current_user._get_current_object()


def sender_key() -> str:
    """The rate-limit key of the logged-in person's sends (text and attachments share it)."""
    return f"send:{current_user.get_id()}"


@bp.route("/conversations")
@bp.response(200, ConversationListSchema)
@login_required
def list_conversations():
    """Your conversations, most recent activity first, with previews and unread counts."""
    items = services.list_conversations(_me())
    return {"items": items, "total_unread": sum(item["unread"] for item in items)}


@bp.route("/conversations/<int:conversation_id>/messages")
@bp.arguments(HistoryQuerySchema, location="query")
@bp.response(200, MessagePageSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def history(args, conversation_id):
    """Messages newest first, by cursor: `before=<message id>`, `limit` up to 100."""
    messages, more = services.history(_me(), conversation_id, args["before"], args["limit"])
    next_before = messages[-1].id if more else None
    favorited = favorited_message_ids(current_user.id, [m.id for m in messages])
    return {"items": services.message_bodies(messages), "next_before": next_before,
            "favorited": sorted(favorited)}


@bp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@bp.arguments(MessageCreateSchema)
@bp.response(201, MessageSchema)
@bp.alt_response(200, schema=MessageSchema, description="Already stored with this client_id: the stored message")
@bp.alt_response(400, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(429, schema=ErrorSchema)
@limiter.limit(lambda: current_app.config["MESSAGE_RATE_LIMIT"], key_func=sender_key)
@login_required
def send_message(args, conversation_id):
    """Send a text message (1–5,000 characters). A retried POST with the same `client_id`
    returns the stored message (200) instead of storing it twice."""
    sent = services.send_message(_me(), conversation_id, args["body"], args["client_id"])
    return sent.body, 201 if sent.created else 200


@bp.route("/conversations/<int:conversation_id>/read", methods=["POST"])
@bp.arguments(ReadSchema)
@bp.response(200, ReadStateSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def mark_read(args, conversation_id):
    """Move your read position forward; your other devices follow (a read.updated event)."""
    return services.mark_read(_me(), conversation_id, args["message_id"])


@bp.route("/conversations/<int:conversation_id>/typing", methods=["POST"])
@bp.response(204)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def typing(conversation_id):
    """Tell the others you are typing (send it every few seconds while typing; never stored)."""
    services.announce_typing(_me(), conversation_id)


@bp.route("/conversations/<int:conversation_id>/presence")
@bp.response(200, PresenceSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def presence(conversation_id):
    """Which members are online now, and how many members there are."""
    return services.online_members(_me(), conversation_id)
