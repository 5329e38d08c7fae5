"""/api/v1 attachments and recall: send an image or file as a message; take a message back."""
from flask import current_app
from flask_login import current_user, login_required
from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import CombinedMultiDict

from blueprints.api.chat import sender_key
from blueprints.api.schemas import AttachmentCreateSchema, ErrorSchema, MessageSchema
from blueprints.attachments import services
from blueprints.chat import services as chat
from core.views import upload_limit
from extensions import limiter



class MultipartParser(FlaskParser):
    """Reads a multipart/form-data body's file parts and text parts together, so one schema
    (documented as one multipart requestBody) describes the whole upload."""

    def load_files(self, req, schema):
        return MultiDictProxy(CombinedMultiDict([req.files, req.form]), schema)


class UploadBlueprint(Blueprint):
    """A flask-smorest blueprint whose "files" arguments include the form's text fields."""

    ARGUMENTS_PARSER = MultipartParser()


bp = UploadBlueprint("api_attachments", __name__, url_prefix="/api/v1", description="Images, files and recall")


@bp.route("/conversations/<int:conversation_id>/attachments", methods=["POST"])
@upload_limit("FILE_MAX_BYTES")
@bp.arguments(AttachmentCreateSchema, location="files")
@bp.response(201, MessageSchema)
@bp.alt_response(200, schema=MessageSchema, description="Already stored with this client_id: the stored message")
@bp.alt_response(400, schema=ErrorSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@bp.alt_response(413, schema=ErrorSchema)
@bp.alt_response(429, schema=ErrorSchema)
@limiter.limit(lambda: current_app.config["MESSAGE_RATE_LIMIT"], key_func=sender_key)
@login_required
def send_attachment(args, conversation_id):
    """Send an image or file (multipart/form-data: `file`, optional `caption` and
    `client_id`). The type is sniffed from the bytes: PNG, JPEG, GIF and WebP images that
    decode become kind image (metadata stripped, with a thumbnail); anything else is a file.
    Images up to IMAGE_MAX_BYTES, files up to FILE_MAX_BYTES, within your storage quota
    (413 otherwise)."""
    upload = args["file"]
    sent = services.send_attachment(current_user._get_current_object(), conversation_id,
                                    upload.stream, upload.filename, args["caption"], args["client_id"])
    return sent.body, 201 if sent.created else 200


@bp.route("/messages/<int:message_id>/recall", methods=["POST"])
@bp.response(200, MessageSchema)
@bp.alt_response(403, schema=ErrorSchema)
@bp.alt_response(404, schema=ErrorSchema)
@login_required
def recall(message_id):
    """Recall your own message within RECALL_WINDOW seconds of sending it: its text and
    attachment disappear for everyone (favorites keep their copy)."""
    message = chat.recall_message(current_user._get_current_object(), message_id)
    return chat.message_bodies([message])[0]
