"""Retention: when a removed comment's text was replaced after its retention period, and two
partial indexes holding only the comments that still have what retention clears (an address or
user agent; a removed comment's text), so the daily run reads those and not every row.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ADDRESSES_KEPT = (
    "(client_ip IS NOT NULL OR user_agent IS NOT NULL) AND status NOT IN ('queued', 'pending')"
)
REMOVED_TEXT_KEPT = "text_removed_at IS NULL AND status NOT IN ('queued', 'pending', 'approved')"


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_removed_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        'ix_comments_addresses_created',
        'comments',
        ['created_at'],
        postgresql_where=sa.text(ADDRESSES_KEPT),
        sqlite_where=sa.text(ADDRESSES_KEPT),
    )
    op.create_index(
        'ix_comments_removed_texts_decided',
        'comments',
        ['decided_at'],
        postgresql_where=sa.text(REMOVED_TEXT_KEPT),
        sqlite_where=sa.text(REMOVED_TEXT_KEPT),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index('ix_comments_removed_texts_decided', table_name='comments')
    op.drop_index('ix_comments_addresses_created', table_name='comments')
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('text_removed_at')
