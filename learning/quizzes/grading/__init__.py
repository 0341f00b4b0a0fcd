"""The question-type registry: one ``QuestionType`` per type name, with server-side grading.

Use: ``qtype = get_type(question.type)``; ``qtype.validate(question)`` lists problems (empty
when well formed); ``qtype.normalise_response(question, raw_form_value)`` reads the learner's
input (``ResponseError`` if it makes no sense); ``qtype.grade(question, response)`` gives a
``Grade`` whose fraction is within [0, 1].
"""

from __future__ import annotations

from learning.quizzes.grading.base import Grade, QuestionType, ResponseError
from learning.quizzes.grading.description import Description
from learning.quizzes.grading.essay import Essay
from learning.quizzes.grading.matching import Matching
from learning.quizzes.grading.missingword import MissingWord
from learning.quizzes.grading.multiple import MultipleResponse
from learning.quizzes.grading.numerical import Numerical
from learning.quizzes.grading.shortanswer import ShortAnswer
from learning.quizzes.grading.single import SingleChoice
from learning.quizzes.grading.truefalse import TrueFalse
from learning.quizzes.questions import Question

REGISTRY: dict[str, QuestionType] = {
    qtype.name: qtype
    for qtype in (
        SingleChoice(),
        MultipleResponse(),
        TrueFalse(),
        ShortAnswer(),
        Numerical(),
        Matching(),
        MissingWord(),
        Essay(),
        Description(),
    )
}


class UnknownQuestionType(KeyError):
    """A type name no class is registered for."""


def get_type(name: str) -> QuestionType:
    """The registered type called ``name``; ``UnknownQuestionType`` (a KeyError) otherwise."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownQuestionType(name) from None


def validate(question: Question) -> list[str]:
    """Structural problems of ``question`` (an unknown type is one)."""
    if question.type not in REGISTRY:
        return [f"unknown question type {question.type!r}"]
    return get_type(question.type).validate(question)


__all__ = [
    "REGISTRY",
    "Grade",
    "QuestionType",
    "ResponseError",
    "UnknownQuestionType",
    "get_type",
    "validate",
]
