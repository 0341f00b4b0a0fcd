"""Two reminder runs at the same moment, on a database of their own with committed data (the
suite's rolled-back transaction would hide one run from the other): each reminder is claimed
by exactly one of them, on SQLite (writers take turns) and on PostgreSQL (the unique
constraint decides)."""

from __future__ import annotations

import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask_migrate import upgrade

from learning.core.db import begin_write, utcnow
from learning.courses import services as courses
from learning.extensions import db
from learning.live import services
from tests.databases import fresh_database_url
from tests.factories import create_course, create_user
from tests.helpers import side_app
from tests.live.conftest import make_run, session_fields


def test_overlapping_reminder_runs_claim_each_reminder_once(tmp_path):
    url = fresh_database_url("live_reminders", tmp_path)
    with side_app(tmp_path, SQLALCHEMY_DATABASE_URI=url) as app:
        with app.app_context():
            upgrade()
            now = utcnow()
            course = create_course()
            run = make_run(
                course,
                starts_at=now - timedelta(days=1),
                ends_at=now + timedelta(days=10),
                now=now - timedelta(days=2),
            )
            instructor = create_user(roles=("instructor",))
            courses.add_run_staff(run, instructor, "instructor")
            db.session.flush()
            start = (now + timedelta(minutes=30)).astimezone(ZoneInfo("Asia/Seoul"))
            live = services.schedule_session(
                instructor,
                run,
                session_fields(
                    starts_local=start.replace(tzinfo=None),
                    ends_local=start.replace(tzinfo=None) + timedelta(hours=1),
                ),
                now=now - timedelta(days=2),
            )
            learners = [create_user() for _ in range(5)]
            for learner in learners:
                courses.enroll(learner, run, added_by=instructor, now=now - timedelta(days=2))
                services.register(learner, live, now=now - timedelta(days=2))
            db.session.commit()

        barrier = threading.Barrier(2)
        won: list[int] = []
        errors: list[BaseException] = []

        def run_task() -> None:
            try:
                with app.app_context():
                    barrier.wait(timeout=10)
                    begin_write(db.session)
                    claimed = services.claim_due_reminders(now=utcnow())
                    db.session.commit()
                    won.append(len(claimed))
            except BaseException as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=run_task) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert not errors, errors
        assert sorted(won) == [0, 5]
        with app.app_context():
            assert services.claim_due_reminders(now=utcnow()) == []
