"""Courses' background work, sent after the commit that made it necessary."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from learning.core.db import utcnow
from learning.courses import authoring
from learning.courses.models import Course
from learning.extensions import db


@shared_task(name="courses.process_cover")
def process_cover(course_id: int) -> bool:
    """Make the cover and thumbnail of a course from its uploaded image; idempotent."""
    course = db.session.get(Course, course_id)
    if course is None:
        return False
    done = authoring.process_cover(course, storage=current_app.extensions["storage"], now=utcnow())
    db.session.commit()
    return done
