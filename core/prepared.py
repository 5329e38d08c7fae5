"""Core statements compiled once per dialect and run on the DBAPI cursor of a SQLAlchemy
connection: the send path's statements, where SQLAlchemy's own execute (an execution
context, a result object and events for every statement) cost more than the database's work.

The statement is still built with SQLAlchemy Core and compiled by the connection's dialect,
so the SQL, its bind casts (PostgreSQL) and each column type's bind processing (UTCDateTime,
JSON) are what `Connection.execute` would send; only the per-execute machinery is skipped.
It runs in the connection's transaction (the session's, when given `session.connection()`), so
COMMIT, ROLLBACK and the after-commit steps are the session's as before. The engine's
`before_cursor_execute` and `after_cursor_execute` listeners see each statement. A failure
goes through SQLAlchemy's own handling (`Connection._handle_dbapi_exception`, as
`Connection.execute` does): a DBAPI error is raised as `sqlalchemy.exc.IntegrityError` and so
on, with the engine's `hide_parameters`, and a lost connection invalidates the pool's older
connections too.
"""
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import Integer, Table, bindparam, insert
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Executable


class Prepared:
    """A statement built by `build(*sizes)` (a Core statement; `sizes` are whole numbers, such
    as how many rows a multi-row INSERT has or how many values an IN list has) and compiled
    once per dialect and sizes. Bound parameters are named in the statement; give their
    values by name (a dict) to `run` or (a list of dicts) to `run_many`.

    Compilations are kept up to `max_kept` per Prepared (the oldest then dropped): sizes
    should come from a small range (a batch of at most 500 sends, say; `padded` rounds an IN
    list's length up). Safe to share between threads and greenlets.
    """

    def __init__(self, build: Callable[..., Executable], max_kept: int = 512):
        self._build = build
        self._max_kept = max_kept
        self._compiled: dict[tuple, tuple] = {}
        self._lock = threading.Lock()  # held only to add a compilation

    def _for(self, dialect, sizes: tuple) -> tuple:
        # Keyed by the dialect object: each engine's own (its JSON serializer, its casts).
        key = (dialect, *sizes)
        entry = self._compiled.get(key)
        if entry is None:
            compiled = self._build(*sizes).compile(dialect=dialect)
            order = tuple(compiled.positiontup) if compiled.positional else None
            # Values written into the statement (`id == 1` binds 1 as "id_1").
            fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
            entry = (compiled.string, order, dict(compiled._bind_processors), fixed)
            with self._lock:
                while len(self._compiled) >= self._max_kept:
                    del self._compiled[next(iter(self._compiled))]
                self._compiled[key] = entry
        return entry

    @staticmethod
    def _values(params: dict, order: tuple[str, ...] | None, processors: dict, fixed: dict):
        if fixed:
            params = fixed | params
        if processors:
            params = {key: (processors[key](value) if key in processors else value) for key, value in params.items()}
        return params if order is None else tuple(params[key] for key in order)

    def run(self, connection: Connection, params: dict, *sizes: int) -> list[tuple]:
        """Execute with `params` ({name: value}) on `connection`'s DBAPI cursor, in its current
        transaction, and return the rows of a RETURNING or a SELECT ([] for neither): plain
        tuples, without result processing, so select only columns whose values the driver
        gives as they are (numbers and strings). Raises sqlalchemy.exc.DBAPIError's
        subclasses (IntegrityError for a unique index; OperationalError for a lost
        connection, which is then invalidated with every older one of its pool)."""
        sql, order, processors, fixed = self._for(connection.dialect, sizes)
        return _execute(connection, sql, self._values(params, order, processors, fixed), many=False)

    def run_many(self, connection: Connection, rows: Sequence[dict], *sizes: int) -> None:
        """Execute once per dict of `rows` with the DBAPI's executemany (SQLite: one C loop;
        psycopg: pipelined, one round trip), or with a plain execute for a single row (a
        pipeline costs psycopg more work than it saves then); no result. Errors as `run`."""
        sql, order, processors, fixed = self._for(connection.dialect, sizes)
        if len(rows) == 1:
            _execute(connection, sql, self._values(rows[0], order, processors, fixed), many=False)
        else:
            _execute(connection, sql, [self._values(row, order, processors, fixed) for row in rows], many=True)


def in_list(name: str, count: int, type_=Integer) -> list:
    """`count` bound parameters `<name>_0` ... `<name>_<count-1>` of `type_`, for `column.in_(...)`
    in a Prepared's `build`; `padded` gives their values."""
    return [bindparam(f"{name}_{n}", type_=type_) for n in range(count)]


def padded(values: Sequence, name: str) -> tuple[int, dict]:
    """An IN list's values as bound parameters `<name>_0`, `<name>_1`, ...: (the list's length
    rounded up to a power of two, the parameters), the last value repeated to fill it. A
    repeated value changes nothing in an IN list, and a Prepared over such lists is compiled
    for at most a dozen lengths instead of one per length. `values` must not be empty."""
    size = 1 << (len(values) - 1).bit_length()
    filled = list(values) + [values[-1]] * (size - len(values))
    return size, {f"{name}_{n}": value for n, value in enumerate(filled)}


class PreparedInsert:
    """`INSERT INTO table (columns) VALUES (...), (...), ... [RETURNING returning]`: up to
    `max_rows` rows in one statement (one round trip; more take a statement per `max_rows`),
    compiled once per row count (`Prepared`). `table` is a Core Table; `columns` and
    `returning` are names of its columns. `wrap`, if given, turns the INSERT into the
    statement run (search/index.with_index_rows puts it in a CTE)."""

    def __init__(self, table: Table, columns: Sequence[str], returning: Sequence[str] = (), max_rows: int = 500,
                 wrap: Callable[[Executable], Executable] | None = None):
        self._columns = tuple(columns)
        self._max_rows = max_rows

        def build(count: int):
            statement = insert(table).values([
                {column: bindparam(f"{column}_{n}", type_=table.c[column].type) for column in self._columns}
                for n in range(count)])
            if returning:
                statement = statement.returning(*(table.c[column] for column in returning))
            return wrap(statement) if wrap else statement

        self._prepared = Prepared(build, max_kept=max_rows + 1)

    def run(self, connection: Connection, rows: Sequence[dict], extra: dict | None = None) -> list[tuple]:
        """Insert `rows` (each a dict with every one of `columns`) on `connection` and return
        the RETURNING rows as plain tuples, in no promised order ([] without `returning`).
        `extra` gives the values of parameters `wrap` added (the same for each statement of
        more than `max_rows` rows). Errors as `Prepared.run`."""
        returned = []
        for start in range(0, len(rows), self._max_rows):
            chunk = rows[start:start + self._max_rows]
            params = {f"{column}_{n}": row[column] for n, row in enumerate(chunk) for column in self._columns}
            if extra:
                params.update(extra)
            returned.extend(self._prepared.run(connection, params, len(chunk)))
        return returned


def _execute(connection: Connection, sql: str, values, many: bool) -> list[tuple]:
    cursor = connection.connection.dbapi_connection.cursor()
    observed = connection.dispatch.before_cursor_execute or connection.dispatch.after_cursor_execute
    if observed:  # profilers and tests (bench/profile_send.py) see these statements too
        connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, many)
    try:
        if many:
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
        rows = cursor.fetchall() if cursor.description is not None else []
    except BaseException as exc:
        # SQLAlchemy's own handling, as Connection.execute would run it: wrapping, handle_error
        # events, closing the cursor, and on a lost connection invalidating it and the pool's
        # older connections (pool_pre_ping's rule; core/database.check_liveness relies on it).
        connection._handle_dbapi_exception(exc, sql, values, cursor, None)
    if observed:
        connection.dispatch.after_cursor_execute(connection, cursor, sql, values, None, many)
    cursor.close()
    return rows
