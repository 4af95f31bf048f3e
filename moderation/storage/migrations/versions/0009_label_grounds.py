"""A moderator's removal may say its ground (threat, hate, harassment, obscene, spam, other),
kept with the decision's training label so it teaches the model of what it names. Labels
written before have none, which reads as before: a reject teaches toxicity alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('moderator_labels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ground', sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('moderator_labels', schema=None) as batch_op:
        batch_op.drop_column('ground')
