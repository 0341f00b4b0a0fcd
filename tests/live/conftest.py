"""Live sessions fixtures: a course run at fixed dates, its staff and learners."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from learning.courses import services as courses
from learning.live import services
from tests.factories import create_course, create_user, unique

# The clock of most tests: a Monday morning in UTC.
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def make_run(course, *, starts_at: datetime, ends_at: datetime, now: datetime = NOW, **fields):
    return courses.create_run(
        None,
        course,
        slug=unique("run-"),
        title=fields.pop("title", "Programme"),
        starts_at=starts_at,
        ends_at=ends_at,
        now=now,
        **fields,
    )


def session_fields(**overrides) -> services.SessionFields:
    values = {
        "title": "Open data with Seoul",
        "starts_local": datetime(2026, 12, 10, 21, 0),
        "ends_local": datetime(2026, 12, 10, 22, 30),
        "timezone": "Asia/Seoul",
        "join_url": "https://meet.example.org/abc-defg-hij",
        "description": "Questions welcome.",
        "capacity": None,
    }
    values.update(overrides)
    return services.SessionFields(**values)


@pytest.fixture
def world(db):
    """A three-week run with an instructor, a coordinator, three learners and an outsider."""
    course = create_course()
    run = make_run(
        course,
        starts_at=datetime(2026, 11, 30, tzinfo=UTC),
        ends_at=datetime(2026, 12, 21, tzinfo=UTC),
        now=datetime(2026, 11, 1, tzinfo=UTC),
    )
    instructor = create_user(roles=("instructor",), timezone="Africa/Lagos")
    coordinator = create_user(roles=("coordinator",), timezone="Asia/Seoul")
    courses.add_run_staff(run, instructor, "instructor")
    courses.add_run_staff(run, coordinator, "coordinator")
    learners = [
        create_user(timezone=zone)
        for zone in ("Asia/Seoul", "America/Sao_Paulo", "America/Guayaquil")
    ]
    for learner in learners:
        courses.enroll(learner, run, added_by=coordinator, now=datetime(2026, 11, 30, tzinfo=UTC))
    outsider = create_user()
    other_instructor = create_user(roles=("instructor",))
    admin = create_user(roles=("admin",))
    db.session.flush()
    return SimpleNamespace(
        course=course,
        run=run,
        instructor=instructor,
        coordinator=coordinator,
        learners=learners,
        outsider=outsider,
        other_instructor=other_instructor,
        admin=admin,
    )


@pytest.fixture
def live(world):
    return services.schedule_session(world.instructor, world.run, session_fields(), now=NOW)
