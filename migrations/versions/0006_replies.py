"""reply_to: a message's quoted original

Revision ID: 0006_replies
Revises: 0005_credential_epoch
Create Date: 2026-12-07 15:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_replies'
down_revision = '0005_credential_epoch'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_message_reply_to_id_message'), 'message', ['reply_to_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_reply_to_id_message'), type_='foreignkey')
        batch_op.drop_column('reply_to_id')
