"""Live sessions: a run's sessions page and the private calendar feed, requests/s and p50/p99.

Three sessions in the benchmark run (one full, with a waiting list), 150 of its 200 learners
registered; signed-in learners read the run's sessions page, calendar programs fetch feeds.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from bench import common
from bench.data import seed


def _sessions(app, users) -> tuple[int, list[str]]:
    from learning.accounts.models import User
    from learning.core.db import utcnow
    from learning.courses import services as courses
    from learning.courses.models import CourseRun
    from learning.extensions import db
    from learning.live import services

    now = utcnow()
    with app.app_context():
        run = db.session.query(CourseRun).filter_by(slug="bench").one()
        # A learner of the run doubles as its instructor: staff are named per run.
        instructor = db.session.get(User, users[0].id)
        courses.add_run_staff(run, instructor, "instructor")
        db.session.flush()
        sessions = []
        for day in (-3, 2, 9):
            start = (now + timedelta(days=day)).replace(minute=0, second=0, microsecond=0)
            local = services.to_local(start, "Asia/Seoul").replace(tzinfo=None)
            sessions.append(
                services.schedule_session(
                    instructor,
                    run,
                    services.SessionFields(
                        title=f"Session {day}",
                        starts_local=local,
                        ends_local=local + timedelta(minutes=90),
                        timezone="Asia/Seoul",
                        join_url="https://meet.example.org/bench",
                        capacity=100 if day == 2 else None,
                    ),
                    now=start - timedelta(days=7),
                )
            )
        for user in users[:150]:
            learner = db.session.get(User, user.id)
            for live in sessions:
                services.register(learner, live, now=live.starts_at - timedelta(days=1))
        secrets = [services.feed_secret(db.session.get(User, u.id), now=now) for u in users[:50]]
        db.session.commit()
        return run.id, secrets


def run(kind: str) -> list[common.Result]:
    with tempfile.TemporaryDirectory() as folder:
        url = common.fresh_database(kind, Path(folder))
        if url is None:
            return []
        env = common.environment(url, Path(folder))
        app = common.build_app(env)
        _slug, _video_ids, users = seed(app, learners=200)
        run_id, secrets = _sessions(app, users)
        with app.app_context():
            cookies = [common.session_cookie(app, user)[0] for user in users[:50]]
        results = []
        with common.gunicorn(env) as base:
            pages = [
                {"method": "GET", "path": f"/runs/{run_id}/live", "headers": {"Cookie": c}}
                for c in cookies
            ]
            results.append(
                common.wrk(f"run's live sessions ({kind})", base, common.lua_rotating(pages))
            )
            feeds = [
                {"method": "GET", "path": f"/calendar/{s}.ics", "headers": {}} for s in secrets
            ]
            results.append(common.wrk(f"calendar feed ({kind})", base, common.lua_rotating(feeds)))
        return results


if __name__ == "__main__":
    for kind in ("sqlite", "postgresql"):
        for result in run(kind):
            print(result.line())
