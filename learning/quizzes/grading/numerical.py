"""Numerical: a number within a tolerance of a value, or within a range; best answer counts.

Responses are read leniently: surrounding spaces, a decimal comma (``3,14``), a Unicode minus
and full-width or Arabic-Indic digits are accepted; anything else raises ``ResponseError``.
Bounds are inclusive and compared with a relative slack of 1e-9, so ``0.1 + 0.2`` is ``0.3``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from learning.quizzes.grading.base import Grade, QuestionType, ResponseError, clamp, is_full
from learning.quizzes.questions import NUMERICAL, Answer, Question

ANY_NUMBER = "*"
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
RELATIVE_SLACK = 1e-9


def parse_number(text: str) -> float:
    """A finite number from an author's answer (``1.5``, ``-2e3``); ``ValueError`` otherwise."""
    text = text.strip()
    if not NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text!r} is too large")
    return value


def parse_response_number(raw: str) -> float:
    """A learner's number, read leniently (see the module docstring)."""
    text = unicodedata.normalize("NFKC", raw).strip().replace("\u2212", "-")
    if "," in text:
        if "." in text or text.count(",") > 1:
            raise ResponseError("Write the number without thousands separators, e.g. 1234.5.")
        text = text.replace(",", ".")
    try:
        return parse_number(text)
    except ValueError:
        raise ResponseError("Enter a number, e.g. 12.5.") from None


def bounds(answer: Answer) -> tuple[float, float] | None:
    """The inclusive interval an answer accepts; ``None`` for ``*`` (any number)."""
    if answer.is_range:
        return answer.low, answer.high  # type: ignore[return-value]
    if answer.text.strip() == ANY_NUMBER:
        return None
    value = parse_number(answer.text)
    return value - answer.tolerance, value + answer.tolerance


def accepts(answer: Answer, number: float) -> bool:
    interval = bounds(answer)
    if interval is None:
        return True
    low, high = interval
    # Each bound gets its own float slack: a wide range must not widen its ends.
    return low - RELATIVE_SLACK * abs(low) <= number <= high + RELATIVE_SLACK * abs(high)


class Numerical(QuestionType):
    name = NUMERICAL
    label = "numerical"

    def validate_answers(self, question: Question) -> list[str]:
        problems: list[str] = []
        if not question.answers:
            problems.append(f"a {self.label} question needs at least one answer")
        catch_all = 0
        for number, answer in enumerate(question.answers, start=1):
            if answer.fraction < 0:
                problems.append(f"answer {number}: a {self.label} weight cannot be negative")
            problems.extend(f"answer {number}: {p}" for p in self._answer_problems(answer))
            catch_all += answer.text.strip() == ANY_NUMBER
        if catch_all > 1:
            problems.append(f"only one answer may be {ANY_NUMBER!r} (any other number)")
        if question.answers and not any(a.fraction == 1.0 for a in question.answers):
            problems.append(f"a {self.label} question needs an answer worth 100 %")
        return problems

    @staticmethod
    def _answer_problems(answer: Answer) -> list[str]:
        if answer.is_range:
            if answer.text:
                return ["a range has no value text"]
            if answer.low is None or answer.high is None:
                return ["a range needs both ends"]
            if not (math.isfinite(answer.low) and math.isfinite(answer.high)):
                return ["the range ends must be numbers"]
            if answer.low > answer.high:
                return [f"the range {answer.low:g}..{answer.high:g} is empty (min > max)"]
            return []
        if answer.text.strip() == ANY_NUMBER:
            return []
        try:
            parse_number(answer.text)
        except ValueError as error:
            return [str(error)]
        if not math.isfinite(answer.tolerance) or answer.tolerance < 0:
            return ["the tolerance must be a number of at least 0"]
        return []

    def normalise_response(self, question: Question, raw: Any) -> float | None:
        """The number typed (``" 3,5 "`` -> 3.5); ``None`` when empty."""
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            if not math.isfinite(raw):
                raise ResponseError("Enter a number, e.g. 12.5.")
            return float(raw)
        value = self.one_string(raw)
        return None if value is None else parse_response_number(value)

    def best_answer(self, question: Question, response: float) -> Answer | None:
        matching = [answer for answer in question.answers if accepts(answer, response)]
        return max(matching, key=lambda answer: answer.fraction, default=None)

    def grade(self, question: Question, response: float | None) -> Grade:
        answer = None if response is None else self.best_answer(question, response)
        if answer is None:
            return Grade(0.0, self.feedback(question))
        fraction = clamp(answer.fraction)
        return Grade(fraction, self.feedback(question, answer.feedback), is_full(fraction))

    def correct_response(self, question: Question) -> float | None:
        for answer in question.answers:
            if answer.fraction != 1.0 or answer.text.strip() == ANY_NUMBER:
                continue
            if answer.is_range:
                return answer.low / 2 + answer.high / 2  # type: ignore[operator]
            return parse_number(answer.text)
        return None
