"""authoring: processed cover thumbnails, covers waiting for processing, Markdown source of items

Revision ID: 0003_authoring
Revises: 0002_courses
Create Date: 2026-11-22 02:50:04.463142

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003_authoring'
down_revision = '0002_courses'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cover_thumb_key', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('cover_pending_key', sa.String(length=255), nullable=True))

    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_markdown', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('body_markdown')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_column('cover_pending_key')
        batch_op.drop_column('cover_thumb_key')
