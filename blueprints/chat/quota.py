"""The upload quota: what a person's attachments keep stored (UPLOAD_QUOTA_BYTES), for sends
of images, files and voice messages (blueprints/attachments) and for forwards (forwarding.py)."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from core.errors import PayloadTooLarge
from extensions import db
from models import Attachment, Message


def megabytes(limit: int) -> int:
    """`limit` (bytes) in whole megabytes, at least 1, for messages."""
    return max(1, limit // (1024 * 1024))


def _kept(user_id: int):
    # Each stored content `user_id`'s live attachments keep, with its size (a subquery).
    return (select(Attachment.blob_key, func.max(Attachment.size).label("size"))
            .join(Message, Message.id == Attachment.message_id)
            .where(Attachment.uploader_id == user_id, Message.recalled_at.is_(None))
            .group_by(Attachment.blob_key).subquery())


def storage_used(user_id: int) -> int:
    """Bytes that `user_id`'s attachments keep stored: those of the messages they sent or
    forwarded and did not recall, each stored content (blob key) counted once. A forward of
    their own file costs nothing more (the copy shares its bytes, chat/forwarding.py); a copy
    of someone else's costs its size once, as it keeps those bytes stored even after the
    original is recalled."""
    kept = _kept(user_id)
    return db.session.scalar(select(func.coalesce(func.sum(kept.c.size), 0))) or 0


def new_to_keep(user_id: int, sizes: dict[str, int]) -> int:
    """Bytes that copies of `sizes` ({blob key: size in bytes}) would add to `user_id`'s
    `storage_used`: those of the contents they do not keep already."""
    if not sizes:
        return 0
    kept = _kept(user_id)
    already = set(db.session.scalars(select(kept.c.blob_key).where(kept.c.blob_key.in_(sizes))))
    return sum(size for key, size in sizes.items() if key not in already)


def check_quota(user_id: int, size: int) -> None:
    """Raise PayloadTooLarge when `size` more bytes would take `user_id`'s attachments past
    UPLOAD_QUOTA_BYTES."""
    quota = current_app.config["UPLOAD_QUOTA_BYTES"]
    if storage_used(user_id) + size > quota:
        raise PayloadTooLarge(_("Your storage is full (%(n)d MB). Recall some files to make room.",
                                n=megabytes(quota)), "file")
