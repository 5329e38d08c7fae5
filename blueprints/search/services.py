"""Searching messages: what a person may find (the messages they can see, in the conversations
they are in now), in which order, and each hit's snippet with the matches marked."""
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from blueprints.chat.hiding import NOT_HIDDEN_SQL
from blueprints.chat.payloads import message_jsons
from blueprints.chat.senders import direct_peer, not_in_conversation
from core.errors import DomainError
from extensions import db
from models import Conversation, Membership, Message, User
from search import index
from search.terms import match_spans, parse_query

QUERY_MAX = 200  # characters of a query
SNIPPET = 120  # characters of text a snippet shows at most
SNIPPET_BEFORE = 30  # of which at most this many come before the first match
OFFSET_MAX = 1000  # how far best-first results can be paged
KINDS = ("text", "image", "file", "voice")

# A hit's message must fall inside one of the person's stays in its conversation (a group's
# messages from before they joined, or between two stays, stay hidden: chat/services.visible_in).
_VISIBLE = ("EXISTS (SELECT 1 FROM membership AS ms WHERE ms.conversation_id = m.conversation_id "
            "AND ms.user_id = :viewer AND COALESCE(m.event_id, 0) >= COALESCE(ms.joined_event_id, 0) "
            "AND (ms.left_event_id IS NULL OR m.event_id <= ms.left_event_id))")


def searchable_conversations(user: User) -> dict[int, Conversation]:
    """The conversations `user` can read now (a current member, not dissolved), by id."""
    return {conversation.id: conversation for conversation in db.session.scalars(
        select(Conversation).join(Membership, Membership.conversation_id == Conversation.id)
        .where(Membership.user_id == user.id, Membership.left_at.is_(None), Conversation.dissolved_at.is_(None)))}


def search_messages(user: User, q: str, *, conversation_id: int | None = None, sender_id: int | None = None,
                    kind: str | None = None, before: int | None = None, limit: int = 20,
                    order: str = "newest", offset: int = 0) -> dict:
    """Messages `user` can see (and has not hidden) whose text, caption or file name matches `q` (search/terms.py:
    words by prefix, Chinese, Japanese and Korean by the characters typed; every term must
    match), in the conversations they are in now, or only in `conversation_id`; only from
    `sender_id`, only of `kind` (text, image, file, voice).

    `order` "newest" (newest first, paged by `before`, a message id) or "relevance" (best
    first, paged by `offset`, at most OFFSET_MAX). Returns {"items": [{"message" (as the chat
    carries it), "conversation" ({"id", "kind", "name"}), "snippet" (safe HTML, matches in
    <mark>), "url" (the chat opened at the message)}], "next_before", "next_offset"} (the
    cursor for the next page, or None). Raises DomainError (no words to search for, too long,
    bad kind or order) and NotFound (`conversation_id` is not one of theirs).
    """
    if len(q) > QUERY_MAX:
        raise DomainError(_("A search can be at most %(n)d characters.", n=QUERY_MAX), "q")
    query = parse_query(q)
    if not query:
        raise DomainError(_("Type a word to search for."), "q")
    if kind is not None and kind not in KINDS:
        raise DomainError(_("kind must be one of text, image, file or voice."), "kind")
    if order not in ("newest", "relevance"):
        raise DomainError(_("order must be newest or relevance."), "order")
    conversations = searchable_conversations(user)
    if conversation_id is not None:
        if conversation_id not in conversations:
            raise not_in_conversation()
        conversations = {conversation_id: conversations[conversation_id]}
    empty = {"items": [], "next_before": None, "next_offset": None}
    if not conversations:
        return empty
    where, params = [_VISIBLE, NOT_HIDDEN_SQL], {"viewer": user.id}
    if sender_id is not None:
        where.append("m.sender_id = :sender_id")
        params["sender_id"] = sender_id
    if kind is not None:
        where.append("m.kind = :kind")
        params["kind"] = kind
    for n, run in enumerate(query.runs):  # three or more CJK characters: found whole, not only as bigrams
        where.append(f"(m.body LIKE :run{n} OR a.name LIKE :run{n})")
        params[f"run{n}"] = f"%{run}%"
    relevance = order == "relevance"
    ids = index.hits(db.session.connection(), query, sorted(conversations), " AND ".join(where), params,
                     limit + 1, before=None if relevance else before, offset=offset if relevance else 0,
                     relevance=relevance)
    more, ids = len(ids) > limit, ids[:limit]
    by_id = {m.id: m for m in db.session.scalars(
        select(Message).options(selectinload(Message.attachment)).where(Message.id.in_(ids)))} if ids else {}
    messages = [by_id[i] for i in ids if i in by_id]
    items = placed(user, messages, conversations)
    for message, item in zip(messages, items):
        item["snippet"] = str(snippet(message, query))
    return {"items": items,
            "next_before": messages[-1].id if more and not relevance and messages else None,
            "next_offset": offset + limit if more and relevance and offset + limit <= OFFSET_MAX else None}


def placed(user: User, messages: list[Message], conversations: dict[int, Conversation]) -> list[dict]:
    """Each of `messages` where `user` finds it: {"message" (as the chat carries it),
    "conversation" ({"id", "kind", "name"}), "url" (the chat opened at the message)};
    `conversations` holds theirs by id (`searchable_conversations`). The search's hits and
    the Mentions list are built alike."""
    names = conversation_names(user, [conversations[m.conversation_id] for m in messages])
    items = []
    for message, payload in zip(messages, message_jsons(messages)):
        conversation = conversations[message.conversation_id]
        items.append({"message": payload,
                      "conversation": {"id": conversation.id, "kind": conversation.kind,
                                       "name": names[conversation.id]},
                      "url": f"/chat/{conversation.id}?message={message.id}"})
    return items


def conversation_names(user: User, conversations: list[Conversation]) -> dict[int, str]:
    """What `user` calls each of `conversations`, by id: a group by its name, a direct
    conversation by the other person's nickname (one query)."""
    peers = {c.id: direct_peer(c.direct_key, user.id) for c in conversations if c.kind == "direct"}
    nicknames = dict(db.session.execute(select(User.id, User.nickname).where(User.id.in_(set(peers.values()))))
                     .all()) if peers else {}
    return {c.id: (c.name or "") if c.kind == "group" else nicknames.get(peers[c.id], "") for c in conversations}


def snippet(message: Message, query) -> Markup:
    """A line of `message` around its first match of `query` (a search.terms.Query), every
    match in <mark>: the text (or caption), else the file name; at most SNIPPET characters,
    "…" where it was cut. Everything from the message is escaped."""
    texts = [message.body or ""]
    if message.attachment is not None:
        texts.append(message.attachment.name)
    for text in texts:
        spans = match_spans(text, query)
        if spans:
            return _marked(text, spans)
    return escape(_cut(texts[0] or texts[-1], 0))


def _cut(text: str, start: int) -> str:
    text = " ".join(text.split())  # one line
    return text[start:start + SNIPPET]


def _marked(text: str, spans: list[tuple[int, int]]) -> Markup:
    start = max(0, spans[0][0] - SNIPPET_BEFORE)
    end = min(len(text), start + SNIPPET)
    parts = [Markup("…")] if start > 0 else []
    position = start
    for span_start, span_end in spans:
        if span_start >= end:
            break
        parts.append(escape(_one_line(text[position:span_start])))
        parts.append(Markup("<mark>{}</mark>").format(_one_line(text[span_start:min(span_end, end)])))
        position = min(span_end, end)
    parts.append(escape(_one_line(text[position:end])))
    if end < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)


def _one_line(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")
