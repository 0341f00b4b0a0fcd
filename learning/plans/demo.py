"""Demo action plans: in the three-week programme's current run, Seoul's team (with
learner@example.org) drafts its plan over a few versions, and Abuja's plan waits in the
coordinator's review queue. Idempotent, through the services."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from learning.accounts import services as accounts
from learning.courses.models import Course, CourseRun
from learning.extensions import db
from learning.plans import services
from learning.plans.models import PlanState

COURSE, RUN = "smart-city-officials", "2026-cohort"

# (author e-mail, section key, text, hours ago): each line is one save, so one version.
SEOUL_DRAFT = [
    (
        "learner@example.org",
        "problem",
        "Flash floods close underground walkways in Gangnam several times each summer.",
        50,
    ),
    (
        "seo-yeon.kim@example.org",
        "problem",
        "Flash floods close underground walkways and semi-basement homes in Gangnam several "
        "times each summer; 2022's floods showed that residents get warnings too late.\n\n"
        "- 14 walkway closures in 2025\n- warnings reach residents after 40 minutes on average",
        30,
    ),
    (
        "learner@example.org",
        "objectives",
        "1. Warn residents of flood-prone homes **within 10 minutes** of a sensor alert.\n"
        "2. Share live water-level data with the district offices by the end of 2027.",
        26,
    ),
    (
        "dong-hyun.lee@example.org",
        "indicators",
        "| Indicator | Baseline | Target |\n|---|---|---|\n"
        "| Minutes from alert to warning | 40 | 10 |\n| Households registered | 0 | 5,000 |",
        5,
    ),
]

ABUJA_PLAN = {
    "problem": "Traffic congestion on the Nyanya-Mararaba corridor costs commuters two hours a "
    "day, and the city has no live data about it.",
    "objectives": "Publish live travel times for the corridor and cut average delay by 20 % "
    "within 18 months.",
    "activities": "Install 30 low-cost traffic counters, share their data on the city's open "
    "data portal, and re-time 12 signals.",
    "indicators": "- Average peak travel time (baseline 95 min)\n- Share of signals re-timed",
}


def load_demo(now: datetime) -> list[str]:
    """Create the demo plans that are missing; return what was created."""
    run = db.session.scalar(
        select(CourseRun).join(Course).where(Course.slug == COURSE, CourseRun.slug == RUN)
    )
    if run is None or not services.template_sections(run.course_id):
        return []  # the course was not synced, or has no plan template
    created: list[str] = []
    if services.settings_for(run) is None:
        due = (run.starts_at + timedelta(days=18)).replace(hour=9, minute=0)
        services.configure_run(None, run, is_required=True, due_at=due, now=now)
        created.append(f"plan settings of {COURSE}/{RUN}")
    learner = accounts.find_user_by_email("learner@example.org")
    if learner is not None and services.plan_for(learner, run) is None:
        plan = services.start_plan(learner, run, now=now - timedelta(hours=52))
        for email, key, text, hours in SEOUL_DRAFT:
            author = accounts.find_user_by_email(email)
            current = {s.key: s.version for s in services.plan_sections(plan)}
            if author is None or key not in current:
                continue
            services.save_section(
                author, plan, key, text, base_version=current[key], now=now - timedelta(hours=hours)
            )
        created.append(f"plan {plan.title} (draft, {len(SEOUL_DRAFT)} versions)")
    chidi = accounts.find_user_by_email("chidi.okafor@example.org")
    if chidi is not None and services.plan_for(chidi, run) is None:
        plan = services.start_plan(chidi, run, now=now - timedelta(days=4))
        keys = {s.key for s in services.plan_sections(plan)}
        for key, text in ABUJA_PLAN.items():
            if key not in keys:
                continue
            services.save_section(
                chidi, plan, key, text, base_version=0, now=now - timedelta(days=3)
            )
        if plan.state == PlanState.DRAFT:
            services.submit(
                chidi, plan, comment="Ready for your review.", now=now - timedelta(days=2)
            )
        created.append(f"plan {plan.title} (submitted)")
    return created
