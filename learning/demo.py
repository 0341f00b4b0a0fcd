"""``flask demo load``: demo cities, accounts, courses and progress, so that a newcomer signs
in to a living platform.

Idempotent: a second run adds only what is missing and changes nothing a person did.
Refused in production. Every domain adds its demo data here, through its services.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from learning.accounts import services as accounts
from learning.certificates.demo import load_demo as load_certificates_demo
from learning.core.db import utcnow
from learning.courses import services as courses
from learning.courses.models import Course, CourseRun, ItemKind
from learning.extensions import db
from learning.live.demo import load_demo as load_live_demo
from learning.plans.demo import load_demo as load_plans_demo
from learning.quizzes import services as quizzes
from learning.quizzes.grading import get_type

DEMO_PASSWORD = "capacity-demo"  # noqa: S105 - documented demo password, never in production

CITIES = [
    # name, country, region, time zone
    ("Seoul", "KR", "Seoul Capital Area", "Asia/Seoul"),
    ("Abuja", "NG", "Federal Capital Territory", "Africa/Lagos"),
    ("Cuenca", "EC", "Azuay", "America/Guayaquil"),
    ("Almaty", "KZ", "Almaty", "Asia/Almaty"),
    ("São Paulo", "BR", "São Paulo", "America/Sao_Paulo"),
]

# email, display name, roles, city
USERS = [
    ("learner@example.org", "Min-jun Park", ["learner"], "Seoul"),
    ("champion@example.org", "Valentina Ortiz", ["learner"], "Cuenca"),
    ("instructor@example.org", "Dr. Amina Bello", ["instructor"], "Abuja"),
    ("coordinator@example.org", "Ji-woo Han", ["coordinator"], "Seoul"),
    ("admin@example.org", "Platform Administrator", ["admin"], None),
    ("seo-yeon.kim@example.org", "Seo-yeon Kim", ["learner"], "Seoul"),
    ("dong-hyun.lee@example.org", "Dong-hyun Lee", ["learner"], "Seoul"),
    ("chidi.okafor@example.org", "Chidi Okafor", ["learner"], "Abuja"),
    ("aisha.musa@example.org", "Aisha Musa", ["learner"], "Abuja"),
    ("mateo.vasquez@example.org", "Mateo Vásquez", ["learner"], "Cuenca"),
    ("lucia.pesantez@example.org", "Lucía Pesántez", ["learner"], "Cuenca"),
    ("aigerim.nurlanovna@example.org", "Aigerim Nurlanovna", ["learner"], "Almaty"),
    ("rafael.souza@example.org", "Rafael Souza", ["learner"], "São Paulo"),
]
OFFICIALS = [
    email
    for email, _, roles, city in USERS
    if roles == ["learner"] and email != "champion@example.org"
]

# course slug, run slug, title, days since start, length in days, enrolment mode
RUNS = [
    ("smart-city-officials", "2026-cohort", "Programme 2026", 8, 21, "coordinator"),
    ("youth-champions", "2026-champions", "Champions 2026", 30, 90, "open"),
    ("digital-platform-training", "joint-training-week", "Joint training week", 2, 7, "open"),
]

demo_cli = AppGroup("demo", help="Demo data for development and evaluation.")


def load_demo_accounts(now: datetime) -> list[str]:
    """Create the demo cities and accounts that are missing; return what was created."""
    created: list[str] = []
    cities = {}
    for name, country, region, zone in CITIES:
        city = accounts.find_city(name, country)
        if city is None:
            city = accounts.save_city(
                None, name=name, country=country, region=region, timezone=zone, now=now
            )
            created.append(f"city {name}")
        cities[name] = city
    for email, display_name, roles, city_name in USERS:
        if accounts.find_user_by_email(email) is not None:
            continue
        accounts.create_user(
            email=email,
            password=DEMO_PASSWORD,
            display_name=display_name,
            roles=roles,
            city=cities.get(city_name) if city_name else None,
            now=now,
        )
        created.append(email)
    return created


def load_demo_runs(now: datetime) -> list[str]:
    """A current run of each demo course, with staff, learners and some honest progress."""
    created = []
    coordinator = accounts.find_user_by_email("coordinator@example.org")
    instructor = accounts.find_user_by_email("instructor@example.org")
    for slug, run_slug, title, days_in, length, mode in RUNS:
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        if course is None:
            continue
        if db.session.scalar(
            select(CourseRun).where(CourseRun.course_id == course.id, CourseRun.slug == run_slug)
        ):
            continue
        start = (now - timedelta(days=days_in)).replace(hour=0, minute=0, second=0, microsecond=0)
        run = courses.create_run(
            None,
            course,
            slug=run_slug,
            title=title,
            starts_at=start,
            ends_at=start + timedelta(days=length),
            enrolment_mode=mode,
            now=now,
        )
        courses.add_run_staff(run, coordinator, "coordinator")
        courses.add_run_staff(run, instructor, "instructor")
        courses.add_course_instructor(course, instructor)
        created.append(f"run {slug}/{run_slug}")
        if slug == "smart-city-officials":
            for index, email in enumerate(OFFICIALS):
                user = accounts.find_user_by_email(email)
                enrolment = courses.enroll(user, run, added_by=coordinator, now=start)
                # Officials are at different points: the first ones furthest along.
                _make_progress(enrolment, course, steps=max(0, 6 - index), now=now)
        elif slug == "youth-champions":
            champion = accounts.find_user_by_email("champion@example.org")
            enrolment = courses.enroll(champion, run, now=start + timedelta(days=1))
            _make_progress(enrolment, course, steps=None, now=now)
    return created


def _make_progress(enrolment, course, *, steps: int | None, now: datetime) -> None:
    """Complete the first ``steps`` required items (all if None) as a learner would have."""
    ordered = [
        item
        for module in courses.visible_modules(course)
        for item in courses.visible_items(module)
        if not item.is_optional
    ]
    for item in ordered if steps is None else ordered[:steps]:
        opened = now - timedelta(hours=2)
        courses.open_item(enrolment, item, now=opened)
        if item.kind == ItemKind.VIDEO:
            courses.record_video_progress(
                enrolment,
                item,
                intervals=[[0, item.duration_seconds]],
                position=item.duration_seconds,
                duration=item.duration_seconds,
                now=now,
            )
        elif item.kind == ItemKind.QUIZ:
            _pass_quiz(enrolment, item, now=now)
        else:
            courses.set_item_done(enrolment, item, True, now=now)


def _pass_quiz(enrolment, item, *, now: datetime) -> None:
    """Answer a quiz rightly, as a diligent learner did (essays get a thoughtful paragraph)."""
    quiz = quizzes.quiz_for_item(item)
    attempt = quizzes.start_attempt(enrolment, quiz, now=now - timedelta(minutes=30))
    for shown in quizzes.attempt_questions(attempt, reveal=False):
        qtype = get_type(shown.data.type)
        if shown.data.type == "description":
            continue
        answer = qtype.correct_response(shown.data)
        if shown.data.type == "essay":
            answer = "Our team would start with one shared data platform and a pilot district."
        if isinstance(answer, tuple):
            answer = list(answer)
        quizzes.save_answer(attempt, shown.slot, answer, now=now - timedelta(minutes=20))
    quizzes.submit_attempt(attempt, now=now - timedelta(minutes=15))


@demo_cli.command("load")
def load() -> None:
    """Load the demo data (refused in production)."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Demo data is never loaded in production.")
    now = utcnow()
    created = load_demo_accounts(now)
    # Courses come from `flask content sync`; runs are added to whichever demo courses exist.
    created += load_demo_runs(now)
    created += load_live_demo(now)
    created += load_plans_demo(now)
    db.session.flush()
    created += load_certificates_demo(now)
    db.session.commit()
    click.echo(f"Demo data: {len(created)} new record(s)." if created else "Demo data: up to date.")
