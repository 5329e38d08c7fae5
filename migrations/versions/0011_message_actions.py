"""message actions: edits kept, reactions, pins, messages hidden for one person, blocks,
muted conversations, forwarded copies, and the length of voice messages and audio files

Revision ID: 0011_message_actions
Revises: 0010_search_pending_list
Create Date: 2026-12-07 21:25:39.565350

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_message_actions'
down_revision = '0010_search_pending_list'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('block',
    sa.Column('blocker_id', sa.Integer(), nullable=False),
    sa.Column('blocked_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['blocked_id'], ['user.id'], name=op.f('fk_block_blocked_id_user'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['blocker_id'], ['user.id'], name=op.f('fk_block_blocker_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('blocker_id', 'blocked_id', name=op.f('pk_block'))
    )
    with op.batch_alter_table('block', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_block_blocked_id'), ['blocked_id'], unique=False)

    op.create_table('hidden_message',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_hidden_message_message_id_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_hidden_message_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'message_id', name=op.f('pk_hidden_message'))
    )
    op.create_table('message_edit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_edit_message_id_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_edit'))
    )
    with op.batch_alter_table('message_edit', schema=None) as batch_op:
        batch_op.create_index('ix_message_edit_message_id_id', ['message_id', 'id'], unique=False)

    op.create_table('pin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('pinned_by_id', sa.Integer(), nullable=True),
    sa.Column('pinned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_pin_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_pin_message_id_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pinned_by_id'], ['user.id'], name=op.f('fk_pin_pinned_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pin')),
    sa.UniqueConstraint('message_id', name=op.f('uq_pin_message_id'))
    )
    with op.batch_alter_table('pin', schema=None) as batch_op:
        batch_op.create_index('ix_pin_conversation_id_id', ['conversation_id', 'id'], unique=False)

    op.create_table('reaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('emoji', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_reaction_message_id_message'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_reaction_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reaction')),
    sa.UniqueConstraint('message_id', 'user_id', 'emoji', name='uq_reaction_message_id_user_id_emoji')
    )
    with op.batch_alter_table('reaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reaction_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration', sa.Float(), nullable=True))

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.add_column(sa.Column('muted', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('forwarded_from_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('forwarded', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_message_forwarded_from_id_user'), 'user', ['forwarded_from_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_message_forwarded_from_id_user'), type_='foreignkey')
        batch_op.drop_column('forwarded')
        batch_op.drop_column('forwarded_from_id')
        batch_op.drop_column('edited_at')

    with op.batch_alter_table('membership', schema=None) as batch_op:
        batch_op.drop_column('muted')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_column('duration')

    with op.batch_alter_table('reaction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reaction_user_id'))

    op.drop_table('reaction')
    with op.batch_alter_table('pin', schema=None) as batch_op:
        batch_op.drop_index('ix_pin_conversation_id_id')

    op.drop_table('pin')
    with op.batch_alter_table('message_edit', schema=None) as batch_op:
        batch_op.drop_index('ix_message_edit_message_id_id')

    op.drop_table('message_edit')
    op.drop_table('hidden_message')
    with op.batch_alter_table('block', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_block_blocked_id'))

    op.drop_table('block')
