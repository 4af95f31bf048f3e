"""Statements of reasons (DSA Art. 17): each site's catalogue of removal grounds, seeded with
the defaults of the time for every site, and the statements written with each removal.

The defaults are copied here rather than imported: a migration writes what was true when it
was written, whatever moderation.domain.statements says later.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:30:00

"""
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0014'
down_revision: Union[str, Sequence[str], None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

_DEFAULTS = (
    ('spam', 'house_rule', 'Spam',
     'Advertising, links or text posted again and again that do not take part in the '
     'discussion.', None),
    ('harassment', 'house_rule', 'Insults and harassment',
     'Insulting, demeaning or harassing another person, or urging them to harm themselves.',
     None),
    ('hate', 'house_rule', 'Hateful content',
     'Attacking or demeaning people for who they are: origin, religion, gender, sexuality, '
     'disability or any such trait.', None),
    ('threats', 'house_rule', 'Threats of violence',
     'Threatening or calling for violence against a person or a group.', None),
    ('off_topic', 'house_rule', 'Off topic',
     'Not about the article or the discussion under it.', None),
    ('obscene', 'house_rule', 'Obscene or prohibited language',
     'Obscene language, or words the site does not allow in its comments.', None),
    ('banned', 'house_rule', 'Author barred from commenting',
     'The author was barred from commenting after earlier breaches of the rules.', None),
    ('other', 'house_rule', 'Other breach of the comment rules',
     "A breach of the site's comment rules not listed above; the facts say which.", None),
    ('illegal', 'illegal', 'Illegal content',
     'Content that is illegal under Union law or the law of a member state; the facts name '
     'what makes it so.',
     'Regulation (EU) 2022/2065 (Digital Services Act), Art. 3(h): illegal content'),
)


def upgrade() -> None:
    """Upgrade schema."""
    grounds = op.create_table('removal_grounds',
    sa.Column('id', Id, nullable=False),
    sa.Column('site_id', Id, nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('law', sa.String(length=200), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'key')
    )
    op.create_table('statements',
    sa.Column('id', Id, nullable=False),
    sa.Column('comment_id', Id, nullable=False),
    sa.Column('status', sa.Enum('queued', 'approved', 'pending', 'spam', 'rejected', name='comment_status', native_enum=False, length=16), nullable=False),
    sa.Column('decided_by', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('ground_key', sa.String(length=32), nullable=False),
    sa.Column('ground_kind', sa.String(length=16), nullable=False),
    sa.Column('ground_title', sa.String(length=200), nullable=False),
    sa.Column('ground_law', sa.String(length=200), nullable=True),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('automated_detection', sa.Boolean(), nullable=False),
    sa.Column('automated_decision', sa.Boolean(), nullable=False),
    sa.Column('redress', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statements_comment_id'), ['comment_id'], unique=False)

    now = datetime.now(UTC)
    site_ids = [row[0] for row in op.get_bind().execute(sa.text('SELECT id FROM sites'))]
    rows = [
        {'site_id': site_id, 'key': key, 'kind': kind, 'title': title,
         'description': description, 'law': law, 'created_at': now}
        for site_id in site_ids
        for key, kind, title, description, law in _DEFAULTS
    ]
    if rows:
        op.bulk_insert(grounds, rows)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statements_comment_id'))

    op.drop_table('statements')
    op.drop_table('removal_grounds')
