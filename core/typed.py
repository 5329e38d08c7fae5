"""What a person typed into a form that the input rules (core/input.py) refused, kept to show
their form page again with it (core/error_pages.py, core.ratelimit.refused_page)."""
from urllib.parse import unquote_to_bytes

from flask import request


def typed_pairs(raw: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of the urlencoded body `raw`, each decoded as UTF-8 with bad
    bytes replaced and NUL characters taken out: to show again, never to store."""
    pairs = []
    for part in raw.split(b"&"):
        if part:
            name, _sep, value = part.replace(b"+", b" ").partition(b"=")
            pairs.append(tuple(unquote_to_bytes(text).decode("utf-8", "replace").replace("\x00", "")
                               for text in (name, value)))
    return pairs


def typed_form():
    """The current request's form as typed: request.form, or after the text rules refused it,
    what was typed with the refused characters taken out (core.input.InputRequest.typed_form)."""
    return request.typed_form if request.typed_form is not None else request.form
