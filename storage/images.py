"""Checks on uploaded images: type sniffed from the bytes, decoded by Pillow, re-encoded clean."""
import io
import warnings
from typing import NamedTuple

import magic
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from core.errors import DomainError

# MIME type (as libmagic names it) -> Pillow format name.
IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}

# An animation costs its frames, not its canvas: re-encoding one composites every frame onto the
# whole canvas and compares it with the last (about 0.1 µs a pixel), plus a fixed cost a frame
# (about 0.1 ms, the work of some thousand pixels), so 50 frames of 2000×2000 took 12–14 s from a
# 1.2 kB file while the pixel guard counted one. Counted this way, every frame against the same
# budget as the largest still image (MAX_IMAGE_PIXELS), an animation costs no more than one.
FRAME_OVERHEAD_PIXELS = 1024


def animation_pixels(image: Image.Image, limit: int | None = None) -> int:
    """The work of re-encoding every frame of the opened (not yet decoded) `image`, in pixels:
    frames × (canvas pixels + FRAME_OVERHEAD_PIXELS), or the canvas alone for a still image.
    Pillow reads the frame count from the file's structure (the header for WebP and APNG, the
    blocks for GIF) without decoding a frame. With `limit`, a GIF's blocks are read only until
    the count passes it (a file of a million empty frames then costs what the budget allows,
    not a walk through every block); the result is then just over `limit`."""
    pixels = image.width * image.height
    per_frame = pixels + FRAME_OVERHEAD_PIXELS
    if limit is not None and image.format == "GIF":
        frames = _gif_frames_up_to(image, limit // per_frame + 1)
    else:
        frames = getattr(image, "n_frames", 1)
    return pixels if frames <= 1 else frames * per_frame


def _gif_frames_up_to(image: Image.Image, cap: int) -> int:
    # Pillow's own GifImageFile.n_frames, stopped once `cap` frames (at least 2: animated or
    # not) are seen: it steps through the blocks with the same private seek, which reads a
    # frame's header without decoding it.
    cap = max(cap, 2)
    try:
        while image.tell() + 1 < cap:
            image._seek(image.tell() + 1, False)
        return cap
    except EOFError:
        return image.tell() + 1
    finally:
        image.seek(0)


def sniff(data: bytes) -> str:
    """Return the MIME type of `data` as libmagic reads it from the bytes (never the name)."""
    return magic.from_buffer(data[:4096], mime=True)


def open_image(data: bytes, max_pixels: int | None = None, every_frame: bool = False) -> Image.Image:
    """Decode `data` as a PNG, JPEG, GIF or WebP image and return it, its first frame loaded.

    The type is sniffed from the bytes and must agree with what Pillow decodes. Pillow's
    decompression-bomb guard is on (`max_pixels`, default the app's MAX_IMAGE_PIXELS; its
    warning is an error here). With `every_frame` (for callers that will re-encode every frame
    of an animation) the guard counts them all (`animation_pixels`), before any is decoded.
    Raises DomainError(field="file") for anything else, a corrupt file or a bomb.
    """
    mime = sniff(data)
    expected = IMAGE_TYPES.get(mime)
    if expected is None:
        raise DomainError(_("This file is not a PNG, JPEG, GIF or WebP image."), "file")
    limit = Image.MAX_IMAGE_PIXELS = max_pixels or current_app.config["MAX_IMAGE_PIXELS"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[expected])
            if every_frame and animation_pixels(image, limit) > limit:
                raise Image.DecompressionBombError("frames × pixels over the limit")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DomainError(_("This image has too many pixels."), "file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
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


class CleanImage(NamedTuple):
    """An uploaded image made safe to share: `data` re-encoded in its own format with no
    metadata (EXIF, GPS, XMP, comments, ICC), `mime` its type, `width`×`height` in pixels,
    and `thumbnail` a WebP that fits in the thumbnail box."""

    data: bytes
    mime: str
    width: int
    height: int
    thumbnail: bytes


# Frame timing and transparency survive a re-save of an animation; nothing else in `info` does.
_ANIMATION_KEYS = ("duration", "loop", "transparency", "background", "disposal")


def _fresh(image: Image.Image) -> Image.Image:
    """`image` upright, in sRGB and RGB(A), as a new image that carries no metadata at all."""
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "P", "PA") or "transparency" in image.info
    image = _to_srgb(image.convert("RGBA" if has_alpha else "RGB"))
    return Image.frombytes(image.mode, image.size, image.tobytes())


def clean_image(data: bytes, thumbnail_size: int, max_pixels: int) -> CleanImage:
    """Check and clean an uploaded image (PNG, JPEG, GIF or WebP).

    `thumbnail_size` is the thumbnail box in pixels, `max_pixels` the decompression-bomb
    limit. Still images are decoded, turned upright (EXIF orientation), converted to sRGB and
    re-encoded from bare pixels; animations (GIF, animated WebP) keep their frames and timing
    but lose every other metadata field. Raises DomainError as `open_image` does. Pure
    computation with no app context, so it can run in a worker thread. An animation whose
    frames together are over `max_pixels` (`animation_pixels`) is refused as a bomb: about a
    millisecond for the 1.2 kB GIF that once cost 14 s (reading a GIF's frame count walks its
    blocks, at most ~0.1 µs a byte of the file, never decoding one).
    """
    image = open_image(data, max_pixels, every_frame=True)
    fmt = image.format
    mime = Image.MIME[fmt]
    out = io.BytesIO()
    if fmt == "GIF" or getattr(image, "is_animated", False):
        image.info = {key: value for key, value in image.info.items() if key in _ANIMATION_KEYS}
        options = {"exif": b"", "xmp": b""} if fmt == "WEBP" else {}
        image.save(out, format=fmt, save_all=True, **options)
        image.seek(0)
    else:
        clean = _fresh(image)
        if fmt == "JPEG":
            clean.convert("RGB").save(out, format="JPEG", quality=90, optimize=True)
        elif fmt == "WEBP":
            clean.save(out, format="WEBP", quality=90, method=4)
        else:
            clean.save(out, format="PNG", compress_level=6)
    width, height = Image.open(io.BytesIO(out.getvalue())).size  # upright, as served
    thumb = _fresh(image.convert("RGBA") if image.mode == "P" else image)
    thumb.thumbnail((thumbnail_size, thumbnail_size), Image.Resampling.LANCZOS)
    small = io.BytesIO()
    thumb.save(small, format="WEBP", quality=80, method=4)
    return CleanImage(out.getvalue(), mime, width, height, small.getvalue())
