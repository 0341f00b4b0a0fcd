"""Test data with unique values: ``create_user``, ``create_city`` ..."""

from __future__ import annotations

import itertools

from learning.accounts import services as accounts
from learning.accounts.models import City, User
from learning.core.db import utcnow
from learning.extensions import db

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def create_city(**fields) -> City:
    fields.setdefault("name", unique("City "))
    fields.setdefault("country", "KR")
    fields.setdefault("timezone", "Asia/Seoul")
    city = accounts.save_city(None, now=utcnow(), **fields)
    db.session.flush()
    return city


def create_user(
    *,
    email: str | None = None,
    roles=("learner",),
    password: str = PASSWORD,
    confirmed: bool = True,
    active: bool = True,
    **fields,
) -> User:
    user = accounts.create_user(
        email=email or f"{unique('user')}@example.org",
        password=password,
        display_name=fields.pop("display_name", unique("Person ")),
        roles=list(roles),
        now=utcnow(),
        **fields,
    )
    if not confirmed:
        user.email_confirmed_at = None
    user.is_active = active
    db.session.flush()
    return user


# --- courses --------------------------------------------------------------------------------------

WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm\x42\x87\x81\x02"


def create_course(
    *,
    modules=((("video", False), ("reading", False), ("reading", True)),),
    published=True,
    threshold=0.9,
    **fields,
):
    """A course whose modules hold items of the given (kind, optional) pairs."""
    from learning.courses.models import Course, Item, Module

    slug = fields.pop("slug", unique("course-"))
    course = Course(
        slug=slug,
        title=fields.pop("title", f"Course {slug}"),
        summary=fields.pop("summary", "A course for tests."),
        language=fields.pop("language", "en"),
        topics=fields.pop("topics", ["testing"]),
        is_published=published,
        video_threshold=threshold,
        created_at=utcnow(),
        updated_at=utcnow(),
        **fields,
    )
    db.session.add(course)
    db.session.flush()
    for m_index, items in enumerate(modules):
        module = Module(
            course_id=course.id, key=f"m{m_index}", position=m_index, title=f"Module {m_index + 1}"
        )
        db.session.add(module)
        db.session.flush()
        for i_index, (kind, optional) in enumerate(items):
            db.session.add(
                Item(
                    course_id=course.id,
                    module_id=module.id,
                    key=f"m{m_index}-i{i_index}",
                    position=i_index,
                    kind=kind,
                    title=f"{kind.title()} {m_index + 1}.{i_index + 1}",
                    is_optional=optional,
                    duration_seconds=100.0 if kind == "video" else None,
                    url="https://example.org/" if kind == "link" else None,
                    body_html="<p>Text</p>",
                )
            )
    db.session.flush()
    db.session.refresh(course)
    return course


def create_run(course, *, days_ago: int = 1, length: int = 30, **fields):
    from datetime import timedelta

    from learning.courses import services as courses

    now = utcnow()
    start = now - timedelta(days=days_ago)
    return courses.create_run(
        None,
        course,
        slug=fields.pop("slug", unique("run-")),
        title=fields.pop("title", "Run"),
        starts_at=fields.pop("starts_at", start),
        ends_at=fields.pop("ends_at", start + timedelta(days=length)),
        now=now,
        **fields,
    )


def enrol(user, run, **kwargs):
    from learning.courses import services as courses

    return courses.enroll(user, run, now=kwargs.pop("now", utcnow()), **kwargs)
