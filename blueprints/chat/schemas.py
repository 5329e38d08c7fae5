"""Schemas of the chat API: conversations, messages (with their attachment), read positions."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from blueprints.chat.mentions import MENTIONS_MAX
from blueprints.chat.services import BODY_MAX, UUID_RE
from core.routing import ID_MAX
from core.schemas import ID_RANGE, NOT_BLANK, Flag, Text, UserSchema, WholeNumber
from realtime.stream import TAB_RE

# A client id is a UUID, or empty (none). `(?![\s\S])` is the end of the text: `$` would also
# match before a final newline in Python, which the service's fullmatch refuses.
CLIENT_ID_PATTERN = rf"^(?:{UUID_RE.pattern})?(?![\s\S])"


class AttachmentSchema(Schema):
    """The image or file of a message. `url` serves the bytes to those who may see them."""

    id = fields.String(required=True, metadata={"description": "Random, at least 128 bits"})
    kind = fields.String(required=True, metadata={"enum": ["image", "file", "voice"]})
    name = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes"})
    mime = fields.String(required=True, metadata={"description": "Sniffed from the bytes"})
    width = fields.Integer(allow_none=True, required=True)
    height = fields.Integer(allow_none=True, required=True)
    duration = fields.Float(allow_none=True, required=True, metadata={
        "description": "Seconds of sound: a voice message, or an audio file whose length could be read"})
    url = fields.String(required=True)
    thumbnail_url = fields.String(allow_none=True, required=True)


class QuoteSchema(Schema):
    """The original a reply quotes, as the reply shows it."""

    id = fields.Integer(required=True, metadata={"description": "The original message's id"})
    sender = fields.Nested(UserSchema, allow_none=True, required=True)
    kind = fields.String(required=True, metadata={"enum": ["text", "image", "file", "voice"]})
    snippet = fields.String(required=True, metadata={
        "maxLength": 120, "description": "One line: a text's words, an image's or file's name (show the kind "
                                         "before it); empty once the original is recalled"})
    recalled = fields.Boolean(required=True, metadata={
        "description": "The original was recalled after the reply (a message.recalled event of its id says so live)"})


class MentionSchema(Schema):
    """A person a message names."""

    id = fields.Integer(required=True)
    nickname = fields.String(required=True, metadata={"description": "As it is now"})


class ForwardedSchema(Schema):
    """Where a forwarded copy comes from."""

    from_ = fields.Nested(UserSchema, allow_none=True, required=True, data_key="from", attribute="from", metadata={
        "description": "Who sent the message it copies; null once that account is gone"})


class ReactionSchema(Schema):
    """One emoji people reacted to a message with."""

    emoji = fields.String(required=True)
    count = fields.Integer(required=True, metadata={"description": "How many people reacted with it"})
    users = fields.List(fields.Nested(MentionSchema), required=True,
                        metadata={"description": "The first 20 of them, in the order they reacted"})


class MessageSchema(Schema):
    """A message: `body` as typed (a caption for an image or file), `html` rendered safe
    (escaped, links, emoji, mentions as <span class="mention">). A recalled message has empty
    text, no attachment and no mentions. A reply carries the quote of its original in
    `reply_to` (null for other messages)."""

    id = fields.Integer(required=True)
    conversation_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["text", "image", "file", "voice"]})
    sender = fields.Nested(UserSchema, allow_none=True, required=True)
    body = fields.String(required=True)
    html = fields.String(required=True)
    attachment = fields.Nested(AttachmentSchema, allow_none=True, required=True)
    recalled = fields.Boolean(required=True)
    client_id = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True)
    reply_to = fields.Nested(QuoteSchema, allow_none=True, required=True)
    mentions = fields.List(fields.Nested(MentionSchema), required=True,
                           metadata={"description": "The members it names (checked when it was sent)"})
    mention_all = fields.Boolean(required=True, metadata={"description": "The group's owner mentioned everyone (@all)"})
    edited_at = fields.String(allow_none=True, required=True, metadata={
        "description": "When the sender last edited the text (ISO 8601); null if never"})
    forwarded = fields.Nested(ForwardedSchema, allow_none=True, required=True, metadata={
        "description": "Set on a forwarded copy: whose message it copies"})
    reactions = fields.List(fields.Nested(ReactionSchema), required=True,
                            metadata={"description": "Each emoji people reacted with, in the order first added"})


# A reply's original: a message of the same conversation that the sender can see (404
# otherwise), not recalled (409); the reason comes beside `reply_to`.
REPLY_TO_DESCRIPTION = ("Reply to this message (its id): one of this conversation that you can see (404 otherwise), "
                        "not recalled (409)")


MENTIONS_DESCRIPTION = (f"Ids of the people this message mentions (at most {MENTIONS_MAX}): only current members of "
                        "the conversation other than you are kept, any other id is dropped")
MENTION_ALL_DESCRIPTION = ("Mention everyone in the group (@all): for the group's owner only (403 otherwise); "
                           "ignored in a direct conversation")


class MessageCreateSchema(Schema):
    # Checked by the service, with a clearer message than a validator's (400).
    body = Text(required=True, metadata={"minLength": 1, "maxLength": BODY_MAX}, pattern=NOT_BLANK)
    client_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=64), pattern=CLIENT_ID_PATTERN)
    reply_to = WholeNumber(load_default=None, allow_none=True, validate=ID_RANGE,
                           metadata={"description": REPLY_TO_DESCRIPTION})
    mentions = fields.List(WholeNumber(validate=ID_RANGE), load_default=list,
                           validate=validate.Length(max=MENTIONS_MAX), metadata={"description": MENTIONS_DESCRIPTION})
    mention_all = Flag(load_default=False, metadata={"description": MENTION_ALL_DESCRIPTION})


class HistoryQuerySchema(Schema):
    before = WholeNumber(in_text=True, load_default=None, validate=validate.Range(min=1, max=ID_MAX))
    limit = WholeNumber(in_text=True, load_default=50, validate=validate.Range(min=1, max=100))


class ReactedSchema(Schema):
    message_id = fields.Integer(required=True)
    emoji = fields.String(required=True)


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "Pass as `before` for older messages; null at the start."})
    favorited = fields.List(fields.Integer(), required=True,
                            metadata={"description": "Ids of this page's messages that you have favorited"})
    reacted = fields.List(fields.Nested(ReactedSchema), required=True,
                          metadata={"description": "The reactions of yours on this page's messages"})


class ReadSchema(Schema):
    message_id = WholeNumber(required=True, validate=ID_RANGE)
    tab = fields.String(validate=validate.Regexp(rf"^{TAB_RE.pattern}(?![\s\S])",
                                                 error="1 to 64 letters, digits, hyphens or underscores."),
                        metadata={"description": "The id this page opened its event stream with "
                                                 "(GET /events?tab=): with `viewing`, that stream starts or stops "
                                                 "viewing this conversation"})
    viewing = Flag(load_default=False, metadata={
        "description": "With `tab`: true while the page shows this conversation's newest messages in a visible "
                       "tab (each message the stream then delivers here is read, with no further request); "
                       "false when it stops (scrolled up, hidden, another conversation)"})

    @validates_schema
    def _viewing_needs_a_tab(self, data, **kwargs):
        if data.get("viewing") and not data.get("tab"):
            raise ValidationError("Name the page's stream (tab) to view a conversation.", "tab")


class ReadStateSchema(Schema):
    conversation_id = fields.Integer(required=True)
    last_read_message_id = fields.Integer(required=True)
    unread = fields.Integer(required=True)


class LastMessageSchema(Schema):
    id = fields.Integer(required=True)
    preview = fields.String(required=True)
    sender_id = fields.Integer(allow_none=True, required=True)
    sender_nickname = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True)


class ConversationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["direct", "group"]})
    name = fields.String(allow_none=True, required=True)
    peer = fields.Nested(UserSchema, allow_none=True, required=True)
    last_message = fields.Nested(LastMessageSchema, allow_none=True, required=True)
    last_activity_at = fields.String(required=True)
    unread = fields.Integer(required=True)
    last_read_message_id = fields.Integer(required=True)
    mentioned = fields.Boolean(required=True, metadata={
        "description": "Someone mentioned you here after your read position (the row's \"[@you]\")"})
    mentioned_message_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The newest such message's id: reading up to it clears `mentioned`"})
    muted = fields.Boolean(required=True, metadata={
        "description": "You muted it: `unread` leaves total_unread and brings no notification; a mention still notifies and counts in total_mentioned"})


class ConversationListSchema(Schema):
    items = fields.List(fields.Nested(ConversationSchema), required=True)
    total_unread = fields.Integer(required=True, metadata={
        "description": "Unread messages of the conversations you did not mute"})
    total_mentioned = fields.Integer(required=True, metadata={
        "description": "How many conversations have a mention of you after your read position"})


class MuteSchema(Schema):
    muted = Flag(required=True, metadata={"description": "true: mute the conversation for you; false: unmute"})


class MuteStateSchema(Schema):
    conversation_id = fields.Integer(required=True)
    muted = fields.Boolean(required=True)


class PresenceSchema(Schema):
    online = fields.List(fields.Integer(), required=True)
    members = fields.Integer(required=True)


# Read receipts (blueprints/chat/receipts.py): for your own messages, counted when asked.
# `(?![\s\S])` is the end of the text, as in CLIENT_ID_PATTERN.
RECEIPT_IDS_PATTERN = r"^[0-9]{1,10}(?:,[0-9]{1,10}){0,99}(?![\s\S])"


class ReceiptQuerySchema(Schema):
    message_ids = Text(required=True, pattern=RECEIPT_IDS_PATTERN, validate=validate.Regexp(RECEIPT_IDS_PATTERN),
                       metadata={
                           "description": "Up to 100 message ids, comma-separated (e.g. 12,15,19); only "
                                          "your own messages in this conversation are answered"})


class ReceiptCountSchema(Schema):
    message_id = fields.Integer(required=True)
    read = fields.Integer(required=True, metadata={"description": "Members who have read it"})
    members = fields.Integer(required=True, metadata={
        "description": "Members other than you who share read receipts and were members when it was sent"})


class ReceiptCountsSchema(Schema):
    conversation_id = fields.Integer(required=True)
    sharing_off = fields.Boolean(required=True, metadata={
        "description": "You do not share read receipts, so you see nobody's (no items)"})
    items = fields.List(fields.Nested(ReceiptCountSchema), required=True)


class ReadersSchema(Schema):
    message_id = fields.Integer(required=True)
    sharing_off = fields.Boolean(required=True, metadata={
        "description": "You do not share read receipts, so you see nobody's (empty lists)"})
    read = fields.List(fields.Nested(UserSchema), required=True)
    unread = fields.List(fields.Nested(UserSchema), required=True)
    not_sharing = fields.Integer(required=True, metadata={
        "description": "Members who do not share read receipts: in neither list"})
