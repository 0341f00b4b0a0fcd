"""City action plans: the course's template and rubric, a run's settings, teams, plans,
their sections with every version, the review workflow and attachments.

A plan belongs to a *team* of one run, named by a team key: ``city:<id>`` for the run's
learners of one city (or organisation), ``user:<id>`` for an individual plan. Membership is
derived from the learners' cities; a coordinator's ``PlanTeamOverride`` moves one learner.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.accounts.models import City, User
from learning.core.db import Base, utcnow
from learning.courses.models import CourseRun


class PlanState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


PLAN_STATES = tuple(state.value for state in PlanState)
_STATES_SQL = ", ".join(f"'{state}'" for state in PLAN_STATES)


class PlanTemplateSection(Base):
    """One section of a course's plan template (problem statement, objectives ...)."""

    __tablename__ = "plan_template_sections"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    guidance: Mapped[str] = mapped_column(Text, default="")  # Markdown
    is_archived: Mapped[bool] = mapped_column(default=False)


class RubricCriterion(Base):
    """One criterion of a course's review rubric, with its levels."""

    __tablename__ = "rubric_criteria"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_archived: Mapped[bool] = mapped_column(default=False)

    levels: Mapped[list[RubricLevel]] = relationship(
        back_populates="criterion",
        order_by="RubricLevel.position",
        cascade="all, delete-orphan",
        lazy="selectin",
    )

    @property
    def max_points(self) -> int:
        return max((level.points for level in self.levels), default=0)


class RubricLevel(Base):
    __tablename__ = "rubric_levels"
    __table_args__ = (
        UniqueConstraint("criterion_id", "position"),
        CheckConstraint("points >= 0", name="points"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("rubric_criteria.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    points: Mapped[int] = mapped_column(default=0)

    criterion: Mapped[RubricCriterion] = relationship(back_populates="levels")


class PlanSettings(Base):
    """Whether a run requires an action plan, and by when."""

    __tablename__ = "plan_settings"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True
    )
    is_required: Mapped[bool] = mapped_column(default=True)
    due_at: Mapped[datetime | None]
    # Instructors of the run may read (never edit or review) its plans.
    instructors_can_view: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlanTeamOverride(Base):
    """A coordinator's decision for one learner of a run: another city's team, or alone."""

    __tablename__ = "plan_team_overrides"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("course_runs.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team_key: Mapped[str] = mapped_column(String(40))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class ActionPlan(Base):
    """One team's plan in one run."""

    __tablename__ = "action_plans"
    __table_args__ = (
        UniqueConstraint("run_id", "team_key"),
        CheckConstraint(f"state IN ({_STATES_SQL})", name="state"),
        Index("ix_action_plans_state_waiting_since", "state", "waiting_since"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("course_runs.id", ondelete="CASCADE"))
    team_key: Mapped[str] = mapped_column(String(40))
    # The team's city (None for an individual plan of someone without a city): for filters.
    city_id: Mapped[int | None] = mapped_column(
        ForeignKey("cities.id", ondelete="SET NULL"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default=PlanState.DRAFT.value)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # When the plan last started waiting for reviewers (submitted); None when not waiting.
    waiting_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    run: Mapped[CourseRun] = relationship()
    city: Mapped[City | None] = relationship()
    reviewer: Mapped[User | None] = relationship(foreign_keys=[reviewer_id])
    sections: Mapped[list[PlanSection]] = relationship(
        back_populates="plan", cascade="all, delete-orphan"
    )

    @property
    def is_individual(self) -> bool:
        return self.team_key.startswith("user:")


class PlanSection(Base):
    """The current text of one section of a plan and its version number.

    ``version`` counts the saves of this section; a save names the version it was based on
    and is refused if another one came first (optimistic concurrency, per section).
    """

    __tablename__ = "plan_sections"
    __table_args__ = (
        UniqueConstraint("plan_id", "key"),
        CheckConstraint("version >= 0", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(80))
    text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    plan: Mapped[ActionPlan] = relationship(back_populates="sections")
    updated_by: Mapped[User | None] = relationship()


class PlanVersion(Base):
    """One save of one section: who, when, the text, and the version it was based on."""

    __tablename__ = "plan_versions"
    __table_args__ = (
        UniqueConstraint("plan_id", "section_key", "number"),
        CheckConstraint("number > 0", name="number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("action_plans.id", ondelete="CASCADE"))
    section_key: Mapped[str] = mapped_column(String(80))
    number: Mapped[int]
    base_number: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    restored_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_versions.id", ondelete="SET NULL")
    )

    author: Mapped[User | None] = relationship()


class PlanTransition(Base):
    """A change of state: who, when, from what to what, and why."""

    __tablename__ = "plan_transitions"
    __table_args__ = (
        CheckConstraint(f"from_state IN ({_STATES_SQL})", name="from_state"),
        CheckConstraint(f"to_state IN ({_STATES_SQL})", name="to_state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    from_state: Mapped[str] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")

    actor: Mapped[User | None] = relationship()


class PlanReview(Base):
    """A reviewer's decision with rubric scores and comments.

    ``scores`` keeps a copy of each criterion and level chosen (title and points), so that a
    later change to the course's rubric never rewrites a past review.
    """

    __tablename__ = "plan_reviews"
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'changes_requested')", name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decision: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    # [{"criterion": key, "title": ..., "level": ..., "points": n, "max_points": m}, ...]
    scores: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # {section_key: comment}
    section_comments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    total_points: Mapped[int] = mapped_column(default=0)
    max_points: Mapped[int] = mapped_column(default=0)

    reviewer: Mapped[User | None] = relationship()


class PlanAttachment(Base):
    __tablename__ = "plan_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        ForeignKey("action_plans.id", ondelete="CASCADE"), index=True
    )
    storage_key: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User | None] = relationship()
