"""Schemas of the pins API."""
from marshmallow import Schema, fields

from blueprints.chat.schemas import QuoteSchema
from core.schemas import UserSchema


class PinSchema(Schema):
    """A pinned message, as the pinned bar shows it."""

    message_id = fields.Integer(required=True)
    pinned_by = fields.Nested(UserSchema, allow_none=True, required=True,
                              metadata={"description": "Who pinned it; null once that account is gone"})
    pinned_at = fields.String(required=True, metadata={"description": "ISO 8601"})
    message = fields.Nested(QuoteSchema, required=True,
                            metadata={"description": "The message's sender, kind and one line"})


class PinListSchema(Schema):
    items = fields.List(fields.Nested(PinSchema), required=True, metadata={"description": "Newest pin first"})
    can_pin = fields.Boolean(required=True, metadata={
        "description": "You may pin and unpin here (a group's owner, either person of a direct conversation)"})
