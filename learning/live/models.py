"""Live sessions of a course run, registrations with a waiting list, reminders sent,
attendance, and each user's private calendar feed.

Times are UTC instants; ``LiveSession.timezone`` names the zone the organiser entered them in,
so the organiser's wall-clock time can be shown beside the viewer's.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import conv

from learning.accounts.models import User
from learning.core.db import Base, TimestampMixin, utcnow
from learning.courses.models import CourseRun


class RegistrationStatus(enum.StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class AttendanceSource(enum.StrEnum):
    CHECKLIST = "checklist"
    IMPORT = "import"


DEFAULT_REMINDER_OFFSETS = [24 * 60, 60]  # minutes before the start


class LiveSession(TimestampMixin, Base):
    __tablename__ = "live_sessions"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("join_url LIKE 'https://%'", name="join_url_https"),
        CheckConstraint("sequence >= 0", name="sequence"),
        CheckConstraint("min_attendance_minutes >= 0", name="min_attendance_minutes"),
        Index("ix_live_sessions_run_id_starts_at", "run_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("course_runs.id", ondelete="CASCADE"))
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The organiser's zone: the one the times were entered in.
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    join_url: Mapped[str] = mapped_column(String(2000))
    capacity: Mapped[int | None]
    # False: only registered learners see the link; True: every enrolled learner does.
    is_link_for_all_enrolled: Mapped[bool] = mapped_column(default=False)
    reminder_offsets: Mapped[list[Any]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_OFFSETS)
    )
    min_attendance_minutes: Mapped[int] = mapped_column(default=30)
    # iCalendar SEQUENCE: raised on every change a calendar should pick up.
    sequence: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None]
    recording_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("items.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    run: Mapped[CourseRun] = relationship()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class Registration(Base):
    """A learner's place in a session, or on its waiting list (ordered by ``position``)."""

    __tablename__ = "live_registrations"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint("status IN ('registered', 'waitlisted', 'cancelled')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(default=0)
    registered_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[LiveSession] = relationship()
    user: Mapped[User] = relationship()


class ReminderSent(Base):
    """One reminder to one registrant for one start time: the unique constraint makes a
    reminder go once even if the periodic task runs twice at the same moment, and a new start
    time (a rescheduled session) gets its reminders again."""

    __tablename__ = "live_reminders_sent"
    __table_args__ = (
        # Named by hand: the conventional name is longer than PostgreSQL's 63 characters.
        UniqueConstraint(
            "registration_id",
            "offset_minutes",
            "session_starts_at",
            name=conv("uq_live_reminders_sent_once"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("live_registrations.id", ondelete="CASCADE")
    )
    offset_minutes: Mapped[int]
    session_starts_at: Mapped[datetime]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    # False when a later reminder made this one pointless (the task ran late).
    is_delivered: Mapped[bool] = mapped_column(default=True)


class Attendance(Base):
    __tablename__ = "live_attendances"
    __table_args__ = (
        UniqueConstraint("session_id", "user_id"),
        CheckConstraint("source IN ('checklist', 'import')", name="source_known"),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    is_present: Mapped[bool] = mapped_column(default=True)
    minutes: Mapped[int | None]
    source: Mapped[str] = mapped_column(String(10), default=AttendanceSource.CHECKLIST.value)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CalendarFeed(Base):
    """The secret of a user's private calendar feed; a reset replaces it, killing the old URL."""

    __tablename__ = "live_calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
