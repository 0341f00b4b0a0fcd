"""courses: courses, modules, items, runs, enrolments, progress

Revision ID: 0002_courses
Revises: 0001_accounts
Create Date: 2026-11-22 02:41:49.850619

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002_courses'
down_revision = '0001_accounts'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=False),
    sa.Column('topics', sa.JSON(), nullable=False),
    sa.Column('programme', sa.String(length=200), nullable=False),
    sa.Column('estimated_hours', sa.Float(), nullable=False),
    sa.Column('cover_key', sa.String(length=255), nullable=True),
    sa.Column('video_threshold', sa.Float(), nullable=False),
    sa.Column('is_published', sa.Boolean(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('video_threshold > 0 AND video_threshold <= 1', name=op.f('ck_courses_video_threshold')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses')),
    sa.UniqueConstraint('slug', name=op.f('uq_courses_slug'))
    )
    op.create_table('course_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('enrolment_opens_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enrolment_closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('enrolment_mode', sa.String(length=20), nullable=False),
    sa.Column('invitation_code', sa.String(length=64), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('is_sequential', sa.Boolean(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("enrolment_mode IN ('open', 'code', 'coordinator')", name=op.f('ck_course_runs_enrolment_mode')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_course_runs_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_course_runs_ends_after_start')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_runs_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_runs')),
    sa.UniqueConstraint('course_id', 'slug', name=op.f('uq_course_runs_course_id_slug'))
    )
    with op.batch_alter_table('course_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_course_runs_course_id'), ['course_id'], unique=False)

    op.create_table('modules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('release_after_days', sa.Integer(), nullable=True),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.CheckConstraint('release_after_days IS NULL OR release_after_days >= 0', name=op.f('ck_modules_release_after_days')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_modules_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_modules')),
    sa.UniqueConstraint('course_id', 'key', name=op.f('uq_modules_course_id_key'))
    )
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_modules_course_id'), ['course_id'], unique=False)

    op.create_table('course_staff',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_staff_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_course_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', 'user_id', name=op.f('pk_course_staff'))
    )
    op.create_table('items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('transcript', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('media_key', sa.String(length=255), nullable=True),
    sa.Column('media_type', sa.String(length=100), nullable=True),
    sa.Column('media_name', sa.String(length=255), nullable=True),
    sa.Column('media_size', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Float(), nullable=True),
    sa.Column('is_optional', sa.Boolean(), nullable=False),
    sa.Column('is_archived', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind != 'video' OR duration_seconds > 0", name=op.f('ck_items_video_has_duration')),
    sa.CheckConstraint("kind IN ('video', 'reading', 'file', 'link')", name=op.f('ck_items_kind')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_items_course_id_courses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_items_module_id_modules'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_items')),
    sa.UniqueConstraint('course_id', 'key', name=op.f('uq_items_course_id_key'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index('ix_items_module_id_position', ['module_id', 'position'], unique=False)

    op.create_table('module_releases',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=False),
    sa.Column('releases_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_module_releases_module_id_modules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['run_id'], ['course_runs.id'], name=op.f('fk_module_releases_run_id_course_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'module_id', name=op.f('pk_module_releases'))
    )
    op.create_table('run_staff',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.CheckConstraint("role IN ('coordinator', 'instructor')", name=op.f('ck_run_staff_role')),
    sa.ForeignKeyConstraint(['run_id'], ['course_runs.id'], name=op.f('fk_run_staff_run_id_course_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_run_staff_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'user_id', 'role', name=op.f('pk_run_staff'))
    )
    op.create_table('enrolments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('enrolled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_item_id', sa.Integer(), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_enrolments_added_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['last_item_id'], ['items.id'], name=op.f('fk_enrolments_last_item_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['course_runs.id'], name=op.f('fk_enrolments_run_id_course_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enrolments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enrolments')),
    sa.UniqueConstraint('run_id', 'user_id', name=op.f('uq_enrolments_run_id_user_id'))
    )
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrolments_user_id'), ['user_id'], unique=False)

    op.create_table('item_assets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=10), nullable=True),
    sa.Column('label', sa.String(length=100), nullable=True),
    sa.CheckConstraint("kind IN ('captions', 'attachment')", name=op.f('ck_item_assets_kind')),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_assets_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_assets'))
    )
    with op.batch_alter_table('item_assets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_assets_item_id'), ['item_id'], unique=False)

    op.create_table('item_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('intervals', sa.JSON(), nullable=False),
    sa.Column('played_seconds', sa.Float(), nullable=False),
    sa.Column('position_seconds', sa.Float(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_report_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('played_seconds >= 0', name=op.f('ck_item_progress_played_seconds')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_item_progress_enrolment_id_enrolments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_item_progress_item_id_items'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_item_progress')),
    sa.UniqueConstraint('enrolment_id', 'item_id', name=op.f('uq_item_progress_enrolment_id_item_id'))
    )
    with op.batch_alter_table('item_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_progress_item_id'), ['item_id'], unique=False)




def downgrade():

    with op.batch_alter_table('item_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_progress_item_id'))

    op.drop_table('item_progress')
    with op.batch_alter_table('item_assets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_assets_item_id'))

    op.drop_table('item_assets')
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrolments_user_id'))

    op.drop_table('enrolments')
    op.drop_table('run_staff')
    op.drop_table('module_releases')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index('ix_items_module_id_position')

    op.drop_table('items')
    op.drop_table('course_staff')
    with op.batch_alter_table('modules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_modules_course_id'))

    op.drop_table('modules')
    with op.batch_alter_table('course_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_course_runs_course_id'))

    op.drop_table('course_runs')
    op.drop_table('courses')

