"""Schemas of the blocks API."""
from marshmallow import Schema, fields, validate

from core.routing import ID_MAX
from core.schemas import UserSchema, WholeNumber


class BlockSchema(Schema):
    """A person you blocked, and since when."""

    user = fields.Nested(UserSchema, required=True)
    created_at = fields.String(required=True)


class BlockListSchema(Schema):
    items = fields.List(fields.Nested(BlockSchema), required=True)


class BlockCreateSchema(Schema):
    user_id = WholeNumber(required=True, validate=validate.Range(min=1, max=ID_MAX))
