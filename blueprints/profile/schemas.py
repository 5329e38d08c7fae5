"""Schemas of the profile API: the logged-in person."""
from marshmallow import fields

from core.schemas import UserSchema


class MeSchema(UserSchema):
    """The logged-in person, with their private fields."""

    email = fields.String(required=True)
    locale = fields.String(allow_none=True)
    is_admin = fields.Boolean(required=True)
