"""A learner in Seoul finds a live session organised from Abuja, sees it at Seoul's time with
the organiser's beside it, registers, and downloads the ``.ics`` (read back with vobject);
the pages pass axe and fit 320 px."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import vobject
from playwright.sync_api import expect

from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.courses import services as courses
from learning.extensions import db
from learning.live import services as live_services
from tests.browser.helpers import PHONE, assert_no_horizontal_scroll, check_a11y, sign_in
from tests.factories import create_course, create_run

LEARNER = "minjun@live.example.org"


@pytest.fixture(scope="module")
def live_session(live_server):
    with live_server.app.app_context():
        now = utcnow()
        course = create_course(slug="browser-live", title="Smart city programme")
        run = create_run(course)
        instructor = accounts.create_user(
            email="amina@live.example.org",
            password=live_server.password,
            display_name="Amina Bello",
            roles=["instructor"],
            timezone="Africa/Lagos",
            now=now,
        )
        learner = accounts.create_user(
            email=LEARNER,
            password=live_server.password,
            display_name="Min-jun Park",
            timezone="Asia/Seoul",
            now=now,
        )
        courses.add_run_staff(run, instructor, "instructor")
        courses.enroll(learner, run, now=now)
        db.session.flush()
        # 14:00 in Abuja, two days from now: 22:00 in Seoul.
        day = (now + timedelta(days=2)).date()
        live = live_services.schedule_session(
            instructor,
            run,
            live_services.SessionFields(
                title="Open data with the city of Seoul",
                starts_local=datetime(day.year, day.month, day.day, 14, 0),
                ends_local=datetime(day.year, day.month, day.day, 15, 30),
                timezone="Africa/Lagos",
                join_url="https://meet.example.org/open-data",
                capacity=20,
            ),
            now=now,
        )
        held = live_services.schedule_session(
            instructor,
            run,
            live_services.SessionFields(
                title="Kick-off",
                starts_local=datetime(day.year, day.month, day.day, 9, 0) - timedelta(days=3),
                ends_local=datetime(day.year, day.month, day.day, 10, 0) - timedelta(days=3),
                timezone="Africa/Lagos",
                join_url="https://meet.example.org/kick-off",
            ),
            now=now - timedelta(days=7),
        )
        db.session.commit()
        return {"session_id": live.id, "run_id": run.id, "held_id": held.id}


def test_register_see_local_time_and_download_ics(
    live_server, live_session, new_page, tmp_path, capture_screen
):
    page = new_page()
    sign_in(page, LEARNER)
    page.get_by_role("link", name="Live sessions").first.click()
    page.get_by_role("link", name="Smart city programme — Run").click()
    expect(page.get_by_role("heading", name="Live sessions: Run")).to_be_visible()
    expect(page.get_by_text("20 places left")).to_be_visible()
    check_a11y(page)
    capture_screen(page, "live-run-sessions")
    page.get_by_role("link", name="Open data with the city of Seoul").click()

    when = page.locator(".session-time")
    expect(when).to_contain_text("10:00 PM")
    expect(when).to_contain_text("Korean Standard Time")
    expect(when).to_contain_text("Asia/Seoul")
    organiser = page.locator(".session-time-organiser")
    expect(organiser).to_contain_text("2:00 PM")
    expect(organiser).to_contain_text("Africa/Lagos")
    check_a11y(page)

    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("status")).to_contain_text("You are registered")
    expect(page.get_by_text("19 places left")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel my registration")).to_be_visible()
    # Two days ahead: the link to join is not there yet.
    expect(page.get_by_role("link", name="Join the session")).to_have_count(0)
    check_a11y(page)
    capture_screen(page, "live-session")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Add to your calendar (.ics)").click()
    target = tmp_path / "session.ics"
    download_info.value.save_as(target)
    calendar = vobject.readOne(target.read_text("utf-8"))
    [event] = calendar.vevent_list
    assert event.uid.value.startswith(f"live-session-{live_session['session_id']}@")
    assert event.summary.value == "Open data with the city of Seoul"
    assert event.dtstart.value.hour == 13 and event.dtstart.value.utcoffset() == timedelta(0)
    assert event.url.value == live_server(f"/live/{live_session['session_id']}")

    phone = new_page(**PHONE)
    sign_in(phone, LEARNER)
    phone.goto(f"/live/{live_session['session_id']}")
    expect(phone.get_by_text("Registered")).to_be_visible()
    assert_no_horizontal_scroll(phone)
    check_a11y(phone)


def test_staff_schedule_and_record_attendance(live_server, live_session, page, capture_screen):
    sign_in(page, "amina@live.example.org")
    page.goto(f"/runs/{live_session['run_id']}/live")
    page.get_by_role("link", name="Schedule a live session").click()
    check_a11y(page)
    page.get_by_label("Title").fill("Budget clinic")
    page.get_by_label("Starts").fill("2030-03-05T14:00")
    page.get_by_label("Ends").fill("2030-03-05T15:00")
    page.get_by_label("Link to join").fill("http://meet.example.org/clinic")
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.get_by_role("alert")).to_contain_text("https://")
    check_a11y(page)
    page.get_by_label("Link to join").fill("https://meet.example.org/clinic")
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.get_by_role("status")).to_contain_text("The session is scheduled.")
    expect(page.locator(".session-time")).to_contain_text("Africa/Lagos")

    page.goto(f"/live/{live_session['held_id']}/attendance")
    check_a11y(page)
    page.get_by_label("Min-jun Park").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_role("status")).to_contain_text("Attendance is saved.")
    expect(page.get_by_label("Min-jun Park")).to_be_checked()
    check_a11y(page)
    capture_screen(page, "live-attendance")
