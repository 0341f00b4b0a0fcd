"""Quizzes business rules: the question bank, GIFT import/export, attempts graded on the
server, time limits, manual grading and results.

Takes the actor and the clock (``now``) explicitly, raises ``core.errors``, flushes; the
entry point commits. Right answers leave this module only through ``attempt_review`` and
only when the quiz's feedback setting allows it.
"""

from __future__ import annotations

import math
import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from learning.accounts.models import Role, User
from learning.core.errors import Conflict, Forbidden, NotFound, ValidationError
from learning.courses import services as courses
from learning.courses.deadlines import DEADLINE_SOURCES, Deadline
from learning.courses.models import Course, CourseRun, Enrolment, Item, ItemKind
from learning.extensions import db
from learning.quizzes import gift
from learning.quizzes.grading import ResponseError, get_type, validate
from learning.quizzes.models import (
    AttemptAnswer,
    AttemptState,
    FeedbackMode,
    GradingMethod,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizAttempt,
    QuizSlot,
    QuizWindow,
)
from learning.quizzes.questions import Question as QuestionData

# Answers arriving this long after the deadline are still accepted (network latency).
GRACE = timedelta(seconds=30)
SHUFFLED_TYPES = {"single", "multiple", "missingword"}


def _session() -> Session:
    return db.session


# --- permissions ------------------------------------------------------------------------------


def can_manage_quizzes(user: User | None, course: Course) -> bool:
    """Course editors, and the instructors of any of the course's runs."""
    if courses.can_edit_course(user, course):
        return True
    return any(courses.is_run_staff(user, run, "instructor") for run in course.runs)


def require_manager(user: User, course: Course) -> None:
    if not can_manage_quizzes(user, course):
        raise Forbidden("Only this course's instructors manage its quizzes.")


# --- the bank -------------------------------------------------------------------------------------


def category(course: Course, path: str) -> QuestionCategory:
    """The category ``path`` of ``course``'s bank, created if missing."""
    path = "/".join(part.strip() for part in (path or "Default").split("/") if part.strip())[:255]
    path = path or "Default"
    found = _session().scalar(
        select(QuestionCategory).where(
            QuestionCategory.course_id == course.id, QuestionCategory.path == path
        )
    )
    if found is None:
        found = QuestionCategory(course_id=course.id, path=path)
        _session().add(found)
        _session().flush()
    return found


def categories(course: Course) -> list[QuestionCategory]:
    return list(
        _session().scalars(
            select(QuestionCategory)
            .where(QuestionCategory.course_id == course.id)
            .order_by(QuestionCategory.path)
        )
    )


def bank(course: Course, *, category_id: int | None = None) -> list[Question]:
    """The course's questions (not deleted) with their versions, by category and id."""
    stmt = (
        select(Question)
        .where(Question.course_id == course.id, Question.is_deleted.is_(False))
        .options(selectinload(Question.versions))
        .join(QuestionCategory)
        .order_by(QuestionCategory.path, Question.id)
    )
    if category_id is not None:
        stmt = stmt.where(Question.category_id == category_id)
    return list(_session().scalars(stmt))


def get_question(course: Course, question_id: int) -> Question:
    question = _session().get(Question, question_id)
    if question is None or question.course_id != course.id or question.is_deleted:
        raise NotFound("No such question.")
    return question


def check_question(data: QuestionData) -> None:
    """Raise ValidationError listing what is structurally wrong with ``data``."""
    problems = validate(data)
    if problems:
        raise ValidationError("; ".join(problems), field="text")


def add_question(
    actor: User | None,
    course: Course,
    data: QuestionData,
    *,
    category_path: str | None = None,
    source_key: str | None = None,
    now: datetime,
) -> Question:
    """Add ``data`` to the bank (in its own category unless one is given)."""
    check_question(data)
    question = Question(
        course_id=course.id,
        category=category(course, category_path or data.category or "Default"),
        source_key=source_key,
        created_by_id=actor.id if actor else None,
        created_at=now,
        updated_at=now,
    )
    question.versions = [_version(data, 1, actor, now)]
    _session().add(question)
    _session().flush()
    return question


def _version(data: QuestionData, number: int, actor: User | None, now: datetime) -> QuestionVersion:
    return QuestionVersion(
        number=number,
        type=data.type,
        title=data.title[:255],
        data=data.to_dict(),
        fingerprint=data.fingerprint(),
        created_at=now,
        created_by_id=actor.id if actor else None,
    )


def edit_question(
    actor: User | None, question: Question, data: QuestionData, *, now: datetime
) -> bool:
    """Save new content for ``question`` as a new version (past attempts keep theirs).

    Returns False when nothing changed.
    """
    check_question(data)
    if question.current.fingerprint == data.fingerprint() and question.category.path == (
        data.category or question.category.path
    ):
        return False
    if data.category and data.category != question.category.path:
        question.category = category(_course(question.course_id), data.category)
    question.versions.append(_version(data, question.current.number + 1, actor, now))
    question.updated_at = now
    _session().flush()
    return True


def delete_question(question: Question, *, now: datetime) -> None:
    """Take a question out of the bank; attempts that used it keep their version."""
    question.is_deleted = True
    question.updated_at = now


def _course(course_id: int) -> Course:
    return _session().get(Course, course_id)


def question_data(version: QuestionVersion) -> QuestionData:
    return QuestionData.from_dict(version.data)


@dataclass
class ImportReport:
    added: int = 0
    categories: set[str] = field(default_factory=set)


def import_gift(
    actor: User | None,
    course: Course,
    text: str,
    *,
    category_path: str | None = None,
    now: datetime,
) -> ImportReport:
    """Import every question of a GIFT file, or none: ``gift.GiftError`` lists the problems."""
    parsed = gift.parse_gift(text, default_category=category_path or "")
    problems = [
        gift.GiftProblem(q.line, q.title or q.text[:60], "; ".join(found))
        for q in parsed
        if (found := validate(q))
    ]
    if problems:
        raise gift.GiftError(problems)
    report = ImportReport()
    for data in parsed:
        path = data.category or category_path or "Default"
        if category_path and data.category and not data.category.startswith(category_path):
            path = f"{category_path}/{data.category}"
        add_question(actor, course, data, category_path=path, now=now)
        report.added += 1
        report.categories.add(path)
    return report


def export_gift(course: Course, *, category_id: int | None = None) -> str:
    """The bank (or one category) as GIFT, with ``$CATEGORY:`` lines."""
    questions = []
    for question in bank(course, category_id=category_id):
        data = question_data(question.current)
        questions.append(_with_category(data, question.category.path))
    return gift.to_gift(questions)


def _with_category(data: QuestionData, path: str) -> QuestionData:
    return replace(data, category=path)


# --- quizzes ----------------------------------------------------------------------------------


def quiz_for_item(item: Item) -> Quiz:
    quiz = _session().scalar(select(Quiz).where(Quiz.item_id == item.id))
    if quiz is None:
        raise NotFound("This quiz is not set up yet.")
    return quiz


def ensure_quiz(item: Item, *, now: datetime) -> Quiz:
    """The quiz settings of a quiz item, created with defaults if missing."""
    if item.kind != ItemKind.QUIZ:
        raise ValidationError("This item is not a quiz.")
    quiz = _session().scalar(select(Quiz).where(Quiz.item_id == item.id))
    if quiz is None:
        quiz = Quiz(course_id=item.course_id, item_id=item.id, created_at=now, updated_at=now)
        _session().add(quiz)
        _session().flush()
    return quiz


def configure_quiz(
    quiz: Quiz,
    *,
    pass_mark: float,
    attempts_allowed: int | None,
    grading_method: str,
    time_limit_seconds: int | None,
    shuffle_questions: bool,
    shuffle_answers: bool,
    feedback_mode: str,
    now: datetime,
) -> None:
    """Change a quiz's settings; attempts already made keep their grades."""
    if not 0 <= pass_mark <= 1:
        raise ValidationError("The pass mark is a share between 0 and 100 %.", field="pass_mark")
    if attempts_allowed is not None and attempts_allowed < 1:
        raise ValidationError("Allow at least one attempt.", field="attempts_allowed")
    if time_limit_seconds is not None and time_limit_seconds < 1:
        raise ValidationError("The time limit must be positive.", field="time_limit")
    if grading_method not in {m.value for m in GradingMethod}:
        raise ValidationError("Unknown grading method.", field="grading_method")
    if feedback_mode not in {m.value for m in FeedbackMode}:
        raise ValidationError("Unknown feedback setting.", field="feedback_mode")
    quiz.pass_mark = pass_mark
    quiz.attempts_allowed = attempts_allowed
    quiz.grading_method = grading_method
    quiz.time_limit_seconds = time_limit_seconds
    quiz.shuffle_questions = shuffle_questions
    quiz.shuffle_answers = shuffle_answers
    quiz.feedback_mode = feedback_mode
    quiz.updated_at = now


def set_slots(quiz: Quiz, entries: list[tuple[str, int, int]]) -> None:
    """Replace the quiz's questions: ("question", id, 1) fixed or ("category", id, n) random."""
    slots = []
    for position, (kind, ref, count) in enumerate(entries):
        if kind == "question":
            question = _session().get(Question, ref)
            if question is None or question.course_id != quiz.course_id or question.is_deleted:
                raise ValidationError("A chosen question is not in this course's bank.")
            slots.append(QuizSlot(position=position, question_id=ref, random_count=1))
        elif kind == "category":
            found = _session().get(QuestionCategory, ref)
            if found is None or found.course_id != quiz.course_id:
                raise ValidationError("A chosen category is not in this course's bank.")
            if count < 1:
                raise ValidationError("Draw at least one question from a category.")
            slots.append(QuizSlot(position=position, category_id=ref, random_count=count))
        else:
            raise ValidationError("Unknown kind of quiz slot.")
    quiz.slots = slots
    _session().flush()


def set_window(
    quiz: Quiz, run: CourseRun, opens_at: datetime | None, closes_at: datetime | None
) -> None:
    """When the quiz opens and closes in ``run`` (None: no limit)."""
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError("The quiz must close after it opens.", field="closes_at")
    quiz.windows = [w for w in quiz.windows if w.run_id != run.id]
    if opens_at or closes_at:
        quiz.windows.append(QuizWindow(run_id=run.id, opens_at=opens_at, closes_at=closes_at))


def window(quiz: Quiz, run_id: int) -> QuizWindow | None:
    return next((w for w in quiz.windows if w.run_id == run_id), None)


def max_questions(quiz: Quiz) -> int:
    return sum(slot.random_count for slot in quiz.slots)


# --- attempts ---------------------------------------------------------------------------------


def attempts_of(quiz: Quiz, enrolment: Enrolment) -> list[QuizAttempt]:
    return list(
        _session().scalars(
            select(QuizAttempt)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.enrolment_id == enrolment.id)
            .order_by(QuizAttempt.number)
        )
    )


def is_open_now(quiz: Quiz, enrolment: Enrolment, now: datetime) -> bool:
    found = window(quiz, enrolment.run_id)
    if found is None:
        return True
    return (found.opens_at is None or found.opens_at <= now) and (
        found.closes_at is None or now < found.closes_at
    )


def start_attempt(
    enrolment: Enrolment, quiz: Quiz, *, now: datetime, rng: random.Random | None = None
) -> QuizAttempt:
    """Start an attempt, or return the one in progress (a double click starts one)."""
    open_attempt = _open_attempt(quiz, enrolment)
    if open_attempt is not None and not finish_if_overdue(open_attempt, now=now):
        return open_attempt
    if not is_open_now(quiz, enrolment, now):
        raise Conflict("This quiz is not open now.")
    previous = attempts_of(quiz, enrolment)
    if quiz.attempts_allowed is not None and len(previous) >= quiz.attempts_allowed:
        raise Conflict("You have used all your attempts at this quiz.")
    rng = rng or random.Random(secrets.randbits(64))  # noqa: S311 - order, not a secret
    layout = _draw(quiz, rng)
    if not layout:
        raise Conflict("This quiz has no questions yet.")
    deadline = None
    if quiz.time_limit_seconds:
        deadline = now + timedelta(seconds=quiz.time_limit_seconds)
    closes = (window(quiz, enrolment.run_id) or QuizWindow()).closes_at
    if closes is not None:
        deadline = min(deadline, closes) if deadline else closes
    attempt = QuizAttempt(
        quiz_id=quiz.id,
        enrolment_id=enrolment.id,
        number=(previous[-1].number + 1) if previous else 1,
        started_at=now,
        deadline_at=deadline,
        layout=layout,
    )
    session = _session()
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
    except IntegrityError:
        # Two starts at once: the other request made the attempt; use it.
        found = _open_attempt(quiz, enrolment)
        if found is None:
            raise
        return found
    return attempt


def _open_attempt(quiz: Quiz, enrolment: Enrolment) -> QuizAttempt | None:
    return _session().scalar(
        select(QuizAttempt).where(
            QuizAttempt.quiz_id == quiz.id,
            QuizAttempt.enrolment_id == enrolment.id,
            QuizAttempt.state == AttemptState.IN_PROGRESS,
        )
    )


def _draw(quiz: Quiz, rng: random.Random) -> list[dict[str, Any]]:
    """Pick the questions of a new attempt and fix their order and their answers' order."""
    fixed_ids = {slot.question_id for slot in quiz.slots if slot.question_id}
    chosen: list[Question] = []
    for slot in quiz.slots:
        if slot.question_id:
            question = _session().get(Question, slot.question_id)
            if question is not None and not question.is_deleted:
                chosen.append(question)
            continue
        pool = [
            q
            for q in _session().scalars(
                select(Question)
                .where(Question.category_id == slot.category_id, Question.is_deleted.is_(False))
                .order_by(Question.id)
            )
            if q.id not in fixed_ids and q not in chosen
        ]
        chosen.extend(rng.sample(pool, min(slot.random_count, len(pool))))
    if quiz.shuffle_questions:
        rng.shuffle(chosen)
    layout = []
    for number, question in enumerate(chosen):
        version = question.current
        count = len(version.data.get("answers", []))
        order = list(range(count))
        if quiz.shuffle_answers and version.type in SHUFFLED_TYPES:
            rng.shuffle(order)
        if version.type == "matching":
            rng.shuffle(order)  # the order of the choices offered
        layout.append({"slot": number, "version_id": version.id, "order": order})
    return layout


def get_attempt(attempt_id: int) -> QuizAttempt:
    attempt = _session().get(QuizAttempt, attempt_id)
    if attempt is None:
        raise NotFound("No such attempt.")
    return attempt


def attempt_owner_check(user: User, attempt: QuizAttempt) -> Enrolment:
    """The attempt's enrolment if ``user`` made it; a learner never sees another's attempt."""
    enrolment = _session().get(Enrolment, attempt.enrolment_id)
    if enrolment is None or enrolment.user_id != user.id:
        raise NotFound("No such attempt.")
    return enrolment


def _slot(attempt: QuizAttempt, slot: int) -> dict[str, Any]:
    for entry in attempt.layout:
        if entry["slot"] == slot:
            return entry
    raise NotFound("No such question in this attempt.")


def save_answer(attempt: QuizAttempt, slot: int, raw: Any, *, now: datetime) -> AttemptAnswer:
    """Save one answer of an attempt in progress (one small write); refused after the time."""
    if not attempt.is_open:
        raise Conflict("This attempt has been submitted; its answers can no longer change.")
    if attempt.deadline_at is not None and now > attempt.deadline_at + GRACE:
        raise Conflict(
            "Time is up: answers sent after the deadline are not accepted.", code="time_up"
        )
    entry = _slot(attempt, slot)
    version = _session().get(QuestionVersion, entry["version_id"])
    data = question_data(version)
    try:
        response = get_type(data.type).normalise_response(data, raw)
    except ResponseError as error:
        raise ValidationError(str(error), field=f"q{slot}") from None
    if isinstance(response, tuple):
        response = list(response)
    answer = _session().scalar(
        select(AttemptAnswer).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.slot == slot
        )
    )
    if answer is None:
        answer = AttemptAnswer(attempt_id=attempt.id, slot=slot, version_id=version.id)
        _session().add(answer)
    answer.response = response
    answer.saved_at = now
    return answer


def finish_if_overdue(attempt: QuizAttempt, *, now: datetime) -> bool:
    """Submit an attempt left open past its deadline, with what was saved. True if it was."""
    if attempt.is_open and attempt.deadline_at is not None and now > attempt.deadline_at + GRACE:
        submit_attempt(attempt, now=now)
        return True
    return False


def submit_attempt(attempt: QuizAttempt, *, now: datetime) -> QuizAttempt:
    """Grade and close an attempt; submitting twice grades once."""
    if not attempt.is_open:
        return attempt
    answers = {
        a.slot: a
        for a in _session().scalars(
            select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
        )
    }
    versions = _versions([entry["version_id"] for entry in attempt.layout])
    for entry in attempt.layout:
        answer = answers.get(entry["slot"])
        if answer is None:
            answer = AttemptAnswer(
                attempt_id=attempt.id, slot=entry["slot"], version_id=entry["version_id"]
            )
            _session().add(answer)
            answers[entry["slot"]] = answer
        data = question_data(versions[entry["version_id"]])
        qtype = get_type(data.type)
        grade = qtype.grade(data, _stored_response(data, answer.response))
        answer.fraction = None if grade.needs_manual_grading else grade.fraction
        answer.needs_manual_grading = grade.needs_manual_grading
        answer.feedback = list(grade.feedback)
    attempt.submitted_at = now
    _finalise(attempt, answers.values(), versions, now=now)
    return attempt


def _stored_response(data: QuestionData, response: Any) -> Any:
    if response is not None and data.type == "multiple":
        return tuple(response)
    return response


def _versions(ids) -> dict[int, QuestionVersion]:
    ids = list(set(ids))
    if not ids:
        return {}
    return {
        v.id: v
        for v in _session().scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))
    }


def _graded_items(answers, versions) -> list[tuple[AttemptAnswer, float]]:
    """(answer, weight) of the questions that count: descriptions carry no grade."""
    result = []
    for answer in answers:
        qtype = get_type(versions[answer.version_id].type)
        if qtype.max_fraction > 0:
            result.append((answer, 1.0))
    return result


def _finalise(attempt: QuizAttempt, answers, versions, *, now: datetime) -> None:
    counted = _graded_items(answers, versions)
    if any(answer.needs_manual_grading and answer.fraction is None for answer, _ in counted):
        attempt.state = AttemptState.NEEDS_GRADING
        attempt.score = None
        attempt.is_passed = None
        return
    total = sum(weight for _, weight in counted)
    attempt.score = (
        round(sum((a.fraction or 0.0) * w for a, w in counted) / total, 6) if total else 1.0
    )
    attempt.state = AttemptState.GRADED
    attempt.graded_at = now
    quiz = _session().get(Quiz, attempt.quiz_id)
    attempt.is_passed = attempt.score >= quiz.pass_mark - 1e-9
    if attempt.is_passed:
        enrolment = _session().get(Enrolment, attempt.enrolment_id)
        item = _session().get(Item, quiz.item_id)
        courses.complete_item(enrolment, item, now=now)


def grade_answer(
    actor: User, answer: AttemptAnswer, fraction: float, comment: str, *, now: datetime
) -> QuizAttempt:
    """Grade an essay by hand; the attempt's grade is final once every essay is graded."""
    if not answer.needs_manual_grading:
        raise ValidationError("Only essays are graded by hand.")
    if not 0 <= fraction <= 1:
        raise ValidationError("Give a mark between 0 and 100 %.", field="fraction")
    attempt = _session().get(QuizAttempt, answer.attempt_id)
    if attempt.is_open:
        raise Conflict("This attempt is still in progress.")
    answer.fraction = fraction
    answer.grader_comment = comment.strip()[:5000]
    answer.graded_by_id = actor.id
    answer.graded_at = now
    answers = list(
        _session().scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))
    )
    _finalise(attempt, answers, _versions([a.version_id for a in answers]), now=now)
    return attempt


def grading_queue(user: User) -> list[tuple[AttemptAnswer, QuizAttempt, Enrolment, Course]]:
    """Essays waiting for a grade in the courses ``user`` teaches, oldest first."""
    rows = (
        _session()
        .execute(
            select(AttemptAnswer, QuizAttempt, Enrolment, Course)
            .join(QuizAttempt, AttemptAnswer.attempt_id == QuizAttempt.id)
            .join(Enrolment, QuizAttempt.enrolment_id == Enrolment.id)
            .join(Quiz, QuizAttempt.quiz_id == Quiz.id)
            .join(Course, Quiz.course_id == Course.id)
            .where(
                AttemptAnswer.needs_manual_grading.is_(True),
                AttemptAnswer.fraction.is_(None),
                QuizAttempt.state == AttemptState.NEEDS_GRADING,
            )
            .options(selectinload(Enrolment.user))
            .order_by(QuizAttempt.submitted_at)
        )
        .all()
    )
    return [tuple(row) for row in rows if can_manage_quizzes(user, row[3])]


def close_overdue_attempts(*, now: datetime) -> int:
    """Submit every attempt left open past its deadline (the periodic task); returns how many."""
    overdue = list(
        _session().scalars(
            select(QuizAttempt).where(
                QuizAttempt.state == AttemptState.IN_PROGRESS,
                QuizAttempt.deadline_at.is_not(None),
                QuizAttempt.deadline_at < now - GRACE,
            )
        )
    )
    for attempt in overdue:
        submit_attempt(attempt, now=now)
    return len(overdue)


# --- what a learner sees ----------------------------------------------------------------------


def quiz_grade(quiz: Quiz, attempts: list[QuizAttempt]) -> float | None:
    """The learner's grade for the quiz by its grading method (graded attempts only)."""
    graded = [a for a in attempts if a.state == AttemptState.GRADED and a.score is not None]
    if not graded:
        return None
    if quiz.grading_method == GradingMethod.LAST:
        return graded[-1].score
    if quiz.grading_method == GradingMethod.AVERAGE:
        return sum(a.score for a in graded) / len(graded)
    return max(a.score for a in graded)


def may_see_answers(quiz: Quiz, attempt: QuizAttempt, *, now: datetime) -> bool:
    """Right answers and feedback, only once the attempt is closed and the setting allows."""
    if attempt.is_open or quiz.feedback_mode == FeedbackMode.NEVER:
        return False
    if quiz.feedback_mode == FeedbackMode.AFTER_CLOSE:
        enrolment = _session().get(Enrolment, attempt.enrolment_id)
        found = window(quiz, enrolment.run_id)
        return found is not None and found.closes_at is not None and now >= found.closes_at
    return True


@dataclass
class ShownQuestion:
    slot: int
    number: int
    data: QuestionData
    order: list[int]
    response: Any
    answer: AttemptAnswer | None
    correct: Any = None  # only filled in when the learner may see it


def attempt_questions(attempt: QuizAttempt, *, reveal: bool) -> list[ShownQuestion]:
    """The attempt's questions in its fixed order with the saved responses."""
    versions = _versions([entry["version_id"] for entry in attempt.layout])
    answers = {a.slot: a for a in attempt.answers}
    shown = []
    number = 0
    for entry in attempt.layout:
        data = question_data(versions[entry["version_id"]])
        if data.type != "description":
            number += 1
        answer = answers.get(entry["slot"])
        response = answer.response if answer else None
        correct = get_type(data.type).correct_response(data) if reveal else None
        shown.append(
            ShownQuestion(entry["slot"], number, data, entry["order"], response, answer, correct)
        )
    return shown


# --- results for instructors -------------------------------------------------------------------


@dataclass
class QuestionStats:
    title: str
    type: str
    attempts: int = 0
    facility: float | None = None  # mean fraction
    discrimination: float | None = None  # correlation of this question with the rest
    wrong_answers: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class QuizResults:
    attempts: int
    learners: int
    pass_rate: float | None
    mean: float | None
    histogram: list[int]  # ten buckets of 10 %
    questions: list[QuestionStats]
    rows: list[tuple[QuizAttempt, User]]


def quiz_results(quiz: Quiz) -> QuizResults:
    """Attempts, score distribution, pass rate, and per-question facility and discrimination."""
    rows = (
        _session()
        .execute(
            select(QuizAttempt, User)
            .join(Enrolment, QuizAttempt.enrolment_id == Enrolment.id)
            .join(User, Enrolment.user_id == User.id)
            .where(QuizAttempt.quiz_id == quiz.id, QuizAttempt.state == AttemptState.GRADED)
            .options(selectinload(QuizAttempt.answers))
            .order_by(QuizAttempt.submitted_at)
        )
        .all()
    )
    attempts = [attempt for attempt, _ in rows]
    histogram = [0] * 10
    for attempt in attempts:
        histogram[min(9, int((attempt.score or 0) * 10))] += 1
    versions = _versions([a.version_id for attempt in attempts for a in attempt.answers])
    by_question: dict[int, list[tuple[float, float, Any, QuestionVersion]]] = defaultdict(list)
    for attempt in attempts:
        for answer in attempt.answers:
            version = versions[answer.version_id]
            if get_type(version.type).max_fraction > 0 and answer.fraction is not None:
                by_question[version.question_id].append(
                    (answer.fraction, attempt.score or 0, answer.response, version)
                )
    stats = []
    for entries in by_question.values():
        version = entries[-1][3]
        fractions = [f for f, _, _, _ in entries]
        totals = [t for _, t, _, _ in entries]
        item = QuestionStats(
            title=version.title or question_data(version).text[:60], type=version.type
        )
        item.attempts = len(entries)
        item.facility = sum(fractions) / len(fractions)
        item.discrimination = _correlation(fractions, totals)
        wrong = Counter(
            response_label(question_data(v), response)
            for fraction, _, response, v in entries
            if fraction < 1 and response is not None
        )
        item.wrong_answers = wrong.most_common(3)
        stats.append(item)
    passed = [a for a in attempts if a.is_passed]
    return QuizResults(
        attempts=len(attempts),
        learners=len({a.enrolment_id for a in attempts}),
        pass_rate=len(passed) / len(attempts) if attempts else None,
        mean=sum(a.score or 0 for a in attempts) / len(attempts) if attempts else None,
        histogram=histogram,
        questions=stats,
        rows=[(a, u) for a, u in rows],
    )


def _correlation(xs: list[float], ys: list[float]) -> float | None:
    if len(xs) < 2:
        return None
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)


def response_label(data: QuestionData, response: Any) -> str:
    """A short text for a response, for the "most chosen wrong answers" list."""
    if data.type in {"single", "truefalse", "missingword"} and isinstance(response, int):
        return data.answers[response].text if 0 <= response < len(data.answers) else "?"
    if data.type == "multiple" and isinstance(response, list):
        return " + ".join(data.answers[i].text for i in response if 0 <= i < len(data.answers))
    if data.type == "multiple" and isinstance(response, tuple):
        return response_label(data, list(response))
    if isinstance(response, dict):
        return "; ".join(f"{k} → {v}" for k, v in sorted(response.items()))
    if isinstance(response, float) and response.is_integer():
        return str(int(response))
    return str(response)[:80]


def course_of_quiz(quiz: Quiz) -> Course:
    return _session().get(Course, quiz.course_id)


def staff_may_view_attempt(user: User, attempt: QuizAttempt) -> bool:
    quiz = _session().get(Quiz, attempt.quiz_id)
    return can_manage_quizzes(user, course_of_quiz(quiz)) or (user and user.has_role(Role.ADMIN))


# --- deadlines in calendars -------------------------------------------------------------------


def quiz_deadlines(user: User, now: datetime) -> list[Deadline]:
    """Close dates of the quizzes in the runs ``user`` is enrolled in (one query), for calendar
    feeds; closed quizzes stay listed while their run lasts."""
    rows = _session().execute(
        select(QuizWindow.quiz_id, QuizWindow.run_id, QuizWindow.closes_at, Item, Course.slug)
        .join(Quiz, Quiz.id == QuizWindow.quiz_id)
        .join(Item, Item.id == Quiz.item_id)
        .join(Course, Course.id == Item.course_id)
        .join(CourseRun, CourseRun.id == QuizWindow.run_id)
        .join(
            Enrolment,
            (Enrolment.run_id == CourseRun.id)
            & (Enrolment.user_id == user.id)
            & Enrolment.left_at.is_(None),
        )
        .where(
            QuizWindow.closes_at.is_not(None),
            CourseRun.ends_at > now,
            Item.is_archived.is_(False),
            Course.is_published.is_(True),
        )
    )
    return [
        Deadline(
            uid=f"quiz-{quiz_id}-run-{run_id}-closes",
            title=f"Quiz closes: {item.title}",
            due_at=closes_at,
            url_path=f"/courses/{slug}/quizzes/{item.id}",
        )
        for quiz_id, run_id, closes_at, item, slug in rows
    ]


DEADLINE_SOURCES.append(quiz_deadlines)


def passed_quiz_items(enrolment_ids, item_ids) -> set[tuple[int, int]]:
    """(enrolment id, quiz item id) pairs where the learner has passed that quiz (one query,
    for the certificates' completion rules)."""
    if not enrolment_ids or not item_ids:
        return set()
    rows = _session().execute(
        select(QuizAttempt.enrolment_id, Quiz.item_id)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            QuizAttempt.enrolment_id.in_(list(enrolment_ids)),
            Quiz.item_id.in_(list(item_ids)),
            QuizAttempt.is_passed.is_(True),
        )
        .distinct()
    )
    return {(enrolment_id, item_id) for enrolment_id, item_id in rows}
