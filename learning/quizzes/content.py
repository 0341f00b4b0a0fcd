"""Quiz items in course content files: ``type: quiz`` with a GIFT file of questions.

Registered with ``courses.content.KIND_HANDLERS`` when this package is imported, so a course
folder can hold quizzes without the courses domain knowing about them.

```yaml
- key: l1-quiz
  type: quiz
  title: Check your understanding
  questions: quizzes/l1.gift      # Moodle GIFT
  pass_mark: 0.7                  # share of the marks needed to pass (default 0.5)
  attempts: 3                     # optional; unlimited when absent
  time_limit_minutes: 10          # optional
  draw: 5                         # optional: each attempt draws this many of the questions
  shuffle_questions: false        # default false
  shuffle_answers: true           # default true
  grading: highest                # highest | last | average
  feedback: immediate             # immediate | after_close | never
```
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select

from learning.courses.content import KIND_HANDLERS, ContentReader, ItemSpec
from learning.courses.models import Course, Item
from learning.extensions import db
from learning.quizzes import gift, services
from learning.quizzes.grading import validate
from learning.quizzes.models import FeedbackMode, GradingMethod, Question


class QuizContent:
    def read(self, reader: ContentReader, raw: Any, item: ItemSpec) -> None:
        path = reader.path(raw, "questions")
        line = raw.key_lines.get
        settings = {
            "pass_mark": raw.get("pass_mark", 0.5),
            "attempts_allowed": raw.get("attempts"),
            "time_limit_seconds": None,
            "shuffle_questions": raw.get("shuffle_questions", False),
            "shuffle_answers": raw.get("shuffle_answers", True),
            "grading_method": raw.get("grading", GradingMethod.HIGHEST.value),
            "feedback_mode": raw.get("feedback", FeedbackMode.IMMEDIATE.value),
        }
        if not _number(settings["pass_mark"]) or not 0 <= settings["pass_mark"] <= 1:
            reader.problem("'pass_mark' must be a share between 0 and 1", line("pass_mark"))
        if settings["attempts_allowed"] is not None and not _whole(settings["attempts_allowed"], 1):
            reader.problem("'attempts' must be a whole number ≥ 1", line("attempts"))
        minutes = raw.get("time_limit_minutes")
        if minutes is not None:
            if not _number(minutes) or minutes <= 0:
                reader.problem(
                    "'time_limit_minutes' must be a positive number", line("time_limit_minutes")
                )
            else:
                settings["time_limit_seconds"] = round(minutes * 60)
        for key in ("shuffle_questions", "shuffle_answers"):
            if not isinstance(settings[key], bool):
                reader.problem(f"'{key}' must be true or false", line(key))
        if settings["grading_method"] not in {m.value for m in GradingMethod}:
            reader.problem("'grading' must be highest, last or average", line("grading"))
        if settings["feedback_mode"] not in {m.value for m in FeedbackMode}:
            reader.problem("'feedback' must be immediate, after_close or never", line("feedback"))
        draw = raw.get("draw")
        if draw is not None and not _whole(draw, 1):
            reader.problem("'draw' must be a whole number ≥ 1", line("draw"))
        questions = []
        if path is not None:
            name = reader.display(path)
            try:
                questions = gift.parse_gift(path.read_text(encoding="utf-8"))
            except UnicodeDecodeError:
                reader.problem("not UTF-8 text", None, name)
            except gift.GiftError as error:
                for problem in error.problems:
                    reader.problem(f"{problem.message} ({problem.text})", problem.line, name)
            for question in questions:
                for message in validate(question):
                    reader.problem(message, question.line, name)
            if not questions and path is not None and not reader.problems:
                reader.problem("the quiz has no questions", None, name)
            if draw is not None and questions and draw > len(questions):
                reader.problem(
                    f"'draw' is {draw} but the file has {len(questions)} questions", line("draw")
                )
        item.extra = {"settings": settings, "questions": questions, "draw": draw}

    def apply(self, item: Item, spec: ItemSpec, *, now: datetime) -> None:
        course = db.session.get(Course, item.course_id)
        quiz = services.ensure_quiz(item, now=now)
        services.configure_quiz(quiz, now=now, **spec.extra["settings"])
        category = services.category(course, f"{item.key}")
        existing = {
            q.source_key: q
            for q in db.session.scalars(
                select(Question).where(
                    Question.course_id == course.id, Question.source_key.like(f"{item.key}:%")
                )
            )
        }
        kept, used = [], set()
        for number, data in enumerate(spec.extra["questions"], start=1):
            key = f"{item.key}:{data.title or f'#{number}'}"[:250]
            if key in used:  # two questions with one title: tell them apart by position
                key = f"{key}#{number}"
            used.add(key)
            question = existing.pop(key, None)
            if question is None:
                question = services.add_question(
                    None, course, data, category_path=category.path, source_key=key, now=now
                )
            else:
                question.is_deleted = False
                services.edit_question(None, question, _in(data, category.path), now=now)
            kept.append(question)
        for question in existing.values():
            services.delete_question(question, now=now)
        draw = spec.extra["draw"]
        if draw:
            services.set_slots(quiz, [("category", category.id, draw)])
        else:
            services.set_slots(quiz, [("question", q.id, 1) for q in kept])


def _in(data, path):
    return replace(data, category=path)


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _whole(value, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


KIND_HANDLERS["quiz"] = QuizContent()
