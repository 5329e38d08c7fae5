"""Schemas of the search API."""
from marshmallow import Schema, fields, validate

from blueprints.chat.schemas import MessageSchema
from blueprints.search.services import KINDS, OFFSET_MAX, QUERY_MAX
from core.routing import ID_MAX
from core.schemas import Text, WholeNumber

_ID = validate.Range(min=1, max=ID_MAX)


class SearchQuerySchema(Schema):
    q = Text(required=True, validate=validate.Length(min=1, max=QUERY_MAX),
             metadata={"description": "Words (matched by prefix) and Chinese, Japanese or Korean text "
                                      "(matched where it occurs); every term must match"})
    conversation_id = WholeNumber(in_text=True, load_default=None, validate=_ID,
                                  metadata={"description": "Only this conversation"})
    sender_id = WholeNumber(in_text=True, load_default=None, validate=_ID, metadata={"description": "Only from this person"})
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    before = WholeNumber(in_text=True, load_default=None, validate=_ID,
                         metadata={"description": "Newest first: only messages older than this message id (next_before)"})
    limit = WholeNumber(in_text=True, load_default=20, validate=validate.Range(min=1, max=50))
    order = fields.String(load_default="newest", validate=validate.OneOf(["newest", "relevance"]))
    offset = WholeNumber(in_text=True, load_default=0, validate=validate.Range(min=0, max=OFFSET_MAX),
                         metadata={"description": "Best first: results to skip (next_offset)"})


class SearchConversationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["direct", "group"]})
    name = fields.String(required=True, metadata={"description": "A group's name, or the other person's nickname"})


class SearchHitSchema(Schema):
    message = fields.Nested(MessageSchema, required=True)
    conversation = fields.Nested(SearchConversationSchema, required=True)
    snippet = fields.String(required=True, metadata={"description": "Safe HTML: the text around the first match, "
                                                                    "escaped, matches in <mark>"})
    url = fields.String(required=True, metadata={"description": "The chat page opened at this message"})


class SearchPageSchema(Schema):
    items = fields.List(fields.Nested(SearchHitSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "Newest first: pass as `before` for the next page"})
    next_offset = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "Best first: pass as `offset` for the next page"})
