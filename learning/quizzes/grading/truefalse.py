"""True/false: the answers are always ``true`` then ``false``, one of them right.

Each answer's feedback is what a learner who picks it sees (GIFT's ``{T#wrong#right}`` is read
into these two answers).
"""

from __future__ import annotations

from typing import Any

from learning.quizzes.grading.base import Grade, QuestionType, ResponseError, clamp, is_full
from learning.quizzes.questions import TRUEFALSE, Answer, Question

TRUE, FALSE = 0, 1
_WORDS = {"true": TRUE, "t": TRUE, "false": FALSE, "f": FALSE}


def truefalse_answers(
    correct: bool, *, true_feedback: str = "", false_feedback: str = ""
) -> tuple[Answer, Answer]:
    """The two answers of a true/false question whose right answer is ``correct``."""
    return (
        Answer("true", 1.0 if correct else 0.0, true_feedback),
        Answer("false", 0.0 if correct else 1.0, false_feedback),
    )


class TrueFalse(QuestionType):
    name = TRUEFALSE
    label = "true/false"

    def validate_answers(self, question: Question) -> list[str]:
        texts = [answer.text for answer in question.answers]
        fractions = sorted(answer.fraction for answer in question.answers)
        if texts != ["true", "false"] or fractions != [0.0, 1.0]:
            return [
                "a true/false question has exactly the answers 'true' and 'false', "
                "one worth 100 % and the other 0 %"
            ]
        return []

    def normalise_response(self, question: Question, raw: Any) -> int | None:
        """0 for true, 1 for false: the answer's index, or the words true/false (t/f)."""
        if isinstance(raw, int) and not isinstance(raw, bool):
            return self.choice_index(question, raw)
        value = self.one_string(raw)
        if value is None:
            return None
        word = value.strip().casefold()
        if word in _WORDS:
            return _WORDS[word]
        try:
            return self.choice_index(question, word)
        except ResponseError:
            raise ResponseError("Answer true or false.") from None

    def grade(self, question: Question, response: int | None) -> Grade:
        if response is None:
            return Grade(0.0, self.feedback(question))
        answer = question.answers[response]
        fraction = clamp(answer.fraction)
        return Grade(fraction, self.feedback(question, answer.feedback), is_full(fraction))

    def correct_response(self, question: Question) -> int:
        return TRUE if question.answers and question.answers[TRUE].fraction == 1.0 else FALSE
