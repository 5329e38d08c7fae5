"""search: the full-text index of messages, filled from the messages already stored

Revision ID: 0007_search
Revises: 0006_replies
Create Date: 2026-12-07 15:10:00

"""
from alembic import op

# The index is built with the same terms the app searches with (search/index.py): app code, on
# purpose. Should the terms ever change, a later migration rebuilds the index.
from search import index as search_index


# revision identifiers, used by Alembic.
revision = '0007_search'
down_revision = '0006_replies'
branch_labels = None
depends_on = None

BATCH = 1000  # messages read and indexed per statement


def upgrade():
    connection = op.get_bind()
    search_index.create_index(connection)
    for messages in search_index.stored_messages(connection, BATCH):
        search_index.write(connection, search_index.rows_for(messages))


def downgrade():
    search_index.drop_index(op.get_bind())
