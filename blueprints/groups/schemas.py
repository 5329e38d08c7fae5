"""Schemas of the groups API: groups, members, invite links."""
from marshmallow import Schema, fields, validate

from blueprints.groups.services import NAME_MAX
from core.schemas import ID_RANGE, Flag, Text, UserSchema, WholeNumber, stripped_text


class GroupSchema(Schema):
    """A group as its members see it."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    owner_id = fields.Integer(allow_none=True, required=True)
    member_count = fields.Integer(required=True)
    last_activity_at = fields.String(required=True)


class GroupListSchema(Schema):
    items = fields.List(fields.Nested(GroupSchema), required=True)


class MemberSchema(UserSchema):
    joined_at = fields.String(required=True)
    is_owner = fields.Boolean(required=True)


class GroupDetailSchema(GroupSchema):
    members = fields.List(fields.Nested(MemberSchema), required=True)
    invite_url = fields.String(allow_none=True, metadata={"description": "Only shown to the owner."})


class GroupCreateSchema(Schema):
    name = Text(required=True, validate=validate.Length(max=200), pattern=stripped_text(1, NAME_MAX))
    member_ids = fields.List(WholeNumber(validate=ID_RANGE), load_default=list,
                             validate=validate.Length(max=1000))


class GroupUpdateSchema(Schema):
    name = Text(required=True, validate=validate.Length(max=200), pattern=stripped_text(1, NAME_MAX))


class MembersAddSchema(Schema):
    user_ids = fields.List(WholeNumber(validate=ID_RANGE), required=True,
                           validate=validate.Length(min=1, max=1000))


class InviteSchema(Schema):
    invite_url = fields.String(allow_none=True, required=True)


class InviteUpdateSchema(Schema):
    enabled = Flag(required=True, metadata={"description": "true creates or resets the link, false turns it off"})


class JoinSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=64))
