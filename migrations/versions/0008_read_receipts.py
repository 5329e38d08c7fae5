"""read receipts: who shares them

Revision ID: 0008_read_receipts
Revises: 0007_search
Create Date: 2026-12-07 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_read_receipts'
down_revision = '0007_search'
branch_labels = None
depends_on = None


def upgrade():
    # Everyone shares read receipts until they turn them off on the profile page.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('share_read_receipts', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('share_read_receipts')
