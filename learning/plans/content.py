"""The ``action_plan:`` section of ``course.yaml``: the plan template and the review rubric.

Registered with ``courses.content.SECTION_HANDLERS`` when this package is imported.

```yaml
action_plan:
  sections:
    - key: problem                 # letters, digits, '-' and '_'; unique
      title: Problem statement
      guidance: What problem does your city face, for whom, and how do you know?  # Markdown
  rubric:
    - key: relevance
      title: Relevance to the city
      description: Does the plan answer a real need of the city?   # optional
      levels:                      # at least one; points are whole numbers >= 0
        - {title: Weak, points: 0}
        - {title: Strong, points: 4, description: Grounded in local evidence.}
```

Without the key, a sync leaves the course's template and rubric as they are. Sections and
criteria missing from a later sync are archived (plans keep their text), never deleted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from learning.courses.content import (
    SECTION_HANDLERS,
    ContentProblem,
    ContentReader,
    _LineLoader,
)
from learning.courses.models import Course
from learning.plans import services
from learning.plans.services import CriterionSpec, LevelSpec, SectionSpec

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")


@dataclass(frozen=True)
class ActionPlanSpec:
    sections: list[SectionSpec]
    criteria: list[CriterionSpec]


def _line(mapping: Any, key: str) -> int | None:
    lines = getattr(mapping, "key_lines", {})
    return lines.get(key, getattr(mapping, "line", None))


class ActionPlanContent:
    def read(self, reader: ContentReader, raw: Any) -> ActionPlanSpec | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            reader.problem("'action_plan' must be a mapping with 'sections' and 'rubric'")
            return None
        unknown = set(raw) - {"sections", "rubric"}
        if unknown:
            reader.problem(
                f"'action_plan' has unknown keys: {', '.join(sorted(unknown))}",
                _line(raw, sorted(unknown)[0]),
            )
        sections = self._sections(reader, raw)
        criteria = self._criteria(reader, raw)
        return ActionPlanSpec(sections, criteria)

    def _key(self, reader: ContentReader, entry: Any, seen: set[str], what: str) -> str:
        key = entry.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            reader.problem(
                f"each {what} needs a 'key' of lowercase letters, digits, '-' or '_'",
                _line(entry, "key"),
            )
            return ""
        if key in seen:
            reader.problem(f"{what} key '{key}' is used twice", _line(entry, "key"))
        seen.add(key)
        return key

    def _sections(self, reader: ContentReader, raw: Any) -> list[SectionSpec]:
        entries = raw.get("sections")
        if not isinstance(entries, list) or not entries:
            reader.problem(
                "'action_plan.sections' must list at least one section", _line(raw, "sections")
            )
            return []
        result, seen = [], set()
        for entry in entries:
            if not isinstance(entry, dict):
                reader.problem("each plan section must be a mapping", _line(raw, "sections"))
                continue
            key = self._key(reader, entry, seen, "plan section")
            title = reader.text(entry, "title")
            guidance = reader.text(entry, "guidance", required=False, limit=5000)
            result.append(SectionSpec(key, title, guidance))
        return result

    def _criteria(self, reader: ContentReader, raw: Any) -> list[CriterionSpec]:
        entries = raw.get("rubric", [])
        if not isinstance(entries, list):
            reader.problem("'action_plan.rubric' must be a list of criteria", _line(raw, "rubric"))
            return []
        result, seen = [], set()
        for entry in entries:
            if not isinstance(entry, dict):
                reader.problem("each rubric criterion must be a mapping", _line(raw, "rubric"))
                continue
            key = self._key(reader, entry, seen, "rubric criterion")
            title = reader.text(entry, "title")
            description = reader.text(entry, "description", required=False, limit=2000)
            levels = []
            raw_levels = entry.get("levels")
            if not isinstance(raw_levels, list) or not raw_levels:
                reader.problem(
                    f"criterion '{key}' must list at least one level", _line(entry, "levels")
                )
                raw_levels = []
            for level in raw_levels:
                if not isinstance(level, dict):
                    reader.problem("each level must be a mapping", _line(entry, "levels"))
                    continue
                points = level.get("points")
                if not isinstance(points, int) or isinstance(points, bool) or points < 0:
                    reader.problem("'points' must be a whole number ≥ 0", _line(level, "points"))
                    points = 0
                levels.append(
                    LevelSpec(
                        reader.text(level, "title"),
                        points,
                        reader.text(level, "description", required=False, limit=2000),
                    )
                )
            result.append(CriterionSpec(key, title, tuple(levels), description))
        return result

    def apply(self, course: Course, value: ActionPlanSpec | None, *, now: datetime) -> None:
        if value is None:
            return
        services.set_template(course, value.sections, now=now)
        services.set_rubric(course, value.criteria, now=now)


def parse_yaml(text: str) -> tuple[ActionPlanSpec | None, list[ContentProblem]]:
    """Read a template and rubric typed in the browser, in the same format as the
    ``action_plan:`` key (with or without that key around it); problems name their line."""
    reader = ContentReader(Path("action_plan"), Path("."))
    reader.yaml_name = "action_plan"
    try:
        data = yaml.load(text or "", Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reader.problem(str(getattr(error, "problem", error)), mark.line + 1 if mark else None)
        return None, reader.problems
    if isinstance(data, dict) and set(data) == {"action_plan"}:
        data = data["action_plan"]
    if data is None:
        reader.problem("the template needs at least one section")
        return None, reader.problems
    spec = ActionPlanContent().read(reader, data)
    return (None if reader.problems else spec), reader.problems


def dump_yaml(course_id: int) -> str:
    """The course's current template and rubric in the ``action_plan`` format."""
    sections = [
        {"key": s.key, "title": s.title, **({"guidance": s.guidance} if s.guidance else {})}
        for s in services.template_sections(course_id)
    ]
    rubric = []
    for criterion in services.rubric(course_id):
        entry: dict[str, Any] = {"key": criterion.key, "title": criterion.title}
        if criterion.description:
            entry["description"] = criterion.description
        entry["levels"] = [
            {
                "title": level.title,
                "points": level.points,
                **({"description": level.description} if level.description else {}),
            }
            for level in criterion.levels
        ]
        rubric.append(entry)
    data: dict[str, Any] = {"sections": sections}
    if rubric:
        data["rubric"] = rubric
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


SECTION_HANDLERS["action_plan"] = ActionPlanContent()
