"""Action plans: section saves (in-process, with their SQL writes counted) and the
coordinators' review queue over 1,000 plans under load (gunicorn + wrk)."""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench import common

PLANS = 1000
SAVES = 300


def run(kind: str) -> list[common.Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = common.fresh_database(kind, Path(folder))
        if url is None:
            return []
        env = common.environment(url, Path(folder))
        app = common.build_app(env)
        from sqlalchemy import event

        from learning.accounts import services as accounts
        from learning.core.db import utcnow
        from learning.courses import services as courses
        from learning.courses.models import Course
        from learning.extensions import db
        from learning.plans import services as plans
        from learning.plans.models import ActionPlan
        from learning.plans.services import CriterionSpec, LevelSpec, SectionSpec

        accounts.configure_password_hashing(fast=True)
        now = utcnow()
        with app.app_context():
            course = Course(
                slug="bench-plans",
                title="Plans bench",
                is_published=True,
                created_at=now,
                updated_at=now,
            )
            db.session.add(course)
            db.session.flush()
            keys = ["problem", "objectives", "activities", "timeline", "stakeholders",
                    "budget", "indicators", "risks"]  # fmt: skip
            plans.set_template(course, [SectionSpec(k, k.title()) for k in keys], now=now)
            plans.set_rubric(
                course,
                [
                    CriterionSpec(
                        "relevance", "Relevance", (LevelSpec("No", 0), LevelSpec("Yes", 4))
                    )
                ],
                now=now,
            )
            run = courses.create_run(
                None,
                course,
                slug="r",
                title="Run",
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=30),
                now=now,
            )
            plans.configure_run(None, run, is_required=True, due_at=None, now=now)
            coordinator = accounts.create_user(
                email="coordinator@bench.example.org",
                password="bench-password-1",
                display_name="Coordinator",
                roles=["coordinator"],
                now=now,
            )
            courses.add_run_staff(run, coordinator, "coordinator")
            cities = [
                accounts.save_city(
                    None, name=f"City {n}", country=("KR", "NG", "EC")[n % 3], now=now
                )
                for n in range(20)
            ]
            members = [
                accounts.create_user(
                    email=f"member{n}@bench.example.org",
                    password="bench-password-1",
                    display_name=f"Member {n}",
                    city=cities[0],
                    now=now,
                )
                for n in range(2)
            ]
            for member in members:
                courses.enroll(member, run, now=now)
            plan = plans.start_plan(members[0], run, now=now)
            db.session.add_all(
                ActionPlan(
                    run_id=run.id,
                    team_key=f"user:{10_000_000 + n}",
                    city_id=cities[n % 20].id,
                    title=f"Plan {n}",
                    state=("submitted", "in_review", "draft")[n % 3],
                    waiting_since=now - timedelta(hours=n) if n % 3 != 2 else None,
                    created_at=now,
                    state_changed_at=now,
                )
                for n in range(PLANS - 1)
            )
            db.session.commit()

            writes: list[str] = []

            def record(conn, cursor, statement, *args):
                if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
                    writes.append(statement)

            versions = dict.fromkeys(keys, 0)
            event.listen(db.engine, "before_cursor_execute", record)
            start = time.perf_counter()
            for n in range(SAVES):
                key = keys[n % len(keys)]
                member = members[n % 2]
                text = f"Version {n} of {key}: " + "A paragraph of the plan. " * 40
                plans.save_section(member, plan, key, text, base_version=versions[key], now=now)
                versions[key] += 1
                db.session.commit()
            elapsed = time.perf_counter() - start
            event.remove(db.engine, "before_cursor_execute", record)
            print(
                f"  save a plan section + commit ({kind})          {SAVES / elapsed:>7.0f} saves/s   "
                f"{elapsed / SAVES * 1000:.1f} ms each, {len(writes) / SAVES:.1f} writes per save"
            )
            cookie, _token = common.session_cookie(app, coordinator)
        requests = [
            {"method": "GET", "path": path, "headers": {"Cookie": cookie}}
            for path in ("/plans/review", "/plans/review?state=submitted&country=KR")
        ]
        with common.gunicorn(env) as base:
            return [
                common.wrk(
                    f"review queue, {PLANS} plans ({kind})",
                    base,
                    common.lua_rotating(requests[:1]),
                ),
                common.wrk(
                    f"review queue, filtered ({kind})", base, common.lua_rotating(requests[1:])
                ),
            ]


if __name__ == "__main__":
    for kind in ("sqlite", "postgresql"):
        for result in run(kind):
            print(result.line())
