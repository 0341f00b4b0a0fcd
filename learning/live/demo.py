"""Demo live sessions: three in the current run of the three-week programme, at an hour that
suits its cities (13:00 UTC is 22:00 in Seoul, 18:00 in Almaty, 14:00 in Abuja, 10:00 in São
Paulo and 08:00 in Cuenca). The first is over, with attendance recorded and its recording
attached; the next two are ahead, and learner@example.org is registered for the next one.

Idempotent: sessions are found by title; nothing is added twice. Goes through the services,
each with the clock of the moment it would really have happened.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from learning.accounts import services as accounts
from learning.courses import authoring
from learning.courses import services as courses
from learning.courses.models import Course, CourseRun
from learning.extensions import db
from learning.live import services

log = logging.getLogger(__name__)

COURSE = "smart-city-officials"
RUN = "2026-cohort"
ORGANISER_ZONE = "Africa/Lagos"  # the instructor, in Abuja
# title, description, day after the run starts, module key
SESSIONS = [
    (
        "Live: Governing a city's smart city programme",
        "Seoul's metropolitan government on how its smart city office works with every "
        "department. Bring one question from your city.",
        4,
        "week-1",
    ),
    (
        "Live: Data-driven decisions with city analytics",
        "A clinic on the analytics of week 2: officials from Almaty and São Paulo show a "
        "dashboard they use every week.",
        11,
        "week-2",
    ),
    (
        "Live: Inclusive mobility — your action plan",
        "Feedback on the action plans' first drafts, city by city.",
        18,
        "week-3",
    ),
]
ATTENDED = 6  # of the first session's registered officials
RECORDING = "media/w1-strategy.webm"  # a stand-in for the first session's recording


def load_demo(now: datetime) -> list[str]:
    """Add the demo live sessions that are missing; return what was created."""
    course = db.session.scalar(select(Course).where(Course.slug == COURSE))
    if course is None:
        return []
    run = db.session.scalar(
        select(CourseRun).where(CourseRun.course_id == course.id, CourseRun.slug == RUN)
    )
    instructor = accounts.find_user_by_email("instructor@example.org")
    if run is None or instructor is None:
        return []
    existing = {s.title for s in services.sessions_of_run(run)}
    modules = {m.key: m for m in course.modules}
    learner = accounts.find_user_by_email("learner@example.org")
    # learner@example.org first: the demo's learner attended the first session.
    officials = sorted(
        (row.enrolment.user for row in courses.run_progress(run)),
        key=lambda user: (user.email != "learner@example.org", user.display_name),
    )
    created: list[str] = []
    for index, (title, description, day, module_key) in enumerate(SESSIONS):
        if title in existing:
            continue
        starts_at = run.starts_at + timedelta(days=day, hours=13)
        local = services.to_local(starts_at, ORGANISER_ZONE).replace(tzinfo=None)
        scheduled_at = min(now, starts_at) - timedelta(days=7)
        module = modules.get(module_key)
        live = services.schedule_session(
            instructor,
            run,
            services.SessionFields(
                title=title,
                description=description,
                starts_local=local,
                ends_local=local + timedelta(minutes=90),
                timezone=ORGANISER_ZONE,
                join_url=f"https://meet.jit.si/capacity-demo-{run.id}-{index + 1}",
                capacity=30 if index else None,
                module_id=module.id if module else None,
                min_attendance_minutes=45,
            ),
            now=scheduled_at,
        )
        created.append(f"live session {title}")
        if starts_at < now:
            _hold(live, officials, instructor, now=now)
        elif learner is not None and index == _next_index(run, now):
            services.register(learner, live, now=now)
            for other in officials[:3]:
                if other.id != learner.id:
                    services.register(other, live, now=now)
    return created


def _next_index(run: CourseRun, now: datetime) -> int:
    days = [day for _, _, day, _ in SESSIONS]
    for index, day in enumerate(days):
        if run.starts_at + timedelta(days=day, hours=13) > now:
            return index
    return -1


def _hold(live, officials, instructor, *, now: datetime) -> None:
    """The past session: who registered, who came, and its recording."""
    for user in officials:
        services.register(user, live, now=live.starts_at - timedelta(days=2))
    after = live.ends_at + timedelta(hours=1)
    present = [user.id for user in officials[:ATTENDED]]
    services.record_attendance(instructor, live, present, now=after)
    path = current_app.config["CONTENT_DIR"] / COURSE / RECORDING
    if not path.is_file():
        log.info("No %s: the demo recording is left out", path)
        return
    with path.open("rb") as stream:
        services.attach_recording(
            instructor,
            live,
            authoring.Upload(stream, "recording.webm", current_app.config["MAX_VIDEO_BYTES"]),
            storage=current_app.extensions["storage"],
            now=after,
        )
