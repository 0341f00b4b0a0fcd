"""What every question type shares: the ``QuestionType`` interface, ``Grade``, ``ResponseError``.

A type knows four things about its questions: whether one is well formed (``validate``), how
to read a learner's raw form input (``normalise_response``), how to grade that response
(``grade``) and what a right response looks like (``correct_response``). Types hold no state;
the registry keeps one instance of each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from learning.quizzes.questions import TEXT_FORMATS, Question

# Floats from forms and from GIFT weights (33.33333 %) are compared with this much slack.
EPSILON = 1e-9
MAX_RESPONSE_LENGTH = 20_000


class ResponseError(ValueError):
    """A learner's response that cannot be read (not a number, an unknown choice ...).

    The message is meant to be shown to the learner.
    """


@dataclass(frozen=True, slots=True)
class Grade:
    """The outcome of grading one response; ``fraction`` is always within [0, 1]."""

    fraction: float
    feedback: tuple[str, ...] = ()
    is_correct: bool = False
    needs_manual_grading: bool = False


def clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


def is_full(fraction: float) -> bool:
    return fraction >= 1.0 - EPSILON


class QuestionType:
    """One kind of question. Subclasses set ``name`` and implement the four methods."""

    name: ClassVar[str]
    label: ClassVar[str]
    is_auto_graded: ClassVar[bool] = True
    max_fraction: ClassVar[float] = 1.0
    # Whether the answers may sit inside the sentence (text, blank, suffix) / must do so.
    allows_blank: ClassVar[bool] = True
    requires_blank: ClassVar[bool] = False
    has_answers: ClassVar[bool] = True

    # -- validation -----------------------------------------------------------------------

    def validate(self, question: Question) -> list[str]:
        """Everything structurally wrong with ``question``, as messages; empty when well formed."""
        problems: list[str] = []
        if question.type != self.name:
            problems.append(f"question type is {question.type!r}, not {self.name!r}")
        if question.text_format not in TEXT_FORMATS:
            problems.append(
                f"unknown text format {question.text_format!r} (use one of {', '.join(TEXT_FORMATS)})"
            )
        if question.has_blank and not self.allows_blank:
            problems.append(f"a {self.label} question has no blank (text after its answers)")
        if self.requires_blank and not question.has_blank:
            problems.append(f"a {self.label} question needs text after the blank")
        if question.missing_word_suffix and not question.has_blank:
            problems.append("the text after the blank is only spaces")
        if not question.text.strip() and not question.has_blank:
            problems.append("the question has no text")
        if not self.has_answers:
            if question.answers:
                problems.append(f"a {self.label} question has no answers")
            return problems
        for number, answer in enumerate(question.answers, start=1):
            if not math.isfinite(answer.fraction) or not -1.0 <= answer.fraction <= 1.0:
                problems.append(
                    f"answer {number}: weight {answer.fraction * 100:g} % is outside -100 %..100 %"
                )
        problems.extend(self.validate_answers(question))
        return problems

    def validate_answers(self, question: Question) -> list[str]:
        return []

    # -- responses and grading ------------------------------------------------------------

    def normalise_response(self, question: Question, raw: Any) -> Any:
        """Turn raw form input (``str`` or ``list[str]``) into this type's response value.

        ``None`` means "not answered". Raises ``ResponseError`` for input that makes no sense.
        """
        raise NotImplementedError

    def grade(self, question: Question, response: Any) -> Grade:
        """Grade a response that went through ``normalise_response``."""
        raise NotImplementedError

    def correct_response(self, question: Question) -> Any:
        """A response that earns full credit (``None`` when there is none to show)."""
        return None

    # -- helpers for subclasses -------------------------------------------------------------

    @staticmethod
    def feedback(question: Question, *texts: str) -> tuple[str, ...]:
        """Answer feedback that is not empty, then the general feedback."""
        return tuple(text for text in (*texts, question.general_feedback) if text)

    @staticmethod
    def one_string(raw: Any) -> str | None:
        """A single string from a form value; ``None`` for nothing or only spaces."""
        if raw is None:
            return None
        if isinstance(raw, list | tuple):
            values = [value for value in raw if value not in (None, "")]
            if len(values) > 1:
                raise ResponseError("Give one answer only.")
            raw = values[0] if values else ""
        if not isinstance(raw, str):
            raise ResponseError("The answer must be text.")
        if len(raw) > MAX_RESPONSE_LENGTH:
            raise ResponseError("The answer is too long.")
        return raw if raw.strip() else None

    @staticmethod
    def choice_index(question: Question, raw: Any) -> int:
        """The index of an answer, given as a form string such as ``"2"``."""
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ResponseError("Unknown choice.")
        text = str(raw).strip()
        if not text.isascii() or not text.isdigit():
            raise ResponseError("Unknown choice.")
        index = int(text)
        if index >= len(question.answers):
            raise ResponseError("Unknown choice.")
        return index


def check_choices(question: Question, label: str, minimum: int = 2) -> list[str]:
    """Problems shared by the choice types: enough answers, none empty, no duplicates."""
    problems: list[str] = []
    if len(question.answers) < minimum:
        problems.append(f"a {label} question needs at least {minimum} answers")
    seen: set[str] = set()
    for number, answer in enumerate(question.answers, start=1):
        if not answer.text.strip():
            problems.append(f"answer {number} is empty")
        elif answer.text in seen:
            problems.append(f"answer {number} ({answer.text!r}) is given twice")
        seen.add(answer.text)
    return problems
