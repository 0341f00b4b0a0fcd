"""The ``action_plan:`` section of course.yaml: template and rubric, checked with lines."""

from __future__ import annotations

import pytest

from learning.core.db import utcnow
from learning.core.storage import LocalStorage
from learning.courses import services as courses
from learning.courses.content import ContentSyncError, read_course_folder, sync_content
from learning.plans import services
from tests.courses.test_content import make_course

PLAN = """\
action_plan:
  sections:
    - key: problem
      title: Problem statement
      guidance: What **problem**?
    - key: kpis
      title: Indicators
  rubric:
    - key: relevance
      title: Relevance
      levels:
        - {title: Weak, points: 0}
        - {title: Strong, points: 4, description: Local evidence.}
"""


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "media")


def test_sync_imports_the_template_and_rubric(db, tmp_path, storage):
    folder = make_course(tmp_path / "content", extra=PLAN)
    sync_content(folder, storage=storage, now=utcnow())
    course = courses.get_course("test-course")
    sections = services.template_sections(course.id)
    assert [(s.key, s.title, s.guidance) for s in sections] == [
        ("problem", "Problem statement", "What **problem**?"),
        ("kpis", "Indicators", ""),
    ]
    [criterion] = services.rubric(course.id)
    assert [(lv.title, lv.points, lv.description) for lv in criterion.levels] == [
        ("Weak", 0, ""),
        ("Strong", 4, "Local evidence."),
    ]
    # A later sync without a section archives it; without the key, nothing changes.
    (folder / "course.yaml").write_text(
        (folder / "course.yaml")
        .read_text()
        .replace("    - key: kpis\n      title: Indicators\n", "")
    )
    sync_content(folder, storage=storage, now=utcnow())
    assert [s.key for s in services.template_sections(course.id)] == ["problem"]


def test_a_course_without_the_key_keeps_its_template(db, tmp_path, storage):
    folder = make_course(tmp_path / "content")
    sync_content(folder, storage=storage, now=utcnow())
    assert services.template_sections(courses.get_course("test-course").id) == []


BAD = """\
action_plan:
  sections:
    - key: Bad Key
      title: Problem
    - key: ok
  rubric:
    - key: relevance
      title: Relevance
      levels:
        - {title: Weak, points: -1}
    - key: relevance
      title: Again
      levels: []
  colour: red
"""


def test_problems_name_the_line_and_import_nothing(db, tmp_path, storage):
    folder = make_course(tmp_path / "content", extra=BAD)
    _spec, problems = read_course_folder(folder)
    messages = [(p.line, p.message) for p in problems]
    base = len((folder / "course.yaml").read_text().split("action_plan:")[0].splitlines())
    assert (
        base + 3,
        "each plan section needs a 'key' of lowercase letters, digits, '-' or '_'",
    ) in messages
    assert any(m == "'title' is required" for _line, m in messages)
    assert (base + 10, "'points' must be a whole number ≥ 0") in messages
    assert any("rubric criterion key 'relevance' is used twice" in m for _line, m in messages)
    assert any("must list at least one level" in m for _line, m in messages)
    assert any("unknown keys: colour" in m for _line, m in messages)
    with pytest.raises(ContentSyncError):
        sync_content(folder, storage=storage, now=utcnow())


def test_the_real_course_folder_has_a_plan_template(app):
    from pathlib import Path

    folder = Path(app.root_path).parent / "content" / "smart-city-officials"
    spec, problems = read_course_folder(folder)
    assert problems == []
    value = spec.sections["action_plan"]
    assert [s.key for s in value.sections][:2] == ["problem", "objectives"]
    assert len(value.sections) == 8 and len(value.criteria) == 4
