"""Action plans business rules: templates and rubrics, teams, drafting with versions and
per-section optimistic concurrency, the review workflow, the coordinators' queue.

Every function takes the actor and the clock (``now``) explicitly, raises ``core.errors`` and
flushes; the entry point (view, task, CLI) commits.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from blinker import Namespace
from sqlalchemy import String, and_, case, cast, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, contains_eager, joinedload, selectinload

from learning.accounts.models import City, Role, User
from learning.accounts.services import Page
from learning.core import files, images
from learning.core.errors import Conflict, Forbidden, NotFound, ValidationError
from learning.core.storage import Storage, TooLarge
from learning.courses import services as courses
from learning.courses.authoring import display_name
from learning.courses.deadlines import DEADLINE_SOURCES, Deadline
from learning.courses.models import Course, CourseRun, Enrolment, RunRole, RunStaff
from learning.extensions import db
from learning.plans.models import (
    ActionPlan,
    PlanAttachment,
    PlanReview,
    PlanSection,
    PlanSettings,
    PlanState,
    PlanTeamOverride,
    PlanTemplateSection,
    PlanTransition,
    PlanVersion,
    RubricCriterion,
    RubricLevel,
)

#: Sent with the plan as sender, ``user_ids=[...]`` (the team) and ``now=`` on approval.
plan_approved = Namespace().signal("plan-approved")

MAX_SECTION_CHARS = 100_000
MAX_COMMENT_CHARS = 20_000
MAX_ATTACHMENTS = 20
QUEUE_PAGE = 100
ATTACHMENT_TYPES = files.DOCUMENT_TYPES | files.IMAGE_TYPES
EDITABLE_STATES = frozenset({PlanState.DRAFT, PlanState.CHANGES_REQUESTED})

TEAM = "team"
REVIEWER = "reviewer"
COORDINATOR = "coordinator"

#: Every allowed change of state and who may make it; anything else is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (PlanState.DRAFT, PlanState.SUBMITTED): TEAM,
    (PlanState.CHANGES_REQUESTED, PlanState.SUBMITTED): TEAM,  # resubmitted
    (PlanState.SUBMITTED, PlanState.IN_REVIEW): REVIEWER,
    (PlanState.IN_REVIEW, PlanState.CHANGES_REQUESTED): REVIEWER,
    (PlanState.IN_REVIEW, PlanState.APPROVED): REVIEWER,
    (PlanState.APPROVED, PlanState.DRAFT): COORDINATOR,  # reopened
}


def _session() -> Session:
    return db.session


# --- the course's template and rubric ------------------------------------------------------------


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    guidance: str = ""


@dataclass(frozen=True)
class LevelSpec:
    title: str
    points: int
    description: str = ""


@dataclass(frozen=True)
class CriterionSpec:
    key: str
    title: str
    levels: tuple[LevelSpec, ...]
    description: str = ""


def template_sections(course_id: int) -> list[PlanTemplateSection]:
    """The sections of the course's plan template, in order."""
    return list(
        _session().scalars(
            select(PlanTemplateSection)
            .where(
                PlanTemplateSection.course_id == course_id,
                PlanTemplateSection.is_archived.is_(False),
            )
            .order_by(PlanTemplateSection.position, PlanTemplateSection.id)
        )
    )


def rubric(course_id: int) -> list[RubricCriterion]:
    """The criteria (with their levels) reviewers score plans of this course on."""
    return list(
        _session().scalars(
            select(RubricCriterion)
            .where(RubricCriterion.course_id == course_id, RubricCriterion.is_archived.is_(False))
            .order_by(RubricCriterion.position, RubricCriterion.id)
        )
    )


def set_template(course: Course, sections: list[SectionSpec], *, now: datetime) -> None:
    """Make the course's plan template exactly ``sections`` (kept by key; others archived,
    never deleted, since plans hold text under their keys)."""
    keys = [s.key for s in sections]
    if len(set(keys)) != len(keys):
        raise ValidationError("Each section needs its own key.")
    existing = {
        s.key: s
        for s in _session().scalars(
            select(PlanTemplateSection).where(PlanTemplateSection.course_id == course.id)
        )
    }
    for position, spec in enumerate(sections):
        row = existing.pop(spec.key, None)
        if row is None:
            row = PlanTemplateSection(course_id=course.id, key=spec.key)
            _session().add(row)
        row.position, row.title, row.guidance, row.is_archived = (
            position,
            spec.title,
            spec.guidance,
            False,
        )
    for row in existing.values():
        row.is_archived = True
    _session().flush()


def set_rubric(course: Course, criteria: list[CriterionSpec], *, now: datetime) -> None:
    """Make the course's rubric exactly ``criteria`` (past reviews keep their own copy)."""
    existing = {
        c.key: c
        for c in _session().scalars(
            select(RubricCriterion).where(RubricCriterion.course_id == course.id)
        )
    }
    for position, spec in enumerate(criteria):
        if not spec.levels:
            raise ValidationError(f"Criterion '{spec.key}' needs at least one level.")
        row = existing.pop(spec.key, None)
        if row is None:
            row = RubricCriterion(course_id=course.id, key=spec.key)
            _session().add(row)
        row.position, row.title, row.description, row.is_archived = (
            position,
            spec.title,
            spec.description,
            False,
        )
        row.levels.clear()
        _session().flush()
        for index, level in enumerate(spec.levels):
            row.levels.append(
                RubricLevel(
                    position=index,
                    title=level.title,
                    points=level.points,
                    description=level.description,
                )
            )
    for row in existing.values():
        row.is_archived = True
    _session().flush()


# --- a run's settings ---------------------------------------------------------------------------


def settings_for(run: CourseRun) -> PlanSettings | None:
    """The run's plan settings; None when the run asks for no plan."""
    return _session().get(PlanSettings, run.id)


def is_coordinator(user: User | None, run: CourseRun) -> bool:
    """Admins and the run's coordinators."""
    return courses.is_run_staff(user, run, RunRole.COORDINATOR)


def configure_run(
    actor: User | None,
    run: CourseRun,
    *,
    is_required: bool,
    due_at: datetime | None,
    instructors_can_view: bool = False,
    now: datetime,
) -> PlanSettings:
    """Ask (or stop asking) a run for action plans, with a due date (``actor`` None: the
    command line or demo data)."""
    if actor is not None and not is_coordinator(actor, run):
        raise Forbidden("Only the run's coordinators change its action plan settings.")
    if due_at is not None and due_at.tzinfo is None:
        raise ValidationError("The due date needs a time zone.", field="due_at")
    settings = settings_for(run)
    if settings is None:
        settings = PlanSettings(run_id=run.id)
        _session().add(settings)
    settings.is_required = is_required
    settings.due_at = due_at
    settings.instructors_can_view = instructors_can_view
    settings.updated_at = now
    _session().flush()
    return settings


# --- teams ---------------------------------------------------------------------------------------


def city_team(city_id: int) -> str:
    return f"city:{city_id}"


def individual_team(user_id: int) -> str:
    return f"user:{user_id}"


def _parse_team(team_key: str) -> tuple[str, int]:
    kind, _, number = team_key.partition(":")
    if kind not in {"city", "user"} or not number.isdigit():
        raise ValidationError("Unknown team.", field="team")
    return kind, int(number)


def _default_team_sql():
    return case(
        (User.city_id.is_not(None), literal("city:") + cast(User.city_id, String)),
        else_=literal("user:") + cast(User.id, String),
    )


def _team_key_sql():
    """SQL for a learner's team key in a run (needs users outer-joined to the overrides)."""
    return func.coalesce(PlanTeamOverride.team_key, _default_team_sql())


def _override_join(run_id: int):
    return and_(PlanTeamOverride.user_id == User.id, PlanTeamOverride.run_id == run_id)


def team_key_for(user: User, run: CourseRun) -> str:
    """The team ``user`` writes with in ``run``: their city's, unless a coordinator decided."""
    override = _session().get(PlanTeamOverride, (run.id, user.id))
    if override is not None:
        return override.team_key
    return city_team(user.city_id) if user.city_id else individual_team(user.id)


def team_members(run: CourseRun, team_key: str) -> list[User]:
    """The run's active learners in the team ``team_key`` (one query)."""
    return list(
        _session().scalars(
            select(User)
            .join(Enrolment, Enrolment.user_id == User.id)
            .outerjoin(PlanTeamOverride, _override_join(run.id))
            .where(
                Enrolment.run_id == run.id,
                Enrolment.left_at.is_(None),
                _team_key_sql() == team_key,
            )
            .order_by(func.lower(User.display_name))
        )
    )


@dataclass(frozen=True)
class TeamRow:
    user: User
    team_key: str
    is_override: bool


def run_teams(run: CourseRun) -> list[TeamRow]:
    """Every active learner of the run with their team (one query), for coordinators."""
    rows = _session().execute(
        select(User, PlanTeamOverride.team_key)
        .join(Enrolment, Enrolment.user_id == User.id)
        .outerjoin(PlanTeamOverride, _override_join(run.id))
        .where(Enrolment.run_id == run.id, Enrolment.left_at.is_(None))
        .options(selectinload(User.role_rows))
        .order_by(func.lower(User.display_name))
    )
    result = []
    for user, override in rows:
        default = city_team(user.city_id) if user.city_id else individual_team(user.id)
        result.append(TeamRow(user, override or default, override is not None))
    return result


def team_label(team_key: str) -> str:
    """A readable name for a team: the city's name, or the person's for an individual plan."""
    kind, number = _parse_team(team_key)
    if kind == "city":
        city = _session().get(City, number)
        return city.name if city else team_key
    user = _session().get(User, number)
    return f"{user.display_name} (individual)" if user else team_key


def move_learner(
    actor: User, run: CourseRun, learner: User, team_key: str | None, *, now: datetime
) -> None:
    """Put ``learner`` in another team of ``run`` (``city:<id>``), let them write alone
    (``user:<their id>``), or back in their own city's team (None)."""
    if not is_coordinator(actor, run):
        raise Forbidden("Only the run's coordinators change teams.")
    if courses.active_enrolment_in_run(learner, run) is None:
        raise ValidationError("This person is not a learner of the run.", field="user")
    override = _session().get(PlanTeamOverride, (run.id, learner.id))
    if team_key is None:
        if override is not None:
            _session().delete(override)
            _session().flush()
        return
    kind, number = _parse_team(team_key)
    if kind == "user" and number != learner.id:
        raise ValidationError("An individual plan is the learner's own.", field="team")
    if kind == "city" and _session().get(City, number) is None:
        raise ValidationError("Unknown city.", field="team")
    if override is None:
        override = PlanTeamOverride(run_id=run.id, user_id=learner.id)
        _session().add(override)
    override.team_key = team_key
    override.set_by_id = actor.id
    override.set_at = now
    _session().flush()


# --- plans and who may do what ------------------------------------------------------------------


def get_plan(plan_id: int) -> ActionPlan:
    plan = _session().get(ActionPlan, plan_id)
    if plan is None:
        raise NotFound("No such action plan.")
    return plan


def plan_of_team(run: CourseRun, team_key: str) -> ActionPlan | None:
    return _session().scalar(
        select(ActionPlan).where(ActionPlan.run_id == run.id, ActionPlan.team_key == team_key)
    )


def plan_for(user: User, run: CourseRun) -> ActionPlan | None:
    """The plan of ``user``'s team in ``run``, if the team has started one."""
    return plan_of_team(run, team_key_for(user, run))


def start_plan(actor: User, run: CourseRun, *, now: datetime) -> ActionPlan:
    """The plan of the actor's team in ``run``, created if the team has none (idempotent,
    also when two members start it at the same moment)."""
    if courses.active_enrolment_in_run(actor, run) is None:
        raise Forbidden("Only the run's learners write action plans.")
    if settings_for(run) is None:
        raise NotFound("This run asks for no action plan.")
    team_key = team_key_for(actor, run)
    plan = plan_of_team(run, team_key)
    if plan is not None:
        return plan
    kind, number = _parse_team(team_key)
    if kind == "city":
        city = _session().get(City, number)
        title, city_id = f"{city.name} action plan", city.id
    else:
        person = _session().get(User, number)
        title, city_id = f"{person.display_name}'s action plan", person.city_id
    plan = ActionPlan(
        run_id=run.id,
        team_key=team_key,
        city_id=city_id,
        title=title[:200],
        state=PlanState.DRAFT.value,
        created_at=now,
        created_by_id=actor.id,
        state_changed_at=now,
    )
    try:
        with _session().begin_nested():
            _session().add(plan)
    except IntegrityError:
        found = plan_of_team(run, team_key)
        if found is None:
            raise
        return found
    return plan


@dataclass(frozen=True)
class PlanAccess:
    is_member: bool = False
    can_view: bool = False
    can_edit: bool = False
    can_review: bool = False
    can_coordinate: bool = False


def is_member(user: User | None, plan: ActionPlan) -> bool:
    """True when ``user`` is an active learner of the plan's run in the plan's team."""
    if user is None or not user.is_authenticated:
        return False
    run = plan.run
    if courses.active_enrolment_in_run(user, run) is None:
        return False
    return team_key_for(user, run) == plan.team_key


def access(user: User | None, plan: ActionPlan) -> PlanAccess:
    """What ``user`` may do with ``plan``: the team edits; coordinators and the assigned
    reviewer review; the run's instructors read if the run allows; nobody else sees it."""
    if user is None or not user.is_authenticated:
        return PlanAccess()
    member = is_member(user, plan)
    run = plan.run
    coordinator = is_coordinator(user, run)
    reviewer = coordinator or plan.reviewer_id == user.id
    instructor_reads = False
    if not (member or reviewer) and courses.is_run_staff(user, run, RunRole.INSTRUCTOR):
        settings = settings_for(run)
        instructor_reads = bool(settings and settings.instructors_can_view)
    return PlanAccess(
        is_member=member,
        can_view=member or reviewer or instructor_reads,
        can_edit=member and plan.state in EDITABLE_STATES,
        can_review=reviewer,
        can_coordinate=coordinator,
    )


def viewable_plan(user: User, plan_id: int) -> tuple[ActionPlan, PlanAccess]:
    """The plan and the user's rights on it; NotFound for anyone who may not see it (a
    guessed id tells nothing)."""
    plan = get_plan(plan_id)
    rights = access(user, plan)
    if not rights.can_view:
        raise NotFound("No such action plan.")
    return plan, rights


# --- drafting -------------------------------------------------------------------------------------


class SectionConflict(Conflict):
    """A save was based on an old version of the section: nothing was applied. Carries the
    writer's text and the section's current text so that they can choose or merge."""

    def __init__(self, section_key: str, *, yours: str, current: PlanSection | None):
        super().__init__(
            "Someone else saved this section after you opened it. Your text is kept: "
            "compare it with theirs and choose or merge.",
            code="section_conflict",
        )
        self.section_key = section_key
        self.yours = yours
        self.current_text = current.text if current else ""
        self.current_version = current.version if current else 0
        self.current_author = current.updated_by if current else None
        self.current_at = current.updated_at if current else None


@dataclass(frozen=True)
class SectionView:
    template: PlanTemplateSection
    section: PlanSection | None

    @property
    def key(self) -> str:
        return self.template.key

    @property
    def text(self) -> str:
        return self.section.text if self.section else ""

    @property
    def version(self) -> int:
        return self.section.version if self.section else 0


def plan_sections(plan: ActionPlan) -> list[SectionView]:
    """The template's sections with the plan's current text of each (two queries)."""
    template = template_sections(plan.run.course_id)
    current = {
        s.key: s
        for s in _session().scalars(
            select(PlanSection)
            .where(PlanSection.plan_id == plan.id)
            .options(joinedload(PlanSection.updated_by).lazyload(User.role_rows))
        )
    }
    return [SectionView(t, current.get(t.key)) for t in template]


def _template_section(plan: ActionPlan, key: str) -> PlanTemplateSection:
    found = _session().scalar(
        select(PlanTemplateSection).where(
            PlanTemplateSection.course_id == plan.run.course_id,
            PlanTemplateSection.key == key,
            PlanTemplateSection.is_archived.is_(False),
        )
    )
    if found is None:
        raise NotFound("No such section in this plan.")
    return found


def _normalise(text: str) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


def _require_editor(actor: User, plan: ActionPlan) -> None:
    if not is_member(actor, plan):
        raise Forbidden("Only the plan's team edits it.")
    if plan.state not in EDITABLE_STATES:
        raise Conflict(
            "The plan has been submitted: it can be edited again once changes are requested.",
            code="plan_locked",
        )


def save_section(
    actor: User,
    plan: ActionPlan,
    key: str,
    text: str,
    *,
    base_version: int,
    now: datetime,
    restored_from: PlanVersion | None = None,
    check_access: bool = True,
) -> PlanSection:
    """Save one section's text as a new version, if ``base_version`` is still its version.

    One conditional UPDATE (``WHERE version = base``) plus one version row; a stale base
    raises ``SectionConflict`` and writes nothing. Saving the text the section already holds
    (a double click, a retried request) changes nothing and is not a conflict.
    """
    if check_access:
        _require_editor(actor, plan)
    _template_section(plan, key)
    text = _normalise(text)
    if len(text) > MAX_SECTION_CHARS:
        raise ValidationError(
            f"A section holds at most {MAX_SECTION_CHARS:,} characters.", field="text"
        )
    section = _session().scalar(
        select(PlanSection).where(PlanSection.plan_id == plan.id, PlanSection.key == key)
    )
    if section is not None and section.text == text and restored_from is None:
        return section
    current_version = section.version if section else 0
    if base_version != current_version:
        raise SectionConflict(key, yours=text, current=section)
    number = current_version + 1
    if section is None:
        section = PlanSection(
            plan_id=plan.id,
            key=key,
            text=text,
            version=number,
            updated_at=now,
            updated_by_id=actor.id,
        )
        try:
            with _session().begin_nested():
                _session().add(section)
        except IntegrityError:
            # Another member saved the first version of this section at the same moment.
            current = _session().scalar(
                select(PlanSection).where(PlanSection.plan_id == plan.id, PlanSection.key == key)
            )
            raise SectionConflict(key, yours=text, current=current) from None
    else:
        done = _session().execute(
            update(PlanSection)
            .where(PlanSection.id == section.id, PlanSection.version == base_version)
            .values(text=text, version=number, updated_at=now, updated_by_id=actor.id)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            _session().refresh(section)
            raise SectionConflict(key, yours=text, current=section)
        _session().expire(section)
    _session().add(
        PlanVersion(
            plan_id=plan.id,
            section_key=key,
            number=number,
            base_number=base_version,
            text=text,
            author_id=actor.id,
            created_at=now,
            restored_from_id=restored_from.id if restored_from else None,
        )
    )
    _session().flush()
    return section


def history(plan: ActionPlan, *, limit: int = 500) -> list[PlanVersion]:
    """Every save of the plan, newest first, with its author (one query)."""
    return list(
        _session().scalars(
            select(PlanVersion)
            .where(PlanVersion.plan_id == plan.id)
            .options(joinedload(PlanVersion.author).lazyload(User.role_rows))
            .order_by(PlanVersion.id.desc())
            .limit(limit)
        )
    )


def get_version(plan: ActionPlan, version_id: int) -> PlanVersion:
    version = _session().get(PlanVersion, version_id)
    if version is None or version.plan_id != plan.id:
        raise NotFound("No such version of this plan.")
    return version


def restore_version(
    actor: User, plan: ActionPlan, version: PlanVersion, *, base_version: int, now: datetime
) -> PlanSection:
    """Make an old version's text the section's text again, as a new version (history is
    never rewritten)."""
    if version.plan_id != plan.id:
        raise NotFound("No such version of this plan.")
    return save_section(
        actor,
        plan,
        version.section_key,
        version.text,
        base_version=base_version,
        now=now,
        restored_from=version,
    )


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same", "added", "removed"
    text: str


def diff_texts(old: str, new: str) -> list[DiffLine]:
    """A line-by-line diff of two texts (difflib), readable without colour: each line is
    kept, added or removed."""
    before, after = _normalise(old).split("\n"), _normalise(new).split("\n")
    result: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(DiffLine("same", line) for line in before[i1:i2])
            continue
        result.extend(DiffLine("removed", line) for line in before[i1:i2])
        result.extend(DiffLine("added", line) for line in after[j1:j2])
    return result


def diff_versions(first: PlanVersion, second: PlanVersion) -> list[DiffLine]:
    """What changed from the older of two versions to the newer."""
    old, new = sorted((first, second), key=lambda v: v.id)
    return diff_texts(old.text, new.text)


# --- the workflow ---------------------------------------------------------------------------------


def allowed_transitions(user: User, plan: ActionPlan, rights: PlanAccess | None = None) -> set[str]:
    """The states ``user`` may move ``plan`` to now."""
    rights = rights or access(user, plan)
    result = set()
    for (source, target), who in TRANSITIONS.items():
        if source != plan.state:
            continue
        if (
            (who == TEAM and rights.is_member)
            or (who == REVIEWER and rights.can_review)
            or (who == COORDINATOR and rights.can_coordinate)
        ):
            result.add(str(target))
    return result


def _transition(
    actor: User, plan: ActionPlan, target: str, *, comment: str, now: datetime
) -> PlanTransition:
    """Move ``plan`` to ``target`` if the state machine and the actor's role allow it."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise ValidationError("The comment is too long.", field="comment")
    who = TRANSITIONS.get((PlanState(plan.state), PlanState(target)))
    if who is None:
        raise Conflict(
            f"A plan that is {plan.state.replace('_', ' ')} cannot become "
            f"{target.replace('_', ' ')}.",
            code="invalid_transition",
        )
    rights = access(actor, plan)
    allowed = {TEAM: rights.is_member, REVIEWER: rights.can_review}.get(who, rights.can_coordinate)
    if not allowed:
        raise Forbidden("You may not make this change to the plan.")
    transition = PlanTransition(
        plan_id=plan.id,
        actor_id=actor.id,
        created_at=now,
        from_state=plan.state,
        to_state=str(target),
        comment=comment,
    )
    plan.state = str(target)
    plan.state_changed_at = now
    _session().add(transition)
    _session().flush()
    return transition


def submit(actor: User, plan: ActionPlan, *, comment: str = "", now: datetime) -> PlanTransition:
    """The team hands the plan in (first time or again after changes were requested);
    editing is frozen until a reviewer asks for changes."""
    if plan.state in EDITABLE_STATES and not any(s.text.strip() for s in plan_sections(plan)):
        raise ValidationError("Write at least one section before submitting the plan.")
    transition = _transition(actor, plan, PlanState.SUBMITTED, comment=comment, now=now)
    plan.waiting_since = now
    _session().flush()
    return transition


def start_review(actor: User, plan: ActionPlan, *, now: datetime) -> PlanTransition:
    """A reviewer takes a submitted plan; it becomes theirs if nobody was assigned."""
    transition = _transition(actor, plan, PlanState.IN_REVIEW, comment="", now=now)
    if plan.reviewer_id is None:
        plan.reviewer_id = actor.id
    _session().flush()
    return transition


def decide(
    actor: User,
    plan: ActionPlan,
    decision: str,
    *,
    levels: dict[str, int],
    comment: str = "",
    section_comments: dict[str, str] | None = None,
    now: datetime,
) -> PlanReview:
    """Record a review (rubric level per criterion key, comments) and its decision:
    ``approved`` or ``changes_requested``. Approval needs every criterion scored."""
    if decision not in {PlanState.APPROVED, PlanState.CHANGES_REQUESTED}:
        raise ValidationError("Choose a decision.", field="decision")
    criteria = rubric(plan.run.course_id)
    scores, total, maximum = [], 0, 0
    for criterion in criteria:
        maximum += criterion.max_points
        level_id = levels.get(criterion.key)
        if level_id is None:
            if decision == PlanState.APPROVED:
                raise ValidationError(
                    f"Score '{criterion.title}' before approving.", field=f"c_{criterion.key}"
                )
            continue
        level = next((lv for lv in criterion.levels if lv.id == level_id), None)
        if level is None:
            raise ValidationError("Unknown rubric level.", field=f"c_{criterion.key}")
        total += level.points
        scores.append(
            {
                "criterion": criterion.key,
                "title": criterion.title,
                "level": level.title,
                "points": level.points,
                "max_points": criterion.max_points,
            }
        )
    known = {s.key for s in template_sections(plan.run.course_id)}
    notes = {
        key: text.strip()
        for key, text in (section_comments or {}).items()
        if key in known and text and text.strip()
    }
    if any(len(text) > MAX_COMMENT_CHARS for text in notes.values()):
        raise ValidationError("A comment is too long.")
    transition = _transition(actor, plan, decision, comment=comment, now=now)
    review = PlanReview(
        plan_id=plan.id,
        reviewer_id=actor.id,
        created_at=now,
        decision=str(decision),
        comment=transition.comment,
        scores=scores,
        section_comments=notes,
        total_points=total,
        max_points=maximum,
    )
    plan.waiting_since = None
    _session().add(review)
    _session().flush()
    if decision == PlanState.APPROVED:
        members = team_members(plan.run, plan.team_key)
        plan_approved.send(plan, user_ids=[m.id for m in members], now=now)
    return review


def reopen(actor: User, plan: ActionPlan, *, comment: str = "", now: datetime) -> PlanTransition:
    """A coordinator reopens an approved plan: back to draft, the team edits again."""
    return _transition(actor, plan, PlanState.DRAFT, comment=comment, now=now)


def reviewers_of(run: CourseRun) -> list[User]:
    """Who may be assigned to review the run's plans: its coordinators and instructors."""
    return list(
        _session().scalars(
            select(User)
            .where(User.id.in_(select(RunStaff.user_id).where(RunStaff.run_id == run.id)))
            .order_by(func.lower(User.display_name))
        )
    )


def assign_reviewer(actor: User, plan: ActionPlan, reviewer: User | None, *, now: datetime) -> None:
    """A coordinator names the plan's reviewer (a coordinator or instructor of the run)."""
    if not is_coordinator(actor, plan.run):
        raise Forbidden("Only the run's coordinators assign reviewers.")
    if reviewer is not None and reviewer.id not in {u.id for u in reviewers_of(plan.run)}:
        raise ValidationError("Reviewers are the run's coordinators and instructors.")
    plan.reviewer_id = reviewer.id if reviewer else None
    _session().flush()


def transitions_of(plan: ActionPlan) -> list[PlanTransition]:
    return list(
        _session().scalars(
            select(PlanTransition)
            .where(PlanTransition.plan_id == plan.id)
            .options(joinedload(PlanTransition.actor).lazyload(User.role_rows))
            .order_by(PlanTransition.id)
        )
    )


def reviews_of(plan: ActionPlan) -> list[PlanReview]:
    """The plan's reviews, newest first."""
    return list(
        _session().scalars(
            select(PlanReview)
            .where(PlanReview.plan_id == plan.id)
            .options(joinedload(PlanReview.reviewer).lazyload(User.role_rows))
            .order_by(PlanReview.id.desc())
        )
    )


def transition_recipients(transition: PlanTransition) -> list[User]:
    """Who hears about a transition: the team, and on submission the run's coordinators
    and the assigned reviewer too."""
    plan = get_plan(transition.plan_id)
    people = {u.id: u for u in team_members(plan.run, plan.team_key)}
    if transition.to_state == PlanState.SUBMITTED:
        for staff in plan.run.staff:
            if staff.role == RunRole.COORDINATOR:
                people.setdefault(staff.user_id, staff.user)
        if plan.reviewer is not None:
            people.setdefault(plan.reviewer.id, plan.reviewer)
    return [u for u in people.values() if u.is_active]


# --- the coordinators' queue ----------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    run_id: int | None = None
    city_id: int | None = None
    country: str | None = None
    state: str | None = None
    sort: str = "waiting"  # longest waiting first; "recent": latest change first


def _visible_plans(actor: User):
    """Plans of the runs ``actor`` coordinates (all for admins), and those assigned to them."""
    stmt = select(ActionPlan)
    if actor.has_role(Role.ADMIN):
        return stmt
    coordinated = select(RunStaff.run_id).where(
        RunStaff.user_id == actor.id, RunStaff.role == RunRole.COORDINATOR
    )
    return stmt.where((ActionPlan.run_id.in_(coordinated)) | (ActionPlan.reviewer_id == actor.id))


def review_queue(
    actor: User, filters: QueueFilters, *, page: int = 1, per_page: int = QUEUE_PAGE
) -> Page:
    """One page of the plans ``actor`` reviews, filtered and sorted, with run, course, city
    and reviewer loaded: two statements (count, page) whatever the number of plans."""
    conditions = []
    if filters.run_id:
        conditions.append(ActionPlan.run_id == filters.run_id)
    if filters.city_id:
        conditions.append(ActionPlan.city_id == filters.city_id)
    if filters.country:
        conditions.append(City.country == filters.country)
    if filters.state:
        conditions.append(ActionPlan.state == filters.state)
    total = (
        _session().scalar(
            _visible_plans(actor)
            .with_only_columns(func.count(ActionPlan.id))
            .outerjoin(ActionPlan.city)
            .where(*conditions)
        )
        or 0
    )
    # Past the last page shows the last one; an absurd number would overflow the OFFSET.
    page = min(max(1, page), Page([], total, 1, per_page).pages)
    reviewer = aliased(User)
    stmt = (
        _visible_plans(actor)
        .join(ActionPlan.run)
        .join(CourseRun.course)
        .outerjoin(ActionPlan.city)
        .outerjoin(reviewer, ActionPlan.reviewer)
        .options(
            contains_eager(ActionPlan.run).contains_eager(CourseRun.course),
            contains_eager(ActionPlan.city),
            contains_eager(ActionPlan.reviewer.of_type(reviewer)).lazyload(reviewer.role_rows),
        )
        .where(*conditions)
    )
    if filters.sort == "recent":
        stmt = stmt.order_by(ActionPlan.state_changed_at.desc(), ActionPlan.id.desc())
    else:
        # Waiting plans first, the longest waiting at the top; then the rest by last change.
        stmt = stmt.order_by(
            ActionPlan.waiting_since.is_(None),
            ActionPlan.waiting_since,
            ActionPlan.state_changed_at.desc(),
            ActionPlan.id,
        )
    items = list(_session().scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, total, page, per_page)


def queue_choices(actor: User) -> tuple[list[CourseRun], list[City]]:
    """The runs and cities the actor's queue can be filtered by (two queries)."""
    visible = _visible_plans(actor).subquery()
    runs = list(
        _session().scalars(
            select(CourseRun)
            .where(CourseRun.id.in_(select(visible.c.run_id)))
            .options(selectinload(CourseRun.course))
            .order_by(CourseRun.starts_at.desc())
        )
    )
    cities = list(
        _session().scalars(
            select(City).where(City.id.in_(select(visible.c.city_id))).order_by(City.name)
        )
    )
    return runs, cities


def run_plans(run: CourseRun) -> list[ActionPlan]:
    """Every plan of a run (for exports), with its city."""
    return list(
        _session().scalars(
            select(ActionPlan)
            .where(ActionPlan.run_id == run.id)
            .options(joinedload(ActionPlan.city), joinedload(ActionPlan.reviewer))
            .order_by(ActionPlan.title)
        )
    )


# --- contracts with other domains -----------------------------------------------------------------


def approved_user_ids(run_id: int, user_ids: Iterable[int]) -> set[int]:
    """The users among ``user_ids`` whose team's plan in the run is approved (one query).

    Only the run's active learners count: the team is who is in it now."""
    ids = list(user_ids)
    if not ids:
        return set()
    rows = _session().scalars(
        select(User.id)
        .join(Enrolment, and_(Enrolment.user_id == User.id, Enrolment.run_id == run_id))
        .outerjoin(PlanTeamOverride, _override_join(run_id))
        .join(
            ActionPlan,
            and_(ActionPlan.run_id == run_id, ActionPlan.team_key == _team_key_sql()),
        )
        .where(
            User.id.in_(ids),
            Enrolment.left_at.is_(None),
            ActionPlan.state == PlanState.APPROVED,
        )
    )
    return set(rows)


def plan_deadlines(user: User, now: datetime) -> list[Deadline]:
    """Due dates of the action plans of the user's active, unfinished runs, for the calendar
    feed (registered in ``courses.deadlines.DEADLINE_SOURCES``)."""
    rows = _session().execute(
        select(CourseRun, PlanSettings.due_at)
        .join(Enrolment, Enrolment.run_id == CourseRun.id)
        .join(PlanSettings, PlanSettings.run_id == CourseRun.id)
        .where(
            Enrolment.user_id == user.id,
            Enrolment.left_at.is_(None),
            PlanSettings.is_required.is_(True),
            PlanSettings.due_at.is_not(None),
            CourseRun.ends_at >= now,
        )
        .options(selectinload(CourseRun.course))
        .order_by(PlanSettings.due_at)
    )
    return [
        Deadline(
            uid=f"plan-due-{run.id}",
            title=f"Action plan due: {run.course.title} ({run.title})",
            due_at=due_at,
            url_path=f"/runs/{run.id}/plan",
        )
        for run, due_at in rows
    ]


DEADLINE_SOURCES.append(plan_deadlines)


def plan_states_for(user: User, run_ids: Iterable[int]) -> dict[int, str]:
    """The state of the user's team's plan in each of these runs (runs without one are
    left out), for the learner's pages."""
    ids = list(run_ids)
    if not ids:
        return {}
    rows = _session().execute(
        select(ActionPlan.run_id, ActionPlan.state)
        .select_from(User)
        .join(ActionPlan, ActionPlan.run_id.in_(ids))
        .outerjoin(
            PlanTeamOverride,
            and_(PlanTeamOverride.user_id == User.id, PlanTeamOverride.run_id == ActionPlan.run_id),
        )
        .where(User.id == user.id, ActionPlan.team_key == _team_key_sql())
    )
    return dict(rows.tuples().all())


# --- attachments ----------------------------------------------------------------------------------


def attachments_of(plan: ActionPlan) -> list[PlanAttachment]:
    return list(
        _session().scalars(
            select(PlanAttachment)
            .where(PlanAttachment.plan_id == plan.id)
            .order_by(PlanAttachment.id)
        )
    )


def get_attachment(plan: ActionPlan, attachment_id: int) -> PlanAttachment:
    attachment = _session().get(PlanAttachment, attachment_id)
    if attachment is None or attachment.plan_id != plan.id:
        raise NotFound("No such attachment.")
    return attachment


def add_attachment(
    actor: User,
    plan: ActionPlan,
    stream: BinaryIO,
    filename: str,
    *,
    storage: Storage,
    max_bytes: int,
    now: datetime,
) -> PlanAttachment:
    """Attach a document (PDF, Word, PowerPoint, Excel) or an image; its real type is read
    from its content and its size checked while it is stored."""
    _require_editor(actor, plan)
    if len(attachments_of(plan)) >= MAX_ATTACHMENTS:
        raise ValidationError(f"A plan holds at most {MAX_ATTACHMENTS} attachments.", field="file")
    media_type = files.sniff_stream(stream)
    if media_type not in ATTACHMENT_TYPES:
        raise ValidationError(
            "Attach a PDF, Word, PowerPoint or Excel document or a PNG, JPEG or WebP image. "
            "The type is read from the file itself, not from its name.",
            field="file",
        )
    if media_type in files.IMAGE_TYPES:
        try:
            images.inspect_image(stream)
        except files.FileCheckError as error:
            raise ValidationError(str(error), field="file") from None
    try:
        stored = storage.save(stream, suffix=files.EXTENSIONS[media_type], max_bytes=max_bytes)
    except TooLarge:
        raise ValidationError(
            f"The file is larger than the limit of {max_bytes // (1024 * 1024)} MB.",
            field="file",
        ) from None
    attachment = PlanAttachment(
        plan_id=plan.id,
        storage_key=stored.key,
        filename=display_name(filename, media_type),
        media_type=media_type,
        size=stored.size,
        uploaded_by_id=actor.id,
        created_at=now,
    )
    _session().add(attachment)
    _session().flush()
    return attachment


def remove_attachment(actor: User, attachment: PlanAttachment, *, now: datetime) -> None:
    """Remove an attachment (the stored file stays: storage is content-addressed)."""
    _require_editor(actor, get_plan(attachment.plan_id))
    _session().delete(attachment)
    _session().flush()
