"""Core statements compiled once per dialect and run on the DBAPI cursor of a SQLAlchemy
connection: the send path's statements, where SQLAlchemy's own execute (an execution
context, a result object and events for every statement) cost more than the database's work.

The statement is still built with SQLAlchemy Core and compiled by the connection's dialect,
so the SQL, its bind casts (PostgreSQL) and each column type's bind processing (UTCDateTime,
JSON) are what `Connection.execute` would send; only the per-execute machinery is skipped.
It runs in the connection's transaction (the session's, when given `session.connection()`), so
COMMIT, ROLLBACK and the after-commit steps are the session's as before. A DBAPI error is
raised as SQLAlchemy's own (`sqlalchemy.exc.IntegrityError` and so on), and a lost connection
is invalidated as `Connection.execute` would.
"""
from collections.abc import Callable, Sequence

from sqlalchemy import Table, bindparam, insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable


class Prepared:
    """A statement built by `build(*sizes)` (a Core statement; `sizes` are whole numbers, such
    as how many rows a multi-row INSERT has or how many values an IN list has) and compiled
    once per dialect and sizes. Bound parameters are named in the statement; give their
    values by name (a dict) to `run` or (a list of dicts) to `run_many`.

    Compilations are kept up to `max_kept` per Prepared (the oldest then dropped): sizes
    should come from a small range (a batch of at most 500 sends, say).
    """

    def __init__(self, build: Callable[..., Executable], max_kept: int = 512):
        self._build = build
        self._max_kept = max_kept
        self._compiled: dict[tuple, tuple] = {}

    def _for(self, dialect, sizes: tuple) -> tuple:
        key = (dialect.name, *sizes)
        entry = self._compiled.get(key)
        if entry is None:
            compiled = self._build(*sizes).compile(dialect=dialect)
            order = tuple(compiled.positiontup) if compiled.positional else None
            # Values written into the statement (`id == 1` binds 1 as "id_1").
            fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
            entry = (compiled.string, order, dict(compiled._bind_processors), fixed)
            if len(self._compiled) >= self._max_kept:
                self._compiled.pop(next(iter(self._compiled)))
            self._compiled[key] = entry
        return entry

    @staticmethod
    def _values(params: dict, order: tuple[str, ...] | None, processors: dict, fixed: dict):
        if fixed:
            params = fixed | params
        if processors:
            params = {key: (processors[key](value) if key in processors else value) for key, value in params.items()}
        return params if order is None else tuple(params[key] for key in order)

    def run(self, connection: Connection, params: dict, *sizes: int):
        """Execute with `params` ({name: value}) on `connection`'s DBAPI cursor, in its current
        transaction, and return the cursor (`fetchone`/`fetchall` for a RETURNING or a SELECT:
        plain tuples, without result processing, so select only columns whose values the
        driver gives as they are: numbers and strings). Raises sqlalchemy.exc.DBAPIError's
        subclasses (IntegrityError for a unique index, OperationalError for a lost connection,
        which is then invalidated)."""
        sql, order, processors, fixed = self._for(connection.dialect, sizes)
        return _execute(connection, sql, self._values(params, order, processors, fixed), many=False)

    def run_many(self, connection: Connection, rows: Sequence[dict], *sizes: int) -> None:
        """Execute once per dict of `rows` with the DBAPI's executemany (SQLite: one C loop;
        psycopg: pipelined, one round trip), or with a plain execute for a single row (a
        pipeline costs psycopg more work than it saves then); no result. Errors as `run`."""
        sql, order, processors, fixed = self._for(connection.dialect, sizes)
        if len(rows) == 1:
            _execute(connection, sql, self._values(rows[0], order, processors, fixed), many=False).close()
            return
        _execute(connection, sql, [self._values(row, order, processors, fixed) for row in rows], many=True)


class PreparedInsert:
    """`INSERT INTO table (columns) VALUES (...), (...), ... [RETURNING returning]`: up to
    `max_rows` rows in one statement (one round trip; more take a statement per `max_rows`),
    compiled once per row count (`Prepared`). `table` is a Core Table; `columns` and
    `returning` are names of its columns."""

    def __init__(self, table: Table, columns: Sequence[str], returning: Sequence[str] = (), max_rows: int = 500):
        self._columns = tuple(columns)
        self._max_rows = max_rows
        self._returning = bool(returning)

        def build(count: int):
            statement = insert(table).values([
                {column: bindparam(f"{column}_{n}", type_=table.c[column].type) for column in self._columns}
                for n in range(count)])
            return statement.returning(*(table.c[column] for column in returning)) if returning else statement

        self._prepared = Prepared(build)

    def run(self, connection: Connection, rows: Sequence[dict]) -> list[tuple]:
        """Insert `rows` (each a dict with every one of `columns`) on `connection` and return
        the RETURNING rows as plain tuples, in no promised order ([] without `returning`).
        Errors as `Prepared.run`."""
        returned = []
        for start in range(0, len(rows), self._max_rows):
            chunk = rows[start:start + self._max_rows]
            params = {f"{column}_{n}": row[column] for n, row in enumerate(chunk) for column in self._columns}
            cursor = self._prepared.run(connection, params, len(chunk))
            if self._returning:
                returned.extend(cursor.fetchall())
            cursor.close()
        return returned


def _execute(connection: Connection, sql: str, values, many: bool):
    dbapi_connection = connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    if connection.dispatch.before_cursor_execute:  # observers (bench/profile_send.py) see it too
        connection.dispatch.before_cursor_execute(connection, cursor, sql, values, None, many)
    try:
        if many:
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
    except connection.dialect.loaded_dbapi.Error as exc:
        dialect = connection.dialect
        disconnected = dialect.is_disconnect(exc, dbapi_connection, cursor)
        cursor.close()
        if disconnected:
            connection.invalidate(exc)
        raise DBAPIError.instance(sql, values, exc, dialect.loaded_dbapi.Error, connection_invalidated=disconnected,
                                  dialect=dialect, ismulti=many) from exc
    return cursor
