"""Attachment actions: send an image or file as a message, find one a person may see, and
count a person's storage."""
import secrets
import time
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select

from blueprints.attachments.names import clean_file_name
from blueprints.chat import services as chat
from blueprints.chat.mentions import checked_mentions
from blueprints.chat.quota import check_quota, megabytes
from core.blocking import offload
from core.errors import DomainError, NotFound, PayloadTooLarge
from extensions import db
from models import Attachment, Favorite, Message, User
from storage import blob_store
from storage.audio import audio_of
from storage.images import IMAGE_TYPES, clean_image, sniff

SNIFF_BYTES = 64 * 1024  # what libmagic reads; enough for Office and archive formats


def _size_of(upload: BinaryIO) -> int:
    upload.seek(0, 2)
    size = upload.tell()
    upload.seek(0)
    return size


def send_attachment(sender: User, conversation_id: int, upload: BinaryIO, filename: str | None,
                    caption: str = "", client_id: str | None = None, reply_to: int | None = None,
                    mentions: list[int] | None = None, mention_all: bool = False) -> "chat.Sent":
    """Send `upload` (a seekable binary file) as a message of kind image or file.

    The type is sniffed from the bytes (libmagic), never taken from `filename` or the
    browser. A PNG, JPEG, GIF or WebP that Pillow decodes within the pixel limit (every frame
    of an animation counted: storage.images.animation_pixels) becomes an image: re-encoded
    without metadata, with a thumbnail. Anything else, including an image
    that fails those checks, is a file, served only as a download, unless it is sound a
    browser plays (storage.audio.read_audio): then its duration (seconds) is kept, and it is
    served inline as its audio type to the page's player. `caption` is optional
    text (up to 5,000 characters); `reply_to` a message id to reply to, and `mentions` and
    `mention_all` whom the caption mentions, as `send_message` takes them. Limits (bytes):
    IMAGE_MAX_BYTES, FILE_MAX_BYTES and the sender's UPLOAD_QUOTA_BYTES.

    Returns a `Sent` as `send_message` does (a retried `client_id` returns the stored
    message, and its bytes are not stored again). Raises PayloadTooLarge (a limit), DomainError (empty file, caption, bad
    client id), NotFound, Conflict, Forbidden (as sending text would, a reply's original and
    @all included).
    """
    config = current_app.config
    client_id = chat.clean_client_id(client_id)
    stored = chat.already_sent(sender.id, client_id)  # before the bytes are read and stored
    if stored is not None:
        return stored
    caption = caption or ""
    if not isinstance(caption, str) or len(caption) > chat.BODY_MAX:
        raise DomainError(_("A caption can be at most %(n)d characters.", n=chat.BODY_MAX), "caption")
    conversation = chat.sendable_conversation(sender, conversation_id)
    quote = None if reply_to is None else chat.quote_for_reply(sender.id, conversation.id, reply_to)
    mentioned = checked_mentions(sender.id, conversation.id, mentions, mention_all)
    size = _size_of(upload)
    if size == 0:
        raise DomainError(_("This file is empty."), "file")
    if size > config["FILE_MAX_BYTES"]:
        raise PayloadTooLarge(_("Files can be at most %(n)d MB.", n=megabytes(config["FILE_MAX_BYTES"])), "file")
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    mime = sniff(head)
    store = blob_store()
    image = None
    if mime in IMAGE_TYPES:
        if size > config["IMAGE_MAX_BYTES"]:
            raise PayloadTooLarge(_("Images can be at most %(n)d MB. Send it as a smaller picture.",
                                    n=megabytes(config["IMAGE_MAX_BYTES"])), "file")
        try:
            image = offload(clean_image, upload.read(), config["THUMBNAIL_SIZE"], config["MAX_IMAGE_PIXELS"])
        except DomainError:
            image = None  # damaged, a bomb, or not what it claims: it goes out as a plain file
        upload.seek(0)
    check_quota(sender.id, len(image.data) if image else size)
    sound = None if image is not None else audio_of(upload, mime)
    if image is not None:
        attachment = Attachment(kind="image", mime=image.mime, size=len(image.data),
                                blob_key=store.put(image.data), thumbnail_key=store.put(image.thumbnail),
                                width=image.width, height=image.height)
    else:
        key, stored = store.put_file(upload)
        attachment = Attachment(kind="file", mime=sound.mime if sound else mime, size=stored, blob_key=key,
                                duration=round(sound.duration, 3) if sound else None)
    attachment.public_id = secrets.token_urlsafe(18)  # 144 random bits
    attachment.name = clean_file_name(filename)
    attachment.uploader_id = sender.id
    message = Message(conversation_id=conversation.id, sender_id=sender.id, kind=attachment.kind,
                      body=caption, client_id=client_id, reply_to_id=quote["id"] if quote else None)
    message.attachment = attachment
    # A lost client-id race leaves these bytes unreferenced: shared, or swept by cleanup.
    return chat.store_message(sender, conversation, message, quote, mentioned)


def viewable_attachment(user: User, public_id: str) -> Attachment:
    """The attachment `public_id` if `user` may see it: its message is visible to them in
    the conversation (and not recalled), or they favorited it. NotFound otherwise, the same
    answer as for an id that does not exist."""
    attachment = db.session.scalar(select(Attachment).where(Attachment.public_id == public_id))
    if attachment is not None:
        message = attachment.message
        if message is not None and message.recalled_at is None and chat.can_see(user, message):
            return attachment
        if db.session.scalar(select(exists().where(Favorite.user_id == user.id,
                                                   Favorite.attachment_id == attachment.id))):
            return attachment
    raise NotFound(_("This file does not exist, or you cannot see it."))


def referenced_keys() -> set[str]:
    """Blob keys something still refers to: avatars, attachments of messages not recalled,
    and attachments kept by a favorite."""
    keys = set(db.session.scalars(select(User.avatar_key).where(User.avatar_key.is_not(None))))
    favorited = select(Favorite.attachment_id).where(Favorite.attachment_id.is_not(None))
    live = (select(Attachment.blob_key, Attachment.thumbnail_key)
            .outerjoin(Message, Message.id == Attachment.message_id)
            .where((Message.id.is_not(None) & Message.recalled_at.is_(None)) | Attachment.id.in_(favorited)))
    for blob_key, thumbnail_key in db.session.execute(live):
        keys.add(blob_key)
        if thumbnail_key:
            keys.add(thumbnail_key)
    return keys


def clean_up_blobs(min_age: float, dry_run: bool = False) -> tuple[int, int]:
    """Remove stored bytes nothing refers to (see `referenced_keys`) and unfinished writes,
    sparing anything modified less than `min_age` seconds ago (an upload whose message is
    not committed yet). Returns (blobs removed, bytes freed); with `dry_run`, what would be."""
    store = blob_store()
    keep = referenced_keys()
    cutoff = time.time() - min_age
    count = freed = 0
    for blob in list(store.blobs()):
        if blob.key in keep or blob.mtime > cutoff:
            continue
        if not dry_run:
            store.delete(blob.key)
        count += 1
        freed += blob.size
    if not dry_run:
        freed += store.sweep_temporary(min_age)
    return count, freed
