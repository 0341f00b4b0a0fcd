"""A learner finishes a course, finds the certificate, downloads the PNG, and the QR code on
it opens the public verification page, which says the certificate is valid; every page
passes axe."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from learning.accounts import services as accounts
from learning.certificates import render
from learning.certificates import settings as issuer_settings
from learning.core.db import utcnow
from learning.courses import services as courses
from learning.extensions import db
from learning.quizzes import services as quizzes
from tests.browser.helpers import assert_no_horizontal_scroll, check_a11y, sign_in
from tests.factories import create_course, create_run

GIFT = "::Sky::The sky is green. {F}\n"


@pytest.fixture(scope="module")
def certificate_course(live_server):
    with live_server.app.app_context():
        issuer_settings.reset()  # the live server's address is known now
        course = create_course(
            slug="browser-certificate",
            title="Open data for city halls",
            modules=[[("reading", False), ("quiz", False)]],
        )
        run = create_run(course)
        reading, quiz_item = course.modules[0].items
        now = utcnow()
        quizzes.import_gift(None, course, GIFT, now=now)
        quiz = quizzes.ensure_quiz(quiz_item, now=now)
        quiz.shuffle_answers = False
        quizzes.set_slots(quiz, [("question", q.id, 1) for q in quizzes.bank(course)])
        db.session.commit()
        return {
            "slug": course.slug,
            "run_id": run.id,
            "reading_id": reading.id,
            "quiz_id": quiz_item.id,
        }


def test_finish_the_course_and_verify_the_certificate_from_its_qr_code(
    live_server, certificate_course, new_page, capture_screen
):
    email = "graduate@live.example.org"
    live_server.create_user(email=email, display_name="Nguyễn Thị Hoa")
    with live_server.app.app_context():
        run = db.session.get(courses.CourseRun, certificate_course["run_id"])
        courses.enroll(accounts.find_user_by_email(email), run, now=utcnow())
        db.session.commit()

    page = new_page()
    sign_in(page, email)
    page.goto("/certificates")
    expect(page.get_by_text("2 of 2 required items left")).to_be_visible()
    check_a11y(page)

    slug = certificate_course["slug"]
    page.goto(f"/courses/{slug}/items/{certificate_course['reading_id']}")
    page.get_by_role("button", name="Mark as done").click()
    expect(page.get_by_text("You marked this as done.")).to_be_visible()
    page.goto(f"/courses/{slug}/quizzes/{certificate_course['quiz_id']}")
    page.get_by_role("button", name="Start the quiz").click()
    with page.expect_response(lambda r: "/answers/" in r.url and r.ok):
        page.get_by_label("False").check()
    page.get_by_role("button", name="Submit for grading").click()
    expect(page.get_by_text("Grade: 100%")).to_be_visible()

    page.goto("/certificates")
    page.get_by_role("link", name="Open the certificate").click()
    expect(page.get_by_role("heading", name="Open data for city halls")).to_be_visible()
    expect(page.get_by_text("Valid", exact=True)).to_be_visible()
    check_a11y(page)
    capture_screen(page, "certificate")

    png_url = page.get_by_role("link", name="Certificate image").get_attribute("href")
    png = page.request.get(png_url).body()
    assert render.unbake_png(png)  # the signed credential travels inside the image
    codes = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)).convert("RGB"))
    assert len(codes) == 1
    verify_url = codes[0].text
    assert verify_url.startswith(live_server.url + "/verify/")

    stranger = new_page()  # anyone, not signed in
    stranger.goto(verify_url)
    expect(stranger.get_by_text("This certificate is genuine and valid.")).to_be_visible()
    expect(stranger.get_by_text("Nguyễn Thị Hoa")).to_be_visible()
    check_a11y(stranger)
    capture_screen(stranger, "verify")

    stranger.goto("/verify")
    check_a11y(stranger)
    stranger.get_by_label("Certificate image (PNG)").set_input_files(
        files=[{"name": "certificate.png", "mimeType": "image/png", "buffer": png}]
    )
    stranger.get_by_role("button", name="Check").click()
    expect(stranger.get_by_text("This certificate is genuine and valid.")).to_be_visible()
    check_a11y(stranger)


def test_staff_pages_are_accessible_and_fit_a_phone(
    live_server, certificate_course, new_page, capture_screen
):
    """A coordinator issues a certificate by hand and revokes it; an instructor edits the
    rules; at 320 px, by axe."""
    email = "cert.coordinator@live.example.org"
    live_server.create_user(email=email, display_name="Ji-woo Han", roles=("coordinator",))
    learner_email = "offline.learner@live.example.org"
    live_server.create_user(email=learner_email, display_name="أمينة بيلو")
    with live_server.app.app_context():
        run = db.session.get(courses.CourseRun, certificate_course["run_id"])
        courses.add_run_staff(run, accounts.find_user_by_email(email), "coordinator")
        courses.enroll(accounts.find_user_by_email(learner_email), run, now=utcnow())
        db.session.commit()
    page = new_page(width=320, height=640)
    sign_in(page, email)
    page.goto("/certificates")
    page.get_by_role("link", name="Open data for city halls").click()
    check_a11y(page)
    assert_no_horizontal_scroll(page)
    page.get_by_label("Reason for issuing by hand: أمينة بيلو").fill("Completed on paper")
    page.get_by_role("button", name=re.compile(r"^Issue\W+أمينة بيلو$")).click()
    expect(page.get_by_text("Certificate issued to أمينة بيلو.")).to_be_visible()
    capture_screen(page, "certificates-run")
    page.get_by_role("link", name=re.compile(r"^Revoke…\W+أمينة بيلو$")).click()
    check_a11y(page)
    assert_no_horizontal_scroll(page)
    page.get_by_label("Reason").fill("Issued to the wrong person")
    page.get_by_role("button", name="Revoke this certificate").click()
    expect(page.get_by_text("Certificate revoked.")).to_be_visible()
    with live_server.app.app_context():
        admin = accounts.find_user_by_email(live_server.admin_email)
        assert admin is not None
    page = new_page(width=320, height=640)
    sign_in(page, live_server.admin_email)
    page.goto(f"/teach/courses/{certificate_course['slug']}/certificate")
    check_a11y(page)
    assert_no_horizontal_scroll(page)
    page.get_by_label("Valid for (days)").fill("730")
    page.get_by_role("button", name="Save the rules").click()
    expect(page.get_by_text("The certificate rules are saved.")).to_be_visible()
    page.goto("/verify")
    check_a11y(page)
    assert_no_horizontal_scroll(page)
