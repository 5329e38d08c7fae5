"""What a client sends, checked once, where it is read: the rules for text, whole numbers and
JSON bodies, and the request class that holds every request to them.

- Text (query strings, form fields, multipart text parts, the address, JSON strings) is UTF-8
  as sent, never repaired (Werkzeug would turn bad bytes into U+FFFD, or leave them
  percent-encoded), and never holds the NUL character (PostgreSQL can neither store nor compare
  it) nor a lone UTF-16 surrogate (no encoding can store it): `text_problem`.
- A whole number is ASCII digits in an address or query string (not " 1", "1.0", "1_000" or
  "１") and a JSON integer in a body (not 1.5, 1.0, "1" or true): `parse_whole_number`,
  `int_arg`, and core.schemas.WholeNumber for the API.
- A JSON body is UTF-8 JSON nested at most MAX_JSON_DEPTH deep: `load_json`, the one reader of
  request bodies (request.get_json and the API's arguments alike).

What breaks a rule is refused with InvalidInput as it is read (a request's parts when first
read, before the view uses them): 400 (the error page, or JSON for JSON callers), and in the
JSON API a 422 naming the field, shaped as the API's other argument errors. app.py makes InputRequest the app's request class, and core/api.py makes
InputParser the API's argument parser.
"""
import json
import re
from collections import Counter
from urllib.parse import unquote_to_bytes

from flask import Request, has_request_context, request
from flask_babel import gettext as _
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest
from werkzeug.formparser import FormDataParser, MultiPartParser
from werkzeug.http import parse_options_header
from werkzeug.utils import cached_property

from core.routing import ID_MAX
from core.typed import typed_pairs

# Parley's bodies nest two levels deep; 32 leaves room for any honest client, and the check
# walks the parsed body without recursion (Python's own parser gives up near 1,000 levels).
MAX_JSON_DEPTH = 32
PAGE_MAX = 100_000  # the highest page number any list accepts (pages of 20: two million rows)
# Longer digit strings are refused unread: int() of thousands of digits costs quadratic time.
_DIGITS_MAX = 30


class InvalidInput(BadRequest):
    """Input that is not what its field says. `message` (translated) says what to send instead;
    `field` and `location` ("query", "form", "json", "path") name where it was. Answers 400, or
    422 in the JSON API when a field is named (as its schema errors are), with
    errors {field: [message]} (or {location: [message]})."""

    def __init__(self, message: str, field: str | None = None, location: str = "json"):
        super().__init__(message)
        in_api = has_request_context() and request.path.startswith("/api/")
        if field is not None and in_api:
            self.code = 422
        self.data = {"messages": {location: {field: [message]} if field is not None else [message]}}


def text_problem(value: str) -> str | None:
    """What is wrong with `value` as text a client sent (a translated sentence), or None: the one
    rule every text input is held to (the NUL character, lone surrogates)."""
    if "\x00" in value:
        return _("Text cannot contain the NUL character (U+0000).")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _("Text cannot contain a lone surrogate (U+D800 to U+DFFF): send characters as UTF-8, "
                     "or as a pair of \\u escapes.")
    return None


def not_utf8() -> str:
    """The refusal of bytes that are not UTF-8 (translated)."""
    return _("This text is not valid UTF-8. Send text encoded as UTF-8.")


def checked_text(raw: bytes, field: str | None, location: str, charset: str = "utf-8") -> str:
    """`raw` decoded strictly (default UTF-8) and held to `text_problem`. Raises InvalidInput."""
    try:
        text = raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        raise InvalidInput(not_utf8(), field, location) from None
    problem = text_problem(text)
    if problem:
        raise InvalidInput(problem, field, location)
    return text


def decode_pairs(raw: bytes, location: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a query string or urlencoded body, as urllib's parse_qsl reads
    them (blank values kept), but each name and value held to the text rules. Raises InvalidInput."""
    pairs = []
    for part in raw.split(b"&"):
        if part:
            name, _sep, value = part.replace(b"+", b" ").partition(b"=")
            name = checked_text(unquote_to_bytes(name), None, location)
            pairs.append((name, checked_text(unquote_to_bytes(value), name, location)))
    return pairs


def parse_whole_number(text: str) -> int | None:
    """`text` as a whole number when it is ASCII digits only (at most 30), else None."""
    if text.isascii() and text.isdigit() and len(text) <= _DIGITS_MAX:
        return int(text)
    return None


def int_arg(name: str, default: int | None, minimum: int = 1, maximum: int = PAGE_MAX) -> int | None:
    """The query parameter `name` of the current request as a whole number from `minimum` to
    `maximum` (page numbers by default; ids go up to core.routing.ID_MAX), or `default` when it
    is absent or empty. Raises InvalidInput (400) for anything else."""
    text = request.args.get(name, "")
    if text == "":
        return default
    number = parse_whole_number(text)
    if number is None or not minimum <= number <= maximum:
        raise InvalidInput(_("In the address, %(name)s must be a whole number from %(min)d to %(max)d.",
                             name=name, min=minimum, max=maximum), name, "query")
    return number


def id_arg(name: str) -> int | None:
    """The query parameter `name` as an id (1 to ID_MAX), or None when absent. Raises InvalidInput."""
    return int_arg(name, None, 1, ID_MAX)


def load_json(data: bytes | str):
    """A request body as JSON: UTF-8, nested at most MAX_JSON_DEPTH deep, every string and key
    held to the text rules. Returns the parsed value; raises InvalidInput (400 for the body,
    422 in the API for a text rule broken under a top-level key, named as the field)."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidInput(_("The request body is not valid UTF-8. Send JSON encoded as UTF-8.")) from None
    try:
        value = json.loads(data, parse_constant=_not_json)
    except RecursionError:
        raise InvalidInput(_too_deep()) from None
    except ValueError as exc:
        raise InvalidInput(_("The request body is not valid JSON: %(reason)s.", reason=exc)) from None
    _check_tree(value)
    return value


def _not_json(constant: str):
    # Python reads NaN and Infinity, which JSON (RFC 8259) does not have.
    raise ValueError(f"{constant} is not a JSON value")


def _too_deep() -> str:
    return _("The JSON body is nested too deeply: at most %(n)d levels of arrays and objects.", n=MAX_JSON_DEPTH)


def _check_tree(value) -> None:
    # Depth-first with an explicit stack (no recursion); `field` is the top-level key below which
    # a value sits, named in the answer.
    stack = [(value, 1, None)]
    while stack:
        item, depth, field = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                raise InvalidInput(problem, field)
        elif isinstance(item, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise InvalidInput(_too_deep())
            if isinstance(item, dict):
                for key, child in item.items():
                    problem = text_problem(key)
                    if problem:
                        raise InvalidInput(problem, field)
                    stack.append((child, depth + 1, key if field is None else field))
            else:
                stack.extend((child, depth + 1, field) for child in item)


_EXTENDED_FILENAME = re.compile(r"filename\*\s*=\s*([^;]*)", re.IGNORECASE)


class _TextPartsParser(MultiPartParser):
    """Werkzeug's multipart parser, but text parts are decoded as Latin-1 (byte for byte, so
    nothing is replaced by U+FFFD) and each part's name and real charset noted in order, for
    InputFormDataParser to decode strictly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts: list[tuple[str | None, str]] = []

    def start_file_streaming(self, event, total_content_length):
        # A file part's name is text as well: an RFC 8187 `filename*` that is not UTF-8 would
        # be decoded to U+FFFD (its NUL characters are taken out where names are cleaned).
        for value in _EXTENDED_FILENAME.findall(event.headers.get("content-disposition", "")):
            charset, _sep, rest = value.partition("'")
            if charset.strip().lower() == "utf-8":
                try:
                    unquote_to_bytes(rest.partition("'")[2]).decode("utf-8")
                except UnicodeDecodeError:
                    raise InvalidInput(not_utf8(), event.name, "files") from None
        return super().start_file_streaming(event, total_content_length)

    def get_part_charset(self, headers) -> str:
        name = parse_options_header(headers.get("content-disposition"))[1].get("name")
        self.parts.append((name, super().get_part_charset(headers)))
        return "latin-1"


class InputFormDataParser(FormDataParser):
    """Form bodies (urlencoded and multipart text parts) held to the text rules. File parts are
    left alone: their names are cleaned where they are stored."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        raw = stream.read()
        try:
            return stream, self.cls(decode_pairs(raw, "form")), self.cls()
        except InvalidInput as exc:
            exc.typed = self.cls(typed_pairs(raw))
            raise

    def _parse_multipart(self, stream, mimetype, content_length, options):
        # Werkzeug 3.1's own method, with the parser above; then each text part decoded strictly.
        parser = _TextPartsParser(stream_factory=self.stream_factory, max_form_memory_size=self.max_form_memory_size,
                                  max_form_parts=self.max_form_parts, cls=self.cls)
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        try:
            form, files = parser.parse(stream, boundary, content_length)
        except UnicodeDecodeError:  # a part's headers (its name or file name) are not UTF-8
            raise InvalidInput(not_utf8(), None, "form") from None
        seen: Counter = Counter()
        pairs = []
        for name, charset in parser.parts:
            raw = form.getlist(name)[seen[name]].encode("latin-1")
            seen[name] += 1
            problem = text_problem(name or "")
            if problem:
                raise InvalidInput(problem, None, "form")
            pairs.append((name, checked_text(raw, name, "form", charset)))
        return stream, self.cls(pairs), files


class _RequestJSON:
    """The `json_module` of requests, whose `loads` request.get_json calls: load_json."""

    @staticmethod
    def loads(data, **_kwargs):
        return load_json(data)


class InputRequest(Request):
    """Flask's request, whose query string, form, address and JSON body are held to this
    module's rules when first read. A refusal raises InvalidInput there and leaves the part
    empty, so the error answer itself (which may read them) renders."""

    json_module = _RequestJSON
    form_data_parser_class = InputFormDataParser
    # A urlencoded form refused by the text rules, as typed with the refused characters taken
    # out (a MultiDict), for core/error_pages.py to show its page again; None otherwise.
    typed_form = None

    @cached_property
    def args(self):
        """The query string's parameters (raises InvalidInput, once)."""
        self.__dict__["args"] = self.parameter_storage_class()
        return self.parameter_storage_class(decode_pairs(self.query_string, "query"))

    def _load_form_data(self) -> None:
        try:
            super()._load_form_data()
        except InvalidInput as exc:
            self.__dict__.update(form=self.parameter_storage_class(), files=self.parameter_storage_class(),
                                 typed_form=getattr(exc, "typed", None))
            raise

    @property
    def view_args(self):
        """The matched URL's arguments. Set by Flask on matching the address, which must be
        UTF-8 text: otherwise the match fails with InvalidInput, answered as the request."""
        return self.__dict__.get("_view_args")

    @view_args.setter
    def view_args(self, value) -> None:
        self.__dict__["_view_args"] = value
        path = self.environ.get("PATH_INFO", "")
        try:
            raw = path.encode("latin-1")  # PEP 3333: the address's bytes, as Latin-1
        except UnicodeEncodeError:
            raw = path.encode("utf-8", "surrogatepass")
        checked_text(raw, None, "path")


class InputParser(FlaskParser):
    """The API's argument parser (webargs): JSON bodies are read by load_json."""

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return webargs_core.missing
        data = req.get_data(cache=True)
        return load_json(data) if data else webargs_core.missing
