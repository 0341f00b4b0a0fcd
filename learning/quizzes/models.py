"""Question banks, quizzes and attempts.

A question keeps every version it ever had: an attempt points at the version its learner
answered, so editing a question never changes a past attempt.
"""

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
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.core.db import Base, TimestampMixin, utcnow


class GradingMethod(enum.StrEnum):
    HIGHEST = "highest"
    LAST = "last"
    AVERAGE = "average"


class FeedbackMode(enum.StrEnum):
    IMMEDIATE = "immediate"
    AFTER_CLOSE = "after_close"
    NEVER = "never"


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    NEEDS_GRADING = "needs_grading"
    GRADED = "graded"


class QuestionCategory(Base):
    __tablename__ = "question_categories"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    path: Mapped[str] = mapped_column(String(255))  # "Lecture 1/Basics"


class Question(TimestampMixin, Base):
    """A question in a course's bank; its text and answers live in its versions."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "source_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("question_categories.id", ondelete="RESTRICT"), index=True
    )
    # Questions from content files are matched on re-sync by this key.
    source_key: Mapped[str | None] = mapped_column(String(255))
    is_deleted: Mapped[bool] = mapped_column(default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    category: Mapped[QuestionCategory] = relationship(lazy="joined")
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> QuestionVersion:
        return self.versions[-1]


class QuestionVersion(Base):
    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(default=1)
    type: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(255), default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # quizzes.questions.Question.to_dict()
    fingerprint: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    question: Mapped[Question] = relationship(back_populates="versions")


class Quiz(TimestampMixin, Base):
    """The settings of a quiz item of a course."""

    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint("pass_mark >= 0 AND pass_mark <= 1", name="pass_mark"),
        CheckConstraint("attempts_allowed IS NULL OR attempts_allowed > 0", name="attempts"),
        CheckConstraint("time_limit_seconds IS NULL OR time_limit_seconds > 0", name="time_limit"),
        CheckConstraint("grading_method IN ('highest', 'last', 'average')", name="grading_method"),
        CheckConstraint(
            "feedback_mode IN ('immediate', 'after_close', 'never')", name="feedback_mode"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    pass_mark: Mapped[float] = mapped_column(Float, default=0.5)
    attempts_allowed: Mapped[int | None]
    grading_method: Mapped[str] = mapped_column(String(10), default=GradingMethod.HIGHEST.value)
    time_limit_seconds: Mapped[int | None]
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_answers: Mapped[bool] = mapped_column(default=True)
    feedback_mode: Mapped[str] = mapped_column(String(12), default=FeedbackMode.IMMEDIATE.value)

    slots: Mapped[list[QuizSlot]] = relationship(
        back_populates="quiz", order_by="QuizSlot.position", cascade="all, delete-orphan"
    )
    windows: Mapped[list[QuizWindow]] = relationship(cascade="all, delete-orphan")


class QuizSlot(Base):
    """A place in a quiz: one fixed question, or ``random_count`` drawn from a category."""

    __tablename__ = "quiz_slots"
    __table_args__ = (
        CheckConstraint(
            "(question_id IS NULL) != (category_id IS NULL)", name="question_or_category"
        ),
        CheckConstraint("random_count > 0", name="random_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("question_categories.id", ondelete="CASCADE")
    )
    random_count: Mapped[int] = mapped_column(default=1)

    quiz: Mapped[Quiz] = relationship(back_populates="slots")


class QuizWindow(Base):
    """When a quiz opens and closes in one run."""

    __tablename__ = "quiz_windows"
    __table_args__ = (
        CheckConstraint(
            "opens_at IS NULL OR closes_at IS NULL OR closes_at > opens_at", name="closes_after"
        ),
    )

    quiz_id: Mapped[int] = mapped_column(
        ForeignKey("quizzes.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int] = mapped_column(
        ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True
    )
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]


class QuizAttempt(Base):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("quiz_id", "enrolment_id", "number"),
        CheckConstraint("state IN ('in_progress', 'needs_grading', 'graded')", name="state_known"),
        # At most one attempt in progress per learner and quiz, even with two clicks at once.
        Index(
            "uq_quiz_attempts_one_open",
            "quiz_id",
            "enrolment_id",
            unique=True,
            postgresql_where=text("state = 'in_progress'"),
            sqlite_where=text("state = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(default=1)
    state: Mapped[str] = mapped_column(String(16), default=AttemptState.IN_PROGRESS.value)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    graded_at: Mapped[datetime | None]
    score: Mapped[float | None] = mapped_column(Float)  # 0..1 once graded
    is_passed: Mapped[bool | None]
    # The questions (versions) and answer orders this attempt shows, fixed at its start.
    layout: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)

    quiz: Mapped[Quiz] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(
        back_populates="attempt", order_by="AttemptAnswer.slot", cascade="all, delete-orphan"
    )

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.IN_PROGRESS


class AttemptAnswer(Base):
    __tablename__ = "attempt_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    slot: Mapped[int]
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id", ondelete="RESTRICT"))
    response: Mapped[Any | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None]
    fraction: Mapped[float | None] = mapped_column(Float)
    feedback: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_manual_grading: Mapped[bool] = mapped_column(default=False)
    grader_comment: Mapped[str] = mapped_column(Text, default="")
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    graded_at: Mapped[datetime | None]

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")
    version: Mapped[QuestionVersion] = relationship(lazy="joined")
