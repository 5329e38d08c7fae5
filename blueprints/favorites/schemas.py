"""Schemas of the favorites API."""
from marshmallow import Schema, fields, validate

from blueprints.chat.schemas import AttachmentSchema
from core.routing import ID_MAX
from core.schemas import PAGE_RANGE, PageSchema, Text, UserSchema, WholeNumber


class FavoriteSchema(Schema):
    """A favorited message, from the copy kept when it was favorited."""

    id = fields.Integer(required=True)
    message_id = fields.Integer(allow_none=True, required=True)
    conversation_id = fields.Integer(allow_none=True, required=True)
    conversation_name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["text", "image", "file", "voice"]})
    body = fields.String(required=True)
    html = fields.String(required=True)
    sender = fields.Nested(UserSchema, allow_none=True, required=True)
    sender_nickname = fields.String(required=True)
    attachment = fields.Nested(AttachmentSchema, allow_none=True, required=True)
    sent_at = fields.String(required=True)
    created_at = fields.String(required=True)
    chat_url = fields.String(allow_none=True, required=True,
                             metadata={"description": "The message in its chat, while you can still see it there"})


class FavoriteCreateSchema(Schema):
    message_id = WholeNumber(required=True, validate=validate.Range(min=1, max=ID_MAX))


class FavoriteQuerySchema(Schema):
    type = fields.String(load_default="all", validate=validate.OneOf(["all", "text", "image", "file", "voice"]))
    q = Text(load_default="", validate=validate.Length(max=100))
    page = WholeNumber(in_text=True, load_default=1, validate=PAGE_RANGE)


class FavoritePageSchema(PageSchema):
    items = fields.List(fields.Nested(FavoriteSchema), required=True)
