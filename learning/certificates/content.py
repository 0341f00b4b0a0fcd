"""The ``certificate:`` section of course.yaml: completion rules and certificate wording.

Registered with ``courses.content.SECTION_HANDLERS`` when this module is imported.

```yaml
certificate:
  requires:                       # every rule must be met; default: items: all
    items: all                    # every required item complete
    quizzes_passed: [final-quiz]  # these quiz items passed (item keys)
    not_before: 2026-03-01        # no certificate before this day (UTC)
    live_sessions: 2              # at least 2 live sessions of the run attended
    action_plan: approved         # the learner's city action plan approved
  valid_for_days: 1095            # optional: the credential's validUntil
  signatory: "Dr. Amina Bello, Programme Director"   # optional, printed on the certificate
  criteria: "What a holder did"   # optional; by default the rules in words
```
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from learning.certificates import rules, services
from learning.courses.content import (
    SECTION_HANDLERS,
    ContentProblem,
    ContentReader,
    ContentSyncError,
)
from learning.courses.models import Course, Item, ItemKind
from learning.extensions import db

KEYS = {"requires", "valid_for_days", "signatory", "criteria"}


@dataclass(frozen=True)
class CertificateSpec:
    requires: dict[str, Any]
    valid_for_days: int | None
    signatory: str
    criteria: str
    line: int
    file: str


class CertificateSection:
    def read(self, reader: ContentReader, raw: Any) -> CertificateSpec | None:
        if raw is None:
            return None
        if not isinstance(raw, dict):
            reader.problem("'certificate' must be a mapping")
            return None
        line = raw.key_lines.get if hasattr(raw, "key_lines") else {}.get
        for key in sorted(set(raw) - KEYS):
            reader.problem(f"unknown key '{key}' in 'certificate'", line(key))
        try:
            requires = rules.parse_rules(raw.get("requires"))
        except rules.RuleError as error:
            reader.problem(str(error), line("requires"))
            requires = {}
        days = raw.get("valid_for_days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
            reader.problem("'valid_for_days' must be a whole number ≥ 1", line("valid_for_days"))
        signatory = reader.text(raw, "signatory", required=False)
        criteria = reader.text(raw, "criteria", required=False, limit=2000)
        return CertificateSpec(
            requires=requires,
            valid_for_days=days,
            signatory=signatory,
            criteria=criteria,
            line=line("requires") or getattr(raw, "line", 0),
            file=reader.yaml_name,
        )

    def apply(self, course: Course, value: CertificateSpec | None, *, now: datetime) -> None:
        if value is None:
            settings = services.course_settings(course)
            if settings is not None:
                db.session.delete(settings)
                db.session.flush()
            return
        named = value.requires.get("quizzes_passed") or []
        if named:
            quiz_keys = set(
                db.session.scalars(
                    db.select(Item.key).where(
                        Item.course_id == course.id,
                        Item.kind == ItemKind.QUIZ.value,
                        Item.is_archived.is_(False),
                    )
                )
            )
            unknown = [key for key in named if key not in quiz_keys]
            if unknown:
                raise ContentSyncError(
                    [
                        ContentProblem(
                            value.file,
                            value.line,
                            f"'quizzes_passed' names no quiz item of this course: "
                            f"{', '.join(unknown)}",
                        )
                    ]
                )
        services.save_course_settings(
            course,
            requires=value.requires,
            valid_for_days=value.valid_for_days,
            signatory=value.signatory,
            criteria=value.criteria,
            now=now,
        )


SECTION_HANDLERS["certificate"] = CertificateSection()
