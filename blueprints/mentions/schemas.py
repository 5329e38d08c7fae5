"""Schemas of the mentions API."""
from marshmallow import Schema, fields, validate

from blueprints.chat.schemas import MessageSchema
from blueprints.mentions.services import LIMIT_MAX
from blueprints.search.schemas import SearchConversationSchema
from core.routing import ID_MAX
from core.schemas import WholeNumber


class MentionQuerySchema(Schema):
    before = WholeNumber(in_text=True, load_default=None, validate=validate.Range(min=1, max=ID_MAX),
                         metadata={"description": "Only messages older than this message id (next_before)"})
    limit = WholeNumber(in_text=True, load_default=20, validate=validate.Range(min=1, max=LIMIT_MAX))


class MentionItemSchema(Schema):
    message = fields.Nested(MessageSchema, required=True)
    conversation = fields.Nested(SearchConversationSchema, required=True)
    url = fields.String(required=True, metadata={"description": "The chat page opened at this message"})


class MentionPageSchema(Schema):
    items = fields.List(fields.Nested(MentionItemSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "Pass as `before` for older mentions; null at the end"})
