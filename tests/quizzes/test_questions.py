"""Questions as values: equality, JSON storage, fingerprints and safe rendering."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from learning.quizzes.questions import (
    Answer,
    Question,
    render_question_text,
    render_text,
)
from tests.quizzes.test_roundtrip import HAND_MADE, any_question

A = Answer


def test_answers_are_a_tuple_and_numbers_floats() -> None:
    question = Question("single", "Q", answers=[A("a", 1), A("b", 0)])  # type: ignore[arg-type]
    assert question.answers == (A("a", 1.0), A("b", 0.0))
    assert isinstance(question.answers[0].fraction, float)
    assert hash(question) == hash(Question("single", "Q", answers=(A("a", 1.0), A("b", 0.0))))


def test_line_takes_no_part_in_equality() -> None:
    assert Question("essay", "Q", line=3) == Question("essay", "Q", line=9)


def test_to_dict_is_json_and_reversible() -> None:
    for question in HAND_MADE:
        data = json.loads(json.dumps(question.to_dict(), allow_nan=False))
        assert Question.from_dict(data) == question


def test_from_dict_fills_defaults_and_ignores_unknown_keys() -> None:
    question = Question.from_dict(
        {"type": "shortanswer", "text": "Q", "answers": [{"text": "a", "fraction": 1}], "new": 1}
    )
    assert question == Question("shortanswer", "Q", answers=(A("a", 1.0),))
    assert question.text_format == "moodle" and question.case_sensitive is False


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_question)
def test_dict_round_trip_and_stable_fingerprint(question: Question) -> None:
    data = json.loads(json.dumps(question.to_dict(), ensure_ascii=False))
    again = Question.from_dict(data)
    assert again == question
    assert again.fingerprint() == question.fingerprint()


def test_fingerprint() -> None:
    question = HAND_MADE[0]
    assert len(question.fingerprint()) == 64
    # Where a question is filed is not what it is ...
    moved = Question.from_dict({**question.to_dict(), "category": "Elsewhere", "line": 40})
    assert moved.fingerprint() == question.fingerprint()
    # ... but anything a learner sees or is graded on is.
    for change in (
        {"text": question.text + "!"},
        {"title": "Other"},
        {"text_format": "html"},
        {"general_feedback": ""},
        {"answers": [a.to_dict() for a in question.answers[:2]]},
        {"case_sensitive": True},
    ):
        changed = Question.from_dict({**question.to_dict(), **change})
        assert changed.fingerprint() != question.fingerprint(), change
    assert Question("essay", "Q").fingerprint() == Question("essay", "Q").fingerprint()


def test_render_formats_safely() -> None:
    assert render_text("**bold** <b>raw</b>", "markdown") == (
        "<p><strong>bold</strong> &lt;b&gt;raw&lt;/b&gt;</p>\n"
    )
    assert render_text('<p onclick="x">ok</p><script>alert(1)</script>', "html") == "<p>ok</p>"
    assert render_text("line 1\nline <b>2</b><script>x</script>", "moodle") == (
        "line 1<br>\nline <b>2</b>"
    )
    assert render_text("a < b\nc", "plain") == "<p>a &lt; b<br>\nc</p>"
    assert render_text("", "plain") == ""
    assert render_text("<img src=x onerror=alert(1)>", "html") == '<img src="x">'


def test_render_question_with_a_blank() -> None:
    question = Question(
        "missingword",
        "Grant is ",
        "markdown",
        answers=(A("buried", 0.0), A("entombed", 1.0)),
        missing_word_suffix=" in *Grant's* tomb. <script>",
    )
    assert render_question_text(question) == (
        "<p>Grant is _____ in <em>Grant's</em> tomb. &lt;script&gt;</p>\n"
    )
    select = '<select name="r"><option>buried</option></select>'
    assert select in render_question_text(question, blank=select)


def test_render_unicode() -> None:
    question = Question("description", "한국어 — Русский — العربية — café")
    assert render_question_text(question) == "한국어 — Русский — العربية — café"
