"""Live sessions business rules: scheduling across time zones, registration with a waiting
list, reminders that go exactly once, attendance (checklist or the video platform's
participant report), recordings, and the private calendar feed.

Every function takes the actor and the clock (``now``) explicitly, raises ``core.errors``
and flushes; the entry point (view, task, CLI) commits and sends the e-mails after the commit.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from blinker import Namespace
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from learning.accounts.models import User
from learning.core.errors import Conflict, Forbidden, NotFound, ValidationError
from learning.core.locales import is_valid_timezone
from learning.courses import authoring
from learning.courses import services as courses
from learning.courses.deadlines import Deadline, deadlines_for
from learning.courses.models import CourseRun, Enrolment, Item, ItemKind, Module
from learning.extensions import db
from learning.live.models import (
    DEFAULT_REMINDER_OFFSETS,
    Attendance,
    AttendanceSource,
    CalendarFeed,
    LiveSession,
    Registration,
    RegistrationStatus,
    ReminderSent,
)

events = Namespace()
#: Sent with the run as sender, ``user_ids=[...]`` and ``now=`` after attendance is recorded.
attendance_recorded = events.signal("attendance-recorded")

MAX_TITLE = 200
MAX_DESCRIPTION = 5000
MAX_URL = 2000
MAX_REMINDERS = 5
MAX_REMINDER_MINUTES = 14 * 24 * 60
MAX_SESSION_HOURS = 24
MAX_CSV_ROWS = 5000
# Calendar feeds list sessions that ended up to this long ago.
FEED_HISTORY = timedelta(days=90)

REGISTERED = RegistrationStatus.REGISTERED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value
CANCELLED = RegistrationStatus.CANCELLED.value


def _session() -> Session:
    return db.session


# --- permissions ----------------------------------------------------------------------------------


def can_manage_sessions(user: User | None, run: CourseRun) -> bool:
    """The run's instructors and coordinators, the course's editors and administrators."""
    return courses.is_run_staff(user, run) or courses.can_edit_course(user, run.course)


def _require_manager(actor: User | None, run: CourseRun) -> None:
    if not can_manage_sessions(actor, run):
        raise Forbidden("Only this run's instructors and coordinators may manage its sessions.")


def can_view_run_sessions(user: User | None, run: CourseRun) -> bool:
    """Enrolled learners and the staff see a run's sessions."""
    if user is None or not user.is_authenticated:
        return False
    return can_manage_sessions(user, run) or courses.active_enrolment_in_run(user, run) is not None


# --- time zones -----------------------------------------------------------------------------------


def _zone(name: str | None) -> ZoneInfo:
    if not is_valid_timezone(name):
        raise ValidationError("Choose a time zone from the list.", field="timezone")
    return ZoneInfo(name)


def to_utc(local: datetime | None, zone: str, *, field: str) -> datetime:
    """A wall-clock time in ``zone`` as a UTC instant.

    A time the clocks skip (spring forward) is refused; a time they pass twice (autumn) is
    the first of the two, as calendar programs do.
    """
    if local is None:
        raise ValidationError("Give a date and time.", field=field)
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    tz = _zone(zone)
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != local:
        raise ValidationError(
            f"This time does not exist in {zone}: the clocks change then.", field=field
        )
    return instant


def to_local(instant: datetime, zone: str) -> datetime:
    """A UTC instant as an aware datetime in ``zone`` (UTC if the zone is unknown)."""
    return instant.astimezone(ZoneInfo(zone) if is_valid_timezone(zone) else UTC)


@dataclass(frozen=True)
class SessionTimes:
    """A session's start and end as a viewer sees them, and as the organiser entered them."""

    starts: datetime  # aware, in the viewer's zone
    ends: datetime
    zone: str
    organiser_starts: datetime
    organiser_ends: datetime
    organiser_zone: str

    @property
    def crosses_midnight(self) -> bool:
        return self.ends.date() != self.starts.date()

    @property
    def organiser_crosses_midnight(self) -> bool:
        return self.organiser_ends.date() != self.organiser_starts.date()

    @property
    def differs(self) -> bool:
        """True when the organiser's wall clock reads differently from the viewer's."""
        return (
            self.starts.replace(tzinfo=None) != self.organiser_starts.replace(tzinfo=None)
            or self.starts.utcoffset() != self.organiser_starts.utcoffset()
        )

    @property
    def duration(self) -> timedelta:
        return self.ends - self.starts


def session_times(live: LiveSession, viewer_zone: str) -> SessionTimes:
    """``live``'s times in ``viewer_zone`` and in the organiser's zone."""
    zone = viewer_zone if is_valid_timezone(viewer_zone) else "UTC"
    return SessionTimes(
        starts=to_local(live.starts_at, zone),
        ends=to_local(live.ends_at, zone),
        zone=zone,
        organiser_starts=to_local(live.starts_at, live.timezone),
        organiser_ends=to_local(live.ends_at, live.timezone),
        organiser_zone=live.timezone,
    )


# --- scheduling -----------------------------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError("This field is required.", field=field)
    if len(value) > limit:
        raise ValidationError(f"Use at most {limit} characters.", field=field)
    return value


def check_join_url(value: str | None) -> str:
    """An ``https`` address of a video platform; anything else (``http:``, ``javascript:``,
    no host) is refused."""
    value = (value or "").strip()
    if not value:
        raise ValidationError("Give the address of the video meeting.", field="join_url")
    if len(value) > MAX_URL:
        raise ValidationError(f"Use at most {MAX_URL} characters.", field="join_url")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValidationError("An address cannot contain spaces.", field="join_url")
    try:
        parts = urlsplit(value)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() != "https" or not parts.hostname:
        raise ValidationError(
            "Give an https:// address (a secure link to the video meeting).", field="join_url"
        )
    if parts.username or parts.password:
        raise ValidationError("The address cannot contain a user name.", field="join_url")
    return value


def _reminder_offsets(value: Iterable[int] | None) -> list[int]:
    offsets = sorted({int(v) for v in (DEFAULT_REMINDER_OFFSETS if value is None else value)})
    if len(offsets) > MAX_REMINDERS:
        raise ValidationError(f"Send at most {MAX_REMINDERS} reminders.", field="reminders")
    if any(v <= 0 or v > MAX_REMINDER_MINUTES for v in offsets):
        raise ValidationError(
            "Reminders go between one minute and two weeks before the start.", field="reminders"
        )
    return sorted(offsets, reverse=True)


def _module(run: CourseRun, module_id: int | None) -> Module | None:
    if module_id is None:
        return None
    module = _session().get(Module, module_id)
    if module is None or module.course_id != run.course_id or module.is_archived:
        raise ValidationError("Choose a module of this course.", field="module_id")
    return module


def _registered_count(live: LiveSession) -> int:
    return (
        _session().scalar(
            select(func.count(Registration.id)).where(
                Registration.session_id == live.id, Registration.status == REGISTERED
            )
        )
        or 0
    )


@dataclass(frozen=True)
class SessionFields:
    """What an organiser enters: wall-clock times in ``timezone``."""

    title: str
    starts_local: datetime | None
    ends_local: datetime | None
    timezone: str
    join_url: str
    description: str = ""
    capacity: int | None = None
    module_id: int | None = None
    is_link_for_all_enrolled: bool = False
    reminder_offsets: tuple[int, ...] | list[int] | None = None
    min_attendance_minutes: int = 30


def _checked(run: CourseRun, data: SessionFields) -> dict:
    title = _text(data.title, field="title", limit=MAX_TITLE, required=True)
    description = _text(data.description, field="description", limit=MAX_DESCRIPTION)
    _zone(data.timezone)
    starts_at = to_utc(data.starts_local, data.timezone, field="starts_at")
    ends_at = to_utc(data.ends_local, data.timezone, field="ends_at")
    if ends_at <= starts_at:
        raise ValidationError("A session must end after it starts.", field="ends_at")
    if ends_at - starts_at > timedelta(hours=MAX_SESSION_HOURS):
        raise ValidationError(
            f"A session lasts at most {MAX_SESSION_HOURS} hours.", field="ends_at"
        )
    if data.capacity is not None and data.capacity < 1:
        raise ValidationError("Capacity must be at least 1.", field="capacity")
    if data.min_attendance_minutes is None or data.min_attendance_minutes < 0:
        raise ValidationError("Give a number of minutes (0 or more).", field="min_minutes")
    return {
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "timezone": data.timezone,
        "join_url": check_join_url(data.join_url),
        "capacity": data.capacity,
        "module_id": _module(run, data.module_id).id if data.module_id else None,
        "is_link_for_all_enrolled": bool(data.is_link_for_all_enrolled),
        "reminder_offsets": _reminder_offsets(data.reminder_offsets),
        "min_attendance_minutes": int(data.min_attendance_minutes),
    }


def schedule_session(
    actor: User, run: CourseRun, data: SessionFields, *, now: datetime
) -> LiveSession:
    """Schedule a live session of ``run``; times are entered in ``data.timezone``."""
    _require_manager(actor, run)
    values = _checked(run, data)
    if values["starts_at"] <= now:
        raise ValidationError("A new session cannot start in the past.", field="starts_at")
    live = LiveSession(
        run_id=run.id,
        sequence=0,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
        **values,
    )
    live.run = run
    _session().add(live)
    _session().flush()
    return live


@dataclass
class Change:
    """What an edit or a cancellation did, for the e-mails sent after the commit."""

    notify_user_ids: list[int] = field(default_factory=list)
    promoted: list[Registration] = field(default_factory=list)
    changed: bool = False


def update_session(actor: User, live: LiveSession, data: SessionFields, *, now: datetime) -> Change:
    """Change a session; registrants are told (``Change.notify_user_ids``) when what they
    need to know (time, link, title) changes, and raised capacity moves the waiting list up."""
    _require_manager(actor, live.run)
    if live.is_cancelled:
        raise Conflict("This session was cancelled; schedule a new one.")
    values = _checked(live.run, data)
    if values["starts_at"] != live.starts_at and values["starts_at"] <= now:
        raise ValidationError("A session cannot be moved into the past.", field="starts_at")
    _lock(live)
    registered = _registered_count(live)
    if values["capacity"] is not None and values["capacity"] < registered:
        raise ValidationError(
            f"{registered} learners are registered: the capacity cannot be lower.",
            field="capacity",
        )
    change = Change()
    noticeable = ("title", "starts_at", "ends_at", "join_url", "description")
    notify = any(getattr(live, key) != values[key] for key in noticeable)
    change.changed = any(getattr(live, key) != value for key, value in values.items())
    if not change.changed:
        return change
    for key, value in values.items():
        setattr(live, key, value)
    live.sequence += 1
    live.updated_at = now
    _session().flush()
    change.promoted = _promote(live, now=now)
    if notify:
        promoted_ids = {r.user_id for r in change.promoted}
        change.notify_user_ids = [
            uid for uid in _user_ids(live, REGISTERED) if uid not in promoted_ids
        ]
    return change


def cancel_session(actor: User, live: LiveSession, *, now: datetime) -> Change:
    """Cancel ``live`` (idempotent); registrants and the waiting list are told."""
    _require_manager(actor, live.run)
    if live.is_cancelled:
        return Change()
    if live.ends_at <= now:
        raise Conflict("This session is over; it cannot be cancelled.")
    live.cancelled_at = now
    live.sequence += 1
    live.updated_at = now
    _session().flush()
    return Change(
        notify_user_ids=_user_ids(live, REGISTERED) + _user_ids(live, WAITLISTED), changed=True
    )


def _user_ids(live: LiveSession, status: str) -> list[int]:
    return list(
        _session().scalars(
            select(Registration.user_id)
            .where(Registration.session_id == live.id, Registration.status == status)
            .order_by(Registration.position)
        )
    )


def get_session(session_id: int) -> LiveSession:
    live = _session().scalar(
        select(LiveSession)
        .where(LiveSession.id == session_id)
        .options(
            selectinload(LiveSession.run).selectinload(CourseRun.staff),
            selectinload(LiveSession.run).selectinload(CourseRun.course),
        )
    )
    if live is None:
        raise NotFound("No such live session.")
    return live


# --- registration ---------------------------------------------------------------------------------


def _lock(live: LiveSession) -> None:
    # Serialise registrations of one session so that two learners cannot both take the last
    # place, nor both be promoted to it (SQLite serialises writers by itself).
    if _session().get_bind().dialect.name == "postgresql":
        _session().execute(
            select(LiveSession.id).where(LiveSession.id == live.id).with_for_update()
        )


def registration_of(user: User | None, live: LiveSession) -> Registration | None:
    if user is None or not user.is_authenticated:
        return None
    return _session().scalar(
        select(Registration).where(
            Registration.session_id == live.id, Registration.user_id == user.id
        )
    )


def _next_position(live: LiveSession) -> int:
    last = _session().scalar(
        select(func.max(Registration.position)).where(Registration.session_id == live.id)
    )
    return (last or 0) + 1


def register(user: User, live: LiveSession, *, now: datetime) -> Registration:
    """Register an enrolled learner; when the session is full they join the waiting list.
    Registering twice changes nothing."""
    if courses.active_enrolment_in_run(user, live.run) is None:
        raise Forbidden("Only learners enrolled in this run may register for its sessions.")
    if live.is_cancelled:
        raise Conflict("This session was cancelled.")
    if live.ends_at <= now:
        raise Conflict("This session is over.")
    _lock(live)
    registration = registration_of(user, live)
    if registration is not None and registration.status != CANCELLED:
        return registration
    full = live.capacity is not None and _registered_count(live) >= live.capacity
    status = WAITLISTED if full else REGISTERED
    if registration is None:
        registration = Registration(session_id=live.id, user_id=user.id, registered_at=now)
        _session().add(registration)
    registration.status = status
    registration.position = _next_position(live)
    registration.registered_at = now
    registration.updated_at = now
    _session().flush()
    return registration


def cancel_registration(user: User, live: LiveSession, *, now: datetime) -> list[Registration]:
    """Give up a place (or leave the waiting list); returns who moved up into the place."""
    _lock(live)
    registration = registration_of(user, live)
    if registration is None or registration.status == CANCELLED:
        raise NotFound("You are not registered for this session.")
    was_registered = registration.status == REGISTERED
    registration.status = CANCELLED
    registration.updated_at = now
    _session().flush()
    if not was_registered or live.is_cancelled:
        return []
    return _promote(live, now=now)


def _promote(live: LiveSession, *, now: datetime) -> list[Registration]:
    """Move the waiting list up into the free places, first come first served."""
    if live.is_cancelled or live.ends_at <= now:
        return []
    waiting = list(
        _session().scalars(
            select(Registration)
            .where(Registration.session_id == live.id, Registration.status == WAITLISTED)
            .order_by(Registration.position)
        )
    )
    if not waiting:
        return []
    free = len(waiting) if live.capacity is None else live.capacity - _registered_count(live)
    promoted = waiting[: max(0, free)]
    for registration in promoted:
        registration.status = REGISTERED
        registration.updated_at = now
    _session().flush()
    return promoted


def places_left(live: LiveSession, registered: int) -> int | None:
    """Free places (None: no limit)."""
    return None if live.capacity is None else max(0, live.capacity - registered)


def waiting_position(registration: Registration) -> int:
    """1 for the first on the waiting list."""
    return (
        _session().scalar(
            select(func.count(Registration.id)).where(
                Registration.session_id == registration.session_id,
                Registration.status == WAITLISTED,
                Registration.position <= registration.position,
            )
        )
        or 0
    )


def may_join(
    user: User | None,
    live: LiveSession,
    registration: Registration | None,
    *,
    is_enrolled: bool,
    now: datetime,
    opens_before: timedelta,
) -> bool:
    """Is the join link shown to ``user`` now? To registered learners (or every enrolled
    learner, if the session says so) and the staff, from ``opens_before`` the start until
    the end."""
    if user is None or live.is_cancelled:
        return False
    if not (live.starts_at - opens_before <= now < live.ends_at):
        return False
    if registration is not None and registration.status == REGISTERED:
        return True
    if is_enrolled and live.is_link_for_all_enrolled:
        return True
    return can_manage_sessions(user, live.run)


# --- pages' data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRow:
    session: LiveSession
    registered: int
    waitlisted: int
    my_status: str | None
    attended: bool | None

    @property
    def places_left(self) -> int | None:
        return places_left(self.session, self.registered)


def run_sessions(run: CourseRun, viewer: User | None) -> list[SessionRow]:
    """The sessions of ``run`` by start, with counts and the viewer's registration and
    attendance (four queries whatever their number)."""
    sessions = list(
        _session().scalars(
            select(LiveSession).where(LiveSession.run_id == run.id).order_by(LiveSession.starts_at)
        )
    )
    for live in sessions:
        live.run = run
    ids = [s.id for s in sessions]
    counts: dict[tuple[int, str], int] = {}
    mine: dict[int, str] = {}
    attended: dict[int, bool] = {}
    if ids:
        rows = _session().execute(
            select(Registration.session_id, Registration.status, func.count(Registration.id))
            .where(Registration.session_id.in_(ids))
            .group_by(Registration.session_id, Registration.status)
        )
        counts = {(session_id, status): count for session_id, status, count in rows}
        if viewer is not None and viewer.is_authenticated:
            mine = dict(
                _session()
                .execute(
                    select(Registration.session_id, Registration.status).where(
                        Registration.session_id.in_(ids), Registration.user_id == viewer.id
                    )
                )
                .all()
            )
            attended = dict(
                _session()
                .execute(
                    select(Attendance.session_id, Attendance.is_present).where(
                        Attendance.session_id.in_(ids), Attendance.user_id == viewer.id
                    )
                )
                .all()
            )
    return [
        SessionRow(
            live,
            counts.get((live.id, REGISTERED), 0),
            counts.get((live.id, WAITLISTED), 0),
            mine.get(live.id),
            attended.get(live.id),
        )
        for live in sessions
    ]


def runs_of_learner(user: User, *, now: datetime) -> list[CourseRun]:
    """Runs ``user`` is enrolled in that have not ended, with their courses (one query)."""
    return list(
        _session().scalars(
            select(CourseRun)
            .join(Enrolment, Enrolment.run_id == CourseRun.id)
            .where(
                Enrolment.user_id == user.id,
                Enrolment.left_at.is_(None),
                CourseRun.ends_at > now,
            )
            .options(selectinload(CourseRun.course))
            .order_by(CourseRun.starts_at)
        )
    )


def upcoming_for_user(user: User, *, now: datetime) -> list[tuple[LiveSession, str]]:
    """Sessions ``user`` registered for (or waits for) that have not ended, by start."""
    rows = _session().execute(
        select(LiveSession, Registration.status)
        .join(Registration, Registration.session_id == LiveSession.id)
        .where(
            Registration.user_id == user.id,
            Registration.status != CANCELLED,
            LiveSession.ends_at > now,
        )
        .options(selectinload(LiveSession.run).selectinload(CourseRun.course))
        .order_by(LiveSession.starts_at)
    )
    return [(live, status) for live, status in rows]


# --- reminders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueReminder:
    registration_id: int
    user_id: int
    session_id: int
    offset_minutes: int
    session_starts_at: datetime


def reminders_due(*, now: datetime) -> list[tuple[DueReminder, list[int]]]:
    """Reminders to send now: for each registrant, the reminder whose time has come (the one
    nearest the start if the task ran late), with the offsets it makes pointless.

    A reminder is due from ``start - offset`` until the start, for registrations made before
    that moment, unless one was already recorded for this registration, offset and start.
    """
    horizon = now + timedelta(minutes=MAX_REMINDER_MINUTES)
    rows = (
        _session()
        .execute(
            select(
                Registration.id,
                Registration.user_id,
                Registration.registered_at,
                LiveSession.id,
                LiveSession.starts_at,
                LiveSession.reminder_offsets,
            )
            .join(LiveSession, LiveSession.id == Registration.session_id)
            # Learners who left the run are not reminded.
            .join(
                Enrolment,
                (Enrolment.run_id == LiveSession.run_id)
                & (Enrolment.user_id == Registration.user_id)
                & Enrolment.left_at.is_(None),
            )
            .where(
                Registration.status == REGISTERED,
                LiveSession.cancelled_at.is_(None),
                LiveSession.starts_at > now,
                LiveSession.starts_at <= horizon,
            )
        )
        .all()
    )
    if not rows:
        return []
    sent = set(
        _session().execute(
            select(
                ReminderSent.registration_id,
                ReminderSent.offset_minutes,
                ReminderSent.session_starts_at,
            ).where(ReminderSent.registration_id.in_([row[0] for row in rows]))
        )
    )
    result = []
    for reg_id, user_id, registered_at, session_id, starts_at, offsets in rows:
        due = [
            offset
            for offset in offsets or []
            if registered_at <= starts_at - timedelta(minutes=offset) <= now
        ]
        if not due or (reg_id, min(due), starts_at) in sent:
            continue  # nothing due, or the nearest one went already
        nearest = min(due)
        result.append(
            (
                DueReminder(reg_id, user_id, session_id, nearest, starts_at),
                [o for o in due if o != nearest and (reg_id, o, starts_at) not in sent],
            )
        )
    return result


def _insert_ignoring_duplicates(values: dict) -> bool:
    """Insert a ReminderSent row; False if another run of the task recorded it first."""
    dialect = _session().get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(ReminderSent)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=["registration_id", "offset_minutes", "session_starts_at"]
        )
    )
    # RETURNING says whether a row went in (rowcount is not reliable across drivers).
    return _session().execute(stmt.returning(ReminderSent.id)).first() is not None


def claim_due_reminders(*, now: datetime) -> list[DueReminder]:
    """Record the reminders due now and return those this call won.

    The unique constraint decides between overlapping runs of the periodic task: a row
    another run inserted first is skipped (on PostgreSQL the insert waits for that run's
    transaction), so each reminder is e-mailed by exactly one run, after its commit.
    """
    won = []
    for reminder, skipped in reminders_due(now=now):
        base = {
            "registration_id": reminder.registration_id,
            "session_starts_at": reminder.session_starts_at,
            "sent_at": now,
        }
        if _insert_ignoring_duplicates(
            {**base, "offset_minutes": reminder.offset_minutes, "is_delivered": True}
        ):
            won.append(reminder)
        for offset in skipped:
            _insert_ignoring_duplicates({**base, "offset_minutes": offset, "is_delivered": False})
    return won


# --- attendance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistRow:
    user: User
    is_registered: bool
    is_present: bool
    minutes: int | None


def _require_over(live: LiveSession, now: datetime) -> None:
    if live.is_cancelled:
        raise Conflict("This session was cancelled.")
    if live.starts_at > now:
        raise Conflict("Attendance is recorded once the session has started.")


def _run_learners(run: CourseRun) -> dict[int, User]:
    users = _session().scalars(
        select(User)
        .join(Enrolment, Enrolment.user_id == User.id)
        .where(Enrolment.run_id == run.id, Enrolment.left_at.is_(None))
    )
    return {user.id: user for user in users}


def attendance_checklist(actor: User, live: LiveSession) -> list[ChecklistRow]:
    """Registered and enrolled learners, registered first, with what is recorded."""
    _require_manager(actor, live.run)
    learners = _run_learners(live.run)
    registered = set(_user_ids(live, REGISTERED))
    missing = registered - set(learners)
    if missing:  # registered, then left the run: still on the list
        learners.update(
            {u.id: u for u in _session().scalars(select(User).where(User.id.in_(missing)))}
        )
    records = {
        a.user_id: a
        for a in _session().scalars(select(Attendance).where(Attendance.session_id == live.id))
    }
    rows = [
        ChecklistRow(
            user,
            user.id in registered,
            records[user.id].is_present if user.id in records else False,
            records[user.id].minutes if user.id in records else None,
        )
        for user in learners.values()
    ]
    return sorted(rows, key=lambda r: (not r.is_registered, r.user.display_name.lower()))


def _eligible_ids(live: LiveSession) -> set[int]:
    return set(_run_learners(live.run)) | set(_user_ids(live, REGISTERED))


def record_attendance(
    actor: User, live: LiveSession, present_user_ids: Iterable[int], *, now: datetime
) -> list[int]:
    """The checklist: exactly ``present_user_ids`` attended (others did not). Returns them."""
    _require_manager(actor, live.run)
    _require_over(live, now)
    present = {int(uid) for uid in present_user_ids}
    eligible = _eligible_ids(live)
    strangers = present - eligible
    if strangers:
        raise ValidationError("Only the run's learners can be marked present.", field="present")
    existing = {
        a.user_id: a
        for a in _session().scalars(select(Attendance).where(Attendance.session_id == live.id))
    }
    for user_id in eligible:
        row = existing.get(user_id)
        is_present = user_id in present
        if row is None:
            if not is_present:
                continue
            row = Attendance(session_id=live.id, user_id=user_id, minutes=None)
            _session().add(row)
        elif row.is_present == is_present:
            continue
        row.is_present = is_present
        row.source = AttendanceSource.CHECKLIST.value
        row.recorded_at = now
        row.recorded_by_id = actor.id
    _session().flush()
    attendance_recorded.send(live.run, user_ids=sorted(present), now=now)
    return sorted(present)


@dataclass
class ImportReport:
    attended: list[str] = field(default_factory=list)
    too_short: list[str] = field(default_factory=list)  # matched, under the minimum
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (line, e-mail or name)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line, message)

    @property
    def ok(self) -> bool:
        return not self.errors


_HEADER_KEYS = {
    "email": ("email", "e-mail", "mail", "user email", "participant email"),
    "name": ("name", "full name", "participant", "display name", "name (original name)"),
    "join": (
        "join time",
        "joined",
        "join",
        "first join",
        "first join time",
        "start time",
        "time joined",
    ),
    "leave": (
        "leave time",
        "left",
        "leave",
        "last leave",
        "last leave time",
        "end time",
        "time exited",
    ),
    "duration": (
        "duration",
        "duration (minutes)",
        "minutes",
        "attendance duration",
        "in-meeting duration",
        "time in session (minutes)",
    ),
}
_TIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y, %I:%M:%S %p",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%I:%M:%S %p",  # times of day only (Meet)
    "%I:%M %p",
    "%H:%M:%S",
    "%H:%M",
)
# "1h 5m 3s" (Teams), "1 hr 5 min" (Meet), "45 min", "90s" ...
_DURATION_PARTS = re.compile(
    r"^(?:(\d+)\s*h(?:ours?|rs?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?|s)?)?)?\s*"
    r"(?:(\d+)\s*s(?:ec(?:onds?|s)?)?)?$"
)


def _delimiter(data: str) -> str:
    """Comma, semicolon (European spreadsheets) or tab (Teams): the commonest in line one."""
    first = data.split("\n", 1)[0]
    return max([",", ";", "\t"], key=first.count)


def _column_map(header: list[str]) -> dict[str, int]:
    normal = [re.sub(r"\s+", " ", cell.strip().lower().lstrip("\ufeff")) for cell in header]
    found: dict[str, int] = {}
    for key, names in _HEADER_KEYS.items():
        for index, cell in enumerate(normal):
            if cell in names or (key == "email" and "email" in cell):
                found.setdefault(key, index)
                break
    return found


def _parse_time(text: str) -> datetime:
    text = text.strip()
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt)  # noqa: DTZ007 - only differences are used
        except ValueError:
            continue
    raise ValueError(text)


def _parse_minutes(text: str) -> float:
    text = text.strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if re.fullmatch(r"\d+:\d{2}:\d{2}", text):
        hours, minutes, seconds = (int(p) for p in text.split(":"))
        return hours * 60 + minutes + seconds / 60
    match = _DURATION_PARTS.match(text)
    if text and match and any(match.groups()):
        hours, minutes, seconds = (int(g or 0) for g in match.groups())
        return hours * 60 + minutes + seconds / 60
    raise ValueError(text)


def import_participants(
    actor: User, live: LiveSession, data: str, *, now: datetime
) -> ImportReport:
    """Attendance from a video platform's participant report (CSV with an e-mail column and
    either join and leave times or a duration). Rows of one person add up; those with at
    least the session's minimum minutes attended. Rows whose e-mail is not a learner of the
    run are listed, not imported. If any row is malformed nothing is recorded."""
    _require_manager(actor, live.run)
    _require_over(live, now)
    report = ImportReport()
    try:
        data = data.lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(data), delimiter=_delimiter(data), strict=True))
    except csv.Error as error:
        report.errors.append((0, f"This is not a CSV file: {error}."))
        return report
    if not rows or not any(cell.strip() for cell in rows[0]):
        report.errors.append((1, "The file is empty."))
        return report
    if len(rows) > MAX_CSV_ROWS:
        report.errors.append((0, f"The file has more than {MAX_CSV_ROWS} rows."))
        return report
    columns = _column_map(rows[0])
    if "email" not in columns:
        report.errors.append((1, "The first row must name the columns, one of them “Email”."))
        return report
    if "duration" not in columns and not {"join", "leave"} <= set(columns):
        report.errors.append(
            (1, "The file needs a “Duration” column, or “Join time” and “Leave time”.")
        )
        return report
    minutes: dict[str, float] = defaultdict(float)
    first_line: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = lambda key, row=row: row[columns[key]].strip() if len(row) > columns[key] else ""  # noqa: E731
        email = cell("email").lower()
        if email and ("@" not in email or len(email) > 254 or " " in email):
            report.errors.append((number, f"“{email}” is not an e-mail address."))
            continue
        try:
            if "duration" in columns and cell("duration"):
                spent = _parse_minutes(cell("duration"))
            else:
                spent = (
                    _parse_time(cell("leave")) - _parse_time(cell("join"))
                ).total_seconds() / 60
        except ValueError as error:
            report.errors.append((number, f"“{error}” is not a time or a duration."))
            continue
        if spent < 0:
            report.errors.append((number, "The participant left before joining."))
            continue
        key = email or f"name:{cell('name') if 'name' in columns else ''}"
        minutes[key] += spent
        first_line.setdefault(key, number)
    if report.errors:
        return report
    learners = {u.email: u for u in _run_learners(live.run).values()}
    for uid in _user_ids(live, REGISTERED):
        if all(u.id != uid for u in learners.values()):
            user = _session().get(User, uid)
            learners[user.email] = user
    existing = {
        a.user_id: a
        for a in _session().scalars(select(Attendance).where(Attendance.session_id == live.id))
    }
    present_ids = []
    for key, spent in minutes.items():
        user = learners.get(key)
        if user is None:
            report.unmatched.append((first_line[key], key.removeprefix("name:") or "?"))
            continue
        is_present = spent >= live.min_attendance_minutes
        row = existing.get(user.id)
        if row is None:
            row = Attendance(session_id=live.id, user_id=user.id)
            _session().add(row)
        row.is_present = is_present
        row.minutes = round(spent)
        row.source = AttendanceSource.IMPORT.value
        row.recorded_at = now
        row.recorded_by_id = actor.id
        (report.attended if is_present else report.too_short).append(user.email)
        if is_present:
            present_ids.append(user.id)
    _session().flush()
    attendance_recorded.send(live.run, user_ids=sorted(present_ids), now=now)
    return report


def attended_counts(run_id: int, user_ids: Iterable[int]) -> dict[int, int]:
    """How many of the run's (not cancelled) live sessions each user attended; one query.
    Users who attended none are absent."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = _session().execute(
        select(Attendance.user_id, func.count(Attendance.id))
        .join(LiveSession, LiveSession.id == Attendance.session_id)
        .where(
            LiveSession.run_id == run_id,
            LiveSession.cancelled_at.is_(None),
            Attendance.is_present.is_(True),
            Attendance.user_id.in_(ids),
        )
        .group_by(Attendance.user_id)
    )
    return dict(rows.all())


# --- recordings -----------------------------------------------------------------------------------


def recording_modules(live: LiveSession) -> list[Module]:
    course = live.run.course
    return list(courses.visible_modules(course))


def attach_recording(
    actor: User,
    live: LiveSession,
    upload: authoring.Upload,
    *,
    storage,
    module_id: int | None = None,
    title: str | None = None,
    now: datetime,
) -> Item:
    """Add the session's recording as a new video item of the course (in the session's
    module, or ``module_id``), through the courses domain's authoring rules."""
    _require_manager(actor, live.run)
    if live.is_cancelled:
        raise Conflict("This session was cancelled.")
    if live.ends_at > now:
        raise Conflict("The recording can be added once the session is over.")
    module = _module(live.run, module_id or live.module_id)
    if module is None:
        modules = recording_modules(live)
        if not modules:
            raise ValidationError(
                "The course has no module to hold the recording.", field="module_id"
            )
        module = modules[-1]
    item = authoring.add_item(
        actor,
        module,
        kind=ItemKind.VIDEO.value,
        title=_text(title or f"Recording: {live.title}", field="title", limit=MAX_TITLE),
        body=live.description,
        is_optional=True,
        upload=upload,
        storage=storage,
        now=now,
    )
    live.recording_item_id = item.id
    live.updated_at = now
    _session().flush()
    return item


# --- calendar feed --------------------------------------------------------------------------------


def feed_secret(user: User, *, now: datetime) -> str:
    """The secret of ``user``'s calendar feed, made on first use."""
    feed = _session().get(CalendarFeed, user.id)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, secret=secrets.token_urlsafe(24), created_at=now)
        _session().add(feed)
        _session().flush()
    return feed.secret


def reset_feed_secret(user: User, *, now: datetime) -> str:
    """A new secret: the old feed address stops working at once."""
    feed = _session().get(CalendarFeed, user.id)
    if feed is None:
        return feed_secret(user, now=now)
    feed.secret = secrets.token_urlsafe(24)
    feed.created_at = now
    _session().flush()
    return feed.secret


def user_for_feed(secret: str) -> User:
    if not secret or len(secret) > 64:
        raise NotFound("No such calendar.")
    user = _session().scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.secret == secret)
    )
    if user is None or not user.is_active:
        raise NotFound("No such calendar.")
    return user


@dataclass(frozen=True)
class Feed:
    sessions: list[LiveSession]
    deadlines: list[Deadline]


def feed_for(user: User, *, now: datetime) -> Feed:
    """What ``user``'s calendar lists: the sessions they registered for (cancelled ones too,
    so calendars remove them) from the last 90 days on, and their courses' deadlines."""
    sessions = list(
        _session().scalars(
            select(LiveSession)
            .join(Registration, Registration.session_id == LiveSession.id)
            .where(
                Registration.user_id == user.id,
                Registration.status == REGISTERED,
                LiveSession.ends_at > now - FEED_HISTORY,
            )
            .options(selectinload(LiveSession.run).selectinload(CourseRun.course))
            .order_by(LiveSession.starts_at)
        )
    )
    return Feed(sessions, deadlines_for(user, now=now))


# --- demo and CLI helpers -------------------------------------------------------------------------


def sessions_of_run(run: CourseRun) -> list[LiveSession]:
    return list(
        _session().scalars(
            select(LiveSession).where(LiveSession.run_id == run.id).order_by(LiveSession.starts_at)
        )
    )
