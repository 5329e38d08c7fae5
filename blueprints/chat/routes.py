"""The chat page: conversations on the left, the open conversation on the right; and its
composer's form, which sends without JavaScript (post/redirect/get)."""
from flask import current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from blueprints.blocks.services import blocked_ids
from blueprints.chat import bp, services
from blueprints.chat.forms import MessageForm, new_client_id
from blueprints.chat.limits import send_limit
from blueprints.chat.conversations import list_conversations, total_mentioned, total_unread
from blueprints.chat.pinned import conversation_pins
from blueprints.chat.payloads import favorited_message_ids, message_jsons, reacted_with
from blueprints.chat.rendering import picker_emoji
from blueprints.friends.presence import friend_names
from blueprints.groups.services import members
from core.error_pages import handle_domain_error
from core.errors import Conflict, DomainError, NotFound, TooManyRequests
from core.input import id_arg
from core.ratelimit import refused_page
from core.sorting import name_initials
from core.typed import typed_form
from realtime.eventlog import last_event_id

PAGE_MESSAGES = 50
JUMP_CONTEXT = 10  # messages shown before one opened from favorites
JUMP_CAP = 500  # newest messages after it that the page will still show in one go


def _page(conversation_id: int | None, focus: int | None = None, form: MessageForm | None = None,
          status: int = 200, refusal: str | None = None):
    # The cursor is read before anything the page shows: whatever commits in between is both
    # on the page and replayed by the stream, and the page drops the copies by message id,
    # so nothing falls between the render and the stream's start.
    cursor = last_event_id()
    conversations = list_conversations(current_user)
    current, messages, people, mentionable, mention_all = None, [], [], [], False
    sent_at = {}  # message id -> when it was sent, for the page without JavaScript (chat/nojs.html)
    pins, can_pin = [], False
    if conversation_id is not None:
        conversation, _stays = services.readable_conversation(current_user, conversation_id)
        current = next((c for c in conversations if c["id"] == conversation.id), None)
        rows = None
        if focus is not None:
            rows = services.messages_from(current_user, conversation.id, focus, JUMP_CONTEXT, JUMP_CAP)
            if rows is None:
                flash(_("That message is no longer in this conversation, or too far back to open here."), "info")
                focus = None
        if rows is None:
            rows = services.history(current_user, conversation.id, None, PAGE_MESSAGES)[0]
            rows.reverse()
        messages = message_jsons(rows)
        sent_at = {row.id: row.created_at for row in rows}
        favorited = favorited_message_ids(current_user.id, [m["id"] for m in messages])
        reacted = reacted_with(current_user.id, [m["id"] for m in messages])
        for message in messages:
            message["favorited"] = message["id"] in favorited
            message["reacted"] = reacted.get(message["id"], [])
        pins, can_pin = conversation_pins(current_user, conversation.id)
        if conversation.kind == "group":
            people = [{"id": user.id, "nickname": user.nickname, "username": user.username,
                       "owner": user.id == conversation.owner_id} for _stay, user in members(conversation)]
            mention_all = conversation.owner_id == current_user.id
            others = [person for person in people if person["id"] != current_user.id]
        else:
            others = [current["peer"]] if current and current["peer"] else []
        # Whom the composer suggests after "@" (static/js/chat/mentions.js), found by username,
        # nickname or the nickname's pinyin initials.
        mentionable = [{"id": person["id"], "nickname": person["nickname"], "username": person["username"],
                        "initials": name_initials(person["nickname"])} for person in others]
    if refusal:
        # Only now, when nothing more can refuse the page: a flash left by a page that then
        # was not shown would appear on the next, unrelated one.
        flash(refusal, "error")
    config = current_app.config
    response = make_response(render_template(
        "chat/index.html", form=form or MessageForm(), conversations=conversations, current=current,
        messages=messages, sent_at=sent_at, people=people, mentionable=mentionable, mention_all=mention_all,
        cursor=cursor, page_size=PAGE_MESSAGES, picker_emoji=picker_emoji, focus=focus,
        files_client_id=new_client_id(), blocked=blocked_ids(current_user.id), pins=pins, can_pin=can_pin,
        upload_limits={"image": config["IMAGE_MAX_BYTES"], "file": config["FILE_MAX_BYTES"]},
        recall_window=config["RECALL_WINDOW"],
        # Whose coming online the page tells (static/js/online-notice.js): {id: nickname}.
        online_notices={"enabled": current_user.online_notices,
                        "friends": friend_names(current_user.id)},
        stream_settings={"heartbeat": config["EVENT_HEARTBEAT"], "pollTimeout": config["POLL_TIMEOUT"],
                         "forcePoll": config["CHAT_FORCE_LONG_POLL"]},
    ), status)
    # Private, and never restored by Back from the browser's page cache: a restored page
    # would send a new text with the client id of one already sent (a retry, so dropped).
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/chat")
@login_required
def index():
    """The chat page with no conversation open."""
    return _page(None)


@bp.route("/chat/<int:conversation_id>")
@login_required
def conversation(conversation_id: int):
    """The chat page with one conversation open; `?message=<id>` opens it at that message
    (400 when it is not an id)."""
    return _page(conversation_id, id_arg("message"))


def _refused(form: MessageForm, conversation_id: int, exc: DomainError):
    # The page again with the refusal on top and the typed text in the composer; or, for a
    # conversation the person cannot read, the 404 page. This also runs inside the error
    # handlers (refused_page), where an exception raised would become a 500.
    try:
        response = _page(conversation_id, form=form, status=exc.status, refusal=exc.message)
    except NotFound as not_found:
        return handle_domain_error(not_found)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.route("/chat/<int:conversation_id>", methods=["POST"])
@refused_page(lambda exc: _refused(MessageForm(typed_form()), request.view_args["conversation_id"], exc))
@login_required
@send_limit()
def send_message(conversation_id: int):
    """The composer's form without JavaScript: send its text as the API does (the same
    service, the same events), then show the conversation again (303); a refused send
    shows the page again with the reason and the text kept (its 4xx status)."""
    form = MessageForm()
    body = form.body.data or ""
    try:
        sent = services.send_message(current_user, conversation_id, body, form.client_id.data)
    except DomainError as exc:
        return _refused(form, conversation_id, exc)
    if not sent.created and sent.message.get("body") != body:
        # The client id of a message already sent, with other text: a page kept from before
        # that send (Back). Taken as a retry, the new text would be dropped unseen.
        form.client_id.data = new_client_id()
        return _refused(form, conversation_id, Conflict(_(
            "This page was out of date, so your message was not sent. Check it and send it again.")))
    return redirect(url_for("chat.conversation", conversation_id=conversation_id), 303)


def unread_total() -> dict:
    """The person's total unread count, and how many conversations mention them unread, for
    the navigation's Chat badges. A template context processor (core/hooks.py installs it)."""
    if current_user and current_user.is_authenticated:
        return {"total_unread": total_unread(current_user.id), "total_mentioned": total_mentioned(current_user.id)}
    return {"total_unread": 0, "total_mentioned": 0}
