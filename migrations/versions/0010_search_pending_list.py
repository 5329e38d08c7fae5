"""search: PostgreSQL's GIN index takes new entries in a small pending list; messages whose
characters NFKC turns into spaces or ASCII punctuation are indexed again

Revision ID: 0010_search_pending_list
Revises: 0009_mentions
Create Date: 2026-12-07 18:40:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa

# App code on purpose, as in 0007: the index holds the app's terms.
from search import index as search_index
from search.terms import _SPLITTERS, _TOKEN


# revision identifiers, used by Alembic.
revision = '0010_search_pending_list'
down_revision = '0009_mentions'
branch_labels = None
depends_on = None

BATCH = 1000  # messages read per statement


def _changed_characters() -> frozenset[str]:
    """The characters whose terms changed with this revision: those a term may hold whose
    NFKC form has a space or ASCII punctuation (search/terms.normal now drops those)."""
    return frozenset(chr(cp) for cp in range(0x110000)
                     if _TOKEN.fullmatch(chr(cp))
                     and _SPLITTERS.search(unicodedata.normalize("NFKC", chr(cp)).casefold()))


def upgrade():
    connection = op.get_bind()
    # 0007 made the index with fastupdate off; search/index.py says why it is on now, with a
    # 64 kB list. SQLite's FTS5 index has no such setting.
    if connection.dialect.name == "postgresql":
        op.execute(sa.text(f"ALTER INDEX ix_{search_index.TABLE}_terms SET ({search_index.GIN_OPTIONS})"))
    changed = _changed_characters()
    for messages in search_index.stored_messages(connection, BATCH):
        again = [message for message in messages if any(not changed.isdisjoint(text) for text in message[2])]
        for message_id, _conversation_id, _texts in again:
            search_index.remove(connection, message_id)
        search_index.write(connection, search_index.rows_for(again))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"ALTER INDEX ix_{search_index.TABLE}_terms SET (fastupdate = off)"))
        op.execute(sa.text(f"ALTER INDEX ix_{search_index.TABLE}_terms RESET (gin_pending_list_limit)"))
        # With fastupdate off the pending list is no longer read by inserts: merge it now.
        op.execute(sa.text(f"SELECT gin_clean_pending_list('ix_{search_index.TABLE}_terms')"))
