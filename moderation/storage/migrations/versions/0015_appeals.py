"""Appeals against removals (DSA Art. 20): the statement contested, the author's explanation,
who took the original decision, and the outcome with its times and decider. One open appeal
per comment (a unique partial index).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0015'
down_revision: Union[str, Sequence[str], None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('appeals',
    sa.Column('id', Id, nullable=False),
    sa.Column('comment_id', Id, nullable=False),
    sa.Column('statement_id', Id, nullable=False),
    sa.Column('site_id', Id, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('filed_with', sa.String(length=16), nullable=False),
    sa.Column('original_by', sa.String(length=16), nullable=False),
    sa.Column('original_actor', sa.String(length=200), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', Id, nullable=True),
    sa.Column('decided_by_name', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('text_gone', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.ForeignKeyConstraint(['statement_id'], ['statements.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_statement_id'), ['statement_id'], unique=False)
        batch_op.create_index('ix_appeals_status_filed', ['status', 'filed_at'], unique=False)
        batch_op.create_index(
            'ux_appeals_open_comment', ['comment_id'], unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index('ux_appeals_open_comment')
        batch_op.drop_index('ix_appeals_status_filed')
        batch_op.drop_index(batch_op.f('ix_appeals_statement_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_comment_id'))

    op.drop_table('appeals')
