"""Suspensions (an author rule's end, `author_rules.expires_at`) and the moderators' notes on
authors (`author_notes`).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0016'
down_revision: Union[str, Sequence[str], None] = '0015'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('author_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('author_notes',
    sa.Column('id', Id, nullable=False),
    sa.Column('author_email', sa.String(length=254), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('author_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_author_notes_author_email'), ['author_email'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('author_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_author_notes_author_email'))
    op.drop_table('author_notes')
    with op.batch_alter_table('author_rules', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
