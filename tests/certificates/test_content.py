"""The ``certificate:`` section of course.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from learning.certificates import services
from learning.core.db import utcnow
from learning.core.storage import LocalStorage
from learning.courses import services as courses
from learning.courses.content import ContentSyncError, sync_content
from tests.courses.test_content import make_course


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "media")


def test_rules_come_from_course_yaml(db, tmp_path, storage):
    extra = (
        "certificate:\n"
        "  requires:\n"
        "    items: all\n"
        "    not_before: 2026-03-01\n"
        "    live_sessions: 2\n"
        "    action_plan: approved\n"
        "  valid_for_days: 365\n"
        "  signatory: Dr. Amina Bello\n"
    )
    make_course(tmp_path, "cert-course", extra)
    sync_content(tmp_path, storage=storage, now=utcnow())
    course = courses.get_course("cert-course")
    settings = services.course_settings(course)
    assert settings.rules == {
        "items": "all",
        "not_before": "2026-03-01",
        "live_sessions": 2,
        "action_plan": "approved",
    }
    assert settings.valid_for_days == 365 and settings.signatory == "Dr. Amina Bello"


def test_removing_the_section_goes_back_to_the_default(db, tmp_path, storage):
    folder = make_course(tmp_path, "cert-course-2", "certificate:\n  valid_for_days: 10\n")
    sync_content(tmp_path, storage=storage, now=utcnow())
    course = courses.get_course("cert-course-2")
    assert services.course_settings(course) is not None
    text = (folder / "course.yaml").read_text().replace("certificate:\n  valid_for_days: 10\n", "")
    (folder / "course.yaml").write_text(text)
    sync_content(tmp_path, storage=storage, now=utcnow())
    assert services.course_settings(course) is None
    assert services.rules_of(course) == {"items": "all"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("certificate:\n  requires:\n    karma: 3\n", "unknown rule 'karma'"),
        ("certificate:\n  requires:\n    live_sessions: -1\n", "whole number"),
        ("certificate:\n  valid_for_days: soon\n", "'valid_for_days'"),
        ("certificate:\n  colour: blue\n", "unknown key 'colour'"),
        ("certificate: yes\n", "must be a mapping"),
        ("certificate:\n  requires:\n    quizzes_passed: [nope]\n", "no quiz item"),
    ],
)
def test_mistakes_name_the_file_and_import_nothing(db, tmp_path, storage, extra, message):
    make_course(tmp_path, "bad-cert", extra)
    with pytest.raises(ContentSyncError) as error:
        sync_content(tmp_path, storage=storage, now=utcnow())
    assert message in str(error.value)
    assert "course.yaml" in str(error.value)


def test_the_champions_course_asks_for_everything_and_the_final(db, tmp_path, storage):
    content = Path(__file__).resolve().parents[2] / "content"
    sync_content(content, storage=storage, now=utcnow())
    course = courses.get_course("youth-champions")
    assert services.rules_of(course) == {"items": "all", "quizzes_passed": ["final-quiz"]}
