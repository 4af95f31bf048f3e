"""Sites (keys, origins, policy), articles per site, how a comment arrived and whose browser
sent it, webhook endpoints and their deliveries, and texts scored through the Perspective API.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 22:05:00

"""
import secrets
from datetime import UTC, datetime
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Upgrade schema."""
    sites = op.create_table('sites',
    sa.Column('id', Id, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('origins', sa.JSON(), nullable=False),
    sa.Column('secret_key', sa.String(length=100), nullable=False),
    sa.Column('previous_key', sa.String(length=100), nullable=True),
    sa.Column('previous_key_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('policy', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug'),
    sa.UniqueConstraint('secret_key'),
    sa.UniqueConstraint('previous_key'),
    )
    # Every deployment starts with one site: the pages this service renders itself, and the
    # owner of everything stored before sites existed. Its key is this deployment's own.
    op.bulk_insert(sites, [{
        'id': 1,
        'slug': 'default',
        'name': 'Default site',
        'url': None,
        'origins': [],
        'secret_key': 'sk_' + secrets.token_urlsafe(32),
        'previous_key': None,
        'previous_key_expires_at': None,
        'policy': {},
        'created_at': datetime.now(UTC),
    }])
    if op.get_bind().dialect.name == 'postgresql':
        # The explicit id 1 above did not move the sequence.
        op.execute("SELECT setval(pg_get_serial_sequence('sites', 'id'), 1)")

    # SQLite reflects 0001's unnamed UNIQUE(external_id); the convention names it so that it
    # can be dropped. PostgreSQL named it itself.
    postgres = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table(
        'articles', schema=None,
        naming_convention={'uq': 'uq_%(table_name)s_%(column_0_name)s'},
    ) as batch_op:
        batch_op.add_column(sa.Column('site_id', Id, nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('comments_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('comments_changed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(
            'articles_external_id_key' if postgres else 'uq_articles_external_id', type_='unique'
        )
        batch_op.create_unique_constraint('uq_articles_site_id_external_id', ['site_id', 'external_id'])
        batch_op.create_foreign_key('fk_articles_site_id_sites', 'sites', ['site_id'], ['id'])

    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('reader_hash', sa.String(length=64), nullable=True))

    op.create_table('webhook_endpoints',
    sa.Column('id', Id, nullable=False),
    sa.Column('site_id', Id, nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoints_site_id'), ['site_id'], unique=False)

    op.create_table('webhook_deliveries',
    sa.Column('id', Id, nullable=False),
    sa.Column('endpoint_id', Id, nullable=False),
    sa.Column('event_id', sa.String(length=40), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('comment_id', Id, nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_status_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['comment_id'], ['comments.id'], ),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoints.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_comment_id'), ['comment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_endpoint_id'), ['endpoint_id'], unique=False)
        batch_op.create_index('ix_webhook_deliveries_status_next', ['status', 'next_attempt_at'], unique=False)

    op.create_table('analyses',
    sa.Column('id', Id, nullable=False),
    sa.Column('site_id', Id, nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('model_version', sa.String(length=100), nullable=True),
    sa.Column('client_token', sa.String(length=200), nullable=True),
    sa.Column('feedback', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('analyses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analyses_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_analyses_site_id'), ['site_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('analyses')
    op.drop_table('webhook_deliveries')
    op.drop_table('webhook_endpoints')
    postgres = op.get_bind().dialect.name == 'postgresql'
    with op.batch_alter_table('comments', schema=None) as batch_op:
        batch_op.drop_column('reader_hash')
        batch_op.drop_column('channel')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_constraint('fk_articles_site_id_sites', type_='foreignkey')
        batch_op.drop_constraint('uq_articles_site_id_external_id', type_='unique')
        # Under the name each database gave it in 0001, so upgrading again finds it.
        batch_op.create_unique_constraint(
            'articles_external_id_key' if postgres else 'uq_articles_external_id', ['external_id']
        )
        batch_op.drop_column('comments_changed_at')
        batch_op.drop_column('comments_version')
        batch_op.drop_column('site_id')
    op.drop_table('sites')
