"""Matching: each left-hand item is paired with one of the right-hand items.

Every pair weighs the same: the fraction is the share of pairs matched right. Answers with an
empty left side add extra (wrong) choices to the right-hand list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from learning.quizzes.grading.base import Grade, QuestionType, ResponseError
from learning.quizzes.questions import MATCHING, Answer, Question

MIN_PAIRS = 2  # Moodle asks for 3 in its editor, but its own GIFT examples have 2


def pairs(question: Question) -> list[Answer]:
    return [answer for answer in question.answers if answer.text]


def choices(question: Question) -> list[str]:
    """The right-hand items offered, each once, in the author's order."""
    return list(dict.fromkeys(answer.match or "" for answer in question.answers))


class Matching(QuestionType):
    name = MATCHING
    label = "matching"

    def validate_answers(self, question: Question) -> list[str]:
        problems: list[str] = []
        lefts: set[str] = set()
        for number, answer in enumerate(question.answers, start=1):
            if not (answer.match or "").strip():
                problems.append(f"pair {number} has no right-hand side")
            if answer.feedback:
                problems.append(f"pair {number}: matching pairs have no feedback")
            if answer.text:
                if "->" in answer.text:
                    problems.append(f"pair {number}: the left-hand side cannot contain '->'")
                if answer.text in lefts:
                    problems.append(f"pair {number}: {answer.text!r} appears twice on the left")
                lefts.add(answer.text)
                if answer.fraction != 1.0:
                    problems.append(f"pair {number}: a matching pair is worth 100 %")
            elif answer.fraction != 0.0:
                problems.append(f"pair {number}: an extra right-hand choice is worth 0 %")
        if len(pairs(question)) < MIN_PAIRS:
            problems.append(f"a matching question needs at least {MIN_PAIRS} pairs")
        return problems

    def normalise_response(self, question: Question, raw: Any) -> dict[str, str]:
        """``{left: right}`` for the pairs answered; unanswered pairs are left out."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            raise ResponseError("Match each item with one of the choices.")
        lefts = {answer.text for answer in pairs(question)}
        offered = set(choices(question))
        response: dict[str, str] = {}
        for left, right in raw.items():
            if left not in lefts:
                raise ResponseError("Unknown item to match.")
            value = self.one_string(right)
            if value is None:
                continue
            if value not in offered:
                raise ResponseError("Unknown choice.")
            response[left] = value
        return response

    def grade(self, question: Question, response: Mapping[str, str] | None) -> Grade:
        response = response or {}
        items = pairs(question)
        right = sum(response.get(answer.text) == answer.match for answer in items)
        fraction = right / len(items) if items else 0.0
        return Grade(fraction, self.feedback(question), bool(items) and right == len(items))

    def correct_response(self, question: Question) -> dict[str, str]:
        return {answer.text: answer.match or "" for answer in pairs(question)}
