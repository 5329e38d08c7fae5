"""URL converters shared by every blueprint."""
from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns, 32-bit on PostgreSQL. A larger number can name no row, and sent to
# the database it fails the query ("integer out of range"; SQLite overflows past 2**63) instead
# of finding nothing.
ID_MAX = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:...>` bounded to the id range by default, so a number no row can have matches no
    route (404) and the OpenAPI document states the bound (`maximum`). Only ASCII digits:
    Werkzeug's `\\d` would also take other scripts' digits ("/chat/١" as conversation 1)."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits=0, min=None, max=ID_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
