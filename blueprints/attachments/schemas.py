"""Schemas of the attachments API: an upload's multipart parts."""
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, validate
from werkzeug.datastructures import FileStorage

from blueprints.chat.schemas import CLIENT_ID_PATTERN, REPLY_TO_DESCRIPTION
from core.schemas import ID_RANGE, Text, WholeNumber


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
    # A form part is text: digits only; left out (no default, not nullable: a load_default of
    # None would document both) for a message that replies to nothing.
    reply_to = WholeNumber(in_text=True, validate=ID_RANGE, metadata={"description": REPLY_TO_DESCRIPTION})
