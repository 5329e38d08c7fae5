"""search: PostgreSQL's GIN index over message terms takes new entries in a small pending list

Revision ID: 0010_search_pending_list
Revises: 0009_mentions
Create Date: 2026-12-07 18:40:00

"""
from alembic import op
import sqlalchemy as sa

from search import index as search_index


# revision identifiers, used by Alembic.
revision = '0010_search_pending_list'
down_revision = '0009_mentions'
branch_labels = None
depends_on = None


def upgrade():
    # 0007 made the index with fastupdate off; search/index.py says why it is on now, with a
    # 64 kB list. SQLite's FTS5 index has no such setting.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"ALTER INDEX ix_{search_index.TABLE}_terms SET ({search_index.GIN_OPTIONS})"))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text(f"ALTER INDEX ix_{search_index.TABLE}_terms SET (fastupdate = off)"))
        op.execute(sa.text(f"ALTER INDEX ix_{search_index.TABLE}_terms RESET (gin_pending_list_limit)"))
