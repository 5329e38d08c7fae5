"""Schemas of the friends API: people search, friends, friend requests."""
from marshmallow import Schema, fields, validate

from blueprints.friends.services import REASON_MAX
from core.schemas import NOT_BLANK, PAGE_RANGE, PageSchema, Text, UserSchema, WholeNumber, stripped_text


class SearchResultSchema(Schema):
    """A person found by username, and where the viewer stands with them."""

    user = fields.Nested(UserSchema, required=True)
    relation = fields.String(required=True, metadata={
        "enum": ["self", "friend", "request_sent", "request_received", "none"]})


class SearchQuerySchema(Schema):
    q = Text(required=True, validate=validate.Length(min=1, max=64), pattern=NOT_BLANK)


class FriendRequestSchema(Schema):
    """A friend request as both sides see it."""

    id = fields.Integer(required=True)
    sender = fields.Nested(UserSchema, required=True)
    receiver = fields.Nested(UserSchema, required=True)
    reason = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["pending", "accepted", "rejected"]})
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)


class FriendRequestCreateSchema(Schema):
    username = Text(required=True, validate=validate.Length(min=1, max=64))
    reason = Text(load_default="", validate=validate.Length(max=1000), pattern=stripped_text(0, REASON_MAX))


class FriendRequestResultSchema(Schema):
    """What sending a request did: sent, updated (renewed) or accepted (they had asked you)."""

    outcome = fields.String(required=True, metadata={"enum": ["sent", "updated", "accepted"]})
    request = fields.Nested(FriendRequestSchema, required=True)


class FriendRequestListQuerySchema(Schema):
    direction = fields.String(load_default="received", validate=validate.OneOf(["received", "sent"]))
    page = WholeNumber(in_text=True, load_default=1, validate=PAGE_RANGE)
    per_page = WholeNumber(in_text=True, load_default=20, validate=validate.Range(min=1, max=100))


class FriendRequestPageSchema(PageSchema):
    items = fields.List(fields.Nested(FriendRequestSchema), required=True)
    pending_received = fields.Integer(required=True)


class FriendListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema), required=True)
