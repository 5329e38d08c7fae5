"""A message as JSON (what events, pages and the API carry), its one-line preview, and which
messages the viewer has favorited."""
from flask_babel import gettext as _
from sqlalchemy import select

from blueprints.chat.rendering import render_message
from core.people import user_brief
from extensions import db
from models import Favorite, Message, User


def message_json(message: Message, sender: User | None) -> dict:
    """A message as events and the API carry it: its text (or caption) as typed ("body") and
    rendered to safe HTML, its attachment, and `recalled` (then text and attachment are empty)."""
    recalled = message.recalled_at is not None
    attachment = None if recalled or message.attachment is None else message.attachment.to_json()
    text = "" if recalled else message.body
    return _json(message.id, message.conversation_id, message.kind, sender, text, attachment, recalled,
                 message.client_id, message.created_at)


def new_text_json(sender_brief: dict, conversation_id: int, body: str, client_id: str | None) -> dict:
    """`message_json` of a text message about to be stored, from `sender_brief` (a
    `user_brief`): built before the write, so the writer only fills in "id" and "created_at"
    (None until then; blueprints/chat/sending.py)."""
    return {"id": None, "conversation_id": conversation_id, "kind": "text", "sender": sender_brief,
            "body": body, "html": str(render_message(body)), "attachment": None, "recalled": False,
            "client_id": client_id, "created_at": None}


def _json(message_id, conversation_id, kind, sender, text, attachment, recalled, client_id, created_at) -> dict:
    return {"id": message_id, "conversation_id": conversation_id, "kind": kind,
            "sender": user_brief(sender) if sender else None, "body": text,
            "html": str(render_message(text)) if text else "", "attachment": attachment,
            "recalled": recalled, "client_id": client_id, "created_at": created_at.isoformat()}


def message_jsons(messages: list[Message]) -> list[dict]:
    """`message_json` of each message, their senders read in one query."""
    ids = {m.sender_id for m in messages if m.sender_id}
    senders = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return [message_json(m, senders.get(m.sender_id)) for m in messages]


def preview(message: Message) -> str:
    """A one-line summary of a message for the conversation list (at most 120 characters)."""
    if message.recalled_at is not None:
        return _("[Recalled]")
    if message.kind == "image":
        return (_("[Image]") + " " + message.body)[:120].strip()
    if message.kind == "file":
        name = message.attachment.name if message.attachment else ""
        return (_("[File]") + " " + name)[:120]
    return message.body[:120]


def favorited_message_ids(user_id: int, message_ids: list[int]) -> set[int]:
    """Which of `message_ids` `user_id` has favorited (the star a page or history shows on
    each message)."""
    if not message_ids:
        return set()
    return set(db.session.scalars(select(Favorite.message_id).where(
        Favorite.user_id == user_id, Favorite.message_id.in_(message_ids))))
