"""Notices of illegal content (DSA Art. 16): the notifier's ground, explanation and contact,
the hash of the status URL's token, and the outcome with its timestamps and who decided.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('notices',
    sa.Column('id', Id, nullable=False),
    sa.Column('comment_id', Id, nullable=False),
    sa.Column('site_id', Id, nullable=False),
    sa.Column('ground', sa.String(length=32), nullable=False),
    sa.Column('law', sa.String(length=300), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('notifier_name', sa.String(length=100), nullable=False),
    sa.Column('notifier_email', sa.String(length=254), nullable=False),
    sa.Column('good_faith', sa.Boolean(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('decided_by', sa.String(length=200), nullable=True),
    sa.Column('automated', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index('ix_notices_status_received', ['status', 'received_at'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index('ix_notices_status_received')
        batch_op.drop_index(batch_op.f('ix_notices_comment_id'))
    op.drop_table('notices')
