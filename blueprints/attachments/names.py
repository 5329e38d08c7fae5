"""Attachment file names: cleaned for showing, encoded for Content-Disposition."""
import os
import unicodedata
from urllib.parse import quote

NAME_MAX = 255  # characters
# Bidirectional controls can make "gpj.exe" read as "exe.jpg" (Unicode TR 36, 2.2 and 3.1).
_BIDI = {"\u061c", "\u200e", "\u200f", *(chr(c) for c in range(0x202A, 0x202F)),
         *(chr(c) for c in range(0x2066, 0x206A))}


def clean_file_name(name: str | None) -> str:
    """The name to show for an uploaded file: NFC, without control or bidi characters, with
    path separators turned into "_" (so "../x" is only a name), at most 255 characters
    (keeping the extension); "file" when nothing is left. Never used as a path."""
    name = unicodedata.normalize("NFC", name or "")
    name = "".join("_" if ch in "/\\" else ch for ch in name
                   if ch not in _BIDI and unicodedata.category(ch) not in ("Cc", "Zl", "Zp"))
    name = name.strip()
    if len(name) > NAME_MAX:
        stem, ext = os.path.splitext(name)
        ext = ext[:16]
        name = stem[:NAME_MAX - len(ext)] + ext
    return name or "file"


def content_disposition(disposition: str, name: str) -> str:
    """A Content-Disposition value for `name` in any language: an ASCII `filename` fallback
    and the exact name as `filename*` in UTF-8 (RFC 6266 section 4.3, RFC 8187 section 3.2).
    `disposition` is "inline" or "attachment"."""
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    fallback = "".join(ch if 0x20 <= ord(ch) < 0x7F and ch not in '"\\%' else "_" for ch in fallback).strip()
    if not fallback.strip("._ "):
        fallback = "file" + os.path.splitext(fallback)[1]
    encoded = quote(name, safe="!#$&+-.^_`|~")  # RFC 8187 attr-char, everything else %-encoded
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
