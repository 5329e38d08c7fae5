"""/api/v1 attachments and recall: send an image or file as a message; take a message back."""
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from blueprints.attachments import services, voice
from blueprints.attachments.schemas import AttachmentCreateSchema, VoiceCreateSchema, mention_ids
from blueprints.chat import services as chat
from blueprints.chat.limits import send_limit
from blueprints.chat.payloads import message_jsons
from blueprints.chat.schemas import MessageSchema
from core.api import ApiBlueprint, me
from core.input import InputParser
from core.ratelimit import action_limit
from core.views import upload_limit


class MultipartParser(InputParser):
    """Reads a multipart/form-data body's file parts and text parts together, so one schema
    (documented as one multipart requestBody) describes the whole upload."""

    def load_files(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class UploadBlueprint(ApiBlueprint):
    """A flask-smorest blueprint whose "files" arguments include the form's text fields."""

    ARGUMENTS_PARSER = MultipartParser()


bp = UploadBlueprint("api_attachments", __name__, description="Images, files, voice messages and recall")


@bp.route("/conversations/<int:conversation_id>/attachments", methods=["POST"])
@upload_limit("FILE_MAX_BYTES")
@bp.arguments(AttachmentCreateSchema, location="files")
@bp.response(201, MessageSchema)
@bp.alt_response(200, schema=MessageSchema, description="Already stored with this client_id: the stored message")
@bp.errors(400, 403, 404, 409, 413, 429)
@send_limit()
def send_attachment(args, conversation_id):
    """Send an image or file (multipart/form-data: `file`, optional `caption`, `client_id`
    and `reply_to`, the id of a message of this conversation to reply to: 404 when you cannot
    see it, 409 when it was recalled; `mentions` and `mention_all`, whom the caption
    mentions, as a text send takes them, the ids comma-separated). The type is sniffed from
    the bytes: PNG, JPEG, GIF and WebP images that decode become kind image (metadata stripped, with a thumbnail); anything else
    is a file (sound a browser plays, read by FFmpeg, keeps its `duration` in seconds and
    plays inline).
    Images up to IMAGE_MAX_BYTES, files up to FILE_MAX_BYTES, within your storage quota
    (413 otherwise)."""
    upload = args["file"]
    sent = services.send_attachment(me(), conversation_id,
                                    upload.stream, upload.filename, args["caption"], args["client_id"],
                                    args.get("reply_to"), mention_ids(args["mentions"]), args["mention_all"])
    return sent.message, 201 if sent.created else 200


@bp.route("/conversations/<int:conversation_id>/voice", methods=["POST"])
@upload_limit("VOICE_MAX_BYTES")
@bp.arguments(VoiceCreateSchema, location="files")
@bp.response(201, MessageSchema)
@bp.alt_response(200, schema=MessageSchema, description="Already stored with this client_id: the stored message")
@bp.errors(400, 403, 404, 409, 413, 415, 429)
@send_limit()
def send_voice(args, conversation_id):
    """Send a voice message (multipart/form-data: `file`, the recording; optional
    `client_id` and `reply_to` as an attachment takes them). The bytes are read by FFmpeg:
    one audio stream and nothing else (415 otherwise), Opus or Vorbis in WebM or Ogg, MP3,
    AAC, WAV or FLAC; its length, measured from the packets, becomes the attachment's
    `duration` (seconds). At most VOICE_MAX_SECONDS long (400 beyond, as for a damaged or
    empty recording) and VOICE_MAX_BYTES big (413), within your storage quota (413)."""
    upload = args["file"]
    sent = voice.send_voice(me(), conversation_id, upload.stream, args["client_id"], args.get("reply_to"))
    return sent.message, 201 if sent.created else 200


@bp.route("/messages/<int:message_id>/recall", methods=["POST"])
@bp.response(200, MessageSchema)
@bp.errors(403, 404, 429)
@action_limit()
def recall(message_id):
    """Recall your own message within RECALL_WINDOW seconds of sending it: its text and
    attachment disappear for everyone (favorites keep their copy)."""
    message = chat.recall_message(me(), message_id)
    return message_jsons([message])[0]
