"""live: live sessions, registrations and waiting lists, reminders sent, attendance, calendar feeds

Revision ID: 0005_live
Revises: 0004_quizzes
Create Date: 2026-12-06 05:24:28.910891

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005_live'
down_revision = '0004_quizzes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('live_calendar_feeds',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_live_calendar_feeds')),
    sa.UniqueConstraint('secret', name=op.f('uq_live_calendar_feeds_secret'))
    )
    op.create_table('live_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('join_url', sa.String(length=2000), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('is_link_for_all_enrolled', sa.Boolean(), nullable=False),
    sa.Column('reminder_offsets', sa.JSON(), nullable=False),
    sa.Column('min_attendance_minutes', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recording_item_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("join_url LIKE 'https://%'", name=op.f('ck_live_sessions_join_url_https')),
    sa.CheckConstraint('capacity IS NULL OR capacity > 0', name=op.f('ck_live_sessions_capacity_positive')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_live_sessions_ends_after_start')),
    sa.CheckConstraint('min_attendance_minutes >= 0', name=op.f('ck_live_sessions_min_attendance_minutes')),
    sa.CheckConstraint('sequence >= 0', name=op.f('ck_live_sessions_sequence')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_live_sessions_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['module_id'], ['modules.id'], name=op.f('fk_live_sessions_module_id_modules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recording_item_id'], ['items.id'], name=op.f('fk_live_sessions_recording_item_id_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['course_runs.id'], name=op.f('fk_live_sessions_run_id_course_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_sessions'))
    )
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_live_sessions_run_id_starts_at', ['run_id', 'starts_at'], unique=False)

    op.create_table('live_attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_present', sa.Boolean(), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("source IN ('checklist', 'import')", name=op.f('ck_live_attendances_source_known')),
    sa.CheckConstraint('minutes IS NULL OR minutes >= 0', name=op.f('ck_live_attendances_minutes')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_live_attendances_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_live_attendances_session_id_live_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_attendances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_attendances')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_live_attendances_session_id_user_id'))
    )
    with op.batch_alter_table('live_attendances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_attendances_user_id'), ['user_id'], unique=False)

    op.create_table('live_registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('registered', 'waitlisted', 'cancelled')", name=op.f('ck_live_registrations_status_known')),
    sa.ForeignKeyConstraint(['session_id'], ['live_sessions.id'], name=op.f('fk_live_registrations_session_id_live_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_live_registrations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_registrations')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_live_registrations_session_id_user_id'))
    )
    with op.batch_alter_table('live_registrations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_registrations_user_id'), ['user_id'], unique=False)

    op.create_table('live_reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('offset_minutes', sa.Integer(), nullable=False),
    sa.Column('session_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_delivered', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['live_registrations.id'], name=op.f('fk_live_reminders_sent_registration_id_live_registrations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_reminders_sent')),
    sa.UniqueConstraint('registration_id', 'offset_minutes', 'session_starts_at', name='uq_live_reminders_sent_once')
    )


def downgrade():
    op.drop_table('live_reminders_sent')
    with op.batch_alter_table('live_registrations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_registrations_user_id'))

    op.drop_table('live_registrations')
    with op.batch_alter_table('live_attendances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_attendances_user_id'))

    op.drop_table('live_attendances')
    with op.batch_alter_table('live_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_live_sessions_run_id_starts_at')

    op.drop_table('live_sessions')
    op.drop_table('live_calendar_feeds')
