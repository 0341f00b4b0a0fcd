"""Benchmark data: a course like the three-week programme, a run, learners with progress."""

from __future__ import annotations

from datetime import timedelta

from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.courses import services as courses
from learning.courses.models import Course, Item, Module
from learning.extensions import db


def seed(app, *, learners: int = 200):
    """Create the data; return (course slug, video item ids, learners' users)."""
    now = utcnow()
    accounts.configure_password_hashing(fast=True)
    with app.app_context():
        course = Course(
            slug="bench-programme",
            title="Benchmark programme",
            summary="For benchmarks.",
            language="en",
            topics=["bench"],
            is_published=True,
            created_at=now,
            updated_at=now,
        )
        db.session.add(course)
        db.session.flush()
        video_ids = []
        for week in range(3):
            module = Module(
                course_id=course.id, key=f"week-{week}", position=week, title=f"Week {week + 1}"
            )
            db.session.add(module)
            db.session.flush()
            for n in range(6):
                kind = "video" if n < 3 else "reading"
                item = Item(
                    course_id=course.id,
                    module_id=module.id,
                    key=f"w{week}-{n}",
                    position=n,
                    kind=kind,
                    title=f"Lecture {week + 1}.{n + 1}",
                    duration_seconds=600.0 if kind == "video" else None,
                    is_optional=n == 5,
                    body_html="<p>" + "Text. " * 200 + "</p>",
                )
                db.session.add(item)
                db.session.flush()
                if kind == "video":
                    video_ids.append(item.id)
        run = courses.create_run(
            None,
            course,
            slug="bench",
            title="Bench run",
            starts_at=now - timedelta(days=20),
            ends_at=now + timedelta(days=20),
            now=now,
        )
        users = []
        for index in range(learners):
            user = accounts.create_user(
                email=f"bench{index}@example.org",
                password="bench-password-123",
                display_name=f"Learner {index}",
                now=now,
            )
            enrolment = courses.enroll(user, run, now=now - timedelta(days=10))
            items = [i for m in course.modules for i in m.items]
            for item in items[: index % 8]:
                courses.open_item(enrolment, item, now=now - timedelta(days=5))
                if item.kind == "reading":
                    courses.set_item_done(enrolment, item, True, now=now - timedelta(days=5))
            for item_id in video_ids:
                courses.open_item(
                    enrolment, db.session.get(Item, item_id), now=now - timedelta(days=1)
                )
            users.append(user)
        db.session.commit()
        return course.slug, video_ids, [db.session.get(type(u), u.id) for u in users]
