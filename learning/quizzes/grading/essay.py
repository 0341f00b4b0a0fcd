"""Essay: free text, graded by hand; until then it earns nothing."""

from __future__ import annotations

from typing import Any

from learning.quizzes.grading.base import Grade, QuestionType
from learning.quizzes.questions import ESSAY, Question


class Essay(QuestionType):
    name = ESSAY
    label = "essay"
    is_auto_graded = False
    has_answers = False

    def normalise_response(self, question: Question, raw: Any) -> str | None:
        """The text as written (line breaks kept); ``None`` when empty."""
        return self.one_string(raw)

    def grade(self, question: Question, response: str | None) -> Grade:
        return Grade(0.0, self.feedback(question), False, needs_manual_grading=True)
