"""content origin: sync archives only the modules and items it made

Revision ID: 0007_content_origin
Revises: 0006_certificates
Create Date: 2026-12-06 06:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_content_origin'
down_revision = '0006_certificates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_from_content', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_from_content', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Until now every module and item of a course with files came from them (the browser could
    # add to such a course, but sync archived it anyway): mark them, as the next sync would.
    for table in ('modules', 'items'):
        op.execute(
            f"UPDATE {table} SET is_from_content = true WHERE course_id IN "
            "(SELECT id FROM courses WHERE content_hash IS NOT NULL)"
        )
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.alter_column('is_from_content', server_default=None)
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.alter_column('is_from_content', server_default=None)


def downgrade():
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('is_from_content')
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_column('is_from_content')
