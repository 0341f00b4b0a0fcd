"""A learner takes a timed quiz, reloads in the middle and finds the answers kept, submits,
and sees the grade; every page passes axe."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.courses import services as courses
from learning.extensions import db
from learning.quizzes import services as quizzes
from tests.browser.helpers import check_a11y
from tests.factories import create_course, create_run

GIFT = """\
::Capital::What is the capital of Kenya? {=Nairobi ~Mombasa ~Kisumu}

::Cities::Which of these are cities? {~%50%Seoul ~%50%Abuja ~%-100%Africa}

::Pi::Pi to two decimals? {#3.14:0.005}
"""


@pytest.fixture(scope="module")
def quiz_course(live_server):
    with live_server.app.app_context():
        course = create_course(
            slug="browser-quiz",
            title="Quiz course",
            modules=[[("reading", False), ("quiz", False)]],
        )
        run = create_run(course)
        item = course.modules[0].items[1]
        now = utcnow()
        quizzes.import_gift(None, course, GIFT, now=now)
        quiz = quizzes.ensure_quiz(item, now=now)
        quiz.time_limit_seconds = 600
        quiz.shuffle_answers = False
        quizzes.set_slots(quiz, [("question", q.id, 1) for q in quizzes.bank(course)])
        db.session.commit()
        return {"slug": course.slug, "item_id": item.id, "run_id": run.id}


def test_timed_quiz_survives_a_reload(live_server, quiz_course, page, capture_screen):
    email = "quiz.taker@live.example.org"
    live_server.create_user(email=email, display_name="Quiz Taker")
    with live_server.app.app_context():
        run = db.session.get(courses.CourseRun, quiz_course["run_id"])
        courses.enroll(accounts.find_user_by_email(email), run, now=utcnow())
        db.session.commit()

    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(live_server.password)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/courses/{quiz_course['slug']}/quizzes/{quiz_course['item_id']}")
    check_a11y(page)
    page.get_by_role("button", name="Start the quiz").click()
    expect(page.locator("#quiz-timer")).to_be_visible()
    check_a11y(page)
    capture_screen(page, "quiz-attempt")

    # Each answer is saved as it is chosen (the API answers before we reload).
    with page.expect_response(lambda r: "/answers/" in r.url and r.ok):
        page.get_by_label("Nairobi").check()
    with page.expect_response(lambda r: "/answers/" in r.url and r.ok):
        page.get_by_label("Seoul").check()
    with page.expect_response(lambda r: "/answers/" in r.url and r.ok):
        page.get_by_label("Abuja").check()
    with page.expect_response(lambda r: "/answers/" in r.url and r.ok):
        page.get_by_label("Your answer").fill("3,14")

    page.reload()
    expect(page.get_by_label("Nairobi")).to_be_checked()
    expect(page.get_by_label("Seoul")).to_be_checked()
    expect(page.get_by_label("Abuja")).to_be_checked()
    expect(page.get_by_label("Your answer")).to_have_value("3.14")

    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_text("Grade: 100%")).to_be_visible()
    check_a11y(page)
    capture_screen(page, "quiz-review")
