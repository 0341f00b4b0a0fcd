"""A learner plays a captioned lecture, skips ahead, reloads: coverage is honest and the
player resumes where they stopped."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.courses import services as courses
from learning.courses.content import sync_content
from learning.extensions import db
from tests.browser.helpers import check_a11y

CONTENT = Path(__file__).resolve().parents[2] / "content"


@pytest.fixture(scope="module")
def champions(live_server):
    """The youth champions course in the live server, with an open run."""
    app = live_server.app
    with app.app_context():
        sync_content(CONTENT / "youth-champions", storage=app.extensions["storage"], now=utcnow())
        course = courses.get_course("youth-champions")
        now = utcnow()
        run = courses.create_run(
            None,
            course,
            slug="browser",
            title="Browser run",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
            now=now,
        )
        first = course.modules[0].items[0]
        db.session.commit()
        return {"run_id": run.id, "item_id": first.id, "duration": first.duration_seconds}


def _sign_in(page, email, password):
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url("/login")


def test_honest_coverage_and_resume(live_server, champions, page, capture_screen):
    email = "video.learner@live.example.org"
    live_server.create_user(email=email, display_name="Video Learner")
    with live_server.app.app_context():
        user = accounts.find_user_by_email(email)
        run = db.session.get(courses.CourseRun, champions["run_id"])
        courses.enroll(user, run, now=utcnow())
        db.session.commit()

    _sign_in(page, email, live_server.password)
    page.goto(f"/courses/youth-champions/items/{champions['item_id']}")
    check_a11y(page)
    capture_screen(page, "video-lecture")
    video = page.locator("#lecture-video")
    expect(video.locator("track[kind=captions]")).to_have_count(1)
    # The captions really load (the track's cues are parsed by the browser).
    page.wait_for_function("() => document.getElementById('lecture-video').readyState >= 1")

    # Play the first two seconds, then jump to six seconds and play to the end.
    page.evaluate(
        "() => { const v = document.getElementById('lecture-video'); v.muted = true; return v.play(); }"
    )
    page.wait_for_function("() => document.getElementById('lecture-video').currentTime >= 2")
    with page.expect_response(
        lambda r: "/progress" in r.url and r.request.method == "POST"
    ) as first:
        page.evaluate("() => { const v = document.getElementById('lecture-video'); v.pause(); }")
    assert first.value.ok, first.value.text()
    page.wait_for_function(
        "() => document.getElementById('lecture-video').textTracks[0].cues?.length > 0"
    )
    page.evaluate(
        "() => { const v = document.getElementById('lecture-video'); v.currentTime = 6; return v.play(); }"
    )
    # Reports also go out on seeking and every few seconds: wait for the one sent at the end.
    with page.expect_response(
        lambda r: (
            "/progress" in r.url
            and r.request.method == "POST"
            and json.loads(r.request.post_data or "{}").get("position", 0)
            >= champions["duration"] - 0.5
        ),
        timeout=10000,
    ) as last:
        page.wait_for_function(
            "() => document.getElementById('lecture-video').ended", timeout=10000
        )
    body = last.value.json()
    # About 2 s + 2 s of an 8 s video: far from complete, although the playhead reached the end.
    assert 0.35 < body["coverage"] < 0.75, body
    assert body["completed"] is False

    page.reload()
    expect(page.locator("#video-status")).to_contain_text("Watched:")
    status = page.locator("#video-status").inner_text()
    assert "100" not in status and "complete" not in status.split(".")[1], status
    with live_server.app.app_context():
        user = accounts.find_user_by_email(email)
        course = courses.get_course("youth-champions")
        enrolment = courses.active_enrolment(user, course)
        progress = courses.progress_for_enrolments([enrolment])[enrolment.id]
        assert 0.35 < progress.coverage[champions["item_id"]] < 0.75
        resume = progress.positions[champions["item_id"]]
    # The player resumes at the last reported position (unless at the very end).
    assert resume > 6
    page.wait_for_function("() => document.getElementById('lecture-video').readyState >= 1")
    current = page.evaluate("() => document.getElementById('lecture-video').currentTime")
    assert current == pytest.approx(resume, abs=0.5) or resume >= champions["duration"] - 3
