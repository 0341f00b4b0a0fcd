"""The GIFT parser against a hand-written corpus: every construct Moodle documents, its own
examples, Unicode, escapes, comments, categories, formats, and malformed files.

Decisions where this parser is stricter or kinder than Moodle's own (each has a case below):

- text before the first ``=``/``~`` (``{Paris}``) is an error, not a short answer;
- ``{=a =b ~c}`` (two right answers in a single choice) is an error: use ``~%50%`` weights;
- ``=%50%`` on a choice is an error (Moodle would make "%50%..." the answer text);
- a weight outside -100..100 or not a number is an error, not answer text;
- a second ``{`` or ``}`` is an error, not question text;
- ``{true}`` is accepted like ``{TRUE}``;
- a question right under its ``$CATEGORY:`` line (no blank line) is read as a question;
- an answer ``=%100%a -> b`` (weighted) is a short answer, not a matching pair: that is how
  the exporter writes a short answer containing ``->``;
- a matching question needs 2 pairs (Moodle's own GIFT examples have 2), ``= -> x`` adds an
  extra wrong choice;
- ``~#feedback`` in a numerical question is an answer ``*`` (any other number) worth 0.
"""

from __future__ import annotations

import pytest

from learning.quizzes.gift import GiftError, GiftProblem, parse_gift, to_gift
from learning.quizzes.questions import Answer, Question

A = Answer


def Q(type_: str, text: str, *answers: Answer, **fields: object) -> Question:
    return Question(type_, text, answers=answers, **fields)  # type: ignore[arg-type]


def TF(correct: bool, true_fb: str = "", false_fb: str = "") -> tuple[Answer, Answer]:
    return (
        A("true", 1.0 if correct else 0.0, true_fb),
        A("false", 0.0 if correct else 1.0, false_fb),
    )


def pairs(*items: tuple[str, str]) -> tuple[Answer, ...]:
    return tuple(A(left, 1.0 if left else 0.0, match=right) for left, right in items)


# (id, GIFT source, the one question it holds)
CORPUS: list[tuple[str, str, Question]] = [
    (
        "moodle-single-choice",
        "Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}",
        Q(
            "single",
            "Who's buried in Grant's tomb?",
            A("Grant", 0),
            A("Jefferson", 0),
            A("no one", 1),
        ),
    ),
    (
        "moodle-missing-word",
        "Grant is {~buried =entombed ~living} in Grant's tomb.",
        Q(
            "missingword",
            "Grant is ",
            A("buried", 0),
            A("entombed", 1),
            A("living", 0),
            missing_word_suffix=" in Grant's tomb.",
        ),
    ),
    (
        "missing-word-at-sentence-start",
        "{=Seoul ~Busan} is the capital of Korea.",
        Q(
            "missingword",
            "",
            A("Seoul", 1),
            A("Busan", 0),
            missing_word_suffix=" is the capital of Korea.",
        ),
    ),
    (
        "missing-word-answers-on-lines",
        "The American holiday of Thanksgiving is celebrated on the {\n"
        "    ~second\n    ~third\n    =fourth\n} Thursday of November.",
        Q(
            "missingword",
            "The American holiday of Thanksgiving is celebrated on the ",
            A("second", 0),
            A("third", 0),
            A("fourth", 1),
            missing_word_suffix=" Thursday of November.",
        ),
    ),
    (
        "single-answers-on-lines-indented",
        "Japanese characters originally came from what country? {\n"
        "    ~India\n    =China\n    ~Korea\n    ~Egypt}",
        Q(
            "single",
            "Japanese characters originally came from what country?",
            A("India", 0),
            A("China", 1),
            A("Korea", 0),
            A("Egypt", 0),
        ),
    ),
    (
        "single-feedback-on-own-lines",
        "::Grants tomb::Who is buried in Grant's tomb in New York City? {\n=Grant\n~No one\n"
        "#Was true for 12 years, but Grant's remains were buried in the tomb in 1897\n"
        "~Napoleon\n#He was buried in France\n~Churchill\n#He was buried in England\n"
        "~Mother Teresa\n#She was buried in India\n}",
        Q(
            "single",
            "Who is buried in Grant's tomb in New York City?",
            A("Grant", 1),
            A(
                "No one",
                0,
                "Was true for 12 years, but Grant's remains were buried in the tomb in 1897",
            ),
            A("Napoleon", 0, "He was buried in France"),
            A("Churchill", 0, "He was buried in England"),
            A("Mother Teresa", 0, "She was buried in India"),
            title="Grants tomb",
        ),
    ),
    (
        "single-feedback-inline-with-spaces",
        "::Q2:: What's between orange and green in the spectrum?\n"
        "{ =yellow # right; good! ~red # wrong, it's yellow ~blue # wrong, it's yellow }",
        Q(
            "single",
            "What's between orange and green in the spectrum?",
            A("yellow", 1, "right; good!"),
            A("red", 0, "wrong, it's yellow"),
            A("blue", 0, "wrong, it's yellow"),
            title="Q2",
        ),
    ),
    (
        "single-partial-credit-missing-word",
        "::Jesus' hometown::Jesus Christ was from {\n"
        "    ~Jerusalem#This was an important city, but the wrong answer.\n"
        "    ~%25%Bethlehem#He was born here, but not raised here.\n"
        "    ~%50%Galilee#You need to be more specific.\n"
        "    =Nazareth#Yes! That's right!\n}.",
        Q(
            "missingword",
            "Jesus Christ was from ",
            A("Jerusalem", 0, "This was an important city, but the wrong answer."),
            A("Bethlehem", 0.25, "He was born here, but not raised here."),
            A("Galilee", 0.5, "You need to be more specific."),
            A("Nazareth", 1, "Yes! That's right!"),
            title="Jesus' hometown",
            missing_word_suffix=".",
        ),
    ),
    (
        "single-negative-weight",
        "Pick the safe option {=Wait ~%-50%Run the red light ~Honk}",
        Q(
            "single",
            "Pick the safe option",
            A("Wait", 1),
            A("Run the red light", -0.5),
            A("Honk", 0),
        ),
    ),
    (
        "single-redundant-100-weight-on-right-answer",
        "Q {=%100%yes ~no}",
        Q("single", "Q", A("yes", 1), A("no", 0)),
    ),
    (
        "multiple-response-weights",
        "What two people are entombed in Grant's tomb? {\n   ~%-100%No one\n   ~%50%Grant\n"
        "   ~%50%Grant's wife\n   ~%-100%Grant's father\n}",
        Q(
            "multiple",
            "What two people are entombed in Grant's tomb?",
            A("No one", -1),
            A("Grant", 0.5),
            A("Grant's wife", 0.5),
            A("Grant's father", -1),
        ),
    ),
    (
        "multiple-response-thirds-and-feedback",
        "Which are prime? {~%33.33333%2#yes ~%33.33333%3#yes ~%33.33333%5 ~%-100%4#no, 2x2}",
        Q(
            "multiple",
            "Which are prime?",
            A("2", 0.3333333, "yes"),
            A("3", 0.3333333, "yes"),
            A("5", 0.3333333),
            A("4", -1, "no, 2x2"),
        ),
    ),
    (
        "truefalse-T",
        "The sun rises in the east.{T}",
        Q("truefalse", "The sun rises in the east.", *TF(True)),
    ),
    (
        "truefalse-F",
        "Grant is buried in Grant's tomb.{F}",
        Q("truefalse", "Grant is buried in Grant's tomb.", *TF(False)),
    ),
    ("truefalse-TRUE", "::Q1:: 1+1=2 {TRUE}", Q("truefalse", "1+1=2", *TF(True), title="Q1")),
    (
        "truefalse-FALSE",
        "Water boils at 50 °C.{FALSE}",
        Q("truefalse", "Water boils at 50 °C.", *TF(False)),
    ),
    (
        "truefalse-lowercase",
        "Seoul is in Korea. {true}",
        Q("truefalse", "Seoul is in Korea.", *TF(True)),
    ),
    (
        "truefalse-two-feedbacks",
        "Grant is buried in Grant's tomb.{FALSE#No one is buried there.#Right: nobody.}",
        Q(
            "truefalse",
            "Grant is buried in Grant's tomb.",
            *TF(False, "No one is buried there.", "Right: nobody."),
        ),
    ),
    (
        "truefalse-true-with-feedbacks",
        "The earth is round.{T#Look at a photo from space.#Indeed.}",
        Q("truefalse", "The earth is round.", *TF(True, "Indeed.", "Look at a photo from space.")),
    ),
    (
        "truefalse-only-right-feedback-and-general",
        "Paris is in France.{TRUE##Yes.####Geography matters.}",
        Q(
            "truefalse",
            "Paris is in France.",
            *TF(True, "Yes."),
            general_feedback="Geography matters.",
        ),
    ),
    (
        "shortanswer-several",
        "Who's buried in Grant's tomb?{=Grant =Ulysses S. Grant =Ulysses Grant}",
        Q(
            "shortanswer",
            "Who's buried in Grant's tomb?",
            A("Grant", 1),
            A("Ulysses S. Grant", 1),
            A("Ulysses Grant", 1),
        ),
    ),
    (
        "shortanswer-missing-word",
        "Two plus two equals {=four =4}.",
        Q(
            "shortanswer",
            "Two plus two equals ",
            A("four", 1),
            A("4", 1),
            missing_word_suffix=".",
        ),
    ),
    (
        "shortanswer-fill-in-the-middle",
        "::Q3:: Two plus {=two =2} equals four.",
        Q(
            "shortanswer",
            "Two plus ",
            A("two", 1),
            A("2", 1),
            title="Q3",
            missing_word_suffix=" equals four.",
        ),
    ),
    (
        "shortanswer-weights-and-feedback",
        "::Jesus' hometown:: Jesus Christ was from {\n    =Nazareth#Yes! That's right!\n"
        "    =%75%Nazereth#Right, but misspelled.\n"
        "    =%25%Bethlehem#He was born here, but not raised here.\n}",
        Q(
            "shortanswer",
            "Jesus Christ was from",
            A("Nazareth", 1, "Yes! That's right!"),
            A("Nazereth", 0.75, "Right, but misspelled."),
            A("Bethlehem", 0.25, "He was born here, but not raised here."),
            title="Jesus' hometown",
        ),
    ),
    (
        "shortanswer-wildcard-catch-all",
        "Capital of Japan? {=Tokyo =%0%*#Think of the largest city.}",
        Q(
            "shortanswer",
            "Capital of Japan?",
            A("Tokyo", 1),
            A("*", 0, "Think of the largest city."),
        ),
    ),
    (
        "numerical-tolerance",
        "When was Ulysses S. Grant born?{#1822:5}",
        Q("numerical", "When was Ulysses S. Grant born?", A("1822", 1, tolerance=5)),
    ),
    (
        "numerical-exact",
        "How many sides has a hexagon? {#6}",
        Q("numerical", "How many sides has a hexagon?", A("6", 1)),
    ),
    (
        "numerical-range",
        "::Q6:: What is a number from 1 to 5? {#1..5}",
        Q("numerical", "What is a number from 1 to 5?", A("", 1, low=1, high=5), title="Q6"),
    ),
    (
        "numerical-range-missing-word",
        "What is the value of pi (to 3 decimal places)? {#3.141..3.142}.",
        Q(
            "numerical",
            "What is the value of pi (to 3 decimal places)? ",
            A("", 1, low=3.141, high=3.142),
            missing_word_suffix=".",
        ),
    ),
    (
        "numerical-several-answers",
        "When was Ulysses S. Grant born? {#\n    =1822:0      # Correct! 100% credit\n"
        "    =%50%1822:2  # He was born in 1822. You get 50% credit for being close.\n}",
        Q(
            "numerical",
            "When was Ulysses S. Grant born?",
            A("1822", 1, "Correct! 100% credit"),
            A("1822", 0.5, "He was born in 1822. You get 50% credit for being close.", tolerance=2),
        ),
    ),
    (
        "numerical-value-and-range-answers",
        "Give 1.5 {#=1.5:0.1#fb =%50%1..2}",
        Q("numerical", "Give 1.5", A("1.5", 1, "fb", tolerance=0.1), A("", 0.5, low=1, high=2)),
    ),
    (
        "numerical-any-other-feedback",
        "Temperature of boiling water in °C? {#=100:1#Good ~#Not at sea level!}",
        Q(
            "numerical",
            "Temperature of boiling water in °C?",
            A("100", 1, "Good", tolerance=1),
            A("*", 0, "Not at sea level!"),
        ),
    ),
    (
        "numerical-negative-exponent-and-bare-first",
        "Energy? {#-1.5e3:10 =%50%-1600..-1400}",
        Q("numerical", "Energy?", A("-1.5e3", 1, tolerance=10), A("", 0.5, low=-1600, high=-1400)),
    ),
    (
        "numerical-general-feedback",
        "::Q5:: What is a number from 1 to 5? {#3:2####Any of 1, 2, 3, 4, 5.}",
        Q(
            "numerical",
            "What is a number from 1 to 5?",
            A("3", 1, tolerance=2),
            title="Q5",
            general_feedback="Any of 1, 2, 3, 4, 5.",
        ),
    ),
    (
        "matching-capitals-general-feedback",
        "Match the following countries with their corresponding capitals. {\n"
        "    =Canada -> Ottawa\n    =Italy  -> Rome\n    =Japan  -> Tokyo\n"
        "    =India  -> New Delhi\n    ####It's good to know the capitals\n    }",
        Q(
            "matching",
            "Match the following countries with their corresponding capitals.",
            *pairs(
                ("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo"), ("India", "New Delhi")
            ),
            general_feedback="It's good to know the capitals",
        ),
    ),
    (
        "matching-two-pairs-one-line",
        "::Q4:: Which animal eats which food? { =cat -> cat food =dog -> dog food }",
        Q(
            "matching",
            "Which animal eats which food?",
            *pairs(("cat", "cat food"), ("dog", "dog food")),
            title="Q4",
        ),
    ),
    (
        "matching-extra-choice",
        "Capitals {=Korea -> Seoul =Peru -> Lima = -> Lisbon}",
        Q("matching", "Capitals", *pairs(("Korea", "Seoul"), ("Peru", "Lima"), ("", "Lisbon"))),
    ),
    (
        "matching-no-spaces-and-escapes",
        "Symbols {=\\#->hash =\\=->equals =a \\-> b->arrow}",
        Q("matching", "Symbols", *pairs(("#", "hash"), ("=", "equals"), ("a \\", "b->arrow"))),
    ),
    (
        "essay",
        "Write a short biography of Dag Hammarskjöld. {}",
        Q("essay", "Write a short biography of Dag Hammarskjöld."),
    ),
    (
        "essay-general-feedback",
        "::Essay::Why do cities flood?{\n####Look at drainage and paving.\n}",
        Q(
            "essay",
            "Why do cities flood?",
            title="Essay",
            general_feedback="Look at drainage and paving.",
        ),
    ),
    (
        "description",
        "You can use your pencil and paper for these next math questions.",
        Q("description", "You can use your pencil and paper for these next math questions."),
    ),
    (
        "description-multi-line-with-title",
        "::Intro::Read the case study below.\nThen answer the questions.",
        Q(
            "description",
            "Read the case study below.\nThen answer the questions.",
            title="Intro",
        ),
    ),
    (
        "multi-line-question-text",
        "Line one\nline two\n  line three{T}",
        Q("truefalse", "Line one\nline two\n  line three", *TF(True)),
    ),
    (
        "title-then-text-on-next-line",
        "::Budget::\nWhat share of the budget goes to transport?{#25:5}",
        Q(
            "numerical",
            "What share of the budget goes to transport?",
            A("25", 1, tolerance=5),
            title="Budget",
        ),
    ),
    (
        "title-with-escaped-colon",
        "::Ratio 1\\:2 \\:: ok::Simplify 2\\:4 {=1\\:2 =%50%2\\:4}",
        Q("shortanswer", "Simplify 2:4", A("1:2", 1), A("2:4", 0.5), title="Ratio 1:2 :: ok"),
    ),
    (
        "comments-everywhere",
        "// a comment before\n  // an indented one\n::C::Question {\n// inside the answers\n"
        "=right\n   // between answers\n~wrong\n}",
        Q("single", "Question", A("right", 1), A("wrong", 0), title="C"),
    ),
    (
        "slashes-inside-text-are-text",
        "See https://example.org // not a comment {T}",
        Q("truefalse", "See https://example.org // not a comment", *TF(True)),
    ),
    (
        "format-markdown",
        "[markdown]The *American holiday of Thanksgiving* is celebrated on the {~second ~third =fourth} Thursday of November.",
        Q(
            "missingword",
            "The *American holiday of Thanksgiving* is celebrated on the ",
            A("second", 0),
            A("third", 0),
            A("fourth", 1),
            text_format="markdown",
            missing_word_suffix=" Thursday of November.",
        ),
    ),
    (
        "format-html-after-title",
        "::H::[html]<p>Is <b>this</b> bold?</p>{T}",
        Q("truefalse", "<p>Is <b>this</b> bold?</p>", *TF(True), text_format="html", title="H"),
    ),
    ("format-plain", "[plain] 2 < 3 {T}", Q("truefalse", "2 < 3", *TF(True), text_format="plain")),
    ("format-moodle", "[moodle]Hello{T}", Q("truefalse", "Hello", *TF(True))),
    (
        "unknown-format-stays-in-text",
        "[latex]$x^2$ is positive {T}",
        Q("truefalse", "[latex]$x^2$ is positive", *TF(True)),
    ),
    (
        "format-markers-on-answers-and-feedback",
        "[html]<p>Pick</p>{=[html]<b>bold</b>#[html]<i>yes</i> ~[plain]plain####[html]<u>gf</u>}",
        Q(
            "single",
            "<p>Pick</p>",
            A("<b>bold</b>", 1, "<i>yes</i>"),
            A("plain", 0),
            text_format="html",
            general_feedback="<u>gf</u>",
        ),
    ),
    (
        "escapes-in-question-text",
        "Escapes \\~ \\= \\# \\{ \\} \\: \\\\ and a\\nbreak{T}",
        Q("truefalse", "Escapes ~ = # { } : \\ and a\nbreak", *TF(True)),
    ),
    (
        "escapes-in-answers-and-feedback",
        "Which answer equals 5? {\n ~ \\= 2 + 2\n = \\= 2 + 3#\\{right\\}\n ~ \\= 2 + 4#\\#4 \\~ no }",
        Q(
            "single",
            "Which answer equals 5?",
            A("= 2 + 2", 0),
            A("= 2 + 3", 1, "{right}"),
            A("= 2 + 4", 0, "#4 ~ no"),
        ),
    ),
    (
        "backslash-before-n-and-unknown-escapes",
        "LaTeX \\(x\\) and C:\\\\new and \\\\n{T}",
        Q("truefalse", "LaTeX \\(x\\) and C:\\new and \\n", *TF(True)),
    ),
    (
        "escaped-newline-at-edges-survives",
        "Question{=a#\\nfeedback\\n}",
        Q("shortanswer", "Question", A("a", 1, "\nfeedback\n")),
    ),
    (
        "general-feedback-after-empty-answer-feedback",
        "Q {=a#####General}",
        Q("shortanswer", "Q", A("a", 1), general_feedback="General"),
    ),
    (
        "feedback-everywhere",
        "::F::Pick {=a#fa ~b#fb ~c#fc ####all}",
        Q(
            "single",
            "Pick",
            A("a", 1, "fa"),
            A("b", 0, "fb"),
            A("c", 0, "fc"),
            title="F",
            general_feedback="all",
        ),
    ),
    (
        "korean",
        "::수도::대한민국의 수도는 어디입니까? {=서울#맞습니다! ~부산#아닙니다 ~인천}",
        Q(
            "single",
            "대한민국의 수도는 어디입니까?",
            A("서울", 1, "맞습니다!"),
            A("부산", 0, "아닙니다"),
            A("인천", 0),
            title="수도",
        ),
    ),
    (
        "cyrillic",
        "::Столица::Столица России — {=Москва =москва}.",
        Q(
            "shortanswer",
            "Столица России — ",
            A("Москва", 1),
            A("москва", 1),
            title="Столица",
            missing_word_suffix=".",
        ),
    ),
    (
        "arabic",
        "ما هي عاصمة مصر؟ {=القاهرة#صحيح ~الإسكندرية ####سؤال جغرافيا}",
        Q(
            "single",
            "ما هي عاصمة مصر؟",
            A("القاهرة", 1, "صحيح"),
            A("الإسكندرية", 0),
            general_feedback="سؤال جغرافيا",
        ),
    ),
    (
        "accents-and-emoji",
        "::Café::Où est la gare ? Ça va 🚉 {=Là-bas =%50%à droite}",
        Q(
            "shortanswer",
            "Où est la gare ? Ça va 🚉",
            A("Là-bas", 1),
            A("à droite", 0.5),
            title="Café",
        ),
    ),
]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS]
)
def test_corpus(source: str, expected: Question) -> None:
    assert parse_gift(source) == [expected]


@pytest.mark.parametrize(
    ("source", "expected"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS]
)
def test_corpus_round_trips(source: str, expected: Question) -> None:
    assert parse_gift(to_gift([expected])) == [expected]


def test_corpus_is_broad() -> None:
    assert len(CORPUS) >= 40
    assert {question.type for _, _, question in CORPUS} == {
        "single",
        "multiple",
        "truefalse",
        "shortanswer",
        "numerical",
        "matching",
        "missingword",
        "essay",
        "description",
    }


def test_whole_file_in_one_go_with_lines_and_categories() -> None:
    source = "\n".join(CORPUS_FILE)
    questions = parse_gift(source, default_category="Imported")
    assert [(q.line, q.type, q.category) for q in questions] == [
        (2, "description", "Imported"),
        (6, "single", "$course$/top/Transport"),
        (11, "truefalse", "$course$/top/Transport"),
        (14, "numerical", "Water"),
        (18, "matching", ""),
    ]
    assert parse_gift(to_gift(questions), default_category="Imported") == questions


CORPUS_FILE = [
    "// Exported for the transport course",  # 1
    "Read the questions carefully.",  # 2
    "",  # 3
    "$CATEGORY: $course$/top/Transport",  # 4
    "",  # 5
    "::Bus::Which lane? {",  # 6
    "=bus lane",  # 7
    "~car lane",  # 8
    "}",  # 9
    "   \t ",  # 10: only spaces: still a blank line
    "Trams run on rails.{T}",  # 11
    "",  # 12
    "$CATEGORY: Water",  # 13: a question right under its category line
    "Litres per person per day? {#150:50}",  # 14
    "",  # 15
    "$CATEGORY:",  # 16: back to the top
    "",  # 17
    "Pairs {=a -> 1 =b -> 2}",  # 18
]


def test_windows_line_endings_and_bom() -> None:
    source = "\ufeff// c\r\n::T::Line one\r\nline two{\r\n=yes\r\n~no\r\n}\r\n\r\nNext{F}\r\n"
    questions = parse_gift(source)
    assert questions == [
        Q("single", "Line one\nline two", A("yes", 1), A("no", 0), title="T"),
        Q("truefalse", "Next", *TF(False)),
    ]
    assert [q.line for q in questions] == [2, 8]


def test_old_mac_line_endings() -> None:
    assert parse_gift("A{T}\r\rB{F}") == [
        Q("truefalse", "A", *TF(True)),
        Q("truefalse", "B", *TF(False)),
    ]


def test_empty_file_and_comments_only() -> None:
    assert parse_gift("") == []
    assert parse_gift("// nothing\n\n   \n// at all\n") == []


def test_default_category() -> None:
    [question] = parse_gift("Q{T}", default_category="Bank/Unit 1")
    assert question.category == "Bank/Unit 1"


def test_category_escapes_and_spaces() -> None:
    [question] = parse_gift("$CATEGORY:   Top/Sub\\: part  \n\nQ{T}")
    assert question.category == "Top/Sub: part"


def test_an_escaped_line_break_after_the_answers_is_no_blank() -> None:
    [question] = parse_gift("Q {=a ~b}\\n")
    assert question.type == "single" and question.missing_word_suffix == ""


def test_questions_separated_by_several_blank_lines() -> None:
    assert len(parse_gift("A{T}\n\n\n\n\nB{F}\n\n")) == 2


# -- malformed input ----------------------------------------------------------------------

GOOD = "Good question{T}\n\n"  # lines 1-2: shows that a valid question is not imported either

# (id, source after GOOD, [(line, message fragment)], offending text fragment)
MALFORMED: list[tuple[str, str, list[tuple[int, str]], str]] = [
    ("unclosed-brace", "Unclosed {=a ~b", [(3, "never closed")], "{=a ~b"),
    ("unclosed-brace-multi-line", "Q {\n=a\n~b\n", [(3, "never closed")], "{"),
    ("stray-closing-brace", "Stray } brace {T}", [(3, "'}' without '{'")], "} brace"),
    ("closing-brace-only", "Only }", [(3, "'}' without '{'")], "}"),
    ("second-answer-block", "After {T} and {F}", [(3, "one answer block")], "{F}"),
    ("stray-brace-after", "After {T} and }", [(3, "one answer block")], "}"),
    ("nested-brace", "Nested {=a {b} ~c}", [(3, "inside the answers")], "{b"),
    ("unknown-answer-marker", "Marker {+right -wrong}", [(3, "unknown answer")], "+right -wrong"),
    ("answer-without-marker", "Capital? {Paris}", [(3, "unknown answer")], "Paris"),
    ("text-before-first-answer", "Q {oops =a ~b}", [(3, "text before the first answer")], "oops"),
    ("weight-over-100", "Weight {~%150%a =b}", [(3, "outside -100%..100%")], "~%150%a"),
    ("weight-under-minus-100", "Q {~%-101%a =b}", [(3, "outside -100%..100%")], "~%-101%a"),
    ("weight-over-100-shortanswer", "Q {=%200%a}", [(3, "outside -100%..100%")], "=%200%a"),
    ("malformed-weight", "Q {~%5o%a =b}", [(3, "malformed weight")], "~%5o%a"),
    ("weight-on-right-choice", "Q {=%50%a ~b}", [(3, "takes no weight")], "=%50%a"),
    ("two-right-answers", "Q {=a =b ~c}", [(3, "exactly one right")], "Q {=a =b ~c}"),
    ("empty-answer", "Q {=a ~ ~c}", [(3, "empty answer")], "~"),
    ("one-choice-only", "Q {~%100%a}", [(3, "at least 2 answers")], "Q {~%100%a}"),
    ("multiple-weights-below-100", "Q {~%50%a ~%20%b}", [(3, "add up to 70 %")], "Q {"),
    ("multiple-weights-above-100", "Q {~%60%a ~%60%b}", [(3, "add up to 120 %")], "Q {"),
    ("multiple-without-weights", "Q {~a ~b}", [(3, "add up to 0 %")], "Q {"),
    ("numerical-not-a-number", "Num {#abc}", [(3, "not a number")], "abc"),
    ("numerical-bad-tolerance", "Num {#5:x}", [(3, "not a number")], "5:x"),
    ("numerical-comma", "Num {#3,5}", [(3, "not a number")], "3,5"),
    ("numerical-empty", "Num {#}", [(3, "needs an answer")], "#"),
    ("numerical-empty-range", "Num {#5..1}", [(3, "is empty")], "5..1"),
    ("numerical-negative-tolerance", "Num {#5:-1}", [(3, "negative")], "5:-1"),
    ("numerical-text-after-tilde", "Num {#=5 ~3#no}", [(3, "only gives the feedback")], "~3#no"),
    ("numerical-two-catch-alls", "Num {#=5 ~#a ~#b}", [(3, "only one answer may be '*'")], "Num"),
    ("numerical-negative-weight", "Num {#=5 =%-50%6}", [(3, "cannot be negative")], "Num"),
    ("matching-one-pair", "Match {=a -> b}", [(3, "at least 2 pairs")], "=a -> b"),
    ("matching-mixed-answers", "Mixed {=a -> 1 =b -> 2 =c}", [(3, "mixed '=' and '->'")], "=c"),
    (
        "matching-weighted-pair",
        "M {=a -> 1 =%50%b -> 2 =c -> 3}",
        [(3, "mixed '=' and '->'")],
        "=%50%b -> 2",
    ),
    ("matching-feedback", "M {=a -> b#x =c -> d}", [(3, "no feedback")], "=a -> b#x"),
    ("matching-empty-right", "M {=a -> =c -> d =e -> f}", [(3, "nothing after '->'")], "=a ->"),
    ("matching-duplicate-left", "M {=a -> 1 =a -> 2}", [(3, "appears twice")], "M {"),
    ("empty-title-marker", "::::Question {T}", [(3, "empty title")], "::::"),
    ("blank-title-marker", ":: ::Question {T}", [(3, "empty title")], ":: ::"),
    ("unclosed-title", "::Title Question {T}", [(3, "title is not closed")], "::Title"),
    ("truefalse-three-feedbacks", "TF {T#a#b#c}", [(3, "two feedbacks at most")], "#c"),
    ("shortanswer-negative-weight", "S {=%-50%a =b}", [(3, "cannot be negative")], "S {"),
    ("shortanswer-no-full-credit", "S {=%50%a}", [(3, "worth 100 %")], "S {"),
    ("no-question-text", "::Title::{T}", [(3, "no text")], "::Title::{T}"),
    ("only-a-title", "::Title::", [(3, "no text")], "::Title::"),
    ("duplicate-choice", "Q {=a ~a}", [(3, "given twice")], "Q {"),
]


@pytest.mark.parametrize(
    ("source", "expected", "fragment"),
    [c[1:] for c in MALFORMED],
    ids=[c[0] for c in MALFORMED],
)
def test_malformed(source: str, expected: list[tuple[int, str]], fragment: str) -> None:
    with pytest.raises(GiftError) as caught:
        parse_gift(GOOD + source)
    problems = caught.value.problems
    assert [problem.line for problem in problems] == [line for line, _ in expected]
    for problem, (_, message) in zip(problems, expected, strict=True):
        assert message in problem.message
    assert fragment in problems[0].text


def test_malformed_corpus_is_broad() -> None:
    assert len(MALFORMED) >= 20


def test_every_problem_of_a_file_is_listed_with_its_line() -> None:
    source = "\n".join(
        [
            "OK {T}",  # 1
            "",  # 2
            "Bad weight {",  # 3
            "  =right",  # 4
            "  ~%150%wrong",  # 5
            "  ~%abc5%also",  # 6
            "}",  # 7
            "",  # 8
            "::::Empty title {T}",  # 9
            "",  # 10
            "// comment",  # 11
            "Still fine {#3}",  # 12
            "",  # 13
            "Unclosed {=a",  # 14
            "",  # 15
            "Pairs {=a -> b}",  # 16
        ]
    )
    with pytest.raises(GiftError) as caught:
        parse_gift(source)
    problems = caught.value.problems
    assert [p.line for p in problems] == [5, 6, 9, 14, 16]
    assert problems[0] == GiftProblem(5, "~%150%wrong", "weight 150% is outside -100%..100%")
    assert "line 5: weight 150% is outside -100%..100%: ~%150%wrong" in str(caught.value)


def test_problem_text_is_the_source_as_written() -> None:
    with pytest.raises(GiftError) as caught:
        parse_gift("Q {=\\{a\\} ~%150%\\=b}")
    assert caught.value.problems[0].text == "~%150%\\=b"


def test_unicode_survives_in_problems() -> None:
    with pytest.raises(GiftError) as caught:
        parse_gift("질문 {#하나}")
    assert caught.value.problems[0].text == "하나"


def test_a_long_offending_text_is_shortened() -> None:
    with pytest.raises(GiftError) as caught:
        parse_gift("Q {#" + "x" * 500 + "}")
    assert len(caught.value.problems[0].text) <= 100


MOODLE_EXPORT = """\
// question: 0  name: Switch category to $course$/top/Default for Urban planning
$CATEGORY: $course$/top/Default for Urban planning


// question: 101  name: Density
::Density::[html]<p dir\\="ltr" style\\="text-align\\: left;">People per km²?<br></p>{#
\t=%100%16000\\:500#
\t=%50%16000\\:2000#<p>Close.</p>
\t~#<p>Far off.</p>
\t####<p>Seoul has about 16 000.</p>
}


// question: 102  name: Transit
::Transit::[html]<p>Which are public transport?</p>{
\t~%50%Bus#
\t~%50%Tram#
\t~%-100%Private car#<p>No.</p>
}


// question: 103  name: Capital
::Capital::[html]<p>Capital of Korea?</p>{
\t=%100%Seoul#<p>Yes.</p>
\t=%50%서울#
}


// question: 104  name: Rivers
::Rivers::[html]<p>Match.</p>{
\t=<p>Seoul</p> -> Han
\t=<p>Cairo</p> -> Nile
\t####<p>Rivers shape cities.</p>
}


// question: 105  name: Flat
::Flat::[html]<p>The Netherlands is flat.</p>{TRUE#<p>Look again.</p>#<p>Mostly.</p>}


// question: 106  name: Reflect
::Reflect::[html]<p>Describe your city.</p>{}


// question: 107  name: Intro
::Intro::[html]<p>Part 2</p>
"""


def test_moodle_export_reads() -> None:
    questions = parse_gift(MOODLE_EXPORT)
    assert [q.type for q in questions] == [
        "numerical",
        "multiple",
        "shortanswer",
        "matching",
        "truefalse",
        "essay",
        "description",
    ]
    assert {q.category for q in questions} == {"$course$/top/Default for Urban planning"}
    assert {q.text_format for q in questions} == {"html"}
    density = questions[0]
    assert density.text == '<p dir="ltr" style="text-align: left;">People per km²?<br></p>'
    assert density.answers == (
        A("16000", 1.0, tolerance=500),
        A("16000", 0.5, "<p>Close.</p>", tolerance=2000),
        A("*", 0.0, "<p>Far off.</p>"),
    )
    assert questions[2].answers == (A("Seoul", 1.0, "<p>Yes.</p>"), A("서울", 0.5))
    assert questions[3].answers == pairs(("<p>Seoul</p>", "Han"), ("<p>Cairo</p>", "Nile"))
    assert questions[4].answers == TF(True, "<p>Mostly.</p>", "<p>Look again.</p>")
    assert parse_gift(to_gift(questions)) == questions


def test_case_sensitive_short_answer_travels_as_a_moodle_tag() -> None:
    question = Q("shortanswer", "Symbol of sodium?", A("Na", 1.0), case_sensitive=True)
    out = to_gift([question])
    assert out.startswith("// [tag:case-sensitive]\n")
    assert parse_gift(out) == [question]
    assert parse_gift("// [tag:Case-Sensitive] [tag:chemistry]\nQ {=Na}")[0].case_sensitive
    assert not parse_gift("// [tag:chemistry]\nQ {=Na}")[0].case_sensitive
