"""Quiz pages and the answer API: permissions, right answers kept hidden, bad input."""

import io

import pytest

from learning.core.db import utcnow
from learning.courses import services as courses
from learning.quizzes import services
from tests.factories import create_course, create_run, create_user, enrol
from tests.helpers import csrf_token

GIFT = """\
::Capital::What is the capital of Kenya? {=Nairobi#Right: Nairobi. ~Mombasa#A port city. ~Kisumu}

::Sky::The sky is green. {F#Blue, usually.}
"""


@pytest.fixture
def setup(db):
    course = create_course(modules=[[("reading", False), ("quiz", False)]])
    run = create_run(course)
    item = course.modules[0].items[1]
    now = utcnow()
    services.import_gift(None, course, GIFT, now=now)
    quiz = services.ensure_quiz(item, now=now)
    services.set_slots(quiz, [("question", q.id, 1) for q in services.bank(course)])
    instructor = create_user(roles=("instructor",))
    courses.add_course_instructor(course, instructor)
    db.session.commit()
    return course, run, item, quiz, instructor


def _start(client, course, item):
    path = f"/courses/{course.slug}/quizzes/{item.id}"
    token = csrf_token(client, path)
    response = client.post(f"{path}/start", data={"csrf_token": token})
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[-1])


def test_course_item_link_leads_to_the_quiz_page(client, setup, login_as):
    course, run, item, *_ = setup
    enrol(login_as(create_user()), run)
    response = client.get(f"/courses/{course.slug}/items/{item.id}")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/quizzes/{item.id}"
    )
    assert f"/courses/{course.slug}/quizzes/{item.id}" in client.get(
        f"/courses/{course.slug}"
    ).get_data(as_text=True)


def test_quiz_requires_enrolment(client, setup, login_as):
    course, _run, item, *_ = setup
    login_as(create_user())
    assert client.get(f"/courses/{course.slug}/quizzes/{item.id}").status_code == 403


def test_take_a_quiz_without_javascript(client, db, setup, login_as):
    course, run, item, _quiz, _ = setup
    learner = login_as(create_user())
    enrol(learner, run)
    attempt_id = _start(client, course, item)
    page = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    # The right answer and its feedback are nowhere in the page before submitting.
    assert "Right: Nairobi" not in page and "Blue, usually" not in page
    assert "Nairobi" in page  # the choice itself is shown
    attempt = services.get_attempt(attempt_id)
    slots = {}
    for entry in attempt.layout:
        data = services.question_data(
            services._versions([entry["version_id"]])[entry["version_id"]]
        )
        slots[data.title] = (entry["slot"], data)
    capital_slot, capital = slots["Capital"]
    right = next(i for i, a in enumerate(capital.answers) if a.text == "Nairobi")
    token = csrf_token(client, f"/attempts/{attempt_id}")
    form = {"csrf_token": token, f"q{capital_slot}": str(right), f"q{slots['Sky'][0]}": "1"}
    saved = client.post(f"/attempts/{attempt_id}", data={**form, "save": "1"})
    assert saved.status_code == 303
    reloaded = client.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'value="{right}" checked' in reloaded
    submitted = client.post(f"/attempts/{attempt_id}", data={**form, "submit": "1"})
    assert submitted.status_code == 303 and submitted.headers["Location"].endswith("/review")
    review = client.get(f"/attempts/{attempt_id}/review").get_data(as_text=True)
    assert "Right: Nairobi" in review and "100%" in review
    # Submitting again changes nothing and answers are frozen.
    again = client.post(f"/attempts/{attempt_id}", data={**form, "submit": "1"})
    assert again.status_code == 302


def test_answer_api(client, setup, login_as):
    course, run, item, *_ = setup
    enrol(login_as(create_user()), run)
    attempt_id = _start(client, course, item)
    token = csrf_token(client, f"/attempts/{attempt_id}")
    ok = client.post(
        f"/api/v1/attempts/{attempt_id}/answers/0",
        json={"response": "0"},
        headers={"X-CSRFToken": token},
    )
    assert ok.status_code == 200 and ok.get_json()["slot"] == 0
    assert (
        client.post(f"/api/v1/attempts/{attempt_id}/answers/0", json={"response": "0"}).status_code
        == 400
    )
    missing = client.post(
        f"/api/v1/attempts/{attempt_id}/answers/0", json={"nope": 1}, headers={"X-CSRFToken": token}
    )
    assert missing.status_code == 400 and missing.get_json()["error"]["code"] == "bad_request"
    bad = client.post(
        f"/api/v1/attempts/{attempt_id}/answers/0",
        json={"response": "42"},
        headers={"X-CSRFToken": token},
    )
    assert bad.status_code == 422 and "error" in bad.get_json()
    unknown_slot = client.post(
        f"/api/v1/attempts/{attempt_id}/answers/9",
        json={"response": "0"},
        headers={"X-CSRFToken": token},
    )
    assert unknown_slot.status_code == 404


def test_another_learner_never_sees_or_changes_an_attempt(client, setup, login_as):
    course, run, item, *_ = setup
    enrol(login_as(create_user()), run)
    attempt_id = _start(client, course, item)
    intruder = create_user()
    enrol(intruder, run)
    login_as(intruder)
    token = csrf_token(client, f"/courses/{course.slug}/quizzes/{item.id}")
    assert client.get(f"/attempts/{attempt_id}").status_code == 404
    assert client.get(f"/attempts/{attempt_id}/review").status_code == 404
    response = client.post(
        f"/api/v1/attempts/{attempt_id}/answers/0",
        json={"response": "0"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 404


def test_instructor_pages_and_permissions(client, setup, login_as):
    course, _run, item, _quiz, instructor = setup
    paths = [
        f"/teach/courses/{course.slug}/bank",
        f"/teach/courses/{course.slug}/bank/new",
        f"/teach/courses/{course.slug}/quizzes/{item.id}",
        f"/teach/courses/{course.slug}/quizzes/{item.id}/results",
        f"/teach/courses/{course.slug}/bank/export",
    ]
    login_as(create_user())
    assert all(client.get(p).status_code == 403 for p in paths)
    login_as(create_user(roles=("instructor",)))  # teaches other courses
    assert all(client.get(p).status_code == 403 for p in paths)
    login_as(instructor)
    assert all(client.get(p).status_code == 200 for p in paths)
    exported = client.get(paths[-1]).get_data(as_text=True)
    assert "::Capital::" in exported


def test_gift_upload_reports_every_problem_and_imports_nothing(client, setup, login_as):
    course, _run, _item, _quiz, instructor = setup
    login_as(instructor)
    path = f"/teach/courses/{course.slug}/bank"
    token = csrf_token(client, path)
    before = len(services.bank(course))
    bad = "::A::Fine {T}\n\n::B::Broken {=a ~b\n\n::C::Also broken {#abc}\n"
    response = client.post(
        f"{path}/import",
        data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "q.gift")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Line 3" in page and "Line 5" in page
    assert len(services.bank(course)) == before
    good = "::Ünïcödé 한국어 Кириллица::Résumé? {=да ~нет}\n"
    response = client.post(f"{path}/import", data={"csrf_token": token, "text": good})
    assert response.status_code == 303
    assert any(q.current.title == "Ünïcödé 한국어 Кириллица" for q in services.bank(course))


def test_question_editor_previews_and_saves_versions(client, setup, login_as):
    course, _run, _item, _quiz, instructor = setup
    login_as(instructor)
    question = services.bank(course)[0]
    path = f"/teach/courses/{course.slug}/bank/{question.id}"
    token = csrf_token(client, path)
    preview = client.post(
        path,
        data={
            "csrf_token": token,
            "gift": "::Capital::Capital of Ghana? {=Accra ~Kumasi}",
            "preview": "1",
        },
    )
    assert preview.status_code == 200 and "Capital of Ghana?" in preview.get_data(as_text=True)
    assert question.current.number == 1
    saved = client.post(
        path,
        data={
            "csrf_token": token,
            "gift": "::Capital::Capital of Ghana? {=Accra ~Kumasi}",
            "save": "1",
        },
    )
    assert saved.status_code == 303
    broken = client.post(path, data={"csrf_token": token, "gift": "::X::Broken {=a", "save": "1"})
    assert broken.status_code == 422 and "::X::Broken {=a" in broken.get_data(as_text=True)


def test_settings_page_saves(client, db, setup, login_as):
    course, run, item, quiz, instructor = setup
    login_as(instructor)
    path = f"/teach/courses/{course.slug}/quizzes/{item.id}"
    token = csrf_token(client, path)
    ids = [str(q.id) for q in services.bank(course)]
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "pass_percent": "70",
            "attempts_allowed": "2",
            "grading_method": "last",
            "time_limit_minutes": "15",
            "feedback_mode": "never",
            "shuffle_answers": "y",
            "question": ids[:1],
            f"closes-{run.id}": "2030-01-01T12:00",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.refresh(quiz)
    assert quiz.pass_mark == 0.7 and quiz.time_limit_seconds == 900 and len(quiz.slots) == 1
    assert services.window(quiz, run.id).closes_at.year == 2030
    refused = client.post(
        path,
        data={
            "csrf_token": token,
            "pass_percent": "150",
            "grading_method": "last",
            "feedback_mode": "never",
        },
    )
    assert refused.status_code == 422


def test_essay_grading_queue_and_email(client, db, login_as, outbox):
    course = create_course(modules=[[("quiz", False)]])
    run = create_run(course)
    item = course.modules[0].items[0]
    now = utcnow()
    services.import_gift(None, course, "::Plan::Describe your plan. {}\n", now=now)
    quiz = services.ensure_quiz(item, now=now)
    services.set_slots(quiz, [("question", q.id, 1) for q in services.bank(course)])
    instructor = create_user(roles=("instructor",))
    courses.add_course_instructor(course, instructor)
    learner = create_user()
    enrolment = enrol(learner, run)
    attempt = services.start_attempt(enrolment, quiz, now=now)
    services.save_answer(attempt, 0, "We start with a data platform.", now=now)
    services.submit_attempt(attempt, now=now)
    db.session.commit()
    answer_id = attempt.answers[0].id

    login_as(create_user(roles=("instructor",)))  # not this course's instructor
    assert "We start with a data platform." not in client.get("/teach/grading").get_data(
        as_text=True
    )
    login_as(instructor)
    page = client.get("/teach/grading").get_data(as_text=True)
    assert "We start with a data platform." in page
    token = csrf_token(client, "/teach/grading")
    refused = client.post(
        f"/teach/grading/{answer_id}", data={"csrf_token": token, "percent": "180"}
    )
    assert refused.status_code == 303 and attempt.state == "needs_grading"
    response = client.post(
        f"/teach/grading/{answer_id}",
        data={"csrf_token": token, "percent": "80", "comment": "Good"},
    )
    assert response.status_code == 303
    db.session.refresh(attempt)
    assert attempt.state == "graded" and attempt.score == pytest.approx(0.8)
    message = outbox.last_to(learner.email)
    assert message["Subject"] == "Your quiz has been graded"
    assert "80%" in message.get_body(preferencelist=("plain",)).get_content()


def test_instructors_see_only_their_courses_attempts(client, setup, login_as):
    course, run, item, _quiz, instructor = setup
    enrol(login_as(create_user()), run)
    attempt_id = _start(client, course, item)
    login_as(create_user(roles=("instructor",)))
    assert client.get(f"/attempts/{attempt_id}/review").status_code == 404
    login_as(instructor)
    assert client.get(f"/attempts/{attempt_id}/review").status_code == 200


def test_periodic_task_closes_overdue_attempts(db, setup):
    from datetime import timedelta

    from learning.quizzes import tasks

    _course, run, _item, quiz, _ = setup
    quiz.time_limit_seconds = 60
    enrolment = enrol(create_user(), run)
    attempt = services.start_attempt(enrolment, quiz, now=utcnow() - timedelta(minutes=10))
    db.session.commit()
    assert tasks.close_overdue_attempts.delay().get() == 1
    db.session.refresh(attempt)
    assert attempt.state == "graded"
    assert tasks.close_overdue_attempts.delay().get() == 0  # idempotent
