"""Marshmallow schemas of the JSON API."""
from flask_smorest.error_handler import ErrorSchema as SmorestErrorSchema
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from blueprints.chat.services import BODY_MAX, UUID_RE
from blueprints.friends.services import REASON_MAX
from blueprints.groups.services import NAME_MAX
from core.routing import ID_MAX

# Any id a request names, bounded as the paths' ids are: a larger number can name no row and
# would fail the database query instead.
ID_RANGE = validate.Range(min=0, max=ID_MAX)


def _class(chars: list[str]) -> str:
    """The body of a regex character class of `chars`, as \\uXXXX ranges both Python and
    ECMAScript read alike."""
    codes, ranges = sorted(map(ord, chars)), []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(rf"\u{a:04x}" if a == b else rf"\u{a:04x}-\u{b:04x}" for a, b in ranges)


# Patterns of the document. `\x00` is excluded everywhere a client's text goes (see Text);
# `[^\x00]` is then "any character", newlines included. Whitespace is spelled out as what
# str.strip() strips: a pattern's `\s` means ECMAScript's, which lacks \x1c-\x1f and \x85.
_WHITESPACE = _class([chr(code) for code in range(0x10000) if chr(code).isspace()])
SPACE, NOT_SPACE = f"[{_WHITESPACE}]", rf"[^{_WHITESPACE}\x00]"
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*{NOT_SPACE}[^\x00]*$"
# A client id is a UUID, or empty (none). `(?![\s\S])` is the end of the text: `$` would also
# match before a final newline in Python, which the service's fullmatch refuses.
CLIENT_ID_PATTERN = rf"^(?:{UUID_RE.pattern})?(?![\s\S])"


def stripped_text(min_length: int, max_length: int) -> str:
    """The pattern of text that a service strips of surrounding whitespace and then holds to
    `min_length` (0 or 1) to `max_length` characters, answering 400 otherwise: so the document
    states the rule the service enforces."""
    assert min_length in (0, 1)
    text = rf"{NOT_SPACE}(?:[^\x00]{{0,{max_length - 2}}}{NOT_SPACE})?"
    return rf"^{SPACE}*{text}{SPACE}*$" if min_length else rf"^{SPACE}*(?:{text})?{SPACE}*$"


def _no_nul(value: str) -> None:
    if "\x00" in value:
        raise ValidationError("Text cannot contain the NUL character (U+0000).")


class Text(fields.String):
    """Text a client sends. Never the NUL character: PostgreSQL can neither store nor compare
    it (the query failed, a 500 the fuzzer found), so it is refused here (422), on SQLite alike.
    `pattern` documents it, and any further rule the service enforces (default: NO_NUL)."""

    def __init__(self, *, pattern: str = NO_NUL, validate=None, metadata=None, **kwargs):
        validators = [] if validate is None else list(validate) if isinstance(validate, (list, tuple)) else [validate]
        super().__init__(validate=[*validators, _no_nul], metadata={**(metadata or {}), "pattern": pattern},
                         **kwargs)


class UserSchema(Schema):
    """A person as others see them."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    nickname = fields.String(required=True)
    avatar_url = fields.String(required=True)


class MeSchema(UserSchema):
    """The logged-in person, with their private fields."""

    email = fields.String(required=True)
    locale = fields.String(allow_none=True)
    is_admin = fields.Boolean(required=True)


# Every error answer has flask-smorest's shape: {code, status, message, errors?}; the
# errors blueprint renders it for every 4xx and 5xx under /api.
ErrorSchema = SmorestErrorSchema


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
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class FriendRequestPageSchema(Schema):
    items = fields.List(fields.Nested(FriendRequestSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    pending_received = fields.Integer(required=True)


class FriendListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema), required=True)


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
    member_ids = fields.List(fields.Integer(strict=True, validate=ID_RANGE), load_default=list,
                             validate=validate.Length(max=1000))


class GroupUpdateSchema(Schema):
    name = Text(required=True, validate=validate.Length(max=200), pattern=stripped_text(1, NAME_MAX))


class MembersAddSchema(Schema):
    user_ids = fields.List(fields.Integer(strict=True, validate=ID_RANGE), required=True,
                           validate=validate.Length(min=1, max=1000))


class InviteSchema(Schema):
    invite_url = fields.String(allow_none=True, required=True)


class InviteUpdateSchema(Schema):
    enabled = fields.Boolean(required=True, metadata={"description": "true creates or resets the link, false turns it off"})


class JoinSchema(Schema):
    code = Text(required=True, validate=validate.Length(min=1, max=64))


class AttachmentSchema(Schema):
    """The image or file of a message. `url` serves the bytes to those who may see them."""

    id = fields.String(required=True, metadata={"description": "Random, at least 128 bits"})
    kind = fields.String(required=True, metadata={"enum": ["image", "file"]})
    name = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "Bytes"})
    mime = fields.String(required=True, metadata={"description": "Sniffed from the bytes"})
    width = fields.Integer(allow_none=True, required=True)
    height = fields.Integer(allow_none=True, required=True)
    url = fields.String(required=True)
    thumbnail_url = fields.String(allow_none=True, required=True)


class MessageSchema(Schema):
    """A message: `body` as typed (a caption for an image or file), `html` rendered safe
    (escaped, links, emoji). A recalled message has empty text and no attachment."""

    id = fields.Integer(required=True)
    conversation_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["text", "image", "file"]})
    sender = fields.Nested(UserSchema, allow_none=True, required=True)
    body = fields.String(required=True)
    html = fields.String(required=True)
    attachment = fields.Nested(AttachmentSchema, allow_none=True, required=True)
    recalled = fields.Boolean(required=True)
    client_id = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True)


class FileUpload(Upload):
    """A file part of a multipart body (a text part of the same name is refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("Attach a file (a file part named `file`).")
        return value


class AttachmentCreateSchema(Schema):
    """An attachment upload (multipart/form-data): the file and optional text parts."""

    file = FileUpload(required=True)
    # Checked by the service, with a clearer message than a validator's (400).
    caption = Text(load_default="", metadata={"maxLength": 5000})
    # Not nullable (a load_default of None would document it so): a form part is text, and a
    # client without a client id leaves the part out or empty.
    client_id = Text(load_default="", validate=validate.Length(max=64), pattern=CLIENT_ID_PATTERN)


class FavoriteSchema(Schema):
    """A favorited message, from the copy kept when it was favorited."""

    id = fields.Integer(required=True)
    message_id = fields.Integer(allow_none=True, required=True)
    conversation_id = fields.Integer(allow_none=True, required=True)
    conversation_name = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["text", "image", "file"]})
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
    message_id = fields.Integer(required=True, validate=validate.Range(min=1, max=ID_MAX))


class FavoriteQuerySchema(Schema):
    type = fields.String(load_default="all", validate=validate.OneOf(["all", "text", "image", "file"]))
    q = Text(load_default="", validate=validate.Length(max=100))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))


class FavoritePageSchema(Schema):
    items = fields.List(fields.Nested(FavoriteSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class MessageCreateSchema(Schema):
    # Checked by the service, with a clearer message than a validator's (400).
    body = Text(required=True, metadata={"minLength": 1, "maxLength": BODY_MAX}, pattern=NOT_BLANK)
    client_id = Text(load_default=None, allow_none=True, validate=validate.Length(max=64), pattern=CLIENT_ID_PATTERN)


class HistoryQuerySchema(Schema):
    before = fields.Integer(load_default=None, validate=validate.Range(min=1, max=ID_MAX))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=100))


class MessagePageSchema(Schema):
    items = fields.List(fields.Nested(MessageSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True,
                                 metadata={"description": "Pass as `before` for older messages; null at the start."})
    favorited = fields.List(fields.Integer(), required=True,
                            metadata={"description": "Ids of this page's messages that you have favorited"})


class ReadSchema(Schema):
    message_id = fields.Integer(required=True, validate=ID_RANGE)


class ReadStateSchema(Schema):
    conversation_id = fields.Integer(required=True)
    last_read_message_id = fields.Integer(required=True)
    unread = fields.Integer(required=True)


class LastMessageSchema(Schema):
    id = fields.Integer(required=True)
    preview = fields.String(required=True)
    sender_id = fields.Integer(allow_none=True, required=True)
    sender_nickname = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True)


class ConversationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["direct", "group"]})
    name = fields.String(allow_none=True, required=True)
    peer = fields.Nested(UserSchema, allow_none=True, required=True)
    last_message = fields.Nested(LastMessageSchema, allow_none=True, required=True)
    last_activity_at = fields.String(required=True)
    unread = fields.Integer(required=True)
    last_read_message_id = fields.Integer(required=True)


class ConversationListSchema(Schema):
    items = fields.List(fields.Nested(ConversationSchema), required=True)
    total_unread = fields.Integer(required=True)


class PresenceSchema(Schema):
    online = fields.List(fields.Integer(), required=True)
    members = fields.Integer(required=True)
