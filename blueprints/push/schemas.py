"""Schemas of the push API: the site's public key, a browser's subscription, the previews setting."""
from marshmallow import Schema, fields, validate

from blueprints.push.services import AUTH_PATTERN, DEVICE_MAX, ENDPOINT_MAX, ENDPOINT_PATTERN, P256DH_PATTERN
from core.schemas import Flag, Text


class PublicKeySchema(Schema):
    public_key = fields.String(required=True, metadata={
        "description": "The VAPID public key (RFC 8292): an uncompressed P-256 point, base64url; pass it to "
                       "PushManager.subscribe() as applicationServerKey"})


class KeysSchema(Schema):
    p256dh = Text(required=True, pattern=P256DH_PATTERN, validate=validate.Length(max=100), metadata={
        "description": "The browser's P-256 public key, base64url (65 bytes: RFC 8291)"})
    auth = Text(required=True, pattern=AUTH_PATTERN, validate=validate.Length(max=40), metadata={
        "description": "The browser's authentication secret, base64url (16 bytes)"})


class SubscriptionCreateSchema(Schema):
    """What PushSubscription.toJSON() gives, and optionally a label for the device."""

    endpoint = Text(required=True, pattern=ENDPOINT_PATTERN, validate=validate.Length(max=ENDPOINT_MAX), metadata={
        "description": "The push service URL: https, on a host the site allows (WEB_PUSH_HOSTS; another is 403)"})
    expirationTime = fields.Float(allow_none=True, load_default=None, metadata={  # noqa: N815 - the browser's name
        "description": "Ignored (the browser's own field)"})
    keys = fields.Nested(KeysSchema, required=True)
    device = Text(load_default="", validate=validate.Length(max=DEVICE_MAX), metadata={
        "description": "A label for the profile page; default: the browser and system of the User-Agent"})


class SubscriptionDeleteSchema(Schema):
    endpoint = Text(required=True, validate=validate.Length(max=ENDPOINT_MAX))


class SubscriptionSchema(Schema):
    id = fields.Integer(required=True)
    endpoint = fields.String(required=True)
    device = fields.String(required=True)
    created_at = fields.String(required=True)


class SubscriptionListSchema(Schema):
    items = fields.List(fields.Nested(SubscriptionSchema), required=True)


class PushSettingsSchema(Schema):
    previews = Flag(required=True, metadata={
        "description": "Notifications show the message's text; off (the default), only who wrote"})
