"""Schemas of the profile API: the logged-in person."""
from marshmallow import Schema, fields

from core.schemas import Flag, UserSchema


class MeSchema(UserSchema):
    """The logged-in person, with their private fields."""

    email = fields.String(required=True)
    locale = fields.String(allow_none=True)
    is_admin = fields.Boolean(required=True)
    share_read_receipts = fields.Boolean(required=True, metadata={
        "description": "Others see what you have read; off, you see nobody's read receipts either"})


class MeUpdateSchema(Schema):
    share_read_receipts = Flag(required=True, metadata={
        "description": "Share your read receipts; if you turn this off, you won't see others' either"})
