"""The chat page: conversations on the left, the open conversation on the right."""
from flask import current_app, render_template
from flask_login import current_user, login_required

from blueprints.chat import bp, services
from blueprints.chat.rendering import picker_emoji
from blueprints.groups.services import members
from realtime.eventlog import last_event_id

PAGE_MESSAGES = 50


def _page(conversation_id: int | None):
    # The cursor is read before anything the page shows: whatever commits in between is both
    # on the page and replayed by the stream, and the page drops the copies by message id,
    # so nothing falls between the render and the stream's start.
    cursor = last_event_id()
    conversations = services.list_conversations(current_user)
    current, messages, people = None, [], []
    if conversation_id is not None:
        conversation, _stays = services.readable_conversation(current_user, conversation_id)
        current = next((c for c in conversations if c["id"] == conversation.id), None)
        messages = services.message_bodies(services.history(current_user, conversation.id, None, PAGE_MESSAGES)[0])
        messages.reverse()
        if conversation.kind == "group":
            people = [{"id": user.id, "nickname": user.nickname, "owner": user.id == conversation.owner_id}
                      for _stay, user in members(conversation)]
    config = current_app.config
    return render_template(
        "chat/index.html", conversations=conversations, current=current, messages=messages,
        people=people, cursor=cursor, page_size=PAGE_MESSAGES, picker_emoji=picker_emoji,
        stream_settings={"heartbeat": config["EVENT_HEARTBEAT"], "pollTimeout": config["POLL_TIMEOUT"],
                         "forcePoll": config["CHAT_FORCE_LONG_POLL"]},
    )


@bp.route("/chat")
@login_required
def index():
    """The chat page with no conversation open."""
    return _page(None)


@bp.route("/chat/<int:conversation_id>")
@login_required
def conversation(conversation_id: int):
    """The chat page with one conversation open."""
    return _page(conversation_id)


@bp.app_context_processor
def unread_total() -> dict:
    """The person's total unread count, for the navigation's Chat badge."""
    if current_user and current_user.is_authenticated:
        return {"total_unread": services.total_unread(current_user.id)}
    return {"total_unread": 0}
