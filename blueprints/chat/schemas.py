"""Schemas of the chat API: conversations, messages (with their attachment), read positions."""
from marshmallow import Schema, fields, validate

from blueprints.chat.services import BODY_MAX, UUID_RE
from core.routing import ID_MAX
from core.schemas import ID_RANGE, NOT_BLANK, Text, UserSchema, WholeNumber

# A client id is a UUID, or empty (none). `(?![\s\S])` is the end of the text: `$` would also
# match before a final newline in Python, which the service's fullmatch refuses.
CLIENT_ID_PATTERN = rf"^(?:{UUID_RE.pattern})?(?![\s\S])"


class AttachmentSchema(Schema):
    """The image or file of a message. `url` serves the bytes to those who may see them."""

    id = fields.String(required=True, metadata={"description": "Random, at least 128 bits"})
    kind = fields.String(required=True, metadata={"enum": ["image", "file"]})
    name = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes"})
    mime = fields.String(required=True, metadata={"description": "Sniffed from the bytes"})
    width = fields.Integer(allow_none=True, required=True)
    height = fields.Integer(allow_none=True, required=True)
    url = fields.String(required=True)
    thumbnail_url = fields.String(allow_none=True, required=True)


class MessageSchema(Schema):
    """A message: `body` as typed (a caption for an image or file), `html` rendered safe
    (escaped, links, emoji). A recalled message has empty text and no attachment."""

    id = fields.Integer(required=True)
    conversation_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["text", "image", "file"]})
    sender = fields.Nested(UserSchema, allow_none=True, required=True)
    body = fields.String(required=True)
    html = fields.String(required=True)
    attachment = fields.Nested(AttachmentSchema, allow_none=True, required=True)
    recalled = fields.Boolean(required=True)
    client_id = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True)


class MessageCreateSchema(Schema):
    # Checked by the service, with a clearer message than a validator's (400).
    body = Text(required=True, metadata={"minLength": 1, "maxLength": BODY_MAX}, pattern=NOT_BLANK)
    client_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=64), pattern=CLIENT_ID_PATTERN)


class HistoryQuerySchema(Schema):
    before = WholeNumber(in_text=True, load_default=None, validate=validate.Range(min=1, max=ID_MAX))
    limit = WholeNumber(in_text=True, load_default=50, validate=validate.Range(min=1, max=100))


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "Pass as `before` for older messages; null at the start."})
    favorited = fields.List(fields.Integer(), required=True,
                            metadata={"description": "Ids of this page's messages that you have favorited"})


class ReadSchema(Schema):
    message_id = WholeNumber(required=True, validate=ID_RANGE)


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


class ConversationListSchema(Schema):
    items = fields.List(fields.Nested(ConversationSchema), required=True)
    total_unread = fields.Integer(required=True)


class PresenceSchema(Schema):
    online = fields.List(fields.Integer(), required=True)
    members = fields.Integer(required=True)
