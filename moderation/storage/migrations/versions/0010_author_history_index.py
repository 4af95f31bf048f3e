"""The author history the policy reads for every batch walks one index: (author_email, id,
status) replaces the index on author_email alone, so an author's last decided comments are
found newest first and their statuses read without visiting the rows (a regular with
thousands of comments costs what a newcomer does; bench/table_growth.py).

On PostgreSQL the index is built and the old one dropped CONCURRENTLY, outside a transaction:
comments keep being written while a large table is indexed (workers may run during the
upgrade, docs/operations.md#upgrading).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 05:30:00

"""
from typing import Sequence, Union

from alembic import op


# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _replace(old: str, new: str, columns: list[str]) -> None:
    """Build index `new` on comments, then drop `old`; CONCURRENTLY on PostgreSQL."""
    concurrently = op.get_bind().dialect.name == 'postgresql'
    with op.get_context().autocommit_block():
        op.create_index(
            new,
            'comments',
            columns,
            unique=False,
            postgresql_concurrently=concurrently,
            if_not_exists=True,
        )
        op.drop_index(
            old, table_name='comments', postgresql_concurrently=concurrently, if_exists=True
        )


def upgrade() -> None:
    """Upgrade schema."""
    _replace(
        'ix_comments_author_email',
        'ix_comments_author_history',
        ['author_email', 'id', 'status'],
    )


def downgrade() -> None:
    """Downgrade schema."""
    _replace('ix_comments_author_history', 'ix_comments_author_email', ['author_email'])
