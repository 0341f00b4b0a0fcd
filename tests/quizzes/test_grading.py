"""Server-side grading of every question type: examples, edge cases and Hypothesis properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from learning.quizzes.grading import (
    REGISTRY,
    Grade,
    QuestionType,
    ResponseError,
    UnknownQuestionType,
    get_type,
    validate,
)
from learning.quizzes.grading.shortanswer import normalise_text
from learning.quizzes.grading.truefalse import truefalse_answers
from learning.quizzes.questions import QUESTION_TYPES, Answer, Question
from tests.quizzes.test_roundtrip import any_question

A = Answer


def full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms (U+FF01..U+FF5E)."""
    return "".join(chr(ord(char) + 0xFEE0) for char in text)


def grade(question: Question, raw: object) -> Grade:
    qtype = get_type(question.type)
    return qtype.grade(question, qtype.normalise_response(question, raw))


# -- the registry -------------------------------------------------------------------------


def test_registry_has_every_type_once() -> None:
    assert tuple(REGISTRY) == QUESTION_TYPES
    for name, qtype in REGISTRY.items():
        assert isinstance(qtype, QuestionType) and qtype.name == name
        assert get_type(name) is qtype


def test_unknown_type() -> None:
    with pytest.raises(UnknownQuestionType):
        get_type("cloze")
    with pytest.raises(KeyError):
        get_type("")
    assert validate(Question("cloze", "Q")) == ["unknown question type 'cloze'"]


def test_type_flags() -> None:
    assert [n for n, t in REGISTRY.items() if not t.is_auto_graded] == ["essay", "description"]
    assert [n for n, t in REGISTRY.items() if t.max_fraction == 0] == ["description"]


def test_response_error_is_a_value_error() -> None:
    assert issubclass(ResponseError, ValueError)


# -- single choice and missing word -------------------------------------------------------

SINGLE = Question(
    "single",
    "Capital of Korea?",
    answers=(
        A("Busan", 0.0, "A port city."),
        A("Seoul", 1.0, "Yes."),
        A("Gyeongju", 0.5, "It was, long ago."),
        A("Pyongyang", -0.5, "Not in the South."),
    ),
    general_feedback="Seoul has been the capital since 1394.",
)


def test_single_right_answer() -> None:
    assert grade(SINGLE, "1") == Grade(
        1.0, ("Yes.", "Seoul has been the capital since 1394."), is_correct=True
    )


def test_single_wrong_partial_and_negative() -> None:
    assert grade(SINGLE, "0").fraction == 0.0
    partial = grade(SINGLE, ["2"])
    assert (partial.fraction, partial.is_correct) == (0.5, False)
    assert grade(SINGLE, "3").fraction == 0.0  # -50 % is clamped to 0
    assert grade(SINGLE, "3").feedback[0] == "Not in the South."


def test_single_unanswered() -> None:
    for raw in (None, "", "  ", [], [""]):
        assert grade(SINGLE, raw) == Grade(0.0, ("Seoul has been the capital since 1394.",))


@pytest.mark.parametrize("raw", ["4", "-1", "x", "1.0", "\u0661", ["0", "1"], {"a": 1}, True, 7])
def test_single_rejects_unknown_choices(raw: object) -> None:
    with pytest.raises(ResponseError):
        get_type("single").normalise_response(SINGLE, raw)


def test_single_normalises_form_values() -> None:
    qtype = get_type("single")
    assert qtype.normalise_response(SINGLE, " 2 ") == 2
    assert qtype.normalise_response(SINGLE, ["1"]) == 1
    assert qtype.normalise_response(SINGLE, 3) == 3
    assert qtype.correct_response(SINGLE) == 1


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ((A("a", 1.0),), "at least 2 answers"),
        ((A("a", 0.5), A("b", 0.0)), "exactly one right"),
        ((A("a", 1.0), A("b", 1.0)), "exactly one right"),
        ((A("a", 1.0), A(" ", 0.0)), "answer 2 is empty"),
        ((A("a", 1.0), A("a", 0.0)), "given twice"),
        ((A("a", 1.0), A("b", 1.5)), "outside -100 %..100 %"),
        ((A("a", 1.0), A("b", -2.0)), "outside -100 %..100 %"),
        ((A("a", 1.0), A("b", float("nan"))), "outside -100 %..100 %"),
    ],
)
def test_single_validation(answers: tuple[Answer, ...], message: str) -> None:
    problems = validate(Question("single", "Q", answers=answers))
    assert any(message in problem for problem in problems), problems


def test_common_validation() -> None:
    good = SINGLE
    assert validate(good) == []
    assert "no text" in validate(Question("single", " ", answers=good.answers))[0]
    assert (
        "unknown text format" in validate(Question("single", "Q", "rtf", answers=good.answers))[0]
    )
    assert (
        "has no blank"
        in validate(Question("single", "Q", answers=good.answers, missing_word_suffix=" end."))[0]
    )
    assert "only spaces" in validate(Question("essay", "Q", missing_word_suffix="  "))[0]
    assert "not 'single'" in get_type("single").validate(Question("multiple", "Q"))[0]


def test_missing_word_needs_a_blank_and_grades_like_single() -> None:
    answers = (A("buried", 0.0), A("entombed", 1.0, "Right"), A("living", 0.0))
    question = Question("missingword", "Grant is ", answers=answers, missing_word_suffix=" here.")
    assert validate(question) == []
    assert grade(question, "1") == Grade(1.0, ("Right",), True)
    assert grade(question, "0").fraction == 0.0
    assert (
        "needs text after the blank"
        in validate(Question("missingword", "Grant is", answers=answers))[0]
    )


# -- multiple response --------------------------------------------------------------------

MULTIPLE = Question(
    "multiple",
    "Who is entombed in Grant's tomb?",
    answers=(
        A("No one", -1.0, "Wrong"),
        A("Grant", 0.5, "Yes"),
        A("Grant's wife", 0.5),
        A("Grant's father", -0.5),
    ),
)


@pytest.mark.parametrize(
    ("chosen", "fraction"),
    [
        ([], 0.0),
        (["1"], 0.5),
        (["1", "2"], 1.0),
        (["2", "1", "2"], 1.0),
        (["1", "2", "3"], 0.5),
        (["1", "3"], 0.0),
        (["0", "1", "2"], 0.0),  # -100 % cancels both right answers
        (["0", "3"], 0.0),  # negative sums are clamped to 0
        (["0", "1", "2", "3"], 0.0),
    ],
)
def test_multiple_adds_weights_and_clamps(chosen: list[str], fraction: float) -> None:
    result = grade(MULTIPLE, chosen)
    assert result.fraction == fraction
    assert result.is_correct == (fraction == 1.0)


def test_multiple_feedback_of_every_chosen_answer() -> None:
    assert grade(MULTIPLE, ["1", "0"]).feedback == ("Wrong", "Yes")


def test_multiple_normalises_form_values() -> None:
    qtype = get_type("multiple")
    assert qtype.normalise_response(MULTIPLE, None) == ()
    assert qtype.normalise_response(MULTIPLE, "2") == (2,)
    assert qtype.normalise_response(MULTIPLE, ["3", "", "1", "3"]) == (1, 3)
    with pytest.raises(ResponseError):
        qtype.normalise_response(MULTIPLE, ["1", "9"])
    with pytest.raises(ResponseError):
        qtype.normalise_response(MULTIPLE, {"1": "on"})
    assert qtype.correct_response(MULTIPLE) == (1, 2)


def test_multiple_thirds_give_full_credit() -> None:
    third = 0.3333  # weights written to 2 decimals of a percent
    question = Question(
        "multiple", "Primes?", answers=(A("2", third), A("3", third), A("5", third), A("4", -1.0))
    )
    assert validate(question) == []
    assert grade(question, ["0", "1", "2"]) == Grade(1.0, (), True)
    assert grade(question, ["0", "1"]).fraction == pytest.approx(0.6666)


def test_multiple_validation() -> None:
    def problems(*answers: Answer) -> list[str]:
        return validate(Question("multiple", "Q", answers=answers))

    assert "add up to 70 %" in problems(A("a", 0.5), A("b", 0.2))[0]
    assert "add up to 120 %" in problems(A("a", 0.6), A("b", 0.6))[0]
    assert "add up to 0 %" in problems(A("a", 0.0), A("b", -1.0))[0]
    assert problems(A("a", 1.0), A("b", -1.0)) == []


weight = st.sampled_from([-1.0, -0.5, -1 / 3, 0.0, 0.1, 0.25, 1 / 3, 0.5, 1.0])


@given(st.lists(weight, min_size=2, max_size=8), st.data())
def test_multiple_fraction_is_clamped_sum(weights: list[float], data: st.DataObject) -> None:
    question = Question("multiple", "Q", answers=tuple(A(str(i), w) for i, w in enumerate(weights)))
    chosen = data.draw(st.lists(st.integers(0, len(weights) - 1), unique=True))
    result = grade(question, [str(i) for i in chosen])
    total = sum(weights[i] for i in chosen)
    assert 0.0 <= result.fraction <= 1.0
    if total <= 0:
        assert result.fraction == 0.0
    elif total >= 1 - 0.005:
        assert result.fraction == 1.0 and result.is_correct
    else:
        assert result.fraction == pytest.approx(total) and not result.is_correct


@given(st.integers(1, 6), st.integers(0, 4), st.data())
def test_multiple_choosing_all_right_answers_is_full_credit(
    right: int, wrong: int, data: st.DataObject
) -> None:
    answers = [A(f"r{i}", 1 / right) for i in range(right)]
    answers += [A(f"w{i}", data.draw(st.sampled_from([0.0, -0.5, -1.0]))) for i in range(wrong)]
    question = Question("multiple", "Q", answers=tuple(answers))
    assume(len(answers) >= 2)
    assert validate(question) == []
    assert grade(question, [str(i) for i in range(right)]) == Grade(1.0, (), True)
    if wrong:  # adding any wrong answer never raises the score
        with_wrong = grade(question, [str(i) for i in range(right + 1)])
        assert with_wrong.fraction <= 1.0


# -- true/false ---------------------------------------------------------------------------

TRUEFALSE = Question(
    "truefalse",
    "The sun rises in the east.",
    answers=truefalse_answers(True, true_feedback="Right.", false_feedback="Look outside."),
)


@pytest.mark.parametrize(
    ("raw", "fraction", "feedback"),
    [
        ("true", 1.0, "Right."),
        ("TRUE", 1.0, "Right."),
        ("t", 1.0, "Right."),
        ("0", 1.0, "Right."),
        (["true"], 1.0, "Right."),
        ("false", 0.0, "Look outside."),
        (" F ", 0.0, "Look outside."),
        ("1", 0.0, "Look outside."),
        (1, 0.0, "Look outside."),
    ],
)
def test_truefalse(raw: object, fraction: float, feedback: str) -> None:
    result = grade(TRUEFALSE, raw)
    assert result == Grade(fraction, (feedback,), fraction == 1.0)


def test_truefalse_false_is_right() -> None:
    question = Question("truefalse", "Water boils at 50 °C.", answers=truefalse_answers(False))
    assert grade(question, "false").is_correct
    assert not grade(question, "true").is_correct
    assert get_type("truefalse").correct_response(question) == 1
    assert get_type("truefalse").correct_response(TRUEFALSE) == 0


def test_truefalse_rejects_other_words_and_checks_answers() -> None:
    with pytest.raises(ResponseError):
        get_type("truefalse").normalise_response(TRUEFALSE, "maybe")
    assert grade(TRUEFALSE, "") == Grade(0.0)
    bad = Question("truefalse", "Q", answers=(A("yes", 1.0), A("no", 0.0)))
    assert "exactly the answers 'true' and 'false'" in validate(bad)[0]
    both = Question("truefalse", "Q", answers=(A("true", 1.0), A("false", 1.0)))
    assert validate(both)


# -- short answer -------------------------------------------------------------------------

SHORT = Question(
    "shortanswer",
    "Jesus Christ was from",
    answers=(
        A("Nazareth", 1.0, "Yes!"),
        A("Nazereth", 0.75, "Misspelled."),
        A("Bethlehem", 0.25, "Born there."),
        A("*", 0.0, "Think again."),
    ),
)


@pytest.mark.parametrize(
    ("raw", "fraction", "feedback"),
    [
        ("Nazareth", 1.0, "Yes!"),
        ("  nAzArEtH ", 1.0, "Yes!"),
        ("NAZARETH", 1.0, "Yes!"),
        (full_width("Nazareth"), 1.0, "Yes!"),  # as typed with a CJK input method
        ("nazereth", 0.75, "Misspelled."),
        ("Bethlehem", 0.25, "Born there."),
        ("Jerusalem", 0.0, "Think again."),
        ("Naz areth", 0.0, "Think again."),
    ],
)
def test_shortanswer_best_match(raw: str, fraction: float, feedback: str) -> None:
    assert grade(SHORT, raw) == Grade(fraction, (feedback,), fraction == 1.0)


def test_shortanswer_whitespace_and_unicode() -> None:
    question = Question(
        "shortanswer",
        "Q",
        answers=(
            A("Ulysses S. Grant", 1.0),
            A("서울특별시", 1.0),
            A("Straße", 1.0),
            A("café", 1.0),
        ),
    )
    assert grade(question, "ulysses\t s.\n  grant").is_correct
    assert grade(question, " 서울특별시 ").is_correct
    assert grade(question, unicodedata.normalize("NFD", "서울특별시")).is_correct
    assert grade(question, "STRASSE").is_correct
    assert grade(question, unicodedata.normalize("NFD", "CAFÉ")).is_correct
    assert not grade(question, "cafe").is_correct


def test_shortanswer_case_sensitive() -> None:
    question = Question(
        "shortanswer", "Symbol of sodium?", answers=(A("Na", 1.0),), case_sensitive=True
    )
    assert grade(question, " Na ").is_correct
    assert not grade(question, "NA").is_correct
    assert not grade(question, "na").is_correct


def test_shortanswer_wildcards() -> None:
    question = Question(
        "shortanswer",
        "Q",
        answers=(A("New * City", 1.0), A("2 \\* 3", 0.5)),
    )
    assert grade(question, "New York City").is_correct
    assert not grade(question, "NewYorkCity").is_correct
    assert grade(question, "2 * 3").fraction == 0.5
    assert grade(question, "2 x 3").fraction == 0.0
    assert get_type("shortanswer").correct_response(question) == "New * City"
    assert get_type("shortanswer").correct_response(SHORT) == "Nazareth"


def test_shortanswer_unanswered_and_validation() -> None:
    assert grade(SHORT, "   ") == Grade(0.0)
    assert grade(SHORT, None) == Grade(0.0)
    with pytest.raises(ResponseError):
        get_type("shortanswer").normalise_response(SHORT, ["a", "b"])
    with pytest.raises(ResponseError):
        get_type("shortanswer").normalise_response(SHORT, "x" * 20_001)
    assert "at least one answer" in validate(Question("shortanswer", "Q"))[0]
    assert "worth 100 %" in validate(Question("shortanswer", "Q", answers=(A("a", 0.5),)))[0]
    assert (
        "cannot be negative"
        in validate(Question("shortanswer", "Q", answers=(A("a", 1.0), A("b", -0.5))))[0]
    )


plain_text = st.text(
    st.characters(categories=("Lu", "Ll", "Nd", "Zs"), include_characters="한국어москва"),
    min_size=1,
    max_size=20,
).filter(lambda s: s.strip())


@given(plain_text, st.data())
def test_shortanswer_ignores_case_and_spacing(answer: str, data: st.DataObject) -> None:
    question = Question("shortanswer", "Q", answers=(A(answer, 1.0),))
    words = answer.split()
    spaces = data.draw(st.lists(st.sampled_from([" ", "  ", "\t", " \n "]), min_size=len(words)))
    response = "".join(w + s for w, s in zip(words, spaces, strict=False))
    if all(char.isascii() for char in response):
        response = response.swapcase()
    assert grade(question, "  " + response).is_correct


@given(st.text(max_size=30), st.text(max_size=30))
def test_shortanswer_normalisation_is_idempotent(text: str, other: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert normalise_text(text, case_sensitive=True) == normalise_text(
        normalise_text(text, case_sensitive=True), case_sensitive=True
    )


# -- numerical ----------------------------------------------------------------------------

NUMERICAL = Question(
    "numerical",
    "When was Ulysses S. Grant born?",
    answers=(
        A("1822", 1.0, "Correct!"),
        A("1822", 0.5, "Close.", tolerance=2),
        A("", 0.25, "Right century.", low=1800, high=1899),
        A("*", 0.0, "Way off."),
    ),
)


@pytest.mark.parametrize(
    ("raw", "fraction", "feedback"),
    [
        ("1822", 1.0, "Correct!"),
        (" 1822.0 ", 1.0, "Correct!"),
        ("1.822e3", 1.0, "Correct!"),
        ("1820", 0.5, "Close."),  # the tolerance is inclusive
        ("1824", 0.5, "Close."),
        ("1824.0001", 0.25, "Right century."),
        ("1800", 0.25, "Right century."),  # so is a range
        ("1899", 0.25, "Right century."),
        ("1899,5", 0.0, "Way off."),
        ("-1822", 0.0, "Way off."),
    ],
)
def test_numerical_best_answer(raw: str, fraction: float, feedback: str) -> None:
    assert grade(NUMERICAL, raw) == Grade(fraction, (feedback,), fraction == 1.0)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("3,5", 3.5),
        ("  -2.25 ", -2.25),
        ("\u22122", -2.0),  # a real minus sign
        (full_width("3.5"), 3.5),
        ("٣", 3.0),  # Arabic-Indic digit
        ("+4", 4.0),
        (".5", 0.5),
        ("1e3", 1000.0),
        (7, 7.0),
        (2.5, 2.5),
    ],
)
def test_numerical_reads_numbers_leniently(raw: object, value: float) -> None:
    assert get_type("numerical").normalise_response(NUMERICAL, raw) == value


@pytest.mark.parametrize(
    "raw",
    ["abc", "1,000.5", "1,2,3", "1.2.3", "nan", "inf", "1e999", "12 kg", "--1", ",", float("nan")],
)
def test_numerical_rejects_non_numbers(raw: object) -> None:
    with pytest.raises(ResponseError):
        get_type("numerical").normalise_response(NUMERICAL, raw)


def test_numerical_float_noise_and_unanswered() -> None:
    question = Question("numerical", "0.1 + 0.2?", answers=(A("0.3", 1.0),))
    assert get_type("numerical").grade(question, 0.1 + 0.2).is_correct
    assert not grade(question, "0.3001").is_correct
    assert grade(question, "") == Grade(0.0)
    assert get_type("numerical").correct_response(question) == 0.3
    assert get_type("numerical").correct_response(NUMERICAL) == 1822.0
    ranged = Question("numerical", "Q", answers=(A("", 1.0, low=1, high=5),))
    assert get_type("numerical").correct_response(ranged) == 3.0


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ((), "at least one answer"),
        ((A("abc", 1.0),), "is not a number"),
        ((A("5", 1.0, tolerance=-1),), "tolerance"),
        ((A("", 1.0, low=5, high=1),), "is empty"),
        ((A("", 1.0, low=1),), "both ends"),
        ((A("5", 0.5),), "worth 100 %"),
        ((A("5", 1.0), A("*", 0.0), A("*", 0.0)), "only one answer may be '*'"),
        ((A("5", 1.0), A("6", -0.5)), "cannot be negative"),
    ],
)
def test_numerical_validation(answers: tuple[Answer, ...], message: str) -> None:
    problems = validate(Question("numerical", "Q", answers=answers))
    assert any(message in problem for problem in problems), problems


@given(
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=0, max_value=1e3),
)
def test_numerical_tolerance_boundaries(value: float, tolerance: float) -> None:
    question = Question("numerical", "Q", answers=(A(repr(value), 1.0, tolerance=tolerance),))
    qtype = get_type("numerical")
    assert qtype.grade(question, value).is_correct
    assert qtype.grade(question, value + tolerance).is_correct
    assert qtype.grade(question, value - tolerance).is_correct
    outside = 2e-6 * max(1.0, abs(value) + tolerance)
    assert not qtype.grade(question, value + tolerance + outside).is_correct
    assert not qtype.grade(question, value - tolerance - outside).is_correct


@given(
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=-1e6, max_value=1e6),
    st.floats(min_value=-2e6, max_value=2e6),
)
def test_numerical_range_is_inclusive(a: float, b: float, x: float) -> None:
    low, high = sorted((a, b))
    question = Question("numerical", "Q", answers=(A("", 1.0, low=low, high=high),))
    qtype = get_type("numerical")
    assert qtype.grade(question, low).is_correct and qtype.grade(question, high).is_correct
    result = qtype.grade(question, x)
    if low <= x <= high:
        assert result.is_correct
    elif x < low - 1e-6 * max(1, abs(low)) or x > high + 1e-6 * max(1, abs(high)):
        assert result == Grade(0.0)


# -- matching -----------------------------------------------------------------------------

MATCHING = Question(
    "matching",
    "Match the capitals.",
    answers=(
        A("Korea", 1.0, match="Seoul"),
        A("Peru", 1.0, match="Lima"),
        A("Egypt", 1.0, match="Cairo"),
        A("Chile", 1.0, match="Santiago"),
        A("", 0.0, match="Lisbon"),
    ),
    general_feedback="Capitals!",
)


def test_matching_partial_credit() -> None:
    right = {"Korea": "Seoul", "Peru": "Lima", "Egypt": "Cairo", "Chile": "Santiago"}
    assert grade(MATCHING, right) == Grade(1.0, ("Capitals!",), True)
    assert grade(MATCHING, {**right, "Chile": "Lisbon"}).fraction == 0.75
    assert grade(MATCHING, {"Korea": "Seoul", "Peru": "Lima"}).fraction == 0.5
    assert grade(MATCHING, {"Korea": "Lima", "Peru": "Seoul"}).fraction == 0.0
    assert grade(MATCHING, {"Korea": "Seoul", "Peru": ""}).fraction == 0.25
    assert grade(MATCHING, None) == Grade(0.0, ("Capitals!",))
    assert get_type("matching").correct_response(MATCHING) == right


def test_matching_rejects_unknown_items() -> None:
    qtype = get_type("matching")
    for raw in ({"Japan": "Tokyo"}, {"Korea": "Tokyo"}, ["Seoul"], "Seoul"):
        with pytest.raises(ResponseError):
            qtype.normalise_response(MATCHING, raw)


def test_matching_validation() -> None:
    def problems(*answers: Answer) -> list[str]:
        return validate(Question("matching", "Q", answers=answers))

    assert problems(A("a", 1.0, match="1"), A("b", 1.0, match="1")) == []  # rights may repeat
    assert "at least 2 pairs" in problems(A("a", 1.0, match="1"), A("", 0.0, match="2"))[0]
    assert "twice" in problems(A("a", 1.0, match="1"), A("a", 1.0, match="2"))[0]
    assert "right-hand side" in problems(A("a", 1.0, match=""), A("b", 1.0, match="2"))[0]
    assert "'->'" in problems(A("a->b", 1.0, match="1"), A("b", 1.0, match="2"))[0]
    assert "no feedback" in problems(A("a", 1.0, "fb", match="1"), A("b", 1.0, match="2"))[0]


@given(st.integers(2, 8), st.data())
def test_matching_fraction_is_share_of_right_pairs(count: int, data: st.DataObject) -> None:
    answers = tuple(A(f"left {i}", 1.0, match=f"right {i}") for i in range(count))
    question = Question("matching", "Q", answers=answers)
    right = data.draw(st.sets(st.integers(0, count - 1)))
    response = {
        f"left {i}": f"right {i}" if i in right else f"right {(i + 1) % count}"
        for i in range(count)
    }
    result = grade(question, response)
    assert result.fraction == pytest.approx(len(right) / count)
    assert result.is_correct == (len(right) == count)


# -- essay and description ----------------------------------------------------------------


def test_essay_is_graded_by_hand() -> None:
    essay = Question("essay", "Why do cities flood?", general_feedback="Think drainage.")
    qtype = get_type("essay")
    assert qtype.normalise_response(essay, "Line 1\nLine 2") == "Line 1\nLine 2"
    assert qtype.normalise_response(essay, "  ") is None
    assert grade(essay, "Because.") == Grade(0.0, ("Think drainage.",), False, True)
    assert qtype.correct_response(essay) is None
    assert validate(essay) == []
    assert "has no answers" in validate(Question("essay", "Q", answers=(A("a", 1.0),)))[0]


def test_description_is_not_graded() -> None:
    description = Question("description", "Read the case study.")
    qtype = get_type("description")
    assert qtype.max_fraction == 0 and not qtype.is_auto_graded
    assert qtype.normalise_response(description, "anything") is None
    assert grade(description, None) == Grade(0.0)
    assert validate(description) == []
    assert "no general feedback" in validate(Question("description", "Q", general_feedback="x"))[0]


# -- properties over every type -----------------------------------------------------------

raw_response = st.one_of(
    st.none(),
    st.text(max_size=10),
    st.sampled_from(["0", "1", "2", "true", "F", "3,5", "-1", "1e3", "*"]),
    st.lists(st.sampled_from(["0", "1", "2", "3", "", "x"]), max_size=4),
    st.integers(-2, 5),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=3),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_question, raw_response)
def test_any_response_grades_within_0_and_1(question: Question, raw: object) -> None:
    qtype = get_type(question.type)
    try:
        response = qtype.normalise_response(question, raw)
    except ResponseError:
        return
    result = qtype.grade(question, response)
    assert 0.0 <= result.fraction <= 1.0
    if qtype.is_auto_graded:
        assert result.is_correct == (result.fraction == 1.0)
    else:
        assert not result.is_correct and result.fraction == 0.0
    assert result.needs_manual_grading == (question.type == "essay")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_question)
def test_the_correct_response_gets_full_credit(question: Question) -> None:
    qtype = get_type(question.type)
    if not qtype.is_auto_graded:
        assert qtype.correct_response(question) is None
        return
    result = qtype.grade(question, qtype.correct_response(question))
    assert result.fraction == 1.0 and result.is_correct
