"""Voice messages: recorded sound sent as a message of kind voice, read and measured by
storage.audio (audio sent as a file: attachments.services.send_attachment)."""
import io
import secrets
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from blueprints.chat import services as chat
from blueprints.chat.quota import check_quota, megabytes
from core.blocking import offload
from core.errors import DomainError, PayloadTooLarge, UnsupportedMediaType
from core.timeutil import utcnow
from models import Attachment, Message, User
from storage import blob_store
from storage.audio import AudioInfo, AudioRefused, read_audio
from storage.images import sniff

# A recorder stopped at the limit hands over a little more than it: its last chunk, and the
# codec's padding. Refused only beyond this.
VOICE_TOLERANCE = 0.5  # seconds
VOICE_NAME = "voice-%Y%m%d-%H%M%S"  # + the container's extension: the name a download gets
EXTENSIONS = {"audio/webm": ".webm", "audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a",
              "audio/wav": ".wav", "audio/flac": ".flac", "audio/aac": ".aac"}


def _refusal(reason: str, max_seconds: int) -> DomainError:
    if reason == "too_long":
        return DomainError(_("A voice message can be at most %(n)d seconds long.", n=max_seconds), "file")
    if reason == "damaged":
        return DomainError(_("This recording is damaged and cannot be played."), "file")
    if reason == "empty":
        return DomainError(_("This recording holds no sound."), "file")
    if reason == "video":
        return UnsupportedMediaType(_("A voice message is sound only: this file also holds video."), "file")
    return UnsupportedMediaType(_("This is not a sound recording a browser can play (Opus or Vorbis in WebM "
                                  "or Ogg, MP3, AAC, WAV or FLAC)."), "file")


def send_voice(sender: User, conversation_id: int, upload: BinaryIO, client_id: str | None = None,
               reply_to: int | None = None) -> "chat.Sent":
    """Send `upload` (a seekable binary file) as a voice message: a message of kind voice
    with an attachment of kind voice whose `duration` (seconds) is measured from its packets.

    The container is sniffed from the bytes (libmagic) and read by FFmpeg
    (storage.audio.read_audio): one audio stream and nothing else, in a codec browsers play
    (Opus or Vorbis in WebM or Ogg, MP3, AAC, WAV, FLAC), every packet decoded. Limits:
    VOICE_MAX_BYTES (bytes), VOICE_MAX_SECONDS (+ VOICE_TOLERANCE) and the sender's
    UPLOAD_QUOTA_BYTES. `reply_to` is a message id to reply to, as `send_message` takes it.

    Returns a `Sent` (a retried `client_id` returns the stored message). Raises
    PayloadTooLarge (size or quota), UnsupportedMediaType (not sound, or with video),
    DomainError (empty, damaged, too long, bad client id), NotFound, Conflict, Forbidden
    (as sending text would).
    """
    config = current_app.config
    client_id = chat.clean_client_id(client_id)
    stored = chat.already_sent(sender.id, client_id)  # before the bytes are read
    if stored is not None:
        return stored
    conversation = chat.sendable_conversation(sender, conversation_id)
    quote = None if reply_to is None else chat.quote_for_reply(sender.id, conversation.id, reply_to)
    data = upload.read(config["VOICE_MAX_BYTES"] + 1)
    if not data:
        raise DomainError(_("This recording is empty."), "file")
    if len(data) > config["VOICE_MAX_BYTES"]:
        raise PayloadTooLarge(_("A voice message can be at most %(n)d MB.", n=megabytes(config["VOICE_MAX_BYTES"])),
                              "file")
    check_quota(sender.id, len(data))
    max_seconds = config["VOICE_MAX_SECONDS"]
    try:
        info = offload(_read_voice, data, sniff(data), max_seconds + VOICE_TOLERANCE)
    except AudioRefused as refused:
        raise _refusal(refused.reason, max_seconds) from None
    now = utcnow()
    attachment = Attachment(kind="voice", mime=info.mime, size=len(data), blob_key=blob_store().put(data),
                            duration=round(info.duration, 3), name=now.strftime(VOICE_NAME) + EXTENSIONS[info.mime],
                            public_id=secrets.token_urlsafe(18), uploader_id=sender.id, created_at=now)
    message = Message(conversation_id=conversation.id, sender_id=sender.id, kind="voice", body="",
                      client_id=client_id, reply_to_id=quote["id"] if quote else None)
    message.attachment = attachment
    return chat.store_message(sender, conversation, message, quote)


def _read_voice(data: bytes, sniffed: str, max_seconds: float) -> AudioInfo:
    return read_audio(io.BytesIO(data), sniffed, sound_only=True, max_seconds=max_seconds)

