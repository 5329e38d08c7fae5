"""Schemas of the attachments API: an upload's multipart parts."""
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from blueprints.chat.mentions import MENTIONS_MAX
from blueprints.chat.schemas import (CLIENT_ID_PATTERN, MENTION_ALL_DESCRIPTION, MENTIONS_DESCRIPTION,
                                     REPLY_TO_DESCRIPTION)
from core.routing import ID_MAX
from core.schemas import ID_RANGE, Text, WholeNumber


class FileUpload(Upload):
    """A file part of a multipart body (a text part of the same name is refused)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("Attach a file (a file part named `file`).")
        return value


# Up to MENTIONS_MAX ids, comma-separated, or empty. `(?![\s\S])` is the end of the text, as
# in CLIENT_ID_PATTERN.
MENTION_IDS_PATTERN = rf"^(?:[0-9]{{1,10}}(?:,[0-9]{{1,10}}){{0,{MENTIONS_MAX - 1}}})?(?![\s\S])"


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
    # Whom the caption mentions: ids comma-separated (a form part is text), as the JSON send's list.
    mentions = Text(load_default="", pattern=MENTION_IDS_PATTERN, validate=validate.Regexp(MENTION_IDS_PATTERN),
                    metadata={"description": MENTIONS_DESCRIPTION + "; comma-separated, e.g. 12,15"})
    mention_all = fields.Boolean(load_default=False, metadata={"description": MENTION_ALL_DESCRIPTION})


def mention_ids(text: str) -> list[int]:
    """The ids of a `mentions` part ("12,15"), beyond the id range left out (they name nobody)."""
    return [int(part) for part in text.split(",") if part and int(part) <= ID_MAX]


class VoiceCreateSchema(Schema):
    """A voice message upload (multipart/form-data): the recording and optional text parts."""

    file = FileUpload(required=True, metadata={"description": "The recording: Opus or Vorbis in WebM or Ogg "
                                               "(what MediaRecorder makes), MP3, AAC, WAV or FLAC; sound only"})
    client_id = Text(load_default="", validate=validate.Length(max=64), pattern=CLIENT_ID_PATTERN)
    reply_to = WholeNumber(in_text=True, validate=ID_RANGE, metadata={"description": REPLY_TO_DESCRIPTION})
