"""Completion rules: when a learner of a run has earned the course's certificate.

A course's rules are a mapping (``certificate: requires:`` in course.yaml), one entry per rule
kind: ``{"items": "all", "quizzes_passed": ["final-quiz"], "not_before": 2026-03-01}``. Each
kind is one small class in ``RULES``: ``parse`` checks the YAML value, ``missing`` evaluates
many enrolments of one course at once in a constant number of queries and says in words what
each learner still lacks. An enrolment has earned the certificate when nothing is missing.

Adding a kind: subclass ``Rule``, set ``key``, write ``parse`` and ``missing``, decorate with
``@register``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select

from learning.courses import services as courses
from learning.courses.models import Course, Enrolment, Item, ItemKind
from learning.extensions import db
from learning.live import services as live
from learning.plans import services as plans

#: What a course without a ``certificate:`` section asks for.
DEFAULT_RULES: dict[str, Any] = {"items": "all"}


class RuleError(ValueError):
    """A rule's value in course.yaml is wrong; the message says how (for authors, in English)."""


class Rule:
    key: ClassVar[str]

    def __init__(self, value: Any):
        self.value = value

    @classmethod
    def parse(cls, value: Any) -> Any:
        """Check a YAML value and return it normalised (JSON-friendly), or raise RuleError."""
        raise NotImplementedError

    def missing(
        self, course: Course, enrolments: list[Enrolment], *, now: datetime
    ) -> dict[int, list[Any]]:
        """For each enrolment id, what is still missing (empty: this rule is met)."""
        raise NotImplementedError

    def describe(self, course: Course) -> str:
        """The rule in words, for the credential's criteria (English, as the course text)."""
        raise NotImplementedError


RULES: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: make a rule kind known by its ``key``."""
    RULES[cls.key] = cls
    return cls


@register
class AllItems(Rule):
    """``items: all``: every required item of the course complete."""

    key = "items"

    @classmethod
    def parse(cls, value: Any) -> Any:
        if value != "all":
            raise RuleError("'items' can only be 'all' (every required item complete)")
        return value

    def missing(self, course, enrolments, *, now):
        progress = courses.progress_for_enrolments(enrolments)
        result = {}
        for enrolment in enrolments:
            summary = progress[enrolment.id]
            left = summary.required_total - summary.required_done
            result[enrolment.id] = (
                [
                    lazy_ngettext(
                        "%(num)d of %(total)d required item left",
                        "%(num)d of %(total)d required items left",
                        left,
                        total=summary.required_total,
                    )
                ]
                if left > 0
                else []
            )
        return result

    def describe(self, course):
        return "Complete every required lecture, reading and activity of the course."


@register
class QuizzesPassed(Rule):
    """``quizzes_passed: [item-key, ...]``: these quizzes passed (by their item keys)."""

    key = "quizzes_passed"

    @classmethod
    def parse(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [value]
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(k, str) and k.strip() for k in value)
        ):
            raise RuleError("'quizzes_passed' must be a list of quiz item keys")
        return [k.strip() for k in value]

    def _items(self, course: Course) -> list[tuple[int, str, str]]:
        return list(
            db.session.execute(
                select(Item.id, Item.key, Item.title).where(
                    Item.course_id == course.id,
                    Item.key.in_(self.value),
                    Item.kind == ItemKind.QUIZ.value,
                )
            )
        )

    def missing(self, course, enrolments, *, now):
        from learning.quizzes import services as quizzes

        items = self._items(course)
        passed = quizzes.passed_quiz_items([e.id for e in enrolments], [i for i, _, _ in items])
        result = {}
        for enrolment in enrolments:
            result[enrolment.id] = [
                _l("“%(title)s” not passed", title=title)
                for item_id, _, title in items
                if (enrolment.id, item_id) not in passed
            ]
        return result

    def describe(self, course):
        titles = [title for _, _, title in self._items(course)]
        return "Pass " + ", ".join(f"“{t}”" for t in titles) + "." if titles else ""


@register
class NotBefore(Rule):
    """``not_before: 2026-03-01``: no certificate before this day (UTC)."""

    key = "not_before"

    @classmethod
    def parse(cls, value: Any) -> Any:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise RuleError("'not_before' must be a date such as 2026-03-01") from None
        if not isinstance(value, date):
            raise RuleError("'not_before' must be a date such as 2026-03-01")
        return value.isoformat()

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(date.fromisoformat(self.value), datetime.min.time(), tzinfo=UTC)

    def missing(self, course, enrolments, *, now):
        wait = [] if now >= self.starts_at else [_l("issued from %(date)s", date=self.value)]
        return {e.id: list(wait) for e in enrolments}

    def describe(self, course):
        return f"Certificates are issued from {self.value}."


def _whole(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _by_run(enrolments: list[Enrolment]) -> dict[int, list[Enrolment]]:
    grouped: dict[int, list[Enrolment]] = defaultdict(list)
    for enrolment in enrolments:
        grouped[enrolment.run_id].append(enrolment)
    return grouped


@register
class LiveSessions(Rule):
    """``live_sessions: N``: at least N live sessions of the run attended (live domain)."""

    key = "live_sessions"

    @classmethod
    def parse(cls, value: Any) -> Any:
        if not _whole(value, 1):
            raise RuleError("'live_sessions' must be a whole number ≥ 1")
        return value

    def missing(self, course, enrolments, *, now):
        result = {}
        for run_id, group in _by_run(enrolments).items():
            counts = live.attended_counts(run_id, [e.user_id for e in group])
            for enrolment in group:
                left = self.value - counts.get(enrolment.user_id, 0)
                result[enrolment.id] = (
                    [
                        lazy_ngettext(
                            "%(num)d more live session to attend",
                            "%(num)d more live sessions to attend",
                            left,
                        )
                    ]
                    if left > 0
                    else []
                )
        return result

    def describe(self, course):
        return f"Attend at least {self.value} live session(s)."


@register
class ActionPlanApproved(Rule):
    """``action_plan: approved``: the learner's city action plan approved (plans domain)."""

    key = "action_plan"

    @classmethod
    def parse(cls, value: Any) -> Any:
        if value != "approved":
            raise RuleError("'action_plan' can only be 'approved'")
        return value

    def missing(self, course, enrolments, *, now):
        result = {}
        for run_id, group in _by_run(enrolments).items():
            approved = plans.approved_user_ids(run_id, [e.user_id for e in group])
            for enrolment in group:
                result[enrolment.id] = (
                    [] if enrolment.user_id in approved else [_l("action plan not approved yet")]
                )
        return result

    def describe(self, course):
        return "Have the city action plan approved by a coordinator."


def parse_rules(raw: Any) -> dict[str, Any]:
    """Check a ``requires:`` mapping; raise RuleError naming the first wrong key."""
    if raw is None:
        return dict(DEFAULT_RULES)
    if not isinstance(raw, dict) or not raw:
        raise RuleError("'requires' must map rule names to their values")
    rules = {}
    for key, value in raw.items():
        if key not in RULES:
            known = ", ".join(sorted(RULES))
            raise RuleError(f"unknown rule '{key}' (known: {known})")
        rules[key] = RULES[key].parse(value)
    return rules


def build(rules: dict[str, Any]) -> list[Rule]:
    """Rule objects for a stored rules mapping (unknown kinds are skipped)."""
    return [RULES[key](value) for key, value in rules.items() if key in RULES]


def missing(
    rules: dict[str, Any], course: Course, enrolments: list[Enrolment], *, now: datetime
) -> dict[int, list[Any]]:
    """What each enrolment lacks under ``rules`` (each rule: a fixed number of queries)."""
    result: dict[int, list[Any]] = {e.id: [] for e in enrolments}
    if not enrolments:
        return result
    for rule in build(rules):
        for enrolment_id, lacks in rule.missing(course, enrolments, now=now).items():
            result[enrolment_id].extend(lacks)
    return result


def describe(rules: dict[str, Any], course: Course) -> str:
    """The rules in words (English), for the credential's criteria."""
    return " ".join(text for text in (r.describe(course) for r in build(rules)) if text)
