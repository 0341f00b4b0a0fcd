"""certificates: signing keys, course settings, holders, certificates

Revision ID: 0006_certificates
Revises: 0005_live
Create Date: 2026-12-06 05:25:52.355255

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_certificates'
down_revision = '0005_live'
branch_labels = None
depends_on = None


def upgrade():
    # Certificates are never deleted (revoked instead): their status-list index is never reused.
    op.create_table('certificate_signing_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_signing_keys')),
    sa.UniqueConstraint('kid', name=op.f('uq_certificate_signing_keys_kid'))
    )
    op.create_table('certificate_settings',
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('rules', sa.JSON(), nullable=False),
    sa.Column('valid_for_days', sa.Integer(), nullable=True),
    sa.Column('signatory', sa.String(length=200), nullable=False),
    sa.Column('criteria', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid_for_days IS NULL OR valid_for_days > 0', name=op.f('ck_certificate_settings_valid_for_days_positive')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_certificate_settings_course_id_courses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('course_id', name=op.f('pk_certificate_settings'))
    )
    op.create_table('certificate_holders',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.String(length=45), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificate_holders_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_certificate_holders')),
    sa.UniqueConstraint('subject_id', name=op.f('uq_certificate_holders_subject_id'))
    )
    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('code', sa.String(length=14), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('valid_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status_list', sa.Integer(), nullable=False),
    sa.Column('status_index', sa.Integer(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('issue_reason', sa.Text(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('credential', sa.JSON(), nullable=False),
    sa.Column('jwt', sa.Text(), nullable=False),
    sa.CheckConstraint('revoked_at IS NULL OR revoke_reason IS NOT NULL', name=op.f('ck_certificates_revoked_with_reason')),
    sa.CheckConstraint('status_index >= 0', name=op.f('ck_certificates_status_index_positive')),
    sa.CheckConstraint('status_list >= 1', name=op.f('ck_certificates_status_list_positive')),
    sa.CheckConstraint('valid_until IS NULL OR valid_until > valid_from', name=op.f('ck_certificates_valid_until_after_from')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_certificates_course_id_courses'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_certificates_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_certificates_revoked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['course_runs.id'], name=op.f('fk_certificates_run_id_course_runs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_certificates_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_code')),
    sa.UniqueConstraint('status_list', 'status_index', name=op.f('uq_certificates_status_list_status_index')),
    sa.UniqueConstraint('user_id', 'run_id', name=op.f('uq_certificates_user_id_run_id')),
    sa.UniqueConstraint('uuid', name=op.f('uq_certificates_uuid'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_certificates_run_id'), ['run_id'], unique=False)



def downgrade():
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_certificates_run_id'))
        batch_op.drop_index(batch_op.f('ix_certificates_course_id'))

    op.drop_table('certificates')
    op.drop_table('certificate_holders')
    op.drop_table('certificate_settings')
    op.drop_table('certificate_signing_keys')
