"""Marshmallow pieces every area's API schemas share: the fields a client fills (Text,
WholeNumber, Flag) and the patterns that document what services enforce, the id range, a
person (UserSchema) and the error answer."""
from flask_smorest.error_handler import ErrorSchema as SmorestErrorSchema
from marshmallow import Schema, ValidationError, fields, validate

from core.input import PAGE_MAX, parse_whole_number, text_problem
from core.routing import ID_MAX

# Any id a request names, bounded as the paths' ids are: a larger number can name no row and
# would fail the database query instead.
ID_RANGE = validate.Range(min=0, max=ID_MAX)
PAGE_RANGE = validate.Range(min=1, max=PAGE_MAX)  # a page number, as the pages accept it


def _class(chars: list[str]) -> str:
    """The body of a regex character class of `chars`, as \\uXXXX ranges both Python and
    ECMAScript read alike."""
    codes, ranges = sorted(map(ord, chars)), []
    for code in codes:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return "".join(rf"\u{a:04x}" if a == b else rf"\u{a:04x}-\u{b:04x}" for a, b in ranges)


# Patterns of the document. `\x00` is excluded everywhere a client's text goes (see Text);
# `[^\x00]` is then "any character", newlines included. Whitespace is spelled out as what
# str.strip() strips: a pattern's `\s` means ECMAScript's, which lacks \x1c-\x1f and \x85.
_WHITESPACE = _class([chr(code) for code in range(0x10000) if chr(code).isspace()])
SPACE, NOT_SPACE = f"[{_WHITESPACE}]", rf"[^{_WHITESPACE}\x00]"
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = rf"^[^\x00]*{NOT_SPACE}[^\x00]*$"


def stripped_text(min_length: int, max_length: int) -> str:
    """The pattern of text that a service strips of surrounding whitespace and then holds to
    `min_length` (0 or 1) to `max_length` characters, answering 400 otherwise: so the document
    states the rule the service enforces."""
    assert min_length in (0, 1)
    text = rf"{NOT_SPACE}(?:[^\x00]{{0,{max_length - 2}}}{NOT_SPACE})?"
    return rf"^{SPACE}*{text}{SPACE}*$" if min_length else rf"^{SPACE}*(?:{text})?{SPACE}*$"


def _plain_text(value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise ValidationError(problem)


class Text(fields.String):
    """Text a client sends, held to core/input.py's text rule: never the NUL character
    (PostgreSQL can neither store nor compare it: the query failed, a 500 the fuzzer found) nor
    a lone surrogate, refused (422) on SQLite alike. The request itself is checked by the same
    rule as it is read; this keeps the field safe whatever loads it. `pattern` documents the
    rule, and any further rule the service enforces (default: NO_NUL)."""

    def __init__(self, *, pattern: str = NO_NUL, validate=None, metadata=None, **kwargs):
        validators = [] if validate is None else list(validate) if isinstance(validate, (list, tuple)) else [validate]
        super().__init__(validate=[*validators, _plain_text], metadata={**(metadata or {}), "pattern": pattern},
                         **kwargs)


class WholeNumber(fields.Integer):
    """A whole number a client sends, refused rather than coerced: in a JSON body a JSON integer
    (not 1.5, 1.0, "1" or true); with `in_text`, for a query string or form part, ASCII digits
    only (not " 1", "+1", "1_000" or "１"), as core/input.py's parse_whole_number reads them.
    Bound it with `validate` (ID_RANGE, PAGE_RANGE, or a Range of its own)."""

    default_error_messages = {"invalid": "Not a whole number: send digits only, such as 42 "
                                         "(no fraction, sign, spaces or quotes)."}

    def __init__(self, *, in_text: bool = False, **kwargs):
        super().__init__(strict=True, **kwargs)
        self.in_text = in_text

    def _validated(self, value):
        if self.in_text and isinstance(value, str):
            number = parse_whole_number(value)
            if number is None:
                raise self.make_error("invalid")
            return number
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


class Flag(fields.Boolean):
    """A yes-or-no a client sends in JSON: the literal true or false, nothing read as one
    ("yes", 1 and "false" are refused, not coerced)."""

    default_error_messages = {"invalid": "Not true or false: send the JSON literal true or false."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class UserSchema(Schema):
    """A person as others see them."""

    id = fields.Integer(required=True)
    username = fields.String(required=True)
    nickname = fields.String(required=True)
    avatar_url = fields.String(required=True)


# Every error answer has flask-smorest's shape: {code, status, message, errors?}; the
# error handlers of core/error_pages.py render it for every 4xx and 5xx under /api.
ErrorSchema = SmorestErrorSchema


class PageSchema(Schema):
    """The page fields of a paginated list (its subclass adds `items`)."""

    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
