"""Erasure at an author's request (GDPR Art. 17): the record of each erasure, naming the
author by a salted hash only, and the deployment's salt for such hashes (also what a ban on
an erased author keeps in place of the email or address).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:26:03

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('erasures',
    sa.Column('id', Id, nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('texts', sa.String(length=16), nullable=False),
    sa.Column('comments', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasures_subject'), ['subject'], unique=False)

    op.create_table('privacy_keys',
    sa.Column('id', Id, nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('secret', sa.String(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('privacy_keys')
    with op.batch_alter_table('erasures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasures_subject'))
    op.drop_table('erasures')
