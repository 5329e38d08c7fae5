"""The full-text index of messages: one row per message that can be found (text, caption,
file name; a recalled message has none), written in the message's own transaction, in the
database's own engine:

- SQLite: an FTS5 table `message_search(terms, scope)`, rowid = the message id
  (https://sqlite.org/fts5.html). `terms` holds search/terms.py's terms, space-separated,
  for the `ascii` tokenizer to split again; `scope` the conversation as "c<id>".
- PostgreSQL: a table `message_search(message_id, terms tsvector)` with a GIN index. The
  tsvector is built with `array_to_tsvector` from the same terms, taken as they are (no
  parser, no dictionary: PostgreSQL 18.x docs, "Text Search Functions"), with the
  conversation as one more lexeme "#c<id>" (never a term: terms have no "#").

Both engines are given the same terms and the same Boolean query, so both find the same
messages. The conversation is part of the index query, so a search is narrowed to the
person's conversations inside the index rather than by reading each hit's message.

The table is not a model (an FTS5 table is no ordinary table): `create_index` makes it,
called by migration 0007 and, for databases built from the models (tests), after
`metadata.create_all`.
"""
from collections.abc import Iterable, Sequence

from sqlalchemy import BigInteger, Text, bindparam, column, event, func, insert, select, table, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.sql import Insert, Select

from core.prepared import Prepared
from search.terms import Query, index_terms

TABLE = "message_search"
# The tables SQLite's FTS5 makes for `message_search`, which schema comparisons leave alone.
SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")
INDEX_TABLES = frozenset({TABLE, *(TABLE + suffix for suffix in SHADOW_SUFFIXES)})


# GIN's pending list (PostgreSQL 18.x docs, "GIN Fast Update Technique"), kept small: new
# entries wait there, which halves what the index costs a send in the database server (0.15 ms
# against 0.07 ms of its CPU, bench/RESULTS.md "Search"), and every search reads through the
# list. At the default 4 MB a search over 1,000,000 messages took 30-50 ms more; at 64 kB (the
# least allowed) the list is merged into the index every few hundred messages, by the send
# that fills it or by autovacuum.
GIN_OPTIONS = "fastupdate = on, gin_pending_list_limit = 64"


def create_index(connection: Connection) -> None:
    """Create the index table on `connection`'s database (SQLite or PostgreSQL)."""
    if connection.dialect.name == "sqlite":
        # The `ascii` tokenizer splits only at ASCII punctuation and spaces, which terms never
        # hold, so each term is one token as it is (unicode61 would judge other characters by
        # its own tables). No prefix indexes: they made each commit a quarter dearer
        # (bench/RESULTS.md, "Search").
        connection.execute(text(f"CREATE VIRTUAL TABLE {TABLE} USING fts5(terms, scope, tokenize='ascii')"))
    else:
        connection.execute(text(f"CREATE TABLE {TABLE} (message_id BIGINT NOT NULL, terms TSVECTOR NOT NULL, "
                                f"CONSTRAINT pk_{TABLE} PRIMARY KEY (message_id), "
                                f"CONSTRAINT fk_{TABLE}_message_id_message FOREIGN KEY (message_id) "
                                "REFERENCES message (id) ON DELETE CASCADE)"))
        connection.execute(text(f"CREATE INDEX ix_{TABLE}_terms ON {TABLE} USING gin (terms) WITH ({GIN_OPTIONS})"))


def drop_index(connection: Connection) -> None:
    """Drop the index table (migration 0007's downgrade)."""
    connection.execute(text(f"DROP TABLE IF EXISTS {TABLE}"))


def install(metadata) -> None:
    """Create the index whenever `metadata.create_all` creates the message table, and drop it
    before `metadata.drop_all` drops that table."""
    event.listen(metadata, "after_create", lambda target, connection, **kw: _create_if_missing(connection))
    event.listen(metadata, "before_drop", lambda target, connection, **kw: drop_index(connection))


def _create_if_missing(connection: Connection) -> None:
    from sqlalchemy import inspect

    if TABLE not in inspect(connection).get_table_names():
        create_index(connection)


def scope_term(conversation_id: int, dialect: str) -> str:
    """The conversation as the index holds it."""
    return f"c{conversation_id}" if dialect == "sqlite" else f"#c{conversation_id}"


def rows_for(messages: Iterable[tuple[int, int, Sequence[str]]]) -> list[dict]:
    """Index rows of (message id, conversation id, texts) tuples, each as a dict with
    "message_id", "conversation_id" and "terms" (a list); messages without terms are left
    out."""
    rows = []
    for message_id, conversation_id, texts in messages:
        terms = index_terms(*texts)
        if terms:
            rows.append({"message_id": message_id, "conversation_id": conversation_id, "terms": terms})
    return rows


_INSERT_SQLITE = Prepared(lambda: text(f"INSERT INTO {TABLE} (rowid, terms, scope) VALUES (:m, :t, :s)"))
_INSERT_POSTGRESQL = Prepared(lambda count: text(
    f"INSERT INTO {TABLE} (message_id, terms) VALUES "
    + ", ".join(f"(:m{n}, array_to_tsvector(CAST(:t{n} AS TEXT[])))" for n in range(count))))
ROWS_PER_INSERT = 100  # PostgreSQL: index rows in one INSERT at most (a compilation per count)


def write(connection: Connection, rows: Sequence[dict]) -> None:
    """Add `rows` (from `rows_for`) to the index, in `connection`'s transaction, on the DBAPI
    cursor as the send path's other statements (core/prepared.py): SQLite one executemany,
    PostgreSQL one INSERT per ROWS_PER_INSERT rows."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect == "sqlite":
        _INSERT_SQLITE.run_many(connection, [{"m": row["message_id"], "t": " ".join(row["terms"]),
                                              "s": scope_term(row["conversation_id"], dialect)} for row in rows])
        return
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start:start + ROWS_PER_INSERT]
        params = {}
        for n, row in enumerate(chunk):
            params[f"m{n}"] = row["message_id"]
            params[f"t{n}"] = _lexemes(row)
        _INSERT_POSTGRESQL.run(connection, params, len(chunk))


_SEARCH = table(TABLE, column("message_id", BigInteger), column("terms"))


def with_index_rows(message_insert: Insert) -> Select:
    """PostgreSQL: `message_insert` (an INSERT INTO message ... RETURNING id, event_id) with
    the messages' index rows written by the same statement, in a data-modifying CTE
    (PostgreSQL 18.x docs, "WITH Queries", 7.8.4): one statement and one round trip for both,
    returning what `message_insert` returns. The index rows come as two more parameters,
    `index_event_ids` (BIGINT[]) and `index_terms` (TEXT[], each message's terms space-joined:
    terms never hold a space), matched to the messages by event id; `index_params` builds them.
    A message without terms gets no row."""
    inserted = message_insert.cte("inserted")
    given = (func.unnest(bindparam("index_event_ids", type_=ARRAY(BigInteger)),
                         bindparam("index_terms", type_=ARRAY(Text)))
             .table_valued(column("event_id", BigInteger), column("terms", Text)).render_derived("given"))
    indexed = insert(_SEARCH).from_select(
        ["message_id", "terms"],
        select(inserted.c.id, func.array_to_tsvector(func.string_to_array(given.c.terms, " ")))
        .join_from(inserted, given, given.c.event_id == inserted.c.event_id)).cte("indexed")
    return select(*inserted.c).add_cte(indexed)


def index_params(messages: Iterable[tuple[int, int, Sequence[str]]]) -> dict:
    """The two parameters of `with_index_rows` for (event id, conversation id, texts) tuples."""
    rows = rows_for(messages)  # keyed by event id here: the messages have no id yet
    return {"index_event_ids": [row["message_id"] for row in rows],
            "index_terms": [" ".join(_lexemes(row)) for row in rows]}


def _lexemes(row: dict) -> list[str]:
    """PostgreSQL: the lexemes of an index row (`rows_for`): its terms and its conversation."""
    return [*row["terms"], scope_term(row["conversation_id"], "postgresql")]


def stored_messages(connection: Connection, batch: int = 1000):
    """Every message that can be found (not recalled), in id order, as lists of at most
    `batch` (message id, conversation id, (body, attachment name)) tuples, as `rows_for`
    takes them: what the migrations that fill the index read."""
    last = 0
    while True:
        rows = connection.execute(text(
            "SELECT m.id, m.conversation_id, m.body, a.name FROM message AS m "
            "LEFT OUTER JOIN attachment AS a ON a.message_id = m.id "
            "WHERE m.id > :last AND m.recalled_at IS NULL ORDER BY m.id LIMIT :batch"),
            {"last": last, "batch": batch}).all()
        if not rows:
            return
        yield [(message_id, conversation_id, (body or "", name or ""))
               for message_id, conversation_id, body, name in rows]
        last = rows[-1][0]


def remove(connection: Connection, message_id: int) -> None:
    """Take a message out of the index (it was recalled)."""
    column = "rowid" if connection.dialect.name == "sqlite" else "message_id"
    connection.execute(text(f"DELETE FROM {TABLE} WHERE {column} = :id"), {"id": message_id})


def _fts5_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _tsquery_string(term: str) -> str:
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def match_expression(query: Query, conversation_ids: Sequence[int], dialect: str) -> str:
    """The engine's query text: every term of `query`, and one of `conversation_ids`
    (which must not be empty)."""
    if dialect == "sqlite":
        terms = [_fts5_string(t) + "*" for t in query.prefixes] + [_fts5_string(t) for t in query.exact]
        scopes = " OR ".join(scope_term(cid, dialect) for cid in conversation_ids)
        return f"terms : ({' AND '.join(terms)}) AND scope : ({scopes})"
    terms = [_tsquery_string(t) + ":*" for t in query.prefixes] + [_tsquery_string(t) for t in query.exact]
    scopes = " | ".join(_tsquery_string(scope_term(cid, dialect)) for cid in conversation_ids)
    return f"({' & '.join(terms)}) & ({scopes})"


def hits(connection: Connection, query: Query, conversation_ids: Sequence[int], where: str, params: dict,
         limit: int, before: int | None = None, offset: int = 0, relevance: bool = False) -> list[int]:
    """Ids of the messages the index finds for `query` in `conversation_ids` (not empty)
    that also meet `where` (SQL over `message AS m` and `attachment AS a`, with its
    `params`), newest first (or best first with `relevance`: BM25 on SQLite, ts_rank on
    PostgreSQL, then newest); only ids below `before` if given; `limit` of them after
    skipping `offset`."""
    dialect = connection.dialect.name
    params = {**params, "q": match_expression(query, conversation_ids, dialect), "limit": limit, "offset": offset}
    if dialect == "sqlite":
        # FTS5 walks its rowids from the newest down (and from `before`), stopping at the limit.
        prefix, key = "", "s.rowid"
        source = f"{TABLE} AS s"
        matched = f"{TABLE} MATCH :q" + (" AND s.rowid < :before" if before is not None else "")
        order = "bm25(message_search, 1.0, 0.0), s.rowid DESC" if relevance else "s.rowid DESC"
    else:
        # The index's matches first, then the newest of them: left to itself the planner may
        # walk the whole table backwards by id testing each row (160 ms for a common word over
        # 1,000,000 messages, against 55 ms this way; bench/RESULTS.md, "Search").
        prefix = (f"WITH s AS MATERIALIZED (SELECT message_id, terms FROM {TABLE} "
                  f"WHERE terms @@ CAST(:q AS TSQUERY)" + (" AND message_id < :before" if before is not None else "")
                  + ") ")
        source, key = "s", "s.message_id"
        matched = "TRUE"
        # Normalisation 1 divides by the log of the document's length, as BM25 favours the
        # shorter of two documents with the same matches.
        order = ("ts_rank(s.terms, CAST(:q AS TSQUERY), 1) DESC, s.message_id DESC" if relevance
                 else "s.message_id DESC")
    if before is not None:
        params["before"] = before
    sql = (f"{prefix}SELECT m.id FROM {source} JOIN message AS m ON m.id = {key} "
           f"LEFT OUTER JOIN attachment AS a ON a.message_id = m.id "
           f"WHERE {matched} AND m.recalled_at IS NULL AND ({where}) ORDER BY {order} LIMIT :limit OFFSET :offset")
    return [row[0] for row in connection.execute(text(sql), params)]
