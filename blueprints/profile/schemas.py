"""Schemas of the profile API: the logged-in person."""
from marshmallow import Schema, fields, validate

from core.schemas import Flag, UserSchema
from core.timezones import zone_names

TIMEZONE_DESCRIPTION = ("The time zone of the times the pages show you: an IANA name such as Asia/Shanghai; "
                        "null: your browser's")


class MeSchema(UserSchema):
    """The logged-in person, with their private fields."""

    email = fields.String(required=True)
    locale = fields.String(allow_none=True)
    is_admin = fields.Boolean(required=True)
    share_read_receipts = fields.Boolean(required=True, metadata={
        "description": "Others see what you have read; off, you see nobody's read receipts either"})
    online_notices = fields.Boolean(required=True, metadata={
        "description": "A short notice on your open chat pages when a friend comes online"})
    timezone = fields.String(required=True, allow_none=True, metadata={"description": TIMEZONE_DESCRIPTION})


class MeUpdateSchema(Schema):
    """Any of the settings; those left out stay as they are (none: nothing changes)."""

    share_read_receipts = Flag(metadata={
        "description": "Share your read receipts; if you turn this off, you won't see others' either"})
    online_notices = Flag(metadata={"description": "Be told when a friend comes online"})
    # The names listed are this server's tz database's (core.timezones.zone_names).
    timezone = fields.String(allow_none=True, validate=validate.OneOf(
        sorted(zone_names()), error="Not a time zone this server knows: an IANA name such as Asia/Shanghai."), metadata={
        "description": TIMEZONE_DESCRIPTION})
