"""Single choice: exactly one right answer (100 %); other answers may carry partial credit."""

from __future__ import annotations

from typing import Any

from learning.quizzes.grading.base import (
    Grade,
    QuestionType,
    check_choices,
    clamp,
    is_full,
)
from learning.quizzes.questions import SINGLE, Question


class SingleChoice(QuestionType):
    name = SINGLE
    label = "single-choice"
    # With a blank in the sentence the same question is a "missingword" question.
    allows_blank = False

    def validate_answers(self, question: Question) -> list[str]:
        problems = check_choices(question, self.label)
        right = [answer for answer in question.answers if answer.fraction == 1.0]
        if len(right) != 1:
            problems.append(
                f"a {self.label} question needs exactly one right (100 %) answer, "
                f"not {len(right)}; for several right answers use multiple response"
            )
        return problems

    def normalise_response(self, question: Question, raw: Any) -> int | None:
        """The index of the chosen answer (``"2"`` -> 2), ``None`` when nothing is chosen."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            return self.choice_index(question, raw)
        value = self.one_string(raw)
        return None if value is None else self.choice_index(question, value)

    def grade(self, question: Question, response: int | None) -> Grade:
        if response is None:
            return Grade(0.0, self.feedback(question))
        answer = question.answers[response]
        fraction = clamp(answer.fraction)
        return Grade(fraction, self.feedback(question, answer.feedback), is_full(fraction))

    def correct_response(self, question: Question) -> int | None:
        best = max(
            range(len(question.answers)),
            key=lambda index: question.answers[index].fraction,
            default=None,
        )
        return best
