"""Quiz services with an explicit clock: bank, versions, attempts, timing, grading, results."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.core.db import utcnow
from learning.core.errors import Conflict, ValidationError
from learning.courses import services as courses
from learning.quizzes import gift, services
from learning.quizzes.models import AttemptAnswer, Question, QuizAttempt
from tests.factories import create_course, create_run, create_user, enrol

GIFT = """\
$CATEGORY: Basics

::Capital::What is the capital of Kenya? {=Nairobi#Right. ~Mombasa#A port city. ~Kisumu}

::Cities::Which of these are cities? {~%50%Seoul ~%50%Abuja ~%-100%Africa}

::Sky::The sky is green. {F#Blue, usually.}

::Pi::Pi to two decimals? {#3.14:0.005}

::Essay::Describe your city's smart city plan. {}
"""


@pytest.fixture
def quiz_setup(db):
    course = create_course(modules=[[("reading", False), ("quiz", False)]])
    run = create_run(course)
    learner = create_user()
    enrolment = enrol(learner, run)
    item = course.modules[0].items[1]
    now = utcnow()
    services.import_gift(None, course, GIFT, now=now)
    quiz = services.ensure_quiz(item, now=now)
    questions = services.bank(course)
    services.set_slots(quiz, [("question", q.id, 1) for q in questions[:4]])
    return course, run, enrolment, item, quiz, questions


def _answers(attempt):
    by_title = {}
    for entry in attempt.layout:
        version = services._versions([entry["version_id"]])[entry["version_id"]]
        by_title[version.title] = entry["slot"]
    return by_title


def test_import_and_export_round_trip(quiz_setup):
    course, *_ = quiz_setup
    exported = services.export_gift(course)
    assert "$CATEGORY: Basics" in exported
    again = gift.parse_gift(exported)
    assert [q.title for q in again] == ["Capital", "Cities", "Sky", "Pi", "Essay"]
    assert [c.path for c in services.categories(course)] == ["Basics"]


def test_a_bad_gift_file_imports_nothing(quiz_setup, db):
    course, *_ = quiz_setup
    before = db.session.scalar(select(func.count(Question.id)))
    with pytest.raises(gift.GiftError) as error:
        services.import_gift(
            None, course, "::Ok::Fine? {T}\n\n::Broken::Unclosed {=a ~b\n", now=utcnow()
        )
    assert error.value.problems and error.value.problems[0].line == 3
    assert db.session.scalar(select(func.count(Question.id))) == before


def test_editing_makes_a_new_version_and_past_attempts_keep_theirs(quiz_setup):
    _course, _run, enrolment, _item, quiz, questions = quiz_setup
    attempt = services.start_attempt(enrolment, quiz, now=utcnow())
    old_version = attempt.layout[0]["version_id"]
    question = next(
        q for q in questions if q.id == services._versions([old_version])[old_version].question_id
    )
    data = services.question_data(question.current)
    from dataclasses import replace

    assert services.edit_question(None, question, replace(data, text="Changed text?"), now=utcnow())
    assert question.current.number == 2
    shown = services.attempt_questions(attempt, reveal=False)
    assert shown[0].data.text != "Changed text?"
    assert not services.edit_question(
        None, question, replace(data, text="Changed text?"), now=utcnow()
    )


def test_attempt_lifecycle_grades_on_the_server(quiz_setup):
    _course, _run, enrolment, item, quiz, questions = quiz_setup
    now = utcnow()
    attempt = services.start_attempt(enrolment, quiz, now=now)
    slots = _answers(attempt)
    capital = services.question_data(
        next(q for q in questions if q.current.title == "Capital").current
    )
    nairobi = next(i for i, a in enumerate(capital.answers) if a.text == "Nairobi")
    services.save_answer(attempt, slots["Capital"], str(nairobi), now=now)
    services.save_answer(attempt, slots["Cities"], ["0", "1"], now=now)
    services.save_answer(attempt, slots["Sky"], "false", now=now)
    services.save_answer(attempt, slots["Pi"], "3,14", now=now)
    services.submit_attempt(attempt, now=now)
    assert attempt.state == "graded" and attempt.score == pytest.approx(1.0) and attempt.is_passed
    # Passing completes the quiz item in the course progress.
    assert item.id in courses.completed_item_ids(enrolment)


def test_double_submit_grades_once_and_answers_freeze(quiz_setup, db):
    *_, enrolment, _item, quiz, _questions = quiz_setup
    now = utcnow()
    attempt = services.start_attempt(enrolment, quiz, now=now)
    services.submit_attempt(attempt, now=now)
    graded_at = attempt.graded_at
    services.submit_attempt(attempt, now=now + timedelta(minutes=1))
    assert attempt.graded_at == graded_at
    count = db.session.scalar(
        select(func.count(AttemptAnswer.id)).where(AttemptAnswer.attempt_id == attempt.id)
    )
    assert count == 4
    with pytest.raises(Conflict):
        services.save_answer(attempt, 0, "x", now=now)


def test_starting_twice_returns_the_open_attempt(quiz_setup):
    *_, enrolment, _item, quiz, _questions = quiz_setup
    first = services.start_attempt(enrolment, quiz, now=utcnow())
    assert services.start_attempt(enrolment, quiz, now=utcnow()).id == first.id


def test_layout_is_fixed_per_attempt(quiz_setup):
    *_, enrolment, _item, quiz, _questions = quiz_setup
    quiz.shuffle_questions = True
    attempt = services.start_attempt(enrolment, quiz, now=utcnow(), rng=random.Random(7))
    first = [q.data.title for q in services.attempt_questions(attempt, reveal=False)]
    second = [q.data.title for q in services.attempt_questions(attempt, reveal=False)]
    assert first == second and sorted(first) == ["Capital", "Cities", "Pi", "Sky"]


def test_random_questions_are_drawn_from_a_category(quiz_setup):
    course, _run, enrolment, _item, quiz, _questions = quiz_setup
    basics = services.categories(course)[0]
    services.set_slots(quiz, [("category", basics.id, 3)])
    attempt = services.start_attempt(enrolment, quiz, now=utcnow(), rng=random.Random(1))
    titles = [q.data.title for q in services.attempt_questions(attempt, reveal=False)]
    assert len(titles) == 3 and len(set(titles)) == 3


def test_time_limit_is_enforced_by_the_server(quiz_setup):
    *_, enrolment, _item, quiz, _questions = quiz_setup
    quiz.time_limit_seconds = 600
    start = utcnow()
    attempt = services.start_attempt(enrolment, quiz, now=start)
    assert attempt.deadline_at == start + timedelta(seconds=600)
    services.save_answer(attempt, 0, "0", now=start + timedelta(seconds=610))  # within the grace
    with pytest.raises(Conflict) as error:
        services.save_answer(attempt, 0, "1", now=start + timedelta(seconds=700))
    assert error.value.code == "time_up"
    # Left open: submitted with what was saved, lazily or by the periodic task.
    assert services.close_overdue_attempts(now=start + timedelta(seconds=599)) == 0
    assert services.close_overdue_attempts(now=start + timedelta(seconds=700)) == 1
    assert attempt.state == "graded" and attempt.answers[0].response == 0


def test_attempts_allowed_and_windows(quiz_setup):
    _course, run, enrolment, _item, quiz, _questions = quiz_setup
    quiz.attempts_allowed = 1
    now = utcnow()
    services.submit_attempt(services.start_attempt(enrolment, quiz, now=now), now=now)
    with pytest.raises(Conflict):
        services.start_attempt(enrolment, quiz, now=now)
    quiz.attempts_allowed = None
    services.set_window(quiz, run, now + timedelta(days=1), now + timedelta(days=2))
    with pytest.raises(Conflict):
        services.start_attempt(enrolment, quiz, now=now)
    attempt = services.start_attempt(
        enrolment, quiz, now=now + timedelta(days=1, hours=23, minutes=50)
    )
    assert attempt.deadline_at == now + timedelta(days=2)  # the closing time is the deadline
    with pytest.raises(ValidationError):
        services.set_window(quiz, run, now, now - timedelta(hours=1))


def test_bad_responses_are_refused_clearly(quiz_setup):
    *_, enrolment, _item, quiz, _questions = quiz_setup
    attempt = services.start_attempt(enrolment, quiz, now=utcnow())
    slots = _answers(attempt)
    with pytest.raises(ValidationError):
        services.save_answer(attempt, slots["Pi"], "three", now=utcnow())
    with pytest.raises(ValidationError):
        services.save_answer(attempt, slots["Capital"], "99", now=utcnow())


def test_essays_wait_for_a_grade(quiz_setup):
    course, _run, enrolment, _item, quiz, questions = quiz_setup
    essay = next(q for q in questions if q.current.type == "essay")
    services.set_slots(quiz, [("question", essay.id, 1)])
    instructor = create_user(roles=("instructor",))
    courses.add_course_instructor(course, instructor)
    now = utcnow()
    attempt = services.start_attempt(enrolment, quiz, now=now)
    services.save_answer(attempt, 0, "We will build a data platform.", now=now)
    services.submit_attempt(attempt, now=now)
    assert attempt.state == "needs_grading" and attempt.score is None
    [(answer, *_)] = services.grading_queue(instructor)
    assert services.grading_queue(create_user(roles=("instructor",))) == []
    services.grade_answer(instructor, answer, 0.8, "Good start", now=now)
    assert attempt.state == "graded" and attempt.score == pytest.approx(0.8) and attempt.is_passed


def test_grading_methods(quiz_setup):
    *_, quiz, _questions = quiz_setup
    a, b = QuizAttempt(state="graded", score=0.4), QuizAttempt(state="graded", score=0.8)
    c = QuizAttempt(state="graded", score=0.6)
    quiz.grading_method = "highest"
    assert services.quiz_grade(quiz, [a, b, c]) == 0.8
    quiz.grading_method = "last"
    assert services.quiz_grade(quiz, [a, b, c]) == 0.6
    quiz.grading_method = "average"
    assert services.quiz_grade(quiz, [a, b, c]) == pytest.approx(0.6)


def test_right_answers_follow_the_feedback_setting(quiz_setup):
    _course, run, enrolment, _item, quiz, _questions = quiz_setup
    now = utcnow()
    attempt = services.start_attempt(enrolment, quiz, now=now)
    assert not services.may_see_answers(quiz, attempt, now=now)  # never during the attempt
    services.submit_attempt(attempt, now=now)
    assert services.may_see_answers(quiz, attempt, now=now)
    quiz.feedback_mode = "never"
    assert not services.may_see_answers(quiz, attempt, now=now)
    quiz.feedback_mode = "after_close"
    services.set_window(quiz, run, None, now + timedelta(days=1))
    assert not services.may_see_answers(quiz, attempt, now=now)
    assert services.may_see_answers(quiz, attempt, now=now + timedelta(days=2))
    shown = services.attempt_questions(attempt, reveal=False)
    assert all(item.correct is None for item in shown)


def test_results_statistics(quiz_setup):
    _course, run, _enrolment, _item, quiz, _questions = quiz_setup
    now = utcnow()
    for score_right in (True, False, True):
        learner_enrolment = enrol(create_user(), run)
        attempt = services.start_attempt(learner_enrolment, quiz, now=now)
        slots = _answers(attempt)
        services.save_answer(attempt, slots["Sky"], "false" if score_right else "true", now=now)
        services.submit_attempt(attempt, now=now)
    report = services.quiz_results(quiz)
    assert report.attempts == 3 and report.learners == 3
    sky = next(q for q in report.questions if q.title == "Sky")
    assert sky.facility == pytest.approx(2 / 3)
    assert [(text.lower(), n) for text, n in sky.wrong_answers] == [("true", 1)]
    assert sum(report.histogram) == 3
