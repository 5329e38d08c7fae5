"""Checks on uploaded images: type sniffed from the bytes, decoded by Pillow, re-encoded clean."""
import io
import warnings

import magic
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core.errors import DomainError

# MIME type (as libmagic names it) -> Pillow format name.
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def sniff(data: bytes) -> str:
    """Return the MIME type of `data` as libmagic reads it from the bytes (never the name)."""
    return magic.from_buffer(data[:4096], mime=True)


def open_image(data: bytes) -> Image.Image:
    """Decode `data` as a PNG, JPEG, GIF or WebP image and return it, fully loaded.

    The type is sniffed from the bytes and must agree with what Pillow decodes. Pillow's
    decompression-bomb guard is on (MAX_IMAGE_PIXELS pixels; its warning is an error here).
    Raises DomainError(field="file") for anything else, a corrupt file or a bomb.
    """
    mime = sniff(data)
    expected = IMAGE_TYPES.get(mime)
    if expected is None:
        raise DomainError(_("This file is not a PNG, JPEG, GIF or WebP image."), "file")
    Image.MAX_IMAGE_PIXELS = current_app.config["MAX_IMAGE_PIXELS"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[expected])
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(_("This image has too many pixels."), "file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(_("This image is damaged and cannot be read."), "file") from None
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply `image`'s embedded ICC profile, so its colours survive once the profile is dropped."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        return ImageCms.profileToProfile(image, io.BytesIO(icc), ImageCms.createProfile("sRGB"),
                                         outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image  # a broken or mismatched profile: keep the pixels as they are


def square_png(image: Image.Image, size: int) -> bytes:
    """Return `image` cut to a centred square of at most `size` px, as PNG bytes without metadata."""
    image = ImageOps.exif_transpose(image)
    # A transparent colour key (tRNS) becomes real alpha, so the colour conversion keeps it.
    has_alpha = image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    image = _to_srgb(image)
    side = min(image.width, image.height)
    image = ImageOps.fit(image, (min(side, size), min(side, size)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    # A new file: no EXIF, no text chunks, and no ICC profile (Pillow would copy it from `info`;
    # it can carry megabytes of anything).
    image.save(out, format="PNG", optimize=True, icc_profile=None)
    return out.getvalue()
