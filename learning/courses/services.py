"""Courses business rules: catalogue, runs, enrolment, access to items, honest progress.

Every function takes the actor and the clock (``now``) explicitly, raises ``core.errors``
and flushes; the entry point (view, task, CLI) commits.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from blinker import Namespace
from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from learning.accounts import services as accounts
from learning.accounts.models import Role, User
from learning.core.errors import Conflict, Forbidden, NotFound, ValidationError
from learning.courses import intervals as spans
from learning.courses.models import (
    Course,
    CourseRun,
    CourseStaff,
    Enrolment,
    EnrolmentMode,
    Item,
    ItemKind,
    ItemProgress,
    Module,
    ModuleRelease,
    RunRole,
    RunStaff,
)
from learning.extensions import db

events = Namespace()
#: Sent with ``enrolment=`` and ``now=`` when a learner completes every required item.
course_completed = events.signal("course-completed")

# Browsers' players go up to 2x in their menus; faster play is not credited.
MAX_PLAYBACK_RATE = 2.0
# Allowance for clocks, buffering and report batching on top of the wall-clock bound.
PLAY_SLACK_SECONDS = 5.0
DURATION_TOLERANCE = 1.0
MAX_INTERVALS_PER_REPORT = 500


def _session() -> Session:
    return db.session


# --- catalogue and courses ----------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueEntry:
    course: Course
    run: CourseRun | None  # the run to show: open for enrolment, else running, else next

    def is_open(self, now: datetime) -> bool:
        return self.run is not None and enrolment_is_open(self.run, now)


def catalogue(
    *,
    query: str = "",
    language: str | None = None,
    topic: str | None = None,
    open_only: bool = False,
    now: datetime,
) -> list[CatalogueEntry]:
    """Published courses matching the filters, each with the run a visitor would join."""
    stmt = select(Course).where(Course.is_published.is_(True)).order_by(Course.title)
    if query.strip():
        pattern = f"%{query.strip().lower()}%"
        stmt = stmt.where(
            or_(func.lower(Course.title).like(pattern), func.lower(Course.summary).like(pattern))
        )
    if language:
        stmt = stmt.where(Course.language == language)
    courses = list(_session().scalars(stmt))
    if topic:
        courses = [c for c in courses if topic in (c.topics or [])]
    runs = _runs_by_course([c.id for c in courses], now=now)
    entries = [
        CatalogueEntry(course, _pick_run(runs.get(course.id, []), now)) for course in courses
    ]
    if open_only:
        entries = [e for e in entries if e.is_open(now)]
    return entries


def catalogue_facets() -> tuple[list[str], list[str]]:
    """Languages and topics of published courses, for the catalogue's filters."""
    rows = (
        _session()
        .execute(select(Course.language, Course.topics).where(Course.is_published.is_(True)))
        .all()
    )
    languages = sorted({language for language, _ in rows})
    topics = sorted({topic for _, course_topics in rows for topic in (course_topics or [])})
    return languages, topics


def _runs_by_course(course_ids: list[int], *, now: datetime) -> dict[int, list[CourseRun]]:
    if not course_ids:
        return {}
    runs = _session().scalars(
        select(CourseRun)
        .where(CourseRun.course_id.in_(course_ids), CourseRun.ends_at > now)
        .order_by(CourseRun.starts_at)
    )
    grouped: dict[int, list[CourseRun]] = defaultdict(list)
    for run in runs:
        grouped[run.course_id].append(run)
    return grouped


def _pick_run(runs: list[CourseRun], now: datetime) -> CourseRun | None:
    for run in runs:
        if enrolment_is_open(run, now):
            return run
    for run in runs:
        if run.starts_at <= now < run.ends_at:
            return run
    return runs[0] if runs else None


def get_course(slug: str, *, viewer: User | None = None) -> Course:
    """The course with ``slug`` with its outline loaded; unpublished ones only for its staff."""
    course = _session().scalar(
        select(Course)
        .where(Course.slug == slug)
        .options(
            selectinload(Course.modules).selectinload(Module.items),
            selectinload(Course.runs).selectinload(CourseRun.staff),
            selectinload(Course.staff),
        )
    )
    if course is None or (not course.is_published and not can_edit_course(viewer, course)):
        raise NotFound("No such course.")
    return course


def visible_modules(course: Course) -> list[Module]:
    return [m for m in course.modules if not m.is_archived]


def visible_items(module: Module) -> list[Item]:
    return [i for i in module.items if not i.is_archived]


def can_edit_course(user: User | None, course: Course) -> bool:
    """Admins, and instructors named on the course."""
    if user is None or not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.INSTRUCTOR) and any(s.user_id == user.id for s in course.staff)


# --- runs -----------------------------------------------------------------------------------------


def find_run(run_id: int) -> CourseRun:
    """A run by its id alone, with its course and staff (the pages of live sessions, plans
    and certificates address runs this way), or NotFound."""
    run = _session().scalar(
        select(CourseRun)
        .where(CourseRun.id == run_id)
        .options(selectinload(CourseRun.staff), selectinload(CourseRun.course))
    )
    if run is None:
        raise NotFound("No such run.")
    return run


def get_run(course: Course, run_id: int) -> CourseRun:
    run = _session().get(CourseRun, run_id)
    if run is None or run.course_id != course.id:
        raise NotFound("No such run of this course.")
    return run


def create_run(
    actor: User | None,
    course: Course,
    *,
    slug: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    enrolment_opens_at: datetime | None = None,
    enrolment_closes_at: datetime | None = None,
    enrolment_mode: str = EnrolmentMode.OPEN,
    capacity: int | None = None,
    is_sequential: bool = False,
    timezone: str = "UTC",
    now: datetime,
) -> CourseRun:
    """Schedule a run (cohort) of ``course``."""
    if ends_at <= starts_at:
        raise ValidationError("A run must end after it starts.", field="ends_at")
    if enrolment_opens_at and enrolment_closes_at and enrolment_closes_at <= enrolment_opens_at:
        raise ValidationError("Enrolment must close after it opens.", field="enrolment_closes_at")
    if enrolment_mode not in {m.value for m in EnrolmentMode}:
        raise ValidationError("Unknown enrolment mode.", field="enrolment_mode")
    if capacity is not None and capacity < 1:
        raise ValidationError("Capacity must be at least 1.", field="capacity")
    if _session().scalar(
        select(CourseRun.id).where(CourseRun.course_id == course.id, CourseRun.slug == slug)
    ):
        raise ValidationError("This course already has a run with that name.", field="slug")
    run = CourseRun(
        course=course,
        slug=slug,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        enrolment_opens_at=enrolment_opens_at,
        enrolment_closes_at=enrolment_closes_at,
        enrolment_mode=str(enrolment_mode),
        invitation_code=secrets.token_urlsafe(9) if enrolment_mode == EnrolmentMode.CODE else None,
        capacity=capacity,
        is_sequential=is_sequential,
        timezone=timezone,
        created_at=now,
        updated_at=now,
    )
    _session().add(run)
    _session().flush()
    accounts.record_audit(actor, "run.create", run, {"course": course.slug}, now=now)
    return run


def add_run_staff(run: CourseRun, user: User, role: str) -> None:
    """Name ``user`` coordinator or instructor of ``run`` (idempotent)."""
    if role not in {r.value for r in RunRole}:
        raise ValidationError("Unknown run role.")
    if not any(s.user_id == user.id and s.role == role for s in run.staff):
        run.staff.append(RunStaff(user=user, role=role))


def add_course_instructor(course: Course, user: User) -> None:
    if not any(s.user_id == user.id for s in course.staff):
        course.staff.append(CourseStaff(user=user))


def is_run_staff(user: User | None, run: CourseRun, *roles: str) -> bool:
    """Admins, and the run's named coordinators/instructors (any of ``roles`` if given)."""
    if user is None or not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN):
        return True
    wanted = set(roles or (RunRole.COORDINATOR, RunRole.INSTRUCTOR))
    return any(s.user_id == user.id and s.role in wanted for s in run.staff)


def enrolment_is_open(run: CourseRun, now: datetime) -> bool:
    opens = run.enrolment_opens_at or datetime.min.replace(tzinfo=now.tzinfo)
    closes = run.enrolment_closes_at or run.ends_at
    return run.enrolment_mode != EnrolmentMode.COORDINATOR and opens <= now < closes


def module_release_at(run: CourseRun, module: Module) -> datetime | None:
    """When ``module`` opens in ``run``: the run's own date, else the course's offset."""
    for release in run.module_releases:
        if release.module_id == module.id:
            return release.releases_at
    if module.release_after_days:
        return run.starts_at + timedelta(days=module.release_after_days)
    return None


def set_module_release(run: CourseRun, module: Module, releases_at: datetime | None) -> None:
    """Give ``module`` its own release date in ``run`` (None: back to the course's rule)."""
    run.module_releases = [r for r in run.module_releases if r.module_id != module.id]
    if releases_at is not None:
        run.module_releases.append(ModuleRelease(module_id=module.id, releases_at=releases_at))


# --- enrolment ------------------------------------------------------------------------------------


def active_enrolment(user: User, course: Course) -> Enrolment | None:
    """The user's current enrolment in any run of ``course`` (the latest run first)."""
    if user is None or not user.is_authenticated:
        return None
    return _session().scalar(
        select(Enrolment)
        .join(CourseRun)
        .where(
            Enrolment.user_id == user.id,
            CourseRun.course_id == course.id,
            Enrolment.left_at.is_(None),
        )
        .options(joinedload(Enrolment.run).selectinload(CourseRun.module_releases))
        .order_by(CourseRun.starts_at.desc())
        .limit(1)
    )


def _active_count(run: CourseRun) -> int:
    return (
        _session().scalar(
            select(func.count(Enrolment.id)).where(
                Enrolment.run_id == run.id, Enrolment.left_at.is_(None)
            )
        )
        or 0
    )


def _lock_run(run: CourseRun) -> None:
    # Serialise enrolments in one run so that two last-place enrolments cannot both pass the
    # capacity check (SQLite serialises writers by itself).
    if _session().get_bind().dialect.name == "postgresql":
        _session().execute(select(CourseRun.id).where(CourseRun.id == run.id).with_for_update())


def enroll(
    user: User,
    run: CourseRun,
    *,
    code: str | None = None,
    now: datetime,
    added_by: User | None = None,
) -> Enrolment:
    """Enrol ``user`` in ``run``; enrolling twice is harmless, leaving and coming back works.

    Learners enrol themselves while enrolment is open (with the invitation code where the run
    asks for one); coordinators (``added_by``) may add anyone at any time before the run ends.
    """
    existing = _session().scalar(
        select(Enrolment).where(Enrolment.run_id == run.id, Enrolment.user_id == user.id)
    )
    if existing is not None and existing.left_at is None:
        return existing
    if added_by is None:
        if run.enrolment_mode == EnrolmentMode.COORDINATOR:
            raise Forbidden("Learners are added to this run by its coordinators.")
        if not enrolment_is_open(run, now):
            raise Conflict("Enrolment in this run is closed.")
        if run.enrolment_mode == EnrolmentMode.CODE and not (
            code
            and run.invitation_code
            and secrets.compare_digest(code.strip(), run.invitation_code)
        ):
            raise ValidationError("The invitation code is not correct.", field="code")
    elif now >= run.ends_at:
        raise Conflict("This run has ended.")
    _lock_run(run)
    if run.capacity is not None and _active_count(run) >= run.capacity:
        raise Conflict("This run is full.")
    if existing is not None:
        existing.left_at = None
        existing.enrolled_at = now
        existing.added_by_id = added_by.id if added_by else None
        enrolment = existing
    else:
        enrolment = Enrolment(
            run=run, user=user, enrolled_at=now, added_by_id=added_by.id if added_by else None
        )
        _session().add(enrolment)
    _session().flush()
    if added_by is not None:
        accounts.record_audit(added_by, "run.add_learner", run, {"user": user.email}, now=now)
    return enrolment


def leave(user: User, run: CourseRun, *, now: datetime) -> None:
    """Leave ``run``; progress is kept and comes back on re-enrolment."""
    enrolment = _session().scalar(
        select(Enrolment).where(Enrolment.run_id == run.id, Enrolment.user_id == user.id)
    )
    if enrolment is None or enrolment.left_at is not None:
        raise NotFound("You are not enrolled in this run.")
    enrolment.left_at = now


@dataclass
class ImportReport:
    added: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    errors: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, message)

    @property
    def ok(self) -> bool:
        return not self.errors


def add_learners_from_csv(actor: User, run: CourseRun, data: str, *, now: datetime) -> ImportReport:
    """Add the learners whose e-mails a CSV lists (one per row, first column or ``email``).

    Every row is checked first; if any row is wrong nothing is added and the report lists
    each problem with its line number.
    """
    report = ImportReport()
    rows = list(csv.reader(io.StringIO(data)))
    if not rows:
        report.errors.append((1, "", "The file is empty."))
        return report
    email_column = 0
    start = 0
    header = [cell.strip().lower() for cell in rows[0]]
    if "email" in header or "e-mail" in header:
        email_column = header.index("email") if "email" in header else header.index("e-mail")
        start = 1
    wanted: list[tuple[int, str, User]] = []
    seen: set[str] = set()
    for number, row in enumerate(rows[start:], start=start + 1):
        if not any(cell.strip() for cell in row):
            continue
        text = ",".join(row)
        email = row[email_column].strip().lower() if len(row) > email_column else ""
        if "@" not in email or len(email) > 254:
            report.errors.append((number, text, "Not an e-mail address."))
            continue
        if email in seen:
            report.errors.append((number, text, "This address is listed twice."))
            continue
        seen.add(email)
        user = accounts.find_user_by_email(email)
        if user is None:
            report.errors.append((number, text, "No account uses this address."))
        elif not user.is_active:
            report.errors.append((number, text, "This account is deactivated."))
        else:
            wanted.append((number, email, user))
    if report.errors:
        return report
    if run.capacity is not None:
        new = [u for _, _, u in wanted if active_enrolment_in_run(u, run) is None]
        if _active_count(run) + len(new) > run.capacity:
            report.errors.append((0, "", "Adding these learners would exceed the run's capacity."))
            return report
    for _number, email, user in wanted:
        if active_enrolment_in_run(user, run) is not None:
            report.already.append(email)
        else:
            enroll(user, run, added_by=actor, now=now)
            report.added.append(email)
    return report


def active_enrolment_in_run(user: User, run: CourseRun) -> Enrolment | None:
    return _session().scalar(
        select(Enrolment).where(
            Enrolment.run_id == run.id, Enrolment.user_id == user.id, Enrolment.left_at.is_(None)
        )
    )


# --- access to items ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemAccess:
    item: Item
    enrolment: Enrolment | None
    is_staff: bool


def get_item(item_id: int) -> Item:
    item = _session().get(Item, item_id)
    if item is None or item.is_archived:
        raise NotFound("No such item.")
    return item


def item_access(user: User, item: Item, *, now: datetime) -> ItemAccess:
    """May ``user`` open ``item`` now? Enrolled learners once its module is released (and,
    in a sequential run, once the items before it are done); the course's staff always."""
    course = item.module.course
    if can_edit_course(user, course):
        return ItemAccess(item, active_enrolment(user, course), True)
    enrolment = active_enrolment(user, course)
    if enrolment is None:
        if any(is_run_staff(user, run) for run in course.runs):
            return ItemAccess(item, None, True)
        raise Forbidden("Enrol in this course to open its lectures.")
    if not course.is_published or item.module.is_archived:
        raise NotFound("No such item.")
    release = module_release_at(enrolment.run, item.module)
    if release is not None and now < release:
        raise Forbidden("This module opens later.")
    if enrolment.run.is_sequential:
        blocking = first_unfinished_before(enrolment, item)
        if blocking is not None:
            raise Forbidden(f"Finish “{blocking.title}” first.")
    return ItemAccess(item, enrolment, False)


def first_unfinished_before(enrolment: Enrolment, item: Item) -> Item | None:
    """In a sequential run, the first required item before ``item`` not completed yet."""
    ordered = [i for m in visible_modules(item.module.course) for i in visible_items(m)]
    done = completed_item_ids(enrolment)
    for candidate in ordered:
        if candidate.id == item.id:
            return None
        if candidate.is_required and candidate.id not in done:
            return candidate
    return None


def completed_item_ids(enrolment: Enrolment) -> set[int]:
    return set(
        _session().scalars(
            select(ItemProgress.item_id).where(
                ItemProgress.enrolment_id == enrolment.id, ItemProgress.completed_at.is_not(None)
            )
        )
    )


def open_item(enrolment: Enrolment, item: Item, *, now: datetime) -> ItemProgress:
    """Record that the learner opened ``item``: the start of the wall clock for its progress,
    and where "continue where you left off" leads."""
    progress = _progress_row(enrolment, item, now=now)
    if enrolment.last_item_id != item.id:
        enrolment.last_item_id = item.id
    enrolment.last_activity_at = now
    return progress


def _progress_row(enrolment: Enrolment, item: Item, *, now: datetime) -> ItemProgress:
    progress = _session().scalar(
        select(ItemProgress).where(
            ItemProgress.enrolment_id == enrolment.id, ItemProgress.item_id == item.id
        )
    )
    if progress is None:
        progress = ItemProgress(
            enrolment_id=enrolment.id, item_id=item.id, intervals=[], opened_at=now, updated_at=now
        )
        _session().add(progress)
        _session().flush()
    return progress


# --- progress -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoReport:
    played_seconds: float
    coverage: float
    completed: bool
    resume_position: float


def parse_intervals(raw, duration: float) -> list[tuple[float, float]]:
    """Validate a report's intervals against the item's real duration."""
    if not isinstance(raw, list):
        raise ValidationError(
            "'intervals' must be a list of [start, end] pairs.", field="intervals"
        )
    if len(raw) > MAX_INTERVALS_PER_REPORT:
        raise ValidationError("Too many intervals in one report.", field="intervals")
    result = []
    for pair in raw:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(_is_number(value) for value in pair)
        ):
            raise ValidationError(
                "Each interval must be [start, end] in seconds.", field="intervals"
            )
        start, end = float(pair[0]), float(pair[1])
        if start < 0 or end < 0:
            raise ValidationError("Times cannot be negative.", field="intervals")
        if end < start:
            raise ValidationError("An interval cannot end before it starts.", field="intervals")
        if end > duration + DURATION_TOLERANCE:
            raise ValidationError(
                "An interval goes beyond the end of the video.", field="intervals"
            )
        result.append((start, min(end, duration)))
    return result


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


@dataclass
class _PlayState:
    intervals: list
    played: float
    position: float
    opened_at: datetime
    completed_at: datetime | None


def _apply_report(
    state: _PlayState,
    *,
    intervals,
    position,
    duration,
    real: float,
    threshold: float,
    now: datetime,
) -> bool:
    """Check one report and fold it into ``state``; True if the lecture just became complete.

    The stored union grows only by new ground. Credit beyond what the wall clock since the
    learner opened the item allows (at most double speed, plus a little slack) is refused.
    """
    if not _is_number(duration) or duration <= 0:
        raise ValidationError("'duration' must be a positive number of seconds.", field="duration")
    if abs(float(duration) - real) > max(DURATION_TOLERANCE, real * 0.05):
        raise ValidationError("'duration' does not match this video.", field="duration")
    if not _is_number(position) or position < 0 or position > real + DURATION_TOLERANCE:
        raise ValidationError("'position' must be within the video.", field="position")
    new = parse_intervals(intervals, real)
    merged = spans.merge([*state.intervals, *new])
    played = round(spans.total(merged), 3)
    if played > state.played + 1e-6:
        elapsed = max(0.0, (now - state.opened_at).total_seconds())
        if played > elapsed * MAX_PLAYBACK_RATE + PLAY_SLACK_SECONDS:
            raise ValidationError(
                "More time was reported as played than has passed since the lecture was opened.",
                field="intervals",
                code="implausible_progress",
            )
        state.intervals = [[round(s, 3), round(e, 3)] for s, e in merged]
        state.played = played
    state.position = min(float(position), real)
    if state.completed_at is None and state.played / real >= threshold:
        state.completed_at = now
        return True
    return False


def _video_report(state: _PlayState, real: float) -> VideoReport:
    return VideoReport(
        played_seconds=state.played,
        coverage=round(min(1.0, state.played / real), 4),
        completed=state.completed_at is not None,
        resume_position=round(state.position, 3),
    )


def record_video_progress(
    enrolment: Enrolment,
    item: Item,
    *,
    intervals,
    position,
    duration,
    now: datetime,
) -> VideoReport:
    """Add the time really played to ``item``'s progress; idempotent (see ``_apply_report``)."""
    if item.kind != ItemKind.VIDEO or not item.duration_seconds:
        raise ValidationError("Only video lectures report played time.", field="item")
    real = float(item.duration_seconds)
    progress = _progress_row(enrolment, item, now=now)
    state = _PlayState(
        progress.intervals,
        progress.played_seconds,
        progress.position_seconds,
        progress.opened_at,
        progress.completed_at,
    )
    completed = _apply_report(
        state,
        intervals=intervals,
        position=position,
        duration=duration,
        real=real,
        threshold=item.module.course.video_threshold,
        now=now,
    )
    if state.played != progress.played_seconds:
        progress.intervals, progress.played_seconds = state.intervals, state.played
        progress.last_report_at = now
    progress.position_seconds = state.position
    progress.completed_at = state.completed_at
    progress.updated_at = now
    if completed:
        _after_item_completed(enrolment, now=now)
    enrolment.last_item_id = item.id
    enrolment.last_activity_at = now
    return _video_report(state, real)


# Activity timestamps are refreshed at most this often by progress reports.
ACTIVITY_RESOLUTION = timedelta(minutes=1)


def report_video_progress(
    user_id: int, item_id: int, *, intervals, position, duration, now: datetime
) -> VideoReport:
    """The progress API's path: one query checks access and reads the state, then at most one
    small write (none for a report already received)."""
    session = _session()
    row = session.execute(
        select(
            Item.kind,
            Item.duration_seconds,
            Item.is_archived,
            Item.module_id,
            Item.course_id,
            Module.is_archived.label("module_archived"),
            Module.release_after_days,
            Course.is_published,
            Course.video_threshold,
            Enrolment.id.label("enrolment_id"),
            Enrolment.last_item_id,
            Enrolment.last_activity_at,
            CourseRun.starts_at,
            CourseRun.is_sequential,
            ModuleRelease.releases_at,
            ItemProgress.id.label("progress_id"),
            ItemProgress.intervals,
            ItemProgress.played_seconds,
            ItemProgress.position_seconds,
            ItemProgress.opened_at,
            ItemProgress.completed_at,
        )
        .select_from(Item)
        .join(Module, Item.module_id == Module.id)
        .join(Course, Item.course_id == Course.id)
        .outerjoin(CourseRun, CourseRun.course_id == Course.id)
        .outerjoin(
            Enrolment,
            (Enrolment.run_id == CourseRun.id)
            & (Enrolment.user_id == user_id)
            & Enrolment.left_at.is_(None),
        )
        .outerjoin(
            ModuleRelease,
            (ModuleRelease.run_id == CourseRun.id) & (ModuleRelease.module_id == Item.module_id),
        )
        .outerjoin(
            ItemProgress,
            (ItemProgress.enrolment_id == Enrolment.id) & (ItemProgress.item_id == Item.id),
        )
        .where(Item.id == item_id)
        .order_by(Enrolment.id.is_(None), CourseRun.starts_at.desc())
        .limit(1)
    ).first()
    if row is None or row.is_archived:
        raise NotFound("No such item.")
    if row.enrolment_id is None:
        raise Forbidden("Only enrolled learners record progress.")
    if not row.is_published or row.module_archived:
        raise NotFound("No such item.")
    release = row.releases_at or (
        row.starts_at + timedelta(days=row.release_after_days) if row.release_after_days else None
    )
    if release is not None and now < release:
        raise Forbidden("This module opens later.")
    if row.kind != ItemKind.VIDEO or not row.duration_seconds:
        raise ValidationError("Only video lectures report played time.", field="item")
    if row.is_sequential:
        # Rare: the ORM path knows the order of items.
        item_access(session.get(User, user_id), session.get(Item, item_id), now=now)
    real = float(row.duration_seconds)
    state = _PlayState(
        row.intervals or [],
        row.played_seconds or 0.0,
        row.position_seconds or 0.0,
        row.opened_at or now,
        row.completed_at,
    )
    before = (state.played, state.position, state.completed_at)
    completed = _apply_report(
        state,
        intervals=intervals,
        position=position,
        duration=duration,
        real=real,
        threshold=row.video_threshold,
        now=now,
    )
    values = {
        "intervals": state.intervals,
        "played_seconds": state.played,
        "position_seconds": state.position,
        "completed_at": state.completed_at,
        "updated_at": now,
    }
    if state.played != before[0]:
        values["last_report_at"] = now
    if row.progress_id is None:
        session.execute(
            insert(ItemProgress).values(
                enrolment_id=row.enrolment_id, item_id=item_id, opened_at=state.opened_at, **values
            )
        )
    elif (state.played, state.position, state.completed_at) != before:
        session.execute(
            update(ItemProgress).where(ItemProgress.id == row.progress_id).values(**values)
        )
    if row.last_item_id != item_id or (
        row.last_activity_at is None or now - row.last_activity_at > ACTIVITY_RESOLUTION
    ):
        session.execute(
            update(Enrolment)
            .where(Enrolment.id == row.enrolment_id)
            .values(last_item_id=item_id, last_activity_at=now)
        )
    if completed:
        _after_item_completed(session.get(Enrolment, row.enrolment_id), now=now)
    return _video_report(state, real)


def complete_item(enrolment: Enrolment, item: Item, *, now: datetime) -> ItemProgress:
    """Record that ``item`` is complete for ``enrolment`` (a passed quiz, for instance)."""
    progress = _progress_row(enrolment, item, now=now)
    if progress.completed_at is None:
        progress.completed_at = now
        progress.updated_at = now
        _after_item_completed(enrolment, now=now)
    return progress


def set_item_done(enrolment: Enrolment, item: Item, done: bool, *, now: datetime) -> ItemProgress:
    """Mark a reading, file or link as done (or not done). Videos complete by being watched,
    quizzes by being passed."""
    if item.kind == ItemKind.VIDEO:
        raise ValidationError("A video lecture is completed by watching it.", field="item")
    if item.kind == ItemKind.QUIZ:
        raise ValidationError("A quiz is completed by passing it.", field="item")
    progress = _progress_row(enrolment, item, now=now)
    if done and progress.completed_at is None:
        progress.completed_at = now
        _after_item_completed(enrolment, now=now)
    elif not done and progress.completed_at is not None:
        progress.completed_at = None
    progress.updated_at = now
    enrolment.last_item_id = item.id
    enrolment.last_activity_at = now
    return progress


def _after_item_completed(enrolment: Enrolment, *, now: datetime) -> None:
    if enrolment.completed_at is not None:
        return
    _session().flush()
    summary = progress_for_enrolments([enrolment])[enrolment.id]
    if summary.required_total and summary.required_done >= summary.required_total:
        enrolment.completed_at = now
        course_completed.send(enrolment, now=now)


@dataclass
class ModuleProgress:
    module: Module
    required_total: int = 0
    required_done: int = 0

    @property
    def percent(self) -> int:
        return _percent(self.required_done, self.required_total)


@dataclass
class CourseProgress:
    required_total: int = 0
    required_done: int = 0
    completed_item_ids: set[int] = field(default_factory=set)
    coverage: dict[int, float] = field(default_factory=dict)  # item id -> video coverage
    positions: dict[int, float] = field(default_factory=dict)

    @property
    def percent(self) -> int:
        return _percent(self.required_done, self.required_total)


def _percent(done: int, total: int) -> int:
    return 100 if total == 0 else math.floor(100 * done / total)


def _required_items_by_course(course_ids) -> dict[int, list[tuple[int, int]]]:
    rows = (
        _session()
        .execute(
            select(Item.course_id, Item.id, Item.module_id)
            .join(Module, Item.module_id == Module.id)
            .where(
                Item.course_id.in_(course_ids),
                Item.is_archived.is_(False),
                Item.is_optional.is_(False),
                Module.is_archived.is_(False),
            )
        )
        .all()
    )
    grouped: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for course_id, item_id, module_id in rows:
        grouped[course_id].append((item_id, module_id))
    return grouped


def progress_for_enrolments(
    enrolments: list[Enrolment], *, course: Course | None = None
) -> dict[int, CourseProgress]:
    """Progress of several enrolments at once, in two queries whatever their number (one when
    ``course``, with its outline loaded, is the course of them all)."""
    if not enrolments:
        return {}
    runs = {e.run_id: e.run for e in enrolments}
    course_of = {e.id: runs[e.run_id].course_id for e in enrolments}
    if course is not None and set(course_of.values()) == {course.id}:
        required = {
            course.id: [
                (item.id, module.id)
                for module in visible_modules(course)
                for item in visible_items(module)
                if not item.is_optional
            ]
        }
    else:
        required = _required_items_by_course(set(course_of.values()))
    rows = (
        _session()
        .execute(
            select(
                ItemProgress.enrolment_id,
                ItemProgress.item_id,
                ItemProgress.completed_at,
                ItemProgress.played_seconds,
                ItemProgress.position_seconds,
                Item.duration_seconds,
            )
            .join(Item, Item.id == ItemProgress.item_id)
            .where(ItemProgress.enrolment_id.in_([e.id for e in enrolments]))
        )
        .all()
    )
    result = {e.id: CourseProgress() for e in enrolments}
    for enrolment_id, item_id, completed_at, played, position, duration in rows:
        progress = result[enrolment_id]
        if completed_at is not None:
            progress.completed_item_ids.add(item_id)
        if duration:
            progress.coverage[item_id] = min(1.0, played / duration)
            progress.positions[item_id] = position
    for enrolment in enrolments:
        progress = result[enrolment.id]
        items = required.get(course_of[enrolment.id], [])
        progress.required_total = len(items)
        progress.required_done = sum(
            1 for item_id, _ in items if item_id in progress.completed_item_ids
        )
    return result


def module_progress(course: Course, progress: CourseProgress) -> list[ModuleProgress]:
    """Per-module counts of required items done, from an already computed CourseProgress."""
    result = []
    for module in visible_modules(course):
        summary = ModuleProgress(module)
        for item in visible_items(module):
            if item.is_optional:
                continue
            summary.required_total += 1
            if item.id in progress.completed_item_ids:
                summary.required_done += 1
        result.append(summary)
    return result


# --- pages' data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardEntry:
    enrolment: Enrolment
    progress: CourseProgress
    resume_item: Item | None


def dashboard(user: User) -> list[DashboardEntry]:
    """The learner's current enrolments with progress and where to continue, newest first."""
    enrolments = list(
        _session().scalars(
            select(Enrolment)
            .where(Enrolment.user_id == user.id, Enrolment.left_at.is_(None))
            .options(selectinload(Enrolment.run).selectinload(CourseRun.course))
            .order_by(Enrolment.last_activity_at.desc().nulls_last(), Enrolment.enrolled_at.desc())
        )
    )
    progress = progress_for_enrolments(enrolments)
    course_ids = {e.run.course_id for e in enrolments}
    resume = _resume_items(enrolments, course_ids, progress)
    return [DashboardEntry(e, progress[e.id], resume.get(e.id)) for e in enrolments]


def _resume_items(enrolments, course_ids, progress) -> dict[int, Item]:
    """Where each learner continues: the last item opened unless done, else the next one not
    done, in course order."""
    if not enrolments:
        return {}
    items = list(
        _session()
        .execute(
            select(Item)
            .join(Module, Item.module_id == Module.id)
            .where(
                Item.course_id.in_(course_ids),
                Item.is_archived.is_(False),
                Module.is_archived.is_(False),
            )
            .order_by(Item.course_id, Module.position, Item.position)
        )
        .scalars()
    )
    by_course: dict[int, list[Item]] = defaultdict(list)
    for item in items:
        by_course[item.course_id].append(item)
    result = {}
    for enrolment in enrolments:
        ordered = by_course.get(enrolment.run.course_id, [])
        done = progress[enrolment.id].completed_item_ids
        last = next((i for i in ordered if i.id == enrolment.last_item_id), None)
        if last is not None and last.id not in done:
            result[enrolment.id] = last
            continue
        start = ordered.index(last) + 1 if last is not None else 0
        after = [
            i for i in ordered[start:] + ordered[:start] if i.id not in done and not i.is_optional
        ]
        result[enrolment.id] = after[0] if after else (ordered[0] if ordered else None)
    return result


@dataclass(frozen=True)
class RunLearnerRow:
    enrolment: Enrolment
    progress: CourseProgress
    modules: list[ModuleProgress]


def run_progress(run: CourseRun) -> list[RunLearnerRow]:
    """Every active learner of ``run`` with per-module and per-item progress (constant queries)."""
    enrolments = list(
        _session().scalars(
            select(Enrolment)
            .where(Enrolment.run_id == run.id, Enrolment.left_at.is_(None))
            .join(User, User.id == Enrolment.user_id)
            # One query for any number of learners (a selectin load goes in chunks of 500).
            .options(contains_eager(Enrolment.user).lazyload(User.role_rows))
            .order_by(func.lower(User.display_name))
        )
    )
    for enrolment in enrolments:
        enrolment.run = run
    progress = progress_for_enrolments(enrolments, course=run.course)
    return [
        RunLearnerRow(e, progress[e.id], module_progress(run.course, progress[e.id]))
        for e in enrolments
    ]


def runs_for_staff(user: User) -> list[CourseRun]:
    """Runs ``user`` coordinates or teaches (all runs for admins), current ones first."""
    stmt = (
        select(CourseRun).options(selectinload(CourseRun.course)).order_by(CourseRun.ends_at.desc())
    )
    if not user.has_role(Role.ADMIN):
        stmt = stmt.join(RunStaff).where(RunStaff.user_id == user.id)
    return list(_session().scalars(stmt).unique())
