"""person settings: the "friend is online" notice switch and the time zone (null: the browser's)

Revision ID: 0012_person_settings
Revises: 0011_message_actions
Create Date: 2026-12-08 01:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_person_settings'
down_revision = '0011_message_actions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('online_notices', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('timezone', sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('timezone')
        batch_op.drop_column('online_notices')
