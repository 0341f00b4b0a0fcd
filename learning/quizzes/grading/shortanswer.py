"""Short answer: the learner types a word or phrase; the best matching answer's weight counts.

By default the comparison ignores case and runs of spaces and folds compatibility characters
(the full-width letters and digits of Korean and Japanese input methods become ASCII), after
Unicode normalisation, so a composed and a decomposed ``é`` or ``한`` are the same. With
``case_sensitive`` only the spaces and the Unicode composition are normalised.

As in Moodle, ``*`` in an answer matches any run of characters (``*`` alone accepts
anything, handy for feedback on every other answer) and ``\\*`` is a literal star.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

from learning.quizzes.grading.base import Grade, QuestionType, clamp, is_full
from learning.quizzes.questions import SHORTANSWER, Answer, Question

# Stands for an unescaped ``*`` while the pattern is normalised (and is removed from input).
_WILDCARD = "\x00"


def _normalise(text: str, case_sensitive: bool) -> str:
    text = unicodedata.normalize("NFC" if case_sensitive else "NFKC", text)
    text = " ".join(text.split())
    return text if case_sensitive else text.casefold()


def normalise_text(text: str, *, case_sensitive: bool = False) -> str:
    """The form in which answers and responses are compared."""
    return _normalise(text.replace(_WILDCARD, ""), case_sensitive)


@lru_cache(maxsize=4096)
def _pattern(answer: str, case_sensitive: bool) -> re.Pattern[str]:
    marked = _replace_wildcards(answer.replace(_WILDCARD, ""), _WILDCARD)
    parts = _normalise(marked, case_sensitive).split(_WILDCARD)
    return re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)


def answer_matches(answer: str, response: str, *, case_sensitive: bool = False) -> bool:
    """Whether ``response`` is accepted by the answer text ``answer`` (with ``*`` wildcards)."""
    normalised = normalise_text(response, case_sensitive=case_sensitive)
    return _pattern(answer, case_sensitive).fullmatch(normalised) is not None


def _replace_wildcards(answer: str, by: str) -> str:
    return re.sub(r"\\\*|\*", lambda m: "*" if m.group() == "\\*" else by, answer)


def _examples(answer: str) -> list[str]:
    """Responses the answer may accept, most readable first: without wildcards, then as is."""
    candidates = (_replace_wildcards(answer, "").strip(), _replace_wildcards(answer, "*").strip())
    return [text for text in candidates if text]


class ShortAnswer(QuestionType):
    name = SHORTANSWER
    label = "short-answer"

    def validate_answers(self, question: Question) -> list[str]:
        problems: list[str] = []
        if not question.answers:
            problems.append(f"a {self.label} question needs at least one answer")
        for number, answer in enumerate(question.answers, start=1):
            if not answer.text.strip():
                problems.append(f"answer {number} is empty")
            if answer.fraction < 0:
                problems.append(f"answer {number}: a {self.label} weight cannot be negative")
        if question.answers and not any(a.fraction == 1.0 for a in question.answers):
            problems.append(f"a {self.label} question needs an answer worth 100 %")
        return problems

    def normalise_response(self, question: Question, raw: Any) -> str | None:
        """The typed text, with surrounding spaces removed; ``None`` when empty."""
        value = self.one_string(raw)
        return None if value is None else value.strip()

    def best_answer(self, question: Question, response: str) -> Answer | None:
        matching = [
            answer
            for answer in question.answers
            if answer_matches(answer.text, response, case_sensitive=question.case_sensitive)
        ]
        # max() keeps the first of equals: the author's order breaks ties.
        return max(matching, key=lambda answer: answer.fraction, default=None)

    def grade(self, question: Question, response: str | None) -> Grade:
        answer = None if response is None else self.best_answer(question, response)
        if answer is None:
            return Grade(0.0, self.feedback(question))
        fraction = clamp(answer.fraction)
        return Grade(fraction, self.feedback(question, answer.feedback), is_full(fraction))

    def correct_response(self, question: Question) -> str | None:
        right = [answer.text for answer in question.answers if answer.fraction == 1.0]
        for text in right:
            for example in _examples(text):
                if answer_matches(text, example, case_sensitive=question.case_sensitive):
                    return example
        return None
