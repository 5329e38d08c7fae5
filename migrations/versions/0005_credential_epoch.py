"""credential epoch: what workers' credential caches must forget

Revision ID: 0005_credential_epoch
Revises: 0004_attachments_favorites
Create Date: 2026-12-07 03:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_credential_epoch'
down_revision = '0004_attachments_favorites'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('credential_epoch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_epoch'))
    )
    op.execute("INSERT INTO credential_epoch (id, value) VALUES (1, 0)")


def downgrade():
    op.drop_table('credential_epoch')
