"""Courses and their content, runs (cohorts), enrolments and honest progress."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.accounts.models import User
from learning.core.db import Base, TimestampMixin, utcnow


class ItemKind(enum.StrEnum):
    VIDEO = "video"
    READING = "reading"
    FILE = "file"
    LINK = "link"
    QUIZ = "quiz"  # settings and questions live in the quizzes domain


ITEM_KINDS = tuple(kind.value for kind in ItemKind)


class EnrolmentMode(enum.StrEnum):
    OPEN = "open"
    CODE = "code"
    COORDINATOR = "coordinator"


class RunRole(enum.StrEnum):
    COORDINATOR = "coordinator"
    INSTRUCTOR = "instructor"


class Course(TimestampMixin, Base):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint("video_threshold > 0 AND video_threshold <= 1", name="video_threshold"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(10), default="en")
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    programme: Mapped[str] = mapped_column(String(200), default="")
    estimated_hours: Mapped[float] = mapped_column(Float, default=0)
    # Covers are served only after the worker has processed them (upright, no EXIF, resized);
    # an upload waits in cover_pending_key until then.
    cover_key: Mapped[str | None] = mapped_column(String(255))
    cover_thumb_key: Mapped[str | None] = mapped_column(String(255))
    cover_pending_key: Mapped[str | None] = mapped_column(String(255))
    video_threshold: Mapped[float] = mapped_column(Float, default=0.9)
    is_published: Mapped[bool] = mapped_column(default=False)
    # Hash of the content folder the course was last synced from; None if edited in the browser.
    content_hash: Mapped[str | None] = mapped_column(String(64))

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    runs: Mapped[list[CourseRun]] = relationship(
        back_populates="course", order_by="CourseRun.starts_at"
    )
    staff: Mapped[list[CourseStaff]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"


class CourseStaff(Base):
    """Instructors who may edit a course's content."""

    __tablename__ = "course_staff"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )

    course: Mapped[Course] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


class Module(Base):
    __tablename__ = "modules"
    __table_args__ = (
        UniqueConstraint("course_id", "key"),
        CheckConstraint(
            "release_after_days IS NULL OR release_after_days >= 0", name="release_after_days"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    release_after_days: Mapped[int | None]
    is_archived: Mapped[bool] = mapped_column(default=False)
    # Made by `flask content sync`: only these are archived when they leave the files, so what
    # staff add in the browser (a live session's recording, say) survives the next sync.
    is_from_content: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(back_populates="modules")
    items: Mapped[list[Item]] = relationship(
        back_populates="module", order_by="Item.position", cascade="all, delete-orphan"
    )


class Item(Base):
    """One step of a module: a video lecture, a reading, a file or a link."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("course_id", "key"),
        CheckConstraint("kind IN ('video', 'reading', 'file', 'link', 'quiz')", name="kind"),
        CheckConstraint("kind != 'video' OR duration_seconds > 0", name="video_has_duration"),
        Index("ix_items_module_id_position", "module_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(200))
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitised when stored
    # The Markdown typed in the browser, to edit it again (synced items keep theirs in files).
    body_markdown: Mapped[str | None] = mapped_column(Text)
    transcript: Mapped[str] = mapped_column(Text, default="")  # from the captions, for reading
    url: Mapped[str | None] = mapped_column(String(2000))
    media_key: Mapped[str | None] = mapped_column(String(255))
    media_type: Mapped[str | None] = mapped_column(String(100))
    media_name: Mapped[str | None] = mapped_column(String(255))
    media_size: Mapped[int | None]
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    is_optional: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)
    is_from_content: Mapped[bool] = mapped_column(default=False)  # see Module.is_from_content
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship(back_populates="items")
    assets: Mapped[list[ItemAsset]] = relationship(
        back_populates="item", order_by="ItemAsset.position", cascade="all, delete-orphan"
    )

    @property
    def is_required(self) -> bool:
        return not self.is_optional and not self.is_archived


class ItemAsset(Base):
    """A file that goes with an item: captions for a video, slides or other attachments."""

    __tablename__ = "item_assets"
    __table_args__ = (CheckConstraint("kind IN ('captions', 'attachment')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    language: Mapped[str | None] = mapped_column(String(10))
    label: Mapped[str | None] = mapped_column(String(100))

    item: Mapped[Item] = relationship(back_populates="assets")


class CourseRun(TimestampMixin, Base):
    """A cohort: one teaching of a course between two dates."""

    __tablename__ = "course_runs"
    __table_args__ = (
        UniqueConstraint("course_id", "slug"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity > 0", name="capacity_positive"),
        CheckConstraint("enrolment_mode IN ('open', 'code', 'coordinator')", name="enrolment_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    enrolment_opens_at: Mapped[datetime | None]
    enrolment_closes_at: Mapped[datetime | None]
    enrolment_mode: Mapped[str] = mapped_column(String(20), default=EnrolmentMode.OPEN.value)
    invitation_code: Mapped[str | None] = mapped_column(String(64))
    capacity: Mapped[int | None]
    is_sequential: Mapped[bool] = mapped_column(default=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")

    course: Mapped[Course] = relationship(back_populates="runs")
    staff: Mapped[list[RunStaff]] = relationship(back_populates="run", cascade="all, delete-orphan")
    module_releases: Mapped[list[ModuleRelease]] = relationship(
        back_populates="run", cascade="all, delete-orphan"
    )


class RunStaff(Base):
    __tablename__ = "run_staff"
    __table_args__ = (CheckConstraint("role IN ('coordinator', 'instructor')", name="role"),)

    run_id: Mapped[int] = mapped_column(
        ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20), primary_key=True)

    run: Mapped[CourseRun] = relationship(back_populates="staff")
    user: Mapped[User] = relationship()


class ModuleRelease(Base):
    """A run's own release date for a module, overriding the course's release_after_days."""

    __tablename__ = "module_releases"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True
    )
    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )
    releases_at: Mapped[datetime]

    run: Mapped[CourseRun] = relationship(back_populates="module_releases")


class Enrolment(Base):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("run_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("course_runs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    left_at: Mapped[datetime | None]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    completed_at: Mapped[datetime | None]
    last_item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime | None]

    run: Mapped[CourseRun] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @property
    def is_active(self) -> bool:
        return self.left_at is None


class ItemProgress(Base):
    """What one learner really did with one item.

    For a video, ``intervals`` is the union of the time ranges actually played, as sorted,
    disjoint ``[start, end]`` pairs in seconds; re-watching or skipping adds nothing.
    """

    __tablename__ = "item_progress"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "item_id"),
        CheckConstraint("played_seconds >= 0", name="played_seconds"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    intervals: Mapped[list[Any]] = mapped_column(JSON, default=list)
    played_seconds: Mapped[float] = mapped_column(Float, default=0)
    position_seconds: Mapped[float] = mapped_column(Float, default=0)
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_report_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_completed(self) -> bool:
        return self.completed_at is not None
