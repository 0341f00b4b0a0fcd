"""A run asking for action plans: a template, a rubric, two cities' learners and staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from learning.courses import services as courses
from learning.plans import services
from learning.plans.services import CriterionSpec, LevelSpec, SectionSpec
from tests.factories import create_city, create_course, create_run, create_user, enrol

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

SECTIONS = [
    SectionSpec("problem", "Problem statement", "What problem does your city face?"),
    SectionSpec("objectives", "Objectives", "What will change, by when?"),
    SectionSpec("kpis", "Indicators (KPIs)", "How will you measure it?"),
]
CRITERIA = [
    CriterionSpec(
        "relevance",
        "Relevance to the city",
        (LevelSpec("Weak", 0), LevelSpec("Adequate", 2), LevelSpec("Strong", 4)),
    ),
    CriterionSpec(
        "feasibility",
        "Feasibility",
        (LevelSpec("Unclear", 0), LevelSpec("Realistic", 3)),
    ),
]


@dataclass
class World:
    course: object
    run: object
    seoul: object
    abuja: object
    alice: object  # Seoul
    bob: object  # Seoul
    chidi: object  # Abuja
    coordinator: object
    instructor: object
    outsider: object  # a learner of another run, in Seoul

    def plan(self, user=None):
        return services.start_plan(user or self.alice, self.run, now=NOW)


@pytest.fixture
def world(db) -> World:
    course = create_course()
    run = create_run(course)
    seoul = create_city(name="Seoul test", country="KR")
    abuja = create_city(name="Abuja test", country="NG", timezone="Africa/Lagos")
    alice = create_user(city=seoul, display_name="Alice")
    bob = create_user(city=seoul, display_name="Bob")
    chidi = create_user(city=abuja, display_name="Chidi")
    for learner in (alice, bob, chidi):
        enrol(learner, run)
    coordinator = create_user(roles=("coordinator",), city=seoul)
    instructor = create_user(roles=("instructor",))
    courses.add_run_staff(run, coordinator, "coordinator")
    courses.add_run_staff(run, instructor, "instructor")
    other_run = create_run(course)
    outsider = create_user(city=seoul)
    enrol(outsider, other_run)
    services.set_template(course, SECTIONS, now=NOW)
    services.set_rubric(course, CRITERIA, now=NOW)
    services.configure_run(
        coordinator, run, is_required=True, due_at=NOW + timedelta(days=14), now=NOW
    )
    db.session.flush()
    return World(course, run, seoul, abuja, alice, bob, chidi, coordinator, instructor, outsider)
