"""mentions: who a message mentions, and a group owner's @all

Revision ID: 0009_mentions
Revises: 0008_read_receipts
Create Date: 2026-12-14 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_mentions'
down_revision = '0008_read_receipts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mention',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('named', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_mention_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_mention_message_id_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_mention_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mention')),
    sa.UniqueConstraint('message_id', 'user_id', name='uq_mention_message_id_user_id')
    )
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.create_index('ix_mention_user_id_message_id', ['user_id', 'message_id'], unique=False)

    # Messages sent before mentions existed mention nobody.
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mention_all', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('mention_all')
    with op.batch_alter_table('mention', schema=None) as batch_op:
        batch_op.drop_index('ix_mention_user_id_message_id')
    op.drop_table('mention')
