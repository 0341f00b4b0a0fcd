"""Export then import gives the same questions: by hand for every type, then with Hypothesis
over random Unicode texts full of GIFT's special characters."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning.quizzes.gift import (
    GiftExportError,
    format_number,
    format_weight,
    parse_gift,
    to_gift,
    write_question,
)
from learning.quizzes.grading import validate
from learning.quizzes.questions import TEXT_FORMATS, Answer, Question

A = Answer
NASTY = "a~b=c#d{e}f:g\\h\\ni\nj->k %50% [html] // :: #### * .. \\* $CATEGORY: end"


def round_trip(questions: list[Question]) -> list[Question]:
    return parse_gift(to_gift(questions))


HAND_MADE = [
    Question(
        "single",
        NASTY,
        "markdown",
        title="Title :: with ~ = # { }",
        answers=(A(NASTY, 1.0, NASTY), A("%50% off", 0.5, "[plain] x"), A("[html]", -0.25)),
        general_feedback=NASTY,
        category="Top/Sub: part",
    ),
    Question(
        "missingword",
        "Before the blank: ",
        "html",
        answers=(A("one", 0.0), A("two", 1.0, "yes")),
        missing_word_suffix=" after {the} blank.",
    ),
    Question(
        "multiple",
        "// starts like a comment",
        answers=(A("a", 0.5), A("b", 0.5, "fb"), A("c", -1.0), A("d", 0.0)),
    ),
    Question(
        "truefalse",
        "[markdown] looks like a marker",
        answers=(A("true", 0.0, "##"), A("false", 1.0)),
    ),
    Question(
        "truefalse",
        "T",
        "plain",
        answers=(A("true", 1.0), A("false", 0.0, "wrong #")),
        general_feedback="gf",
    ),
    Question(
        "shortanswer",
        "Arrows",
        answers=(A("a->b", 1.0), A("%25%", 0.25, "odd"), A("x \\* y", 0.0), A("*", 0.0, "no")),
        case_sensitive=False,
    ),
    Question(
        "numerical",
        "Numbers",
        answers=(
            A("1822", 1.0, "exact"),
            A("1822", 0.5, tolerance=2.5),
            A("", 0.25, low=-1e-7, high=1e22),
            A("*", 0.0, "other"),
        ),
        general_feedback="#",
    ),
    Question("numerical", "Only one", answers=(A("", 1.0, low=1.0, high=5.0),)),
    Question("numerical", "Any", answers=(A("-3.5", 1.0, tolerance=0.1), A("*", 0.5))),
    Question(
        "matching",
        "Pairs",
        answers=(
            A("%1% a", 1.0, match="-> x"),
            A("b-", 1.0, match="y #"),
            A("", 0.0, match="z"),
        ),
        general_feedback="matched",
    ),
    Question("essay", "Write", "plain", general_feedback="Graded by hand"),
    Question("essay", "Describe ", missing_word_suffix=" in detail."),
    Question("description", "Just text: {not an answer}", category=""),
]


@pytest.mark.parametrize("question", HAND_MADE, ids=lambda q: q.type)
def test_hand_made_questions_round_trip(question: Question) -> None:
    assert validate(question) == []
    assert round_trip([question]) == [question]


def test_a_bank_round_trips_with_category_lines() -> None:
    bank = [
        Question("truefalse", "A", answers=(A("true", 1.0), A("false", 0.0)), category="X"),
        Question("truefalse", "B", answers=(A("true", 1.0), A("false", 0.0)), category="X"),
        Question("truefalse", "C", answers=(A("true", 1.0), A("false", 0.0)), category="Y"),
        Question("truefalse", "D", answers=(A("true", 1.0), A("false", 0.0))),
    ]
    out = to_gift(bank)
    assert out.count("$CATEGORY:") == 3
    assert round_trip(bank) == bank


def test_export_of_an_invalid_question_is_refused() -> None:
    bad = Question("single", "Q", answers=(A("a", 1.0), A("b", 1.0)))
    with pytest.raises(GiftExportError) as caught:
        to_gift([bad])
    assert "exactly one right" in caught.value.problems[0]


def test_export_is_readable() -> None:
    question = Question(
        "single",
        "Pick",
        title="T",
        answers=(A("yes", 1.0, "good"), A("no", 0.0), A("maybe", 0.5)),
        general_feedback="gf",
    )
    assert write_question(question) == "::T::Pick{\n\t=yes#good\n\t~no\n\t~%50%maybe\n\t####gf\n}"
    assert to_gift([]) == ""


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_numbers_are_written_exactly(value: float) -> None:
    assert float(format_number(value)) == value


@given(st.floats(min_value=-1, max_value=1))
def test_weights_are_written_exactly(fraction: float) -> None:
    from decimal import Decimal

    assert float(Decimal(format_weight(fraction)) / 100) == fraction


# -- Hypothesis: random questions of every type ---------------------------------------------

SPECIALS = [
    "~", "=", "#", "{", "}", ":", "\\", "\n", "\\n", "->", "%", "%50%", "//", "[html]",
    "[markdown]", "::", "####", "*", "..", "$CATEGORY:", " ", "\t", "-", ">", "[", "]",
]  # fmt: skip
WORDS = ["서울", "한국어 질문", "Привет", "Москва", "مرحبا", "القاهرة", "café", "Ñandú", "🚉", "x"]

fragment = st.one_of(
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\r"),
        max_size=6,
    ),
    st.sampled_from(SPECIALS),
    st.sampled_from(WORDS),
)
raw_text = st.lists(fragment, max_size=6).map("".join)
# GIFT trims every text, so canonical texts are trimmed (a blank's text keeps its inner side).
text = raw_text.map(str.strip)
some_text = text.filter(bool)
before_blank = raw_text.map(str.lstrip)
after_blank = raw_text.map(str.rstrip).filter(lambda s: bool(s.strip()))
fmt = st.sampled_from(TEXT_FORMATS)
weights = st.sampled_from([0.0, 0.5, -0.5, 0.25, 1 / 3, -1.0, 0.1, 0.9, 0.05])


def unique(strategy: st.SearchStrategy[str], min_size: int, max_size: int):
    return st.lists(strategy, min_size=min_size, max_size=max_size, unique=True)


@st.composite
def base(draw, type_: str, *, blank: bool | None = None) -> dict:
    has_blank = draw(st.booleans()) if blank is None else blank
    return {
        "type": type_,
        "text": draw(before_blank if has_blank else some_text),
        "missing_word_suffix": draw(after_blank) if has_blank else "",
        "text_format": draw(fmt),
        "title": draw(text),
        "general_feedback": draw(text),
        "category": draw(text),
    }


@st.composite
def single(draw, type_: str = "single") -> Question:
    fields = draw(base(type_, blank=type_ == "missingword"))
    texts = draw(unique(some_text, 2, 5))
    right = draw(st.integers(0, len(texts) - 1))
    answers = tuple(
        A(t, 1.0 if i == right else draw(weights), draw(text)) for i, t in enumerate(texts)
    )
    return Question(answers=answers, **fields)


@st.composite
def multiple(draw) -> Question:
    fields = draw(base("multiple"))
    texts = draw(unique(some_text, 2, 6))
    positive = draw(st.integers(1, len(texts)))
    answers = tuple(
        A(t, 1 / positive if i < positive else draw(st.sampled_from([0.0, -0.5, -1.0])), draw(text))
        for i, t in enumerate(texts)
    )
    return Question(answers=tuple(draw(st.permutations(answers))), **fields)


@st.composite
def truefalse(draw) -> Question:
    fields = draw(base("truefalse"))
    correct = draw(st.booleans())
    answers = (
        A("true", 1.0 if correct else 0.0, draw(text)),
        A("false", 0.0 if correct else 1.0, draw(text)),
    )
    return Question(answers=answers, **fields)


@st.composite
def shortanswer(draw) -> Question:
    fields = draw(base("shortanswer"))
    texts = draw(unique(some_text, 1, 4))
    answers = tuple(
        A(t, 1.0 if i == 0 else draw(st.sampled_from([0.0, 0.5, 1.0, 0.1])), draw(text))
        for i, t in enumerate(texts)
    )
    return Question(answers=answers, case_sensitive=draw(st.booleans()), **fields)


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30)


@st.composite
def numerical_answer(draw, fraction: float) -> Answer:
    feedback = draw(text)
    if draw(st.booleans()):
        low, high = sorted((draw(finite), draw(finite)))
        return A("", fraction, feedback, low=low, high=high)
    value = draw(
        st.one_of(finite.map(format_number), st.sampled_from(["1822", "-1.5e3", ".5", "+2"]))
    )
    tolerance = draw(st.one_of(st.just(0.0), st.floats(min_value=0, max_value=1e6)))
    return A(value, fraction, feedback, tolerance=tolerance)


@st.composite
def numerical(draw) -> Question:
    fields = draw(base("numerical"))
    answers = [draw(numerical_answer(1.0))]
    for _ in range(draw(st.integers(0, 3))):
        answers.append(draw(numerical_answer(draw(st.sampled_from([0.0, 0.5, 0.25])))))
    if draw(st.booleans()):
        answers.insert(
            draw(st.integers(0, len(answers))),
            A("*", draw(st.sampled_from([0.0, 0.5])), draw(text)),
        )
    return Question(answers=tuple(answers), **fields)


@st.composite
def matching(draw) -> Question:
    fields = draw(base("matching"))
    lefts = draw(unique(some_text.filter(lambda s: "->" not in s), 2, 4))
    answers = [A(left, 1.0, match=draw(some_text)) for left in lefts]
    if draw(st.booleans()):
        answers.append(A("", 0.0, match=draw(some_text)))
    return Question(answers=tuple(answers), **fields)


@st.composite
def essay(draw) -> Question:
    return Question(**draw(base("essay")))


@st.composite
def description(draw) -> Question:
    fields = draw(base("description", blank=False))
    fields["general_feedback"] = ""
    return Question(**fields)


any_question = st.one_of(
    single(),
    single("missingword"),
    multiple(),
    truefalse(),
    shortanswer(),
    numerical(),
    matching(),
    essay(),
    description(),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_question)
def test_random_question_round_trips(question: Question) -> None:
    assert validate(question) == []
    assert round_trip([question]) == [question]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(any_question, max_size=8))
def test_random_bank_round_trips(questions: list[Question]) -> None:
    assert round_trip(questions) == questions
