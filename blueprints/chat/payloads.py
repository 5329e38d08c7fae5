"""A message as JSON (what events, pages and the API carry), the quote of its original when
it is a reply, whom it mentions, its one-line preview, and which messages the viewer has
favorited and reacted to."""
from flask_babel import gettext as _
from sqlalchemy import select

from blueprints.chat.mentions import NO_MENTIONS, Mentions, named_in
from blueprints.chat.rendering import render_message
from core.people import user_brief
from extensions import db
from models import Attachment, Favorite, Message, Reaction, User

SNIPPET_MAX = 120  # characters of an original a quote shows, as long as a preview


def message_json(message: Message, sender: User | None, quote: dict | None = None,
                 named: list[dict] | None = None, reactions: list[dict] | None = None,
                 forwarded_from: User | None = None) -> dict:
    """A message as events and the API carry it: its text (or caption) as typed ("body") and
    rendered to safe HTML (the mentions highlighted), its attachment, `recalled` (then text,
    attachment, mentions and reactions are empty), `reply_to`: `quote` (a `quote_json` of its
    original) or None, `mentions`: `named` (the people it names, [{"id", "nickname"}]) and
    `mention_all` (an owner's @all), `edited_at` (ISO 8601, or None), `forwarded`
    ({"from": the brief of `forwarded_from`, the sender of the message it copies, or None
    once that account is gone} for a forwarded copy, else None) and `reactions`
    (`reaction_summaries` of the message)."""
    recalled = message.recalled_at is not None
    attachment = None if recalled or message.attachment is None else message.attachment.to_json()
    text = "" if recalled else message.body
    mentions = NO_MENTIONS if recalled else Mentions(named or [], bool(message.mention_all), [])
    payload = _json(message.id, message.conversation_id, message.kind, sender, text, attachment, recalled,
                    message.client_id, message.created_at, quote, mentions)
    payload["edited_at"] = message.edited_at.isoformat() if message.edited_at and not recalled else None
    payload["forwarded"] = ({"from": user_brief(forwarded_from) if forwarded_from else None}
                            if message.forwarded else None)
    payload["reactions"] = [] if recalled else (reactions or [])
    return payload


def new_text_json(sender_brief: dict, conversation_id: int, body: str, client_id: str | None,
                  quote: dict | None = None, mentions: Mentions = NO_MENTIONS) -> dict:
    """`message_json` of a text message about to be stored, from `sender_brief` (a
    `user_brief`), `quote` (the `quote_json` of the original it replies to, or None) and
    `mentions` (mentions.checked_mentions): built before the write, so the writer only fills
    in "id" and "created_at" (None until then; blueprints/chat/sending.py)."""
    return {"id": None, "conversation_id": conversation_id, "kind": "text", "sender": sender_brief,
            "body": body, "html": str(render_message(body, mentions.named, mentions.everyone)), "attachment": None,
            "recalled": False, "client_id": client_id, "created_at": None, "reply_to": quote,
            "mentions": mentions.named, "mention_all": mentions.everyone, "edited_at": None, "forwarded": None,
            "reactions": []}


def _json(message_id, conversation_id, kind, sender, text, attachment, recalled, client_id, created_at,
          quote, mentions: Mentions) -> dict:
    return {"id": message_id, "conversation_id": conversation_id, "kind": kind,
            "sender": user_brief(sender) if sender else None, "body": text,
            "html": str(render_message(text, mentions.named, mentions.everyone)) if text else "",
            "attachment": attachment, "recalled": recalled, "client_id": client_id,
            "created_at": created_at.isoformat(), "reply_to": quote, "mentions": mentions.named,
            "mention_all": mentions.everyone}


def quote_json(original_id: int, sender: User | None, kind: str, body: str, file_name: str | None,
               recalled: bool) -> dict:
    """The quote a reply carries of its original (message `original_id`, sent by `sender`):
    {"id", "sender" (a user brief, or None for a deleted account), "kind", "snippet",
    "recalled"}. The snippet is one line of at most SNIPPET_MAX characters: a text's words,
    an image's or file's `file_name` (the page shows the kind's label before it, in each
    viewer's own language, as one event's JSON serves every viewer), "" once recalled."""
    text = "" if recalled else (body if kind == "text" else file_name or "")
    line = " ".join(text.split())
    if len(line) > SNIPPET_MAX:
        line = line[:SNIPPET_MAX - 1].rstrip() + "…"
    return {"id": original_id, "sender": user_brief(sender) if sender else None, "kind": kind,
            "snippet": line, "recalled": recalled}


def message_jsons(messages: list[Message]) -> list[dict]:
    """`message_json` of each message; their senders (and those of the messages forwarded
    copies copy), the originals that replies among them quote (with their senders and
    attachments' names), the people they name and their reactions, read in one query each."""
    reply_to_ids = {m.reply_to_id for m in messages if m.reply_to_id}
    originals = db.session.execute(
        select(Message.id, Message.sender_id, Message.kind, Message.body, Message.recalled_at, Attachment.name)
        .outerjoin(Attachment, Attachment.message_id == Message.id)
        .where(Message.id.in_(reply_to_ids))).all() if reply_to_ids else []
    ids = ({m.sender_id for m in messages if m.sender_id} | {row[1] for row in originals if row[1]}
           | {m.forwarded_from_id for m in messages if m.forwarded_from_id})
    senders = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    quotes = {row[0]: quote_json(row[0], senders.get(row[1]), row[2], row[3], row[5], row[4] is not None)
              for row in originals}
    shown = [m.id for m in messages if m.recalled_at is None]
    named = named_in(shown)
    reactions = reaction_summaries(shown)
    return [message_json(m, senders.get(m.sender_id), quotes.get(m.reply_to_id), named.get(m.id),
                         reactions.get(m.id), senders.get(m.forwarded_from_id)) for m in messages]


REACTORS_SHOWN = 20  # people a reaction names (the count counts everyone)


def reaction_summaries(message_ids: list[int]) -> dict[int, list[dict]]:
    """The reactions on each of `message_ids` that has any: {message id: [{"emoji", "count",
    "users": [{"id", "nickname"}, ...]}]}, emoji in the order first added, each naming its
    first REACTORS_SHOWN people in the order they reacted. One query."""
    if not message_ids:
        return {}
    rows = db.session.execute(
        select(Reaction.message_id, Reaction.emoji, User.id, User.nickname)
        .join(User, User.id == Reaction.user_id)
        .where(Reaction.message_id.in_(message_ids)).order_by(Reaction.message_id, Reaction.id)).all()
    summaries: dict[int, dict[str, dict]] = {}
    for message_id, emoji, user_id, nickname in rows:
        summary = summaries.setdefault(message_id, {}).setdefault(emoji, {"emoji": emoji, "count": 0, "users": []})
        summary["count"] += 1
        if len(summary["users"]) < REACTORS_SHOWN:
            summary["users"].append({"id": user_id, "nickname": nickname})
    return {message_id: list(by_emoji.values()) for message_id, by_emoji in summaries.items()}


def preview(message: Message) -> str:
    """A one-line summary of a message for the conversation list (at most 120 characters)."""
    attachment = message.attachment
    return summary(message.kind, message.body, message.recalled_at is not None,
                   {"name": attachment.name, "duration": attachment.duration} if attachment else None)


def summary(kind: str, body: str, recalled: bool, attachment: dict | None, limit: int | None = 120) -> str:
    """What a message says in one line: its text, or "[Image] <caption>", "[File] <name>",
    "[Voice] m:ss", "[Recalled]"; `attachment` has the "name" and "duration" (seconds) of
    Attachment.to_json, or is None; at most `limit` characters (None: all)."""
    attachment = attachment or {}
    if recalled:
        return _("[Recalled]")
    if kind == "image":
        return (_("[Image]") + " " + body)[:limit].strip()
    if kind == "file":
        return (_("[File]") + " " + (attachment.get("name") or ""))[:limit]
    if kind == "voice":
        seconds = round(attachment.get("duration") or 0)
        return f"{_('[Voice]')} {seconds // 60}:{seconds % 60:02d}"
    return body[:limit]


def favorited_message_ids(user_id: int, message_ids: list[int]) -> set[int]:
    """Which of `message_ids` `user_id` has favorited (the star a page or history shows on
    each message)."""
    if not message_ids:
        return set()
    return set(db.session.scalars(select(Favorite.message_id).where(
        Favorite.user_id == user_id, Favorite.message_id.in_(message_ids))))


def reacted_with(user_id: int, message_ids: list[int]) -> dict[int, list[str]]:
    """The emoji `user_id` reacted with on each of `message_ids` that has any: {message id:
    [emoji, ...]} (a message's summary names only its first reactors). One query."""
    if not message_ids:
        return {}
    mine: dict[int, list[str]] = {}
    for message_id, emoji in db.session.execute(
            select(Reaction.message_id, Reaction.emoji)
            .where(Reaction.user_id == user_id, Reaction.message_id.in_(message_ids)).order_by(Reaction.id)):
        mine.setdefault(message_id, []).append(emoji)
    return mine

