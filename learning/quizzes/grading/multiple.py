"""Multiple response: any number of answers may be chosen; their weights add up.

The chosen answers' fractions are summed and the sum clamped to [0, 1], so a wrong choice
with a negative weight takes credit away but never below zero. The positive weights must add
up to 100 % (as Moodle requires); weights written to a few decimals (3 x 33.33 %) leave the sum
a hair under 100 %, so a sum within ``FULL_CREDIT_SLACK`` of 1 counts as full credit.
"""

from __future__ import annotations

from typing import Any

from learning.quizzes.grading.base import Grade, QuestionType, ResponseError, check_choices, clamp
from learning.quizzes.questions import MULTIPLE, Question

FULL_CREDIT_SLACK = 0.005  # half a percentage point


class MultipleResponse(QuestionType):
    name = MULTIPLE
    label = "multiple-response"

    def validate_answers(self, question: Question) -> list[str]:
        problems = check_choices(question, self.label)
        positive = sum(answer.fraction for answer in question.answers if answer.fraction > 0)
        if question.answers and abs(positive - 1.0) > FULL_CREDIT_SLACK:
            problems.append(
                f"the positive weights of a {self.label} question add up to {positive * 100:g} %, "
                "not 100 %"
            )
        return problems

    def normalise_response(self, question: Question, raw: Any) -> tuple[int, ...]:
        """The chosen indices, sorted and without repeats (``["2", "0"]`` -> ``(0, 2)``)."""
        if raw is None:
            return ()
        if isinstance(raw, str | int) and not isinstance(raw, bool):
            raw = [raw]
        if not isinstance(raw, list | tuple | set | frozenset):
            raise ResponseError("Unknown choice.")
        chosen = {
            self.choice_index(question, value)
            for value in raw
            if not (isinstance(value, str) and not value.strip())
        }
        return tuple(sorted(chosen))

    def grade(self, question: Question, response: tuple[int, ...] | None) -> Grade:
        chosen = sorted(set(response or ()))
        total = sum(question.answers[index].fraction for index in chosen)
        fraction = clamp(total)
        if fraction >= 1.0 - FULL_CREDIT_SLACK:
            fraction = 1.0
        feedback = self.feedback(question, *(question.answers[index].feedback for index in chosen))
        return Grade(fraction, feedback, fraction == 1.0)

    def correct_response(self, question: Question) -> tuple[int, ...]:
        return tuple(index for index, answer in enumerate(question.answers) if answer.fraction > 0)
