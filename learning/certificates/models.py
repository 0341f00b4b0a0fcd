"""Certificates: the issuer's signing keys, per-course completion rules, and certificates.

A certificate is never deleted: revocation sets ``revoked_at``, so its status-list index is
never handed to anyone else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.accounts.models import User
from learning.core.db import Base, utcnow
from learning.courses.models import Course, CourseRun


class SigningKey(Base):
    """A public key the issuer signs (or signed) with. The private key never enters the
    database: it comes from a file or an environment variable (see ``keys.py``)."""

    __tablename__ = "certificate_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    # RFC 7638 thumbprint of the public key; the JWT header's kid is a URL ending in it.
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Retired keys sign nothing new but stay published, so old certificates keep verifying.
    retired_at: Mapped[datetime | None]

    @property
    def is_current(self) -> bool:
        return self.retired_at is None


class CertificateSettings(Base):
    """A course's completion rules and what its certificate says (``certificate:`` in
    course.yaml). A course without a row needs every required item complete."""

    __tablename__ = "certificate_settings"
    __table_args__ = (
        CheckConstraint(
            "valid_for_days IS NULL OR valid_for_days > 0", name="valid_for_days_positive"
        ),
    )

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    # {"items": "all", "quizzes_passed": ["final-quiz"], "not_before": "2026-01-01", ...}
    rules: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    valid_for_days: Mapped[int | None]
    signatory: Mapped[str] = mapped_column(String(200), default="")
    criteria: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CertificateHolder(Base):
    """The stable, opaque identifier a learner carries in every credential (no user id, no
    e-mail address leaks from a certificate)."""

    __tablename__ = "certificate_holders"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[str] = mapped_column(String(45), unique=True)  # urn:uuid:...


class Certificate(Base):
    __tablename__ = "certificates"
    __table_args__ = (
        # Exactly one certificate per learner and run, whoever asks how often.
        UniqueConstraint("user_id", "run_id"),
        UniqueConstraint("status_list", "status_index"),
        CheckConstraint("status_index >= 0", name="status_index_positive"),
        CheckConstraint("status_list >= 1", name="status_list_positive"),
        CheckConstraint(
            "valid_until IS NULL OR valid_until > valid_from", name="valid_until_after_from"
        ),
        CheckConstraint(
            "revoked_at IS NULL OR revoke_reason IS NOT NULL", name="revoked_with_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    # Short code people type at /verify: 60 random bits, Crockford base32, e.g. 7K3M-QX2D-94HT.
    code: Mapped[str] = mapped_column(String(14), unique=True)
    # (user_id, run_id) is unique, so user_id needs no index of its own.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    run_id: Mapped[int] = mapped_column(
        ForeignKey("course_runs.id", ondelete="RESTRICT"), index=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    holder_name: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    status_list: Mapped[int] = mapped_column(default=1)
    status_index: Mapped[int]
    # Set when a coordinator issued it by hand, with why.
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issue_reason: Mapped[str | None] = mapped_column(Text)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(64))
    credential: Mapped[dict[str, Any]] = mapped_column(JSON)
    jwt: Mapped[str] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    run: Mapped[CourseRun] = relationship()
    course: Mapped[Course] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: datetime) -> bool:
        return self.valid_until is not None and now >= self.valid_until
