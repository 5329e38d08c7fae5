"""/api/v1/conversations: list, history, send (idempotent by client id), read position, read
receipts."""
from flask import jsonify

from blueprints.chat import conversations, muting, receipts, services
from blueprints.chat.limits import send_limit, typing_limit
from blueprints.chat.payloads import favorited_message_ids, message_jsons, reacted_with
from blueprints.chat.schemas import (ConversationListSchema, HistoryQuerySchema, MessageCreateSchema,
                                     MessagePageSchema, MessageSchema, MuteSchema, MuteStateSchema, PresenceSchema, ReadersSchema,
                                     ReadSchema, ReadStateSchema, ReceiptCountsSchema, ReceiptQuerySchema)
from core.api import ApiBlueprint, me
from core.ratelimit import action_limit, read_limit
from core.routing import ID_MAX

bp = ApiBlueprint("api_chat", __name__, description="Conversations and messages")


@bp.route("/conversations")
@bp.response(200, ConversationListSchema)
def list_conversations():
    """Your conversations, most recent activity first, with previews and unread counts
    (`total_unread` leaves out the conversations you muted; `total_mentioned` does not)."""
    items = conversations.list_conversations(me())
    return {"items": items, "total_unread": sum(item["unread"] for item in items if not item["muted"]),
            "total_mentioned": sum(item["mentioned"] for item in items)}


@bp.route("/conversations/<int:conversation_id>/messages")
@bp.arguments(HistoryQuerySchema, location="query")
@bp.response(200, MessagePageSchema)
@bp.errors(404)
def history(args, conversation_id):
    """Messages newest first, by cursor: `before=<message id>`, `limit` up to 100."""
    messages, more = services.history(me(), conversation_id, args["before"], args["limit"])
    next_before = messages[-1].id if more else None
    favorited = favorited_message_ids(me().id, [m.id for m in messages])
    reacted = reacted_with(me().id, [m.id for m in messages])
    return {"items": message_jsons(messages), "next_before": next_before,
            "favorited": sorted(favorited),
            "reacted": [{"message_id": m, "emoji": e} for m, emojis in reacted.items() for e in emojis]}


@bp.route("/conversations/<int:conversation_id>/messages", methods=["POST"])
@bp.arguments(MessageCreateSchema)
@bp.response(201, MessageSchema)
@bp.alt_response(200, schema=MessageSchema, description="Already stored with this client_id: the stored message")
@bp.errors(400, 403, 404, 409, 429)
@send_limit()
def send_message(args, conversation_id):
    """Send a text message (1–5,000 characters), optionally a reply (`reply_to`: the id of a
    message of this conversation you can see: 404 otherwise; not recalled: 409), mentioning
    people (`mentions`: user ids; only current members other than you are kept, others are
    dropped) or, the group's owner only, everyone (`mention_all`: 403 for anyone else). A
    retried POST with the same `client_id` returns the stored message (200) instead of storing
    it twice."""
    sent = services.send_message(me(), conversation_id, args["body"], args["client_id"], args["reply_to"],
                                 args["mentions"], args["mention_all"])
    # Already in MessageSchema's shape (tests/test_messages.py checks it against the schema):
    # sent as it is, as events carry it, rather than dumped through the schema again.
    return jsonify(sent.message), 201 if sent.created else 200


@bp.route("/conversations/<int:conversation_id>/read", methods=["POST"])
@bp.arguments(ReadSchema)
@bp.response(200, ReadStateSchema)
@bp.errors(404, 429)
@read_limit()
def mark_read(args, conversation_id):
    """Move your read position forward; your other devices follow, and so do the senders of the
    messages it passes if you both share read receipts (one read.updated event). With `tab`
    and `viewing`, the page's event stream reads this conversation's messages as they arrive
    (senders then get receipts.updated), until the page says it stopped viewing."""
    return receipts.mark_read(me(), conversation_id, args["message_id"], args.get("tab"), args["viewing"])


@bp.route("/conversations/<int:conversation_id>/receipts")
@bp.arguments(ReceiptQuerySchema, location="query")
@bp.response(200, ReceiptCountsSchema)
@bp.errors(404)
def receipt_counts(args, conversation_id):
    """How many members have read each of your own messages named in `message_ids`, out of
    how many (members sharing read receipts since before the message). Empty, with
    `sharing_off`, while you do not share yours."""
    ids = [int(part) for part in args["message_ids"].split(",")]
    return receipts.receipt_counts(me(), conversation_id, [i for i in ids if i <= ID_MAX])


@bp.route("/conversations/<int:conversation_id>/messages/<int:message_id>/receipts")
@bp.response(200, ReadersSchema)
@bp.errors(403, 404)
def message_readers(conversation_id, message_id):
    """Who has read your message and who has not yet (members sharing read receipts); 403 for
    someone else's message."""
    return receipts.message_readers(me(), conversation_id, message_id)


@bp.route("/conversations/<int:conversation_id>/typing", methods=["POST"])
@bp.response(204)
@bp.errors(403, 404, 429)
@typing_limit()
def typing(conversation_id):
    """Tell the others you are typing (send it every few seconds while typing; never stored)."""
    services.announce_typing(me(), conversation_id)


@bp.route("/conversations/<int:conversation_id>/mute", methods=["PUT"])
@bp.arguments(MuteSchema)
@bp.response(200, MuteStateSchema)
@bp.errors(404, 429)
@action_limit()
def mute(args, conversation_id):
    """Mute (`{"muted": true}`) or unmute a conversation you are in, for you on all your
    devices: its messages (mentions included) leave your total unread count and bring no
    notification, except those that mention you, which still notify and count in
    total_mentioned. 404 when you are not in it."""
    return muting.set_muted(me(), conversation_id, args["muted"])


@bp.route("/conversations/<int:conversation_id>/presence")
@bp.response(200, PresenceSchema)
@bp.errors(404)
def presence(conversation_id):
    """Which members are online now, and how many members there are."""
    return conversations.online_members(me(), conversation_id)
