"""Description: text shown between questions; nothing to answer, no grade, not counted."""

from __future__ import annotations

from typing import Any

from learning.quizzes.grading.base import Grade, QuestionType
from learning.quizzes.questions import DESCRIPTION, Question


class Description(QuestionType):
    name = DESCRIPTION
    label = "description"
    is_auto_graded = False
    max_fraction = 0.0
    allows_blank = False
    has_answers = False

    def validate_answers(self, question: Question) -> list[str]:
        return []

    def validate(self, question: Question) -> list[str]:
        problems = super().validate(question)
        if question.general_feedback:
            problems.append("a description has no general feedback")
        return problems

    def normalise_response(self, question: Question, raw: Any) -> None:
        return None

    def grade(self, question: Question, response: Any) -> Grade:
        return Grade(0.0)
