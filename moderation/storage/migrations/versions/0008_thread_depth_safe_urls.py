"""Each comment knows how deep in its thread it is, so a reply beyond the deepest level is
refused at submit time; URLs that are not http(s), stored before every way in checked them,
are cleared.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 13:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Not http:// or https:// (javascript:, data:, a relative path): never linked to or
# redirected to. Both databases: LIKE with lower() is portable.
_NOT_HTTP = (
    "{column} IS NOT NULL AND lower({column}) NOT LIKE 'http://%' "
    "AND lower({column}) NOT LIKE 'https://%'"
)


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('depth', sa.Integer(), nullable=False, server_default='0')
        )
    # Replies of threads stored before: their depth from the top-level comment (0).
    op.execute(
        "WITH RECURSIVE tree(id, depth) AS ("
        " SELECT id, 0 FROM comments WHERE parent_id IS NULL"
        " UNION ALL"
        " SELECT c.id, tree.depth + 1 FROM comments c JOIN tree ON c.parent_id = tree.id"
        ") UPDATE comments SET depth = (SELECT tree.depth FROM tree WHERE tree.id = comments.id)"
        " WHERE parent_id IS NOT NULL"
    )
    op.execute(f"UPDATE comments SET author_url = NULL WHERE {_NOT_HTTP.format(column='author_url')}")
    op.execute(f"UPDATE articles SET url = NULL WHERE {_NOT_HTTP.format(column='url')}")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('depth')
