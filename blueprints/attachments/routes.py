"""Attachment downloads: only to those who may see them, never rendered as a page; and the chat
page's file form for browsers without JavaScript."""
import uuid

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.wsgi import wrap_file

from blueprints.attachments import bp, services
from blueprints.attachments.forms import FORM_FILES_MAX, FilesForm
from blueprints.attachments.names import content_disposition
from blueprints.chat import services as chat
from blueprints.chat.limits import send_limit
from core.errors import DomainError, NotFound
from core.views import hidden_from_anonymous, upload_limit
from extensions import talisman
from storage import blob_store
from storage.audio import AUDIO_TYPES
from storage.images import IMAGE_TYPES

# Nothing an attachment contains may run or load anything, even if a browser sniffs it.
LOCKED_DOWN = {"content_security_policy": {"default-src": "'none'"}}
CACHE = "private, max-age=86400"  # the bytes behind an id never change; only its viewers do


def _send(key: str, mime: str, disposition: str, name: str, last_modified) -> Response:
    store = blob_store()
    try:
        handle = store.open(key)
    except FileNotFoundError:
        abort(404)
    size = store.size(key)
    response = Response(wrap_file(request.environ, handle), mimetype=mime, direct_passthrough=True)
    response.content_length = size
    response.headers["Content-Disposition"] = content_disposition(disposition, name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = CACHE
    response.set_etag(key)
    response.last_modified = last_modified
    # Answers If-None-Match / If-Modified-Since with 304 and Range / If-Range with 206 or 416
    # (RFC 9110 sections 13 and 14), reading only the bytes asked for.
    # Werkzeug answers a request for several ranges with 416, which means none fits; RFC 9110
    # section 14.2 lets a server ignore such a Range instead, so the whole file goes out.
    several = request.range is not None and len(request.range.ranges) > 1
    try:
        return response.make_conditional(request, accept_ranges=not several, complete_length=size)
    except RequestedRangeNotSatisfiable:
        # Answered here, not by the error pages: they would drop Content-Range and the locked
        # headers. A 416 says nothing about the bytes, so no cache may keep it.
        response.close()
        return Response(status=416, headers={"Content-Range": f"bytes */{size}", "X-Content-Type-Options": "nosniff",
                                             "Cache-Control": "private, no-store"})


@bp.route("/<public_id>")
@hidden_from_anonymous
@login_required
@talisman(**LOCKED_DOWN)
def download(public_id: str):
    """An attachment's bytes. PNG, JPEG, GIF and WebP images, and sound that FFmpeg read
    (a voice message, an audio file with a duration: the page's <audio> player seeks with
    Range) open in the browser (unless `?download=1`); everything else is a download of type
    application/octet-stream."""
    attachment = services.viewable_attachment(current_user, public_id)
    viewable = ((attachment.kind == "image" and attachment.mime in IMAGE_TYPES)
                or (attachment.duration is not None and attachment.mime in AUDIO_TYPES))
    mime = attachment.mime if viewable else "application/octet-stream"
    inline = viewable and not request.args.get("download")
    return _send(attachment.blob_key, mime, "inline" if inline else "attachment", attachment.name,
                 attachment.created_at)


@bp.route("/<public_id>/thumbnail")
@hidden_from_anonymous
@login_required
@talisman(**LOCKED_DOWN)
def thumbnail(public_id: str):
    """An image attachment's thumbnail (WebP); 404 for files."""
    attachment = services.viewable_attachment(current_user, public_id)
    if not attachment.thumbnail_key:
        abort(404)
    return _send(attachment.thumbnail_key, "image/webp", "inline", attachment.name + ".webp",
                 attachment.created_at)


def _files() -> list:
    # The files the form chose; an input left empty still posts one part with no name.
    return [upload for upload in FilesForm().files.data or [] if upload and upload.filename]


def _files_cost() -> int:
    # Each file is a message, so each counts as a send, as a forward counts per conversation
    # (blueprints/chat/message_api.py); a form over FORM_FILES_MAX is refused, charged at most that.
    return min(max(1, len(_files())), FORM_FILES_MAX)


def _file_client_ids(form_client_id: str | None, count: int) -> list[str | None]:
    # One client id per file, derived from the form's (its index named under it, uuid5), so the
    # same form sent twice is a retry of each file, as the API's client_id makes it.
    form_client_id = chat.clean_client_id(form_client_id)  # DomainError unless a UUID
    if form_client_id is None:
        return [None] * count
    base = uuid.UUID(form_client_id)
    return [str(uuid.uuid5(base, str(index))) for index in range(count)]


@bp.route("/conversations/<int:conversation_id>", methods=["POST"])
@upload_limit("FILE_MAX_BYTES")
@login_required
@send_limit(cost=_files_cost)
def send_files(conversation_id: int):
    """The chat page's file form without JavaScript: send each file chosen (at most
    FORM_FILES_MAX, together at most FILE_MAX_BYTES; each counts as a send against the
    sending rate), in order, as the API does, then show the conversation again (303). A
    refused file is named in a message on the page; the files before it are sent. The form's
    hidden client_id makes sending it again store no file twice. 404 (and nothing said on the
    next page) for a conversation the person cannot read; 400 for more files than allowed."""
    chat.readable_conversation(current_user, conversation_id)
    uploads = _files()
    if len(uploads) > FORM_FILES_MAX:
        raise DomainError(_("Choose at most %(n)d files at a time.", n=FORM_FILES_MAX), "files")
    if not uploads:
        flash(_("Choose a file first."), "error")
    client_ids = _file_client_ids(request.form.get("client_id"), len(uploads))
    for upload, client_id in zip(uploads, client_ids):
        try:
            services.send_attachment(current_user, conversation_id, upload.stream, upload.filename,
                                     client_id=client_id)
        except NotFound:
            raise  # the conversation, gone meanwhile: the 404 page, not a note on it
        except DomainError as exc:
            flash(_("%(name)s was not sent: %(reason)s", name=upload.filename, reason=exc.message), "error")
            break
    return redirect(url_for("chat.conversation", conversation_id=conversation_id), 303)
