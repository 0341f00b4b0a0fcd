"""Live session pages on the real clock: permissions for every role, registration and the
waiting list, the join link's rules, times in two zones, e-mails after edits, ``.ics`` files
and the private feed read back by another parser (vobject), attendance and reminders."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
import vobject
from sqlalchemy import func, select

from learning.core.db import utcnow
from learning.courses import services as courses
from learning.live import services, tasks
from learning.live.models import Attendance, LiveSession
from tests.conftest import text_of
from tests.factories import create_course, create_user
from tests.helpers import csrf_token, post_form
from tests.live.conftest import make_run


def fields_at(start, *, minutes=90, zone="Africa/Lagos", **overrides) -> services.SessionFields:
    """Session fields for a UTC instant, entered as the wall-clock time in ``zone``."""
    local = services.to_local(start, zone).replace(tzinfo=None)
    values = {
        "title": "Financing smart mobility",
        "starts_local": local,
        "ends_local": local + timedelta(minutes=minutes),
        "timezone": zone,
        "join_url": "https://meet.example.org/mobility-2026",
        "description": "With the transport authority.",
    }
    values.update(overrides)
    return services.SessionFields(**values)


@pytest.fixture
def site(db):
    now = utcnow()
    course = create_course()
    run = make_run(
        course,
        starts_at=now - timedelta(days=7),
        ends_at=now + timedelta(days=14),
        now=now - timedelta(days=30),
    )
    instructor = create_user(roles=("instructor",), timezone="Africa/Lagos")
    coordinator = create_user(roles=("coordinator",), timezone="Asia/Seoul")
    courses.add_run_staff(run, instructor, "instructor")
    courses.add_run_staff(run, coordinator, "coordinator")
    seoul = create_user(timezone="Asia/Seoul", display_name="Min-jun Park")
    lagos = create_user(timezone="Africa/Lagos", display_name="Chidi Okafor")
    third = create_user(timezone="America/Sao_Paulo", display_name="Rafael Souza")
    for learner in (seoul, lagos, third):
        courses.enroll(learner, run, added_by=coordinator, now=now - timedelta(days=7))
    db.session.flush()
    scheduled = now - timedelta(days=3)
    upcoming = services.schedule_session(
        instructor, run, fields_at(now + timedelta(days=2), capacity=1), now=scheduled
    )
    soon = services.schedule_session(
        instructor,
        run,
        fields_at(now + timedelta(minutes=10), title="Starting soon"),
        now=scheduled,
    )
    past = services.schedule_session(
        instructor,
        run,
        fields_at(now - timedelta(days=1), title="Already held"),
        now=now - timedelta(days=5),
    )
    db.session.commit()
    return SimpleNamespace(
        now=now,
        course=course,
        run=run,
        instructor=instructor,
        coordinator=coordinator,
        seoul=seoul,
        lagos=lagos,
        third=third,
        outsider=create_user(),
        other_instructor=create_user(roles=("instructor",)),
        admin=create_user(roles=("admin",)),
        upcoming=upcoming,
        soon=soon,
        past=past,
    )


def page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


# --- permissions ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, site):
    for path in (
        "/live",
        f"/runs/{site.run.id}/live",
        f"/live/{site.upcoming.id}",
        f"/live/{site.upcoming.id}.ics",
        "/calendar",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


@pytest.mark.parametrize(
    ("who", "view", "manage"),
    [
        ("seoul", 200, 403),
        ("outsider", 403, 403),
        ("other_instructor", 403, 403),
        ("instructor", 200, 200),
        ("coordinator", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_who_sees_and_who_manages(client, login_as, site, who, view, manage):
    login_as(getattr(site, who))
    assert client.get(f"/runs/{site.run.id}/live").status_code == view
    assert client.get(f"/live/{site.upcoming.id}").status_code == view
    assert client.get(f"/live/{site.upcoming.id}.ics").status_code == view
    assert client.get(f"/runs/{site.run.id}/live/new").status_code == manage
    assert client.get(f"/live/{site.upcoming.id}/edit").status_code == manage
    assert client.get(f"/live/{site.past.id}/attendance").status_code == manage
    assert client.get(f"/live/{site.past.id}/recording").status_code == manage
    token = csrf_token(client, "/live")
    response = client.post(f"/live/{site.upcoming.id}/cancel", data={"csrf_token": token})
    assert response.status_code == (303 if manage == 200 else 403)
    response = client.post(f"/live/{site.past.id}/attendance", data={"csrf_token": token})
    assert response.status_code == (303 if manage == 200 else 403)


def test_an_outsider_cannot_register(client, login_as, site):
    login_as(site.outsider)
    token = csrf_token(client, "/live")
    response = client.post(f"/live/{site.upcoming.id}/register", data={"csrf_token": token})
    assert response.status_code == 403
    assert services.registration_of(site.outsider, site.upcoming) is None


def test_posts_without_csrf_token_change_nothing(client, login_as, site):
    login_as(site.seoul)
    response = client.post(f"/live/{site.upcoming.id}/register")
    assert response.status_code in (303, 400)
    assert services.registration_of(site.seoul, site.upcoming) is None


# --- registration ---------------------------------------------------------------------------------


def test_register_then_waiting_list_then_promotion_by_email(client, login_as, site, outbox):
    path = f"/live/{site.upcoming.id}"
    login_as(site.seoul)
    html = page(client, path)
    assert "1 place left" in html and "Register" in html
    response = post_form(client, f"{path}/register", {}, form_path=path)
    assert response.status_code == 303
    html = page(client, path)
    assert "Registered" in html and "Full" in html

    login_as(site.lagos)
    html = page(client, path)
    assert "Join the waiting list" in html
    post_form(client, f"{path}/register", {}, form_path=path)
    html = page(client, path)
    assert "On the waiting list" in html and "Number 1 on the waiting list" in html

    login_as(site.seoul)
    post_form(client, f"{path}/unregister", {}, form_path=path)
    assert services.registration_of(site.lagos, site.upcoming).status == "registered"
    message = outbox.last_to(site.lagos.email)
    assert "You have a place" in message["Subject"]
    body = text_of(message)
    assert "Financing smart mobility" in body and "Africa/Lagos" in body


def test_places_left_on_the_run_page(client, login_as, site):
    login_as(site.lagos)
    html = page(client, f"/runs/{site.run.id}/live")
    assert "1 place left" in html
    assert "Live sessions attended: 0 of 3" in html


# --- the join link --------------------------------------------------------------------------------


def test_join_link_only_for_registered_learners_and_only_near_the_start(client, login_as, site):
    services.register(site.seoul, site.soon, now=site.now)
    services.register(site.seoul, site.upcoming, now=site.now)
    services._session().commit()
    link = site.soon.join_url
    login_as(site.seoul)
    assert link in page(client, f"/live/{site.soon.id}")  # starts in 10 minutes
    html = page(client, f"/live/{site.upcoming.id}")  # in two days
    assert link not in html and "The link to join appears here from" in html
    login_as(site.lagos)  # enrolled, not registered
    assert link not in page(client, f"/live/{site.soon.id}")
    site.soon.is_link_for_all_enrolled = True
    services._session().commit()
    assert link in page(client, f"/live/{site.soon.id}")
    login_as(site.outsider)
    assert client.get(f"/live/{site.soon.id}").status_code == 403


def test_the_join_window_is_configurable(app, client, login_as, site):
    services.register(site.seoul, site.soon, now=site.now)
    services._session().commit()
    login_as(site.seoul)
    app.config["LIVE_JOIN_OPENS_MINUTES"] = 5
    try:
        assert site.soon.join_url not in page(client, f"/live/{site.soon.id}")
    finally:
        app.config["LIVE_JOIN_OPENS_MINUTES"] = 15


# --- times ----------------------------------------------------------------------------------------


def test_viewer_time_with_the_organisers_beside_it(client, login_as, site):
    login_as(site.seoul)
    html = page(client, f"/live/{site.upcoming.id}")
    seoul_time = services.session_times(site.upcoming, "Asia/Seoul").starts
    assert "Asia/Seoul" in html and "Organiser's time:" in html and "Africa/Lagos" in html
    assert seoul_time.strftime("%I:%M").lstrip("0") in html
    login_as(site.lagos)  # same zone as the organiser: one time only
    html = page(client, f"/live/{site.upcoming.id}")
    assert "Organiser's time:" not in html and "Africa/Lagos" in html


# --- staff ----------------------------------------------------------------------------------------


def form_data(start_local: str, end_local: str, **overrides) -> dict:
    data = {
        "title": "Data governance clinic",
        "description": "",
        "timezone": "Asia/Almaty",
        "starts_at": start_local,
        "ends_at": end_local,
        "join_url": "https://meet.example.org/clinic",
        "capacity": "",
        "module_id": "0",
        "reminders": "24, 1",
        "min_minutes": "30",
    }
    data.update(overrides)
    return data


def local_input(instant, zone="Asia/Almaty") -> str:
    return services.to_local(instant, zone).strftime("%Y-%m-%dT%H:%M")


def test_schedule_through_the_form(client, login_as, site):
    login_as(site.coordinator)
    path = f"/runs/{site.run.id}/live/new"
    start = (site.now + timedelta(days=3)).replace(second=0, microsecond=0)
    data = form_data(local_input(start), local_input(start + timedelta(hours=1)))
    response = post_form(client, path, data)
    assert response.status_code == 303
    live = services._session().scalar(
        select(LiveSession).where(LiveSession.title == "Data governance clinic")
    )
    assert live.starts_at == start and live.timezone == "Asia/Almaty"
    assert live.reminder_offsets == [1440, 60]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"join_url": "http://meet.example.org/x"}, "https://"),
        ({"join_url": "javascript:alert(1)"}, "https://"),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice"),
        ({"reminders": "soon"}, "Give numbers of hours."),
    ],
)
def test_bad_input_in_the_form_changes_nothing(client, login_as, site, overrides, message):
    login_as(site.instructor)
    path = f"/runs/{site.run.id}/live/new"
    start = site.now + timedelta(days=3)
    before = services._session().scalar(select(func.count(LiveSession.id)))
    response = post_form(
        client,
        path,
        form_data(local_input(start), local_input(start + timedelta(hours=1)), **overrides),
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert services._session().scalar(select(func.count(LiveSession.id))) == before


def test_end_before_start_and_start_in_the_past(client, login_as, site):
    login_as(site.instructor)
    path = f"/runs/{site.run.id}/live/new"
    start = site.now + timedelta(days=3)
    response = post_form(client, path, form_data(local_input(start), local_input(start)))
    assert response.status_code == 422 and "must end after it starts" in response.get_data(
        as_text=True
    )
    past = site.now - timedelta(hours=3)
    response = post_form(
        client, path, form_data(local_input(past), local_input(past + timedelta(hours=1)))
    )
    assert response.status_code == 422 and "cannot start in the past" in response.get_data(
        as_text=True
    )


def test_edit_tells_registered_learners_in_their_own_time(client, login_as, site, outbox):
    services.register(site.seoul, site.upcoming, now=site.now)
    services._session().commit()
    login_as(site.instructor)
    path = f"/live/{site.upcoming.id}/edit"
    new_start = (site.now + timedelta(days=4)).replace(second=0, microsecond=0)
    data = form_data(
        local_input(new_start, "Africa/Lagos"),
        local_input(new_start + timedelta(hours=1), "Africa/Lagos"),
        timezone="Africa/Lagos",
        title="Financing smart mobility",
        join_url=site.upcoming.join_url,
        capacity="1",
    )
    response = post_form(client, path, data)
    assert response.status_code == 303
    services._session().refresh(site.upcoming)
    assert site.upcoming.sequence == 1
    message = outbox.last_to(site.seoul.email)
    assert message["Subject"] == "Changed: Financing smart mobility"
    body = text_of(message)
    seoul = services.session_times(site.upcoming, "Asia/Seoul").starts
    assert "Asia/Seoul" in body and seoul.strftime("%I:%M").lstrip("0") in body
    assert outbox.to(site.lagos.email) == []


def test_capacity_below_registrations_in_the_form(client, login_as, site):
    live = site.soon
    services.register(site.seoul, live, now=site.now)
    services.register(site.lagos, live, now=site.now)
    services._session().commit()
    login_as(site.instructor)
    data = form_data(
        local_input(live.starts_at, "Africa/Lagos"),
        local_input(live.ends_at, "Africa/Lagos"),
        timezone="Africa/Lagos",
        join_url=live.join_url,
        capacity="1",
    )
    response = post_form(client, f"/live/{live.id}/edit", data)
    assert response.status_code == 422
    assert "capacity cannot be lower" in response.get_data(as_text=True)
    services._session().refresh(live)
    assert live.capacity is None and live.sequence == 0


def test_cancel_tells_learners_and_the_ics_says_cancelled(client, login_as, site, outbox):
    services.register(site.seoul, site.upcoming, now=site.now)
    services._session().commit()
    login_as(site.instructor)
    path = f"/live/{site.upcoming.id}"
    assert post_form(client, f"{path}/cancel", {}, form_path=path).status_code == 303
    assert outbox.last_to(site.seoul.email)["Subject"] == "Cancelled: Financing smart mobility"
    assert "This session was cancelled." in page(client, path)
    event = parse_one(client.get(f"{path}.ics").data)
    assert event.status.value == "CANCELLED"
    assert event.sequence.value == "1"


# --- iCalendar ------------------------------------------------------------------------------------


def parse(data: bytes):
    """Read with vobject: a parser other than the icalendar package that wrote the file."""
    return vobject.readOne(data.decode("utf-8"))


def parse_one(data: bytes):
    calendar = parse(data)
    [event] = calendar.vevent_list
    return event


def test_ics_download(client, login_as, site):
    login_as(site.seoul)
    response = client.get(f"/live/{site.upcoming.id}.ics")
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = parse(response.data)
    assert calendar.version.value == "2.0" and calendar.prodid.value
    assert calendar.method.value == "PUBLISH"
    event = calendar.vevent_list[0]
    assert event.uid.value == f"live-session-{site.upcoming.id}@localhost"
    assert event.sequence.value == "0"
    assert event.dtstart.value == site.upcoming.starts_at.replace(microsecond=0)
    assert event.dtend.value == site.upcoming.ends_at.replace(microsecond=0)
    assert event.dtstart.value.utcoffset() == timedelta(0)
    assert event.dtstamp.value.utcoffset() == timedelta(0)
    assert event.url.value == f"http://localhost/live/{site.upcoming.id}"
    assert event.status.value == "CONFIRMED"
    assert event.summary.value == "Financing smart mobility"
    # The join link is on the page when it is time, never in a calendar.
    assert site.upcoming.join_url not in response.get_data(as_text=True)
    # The same UID after a change, with a higher SEQUENCE.
    services.update_session(
        site.instructor,
        site.upcoming,
        fields_at(site.upcoming.starts_at + timedelta(hours=1), capacity=1),
        now=site.now,
    )
    services._session().commit()
    again = parse_one(client.get(f"/live/{site.upcoming.id}.ics").data)
    assert again.uid.value == event.uid.value and again.sequence.value == "1"


def test_private_feed_lists_sessions_and_deadlines_and_dies_on_reset(client, login_as, site):
    from learning.courses.models import Item
    from learning.quizzes.models import Quiz, QuizWindow

    services.register(site.seoul, site.upcoming, now=site.now)
    item = Item(
        course_id=site.course.id,
        module_id=site.course.modules[0].id,
        key="quiz-final",
        position=9,
        kind="quiz",
        title="Final check",
    )
    services._session().add(item)
    services._session().flush()
    quiz = Quiz(course_id=site.course.id, item_id=item.id)
    services._session().add(quiz)
    services._session().flush()
    closes = (site.now + timedelta(days=5)).replace(microsecond=0)
    services._session().add(QuizWindow(quiz_id=quiz.id, run_id=site.run.id, closes_at=closes))
    services._session().commit()

    login_as(site.seoul)
    html = page(client, "/calendar")
    url = html.split('id="feed-url" value="', 1)[1].split('"', 1)[0]
    path = url.removeprefix("http://localhost")
    assert path.startswith("/calendar/") and path.endswith(".ics")

    with client.session_transaction() as session:
        session.clear()  # calendar programs have no session
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    calendar = parse(response.data)
    events = {e.summary.value: e for e in calendar.vevent_list}
    assert set(events) == {"Financing smart mobility", "Quiz closes: Final check"}
    assert events["Quiz closes: Final check"].dtstart.value == closes
    assert events["Quiz closes: Final check"].url.value.endswith(
        f"/courses/{site.course.slug}/quizzes/{item.id}"
    )
    uids = [e.uid.value for e in calendar.vevent_list]
    assert len(set(uids)) == 2

    login_as(site.seoul)
    assert post_form(client, "/calendar/reset", {}, form_path="/calendar").status_code == 303
    assert client.get(path).status_code == 404
    assert client.get("/calendar/not-a-secret.ics").status_code == 404


# --- attendance and recordings --------------------------------------------------------------------


def test_attendance_checklist_and_the_learners_count(client, login_as, site):
    login_as(site.instructor)
    path = f"/live/{site.past.id}/attendance"
    html = page(client, path)
    assert "Min-jun Park" in html and "Rafael Souza" in html
    token = csrf_token(client, path)
    response = client.post(
        path, data={"csrf_token": token, "present": [str(site.seoul.id), str(site.third.id)]}
    )
    assert response.status_code == 303
    assert services.attended_counts(site.run.id, [site.seoul.id, site.lagos.id]) == {
        site.seoul.id: 1
    }
    response = client.post(path, data={"csrf_token": token, "present": [str(site.outsider.id)]})
    assert response.status_code == 422
    login_as(site.seoul)
    assert "Live sessions attended: 1 of 3" in page(client, f"/runs/{site.run.id}/live")


def test_participant_report_upload(client, login_as, site):
    login_as(site.instructor)
    path = f"/live/{site.past.id}/attendance"
    bad = f"Name,Email,Duration\nMin-jun,{site.seoul.email},45\nX,broken,10\n"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/import",
        data={"csrf_token": token, "file": (io.BytesIO(bad.encode()), "report.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "Nothing was imported" in response.get_data(as_text=True)
    assert services._session().scalar(select(func.count(Attendance.id))) == 0
    good = (
        "Name,Email,Duration\n"
        f"Min-jun,{site.seoul.email},45\nChidi,{site.lagos.email},5\nGuest,guest@elsewhere.example,60\n"
    )
    response = client.post(
        f"{path}/import",
        data={"csrf_token": token, "file": (io.BytesIO(good.encode()), "report.csv")},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 learner attended." in html and "guest@elsewhere.example" in html
    assert services.attended_counts(site.run.id, [site.seoul.id, site.lagos.id]) == {
        site.seoul.id: 1
    }


def test_recording_upload_makes_a_video_item(client, login_as, site):
    from tests.courses.test_authoring import mp4

    courses.add_course_instructor(site.course, site.instructor)
    services._session().commit()
    login_as(site.instructor)
    path = f"/live/{site.past.id}/recording"
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "title": "Recording: Already held",
            "module_id": str(site.course.modules[0].id),
            "file": (io.BytesIO(mp4(2400)), "recording.mp4"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    services._session().refresh(site.past)
    assert site.past.recording_item_id is not None
    login_as(site.seoul)
    assert "Watch the recording" in page(client, f"/live/{site.past.id}")


# --- reminders and the list's queries -------------------------------------------------------------


def test_reminder_task_sends_once(site, outbox):
    services.register(site.seoul, site.soon, now=site.now - timedelta(days=1))
    services._session().commit()
    assert tasks.send_reminders.apply().get() == 1
    assert tasks.send_reminders.apply().get() == 0
    [message] = outbox.to(site.seoul.email)
    assert message["Subject"] == "Reminder: Starting soon"
    assert f"/live/{site.soon.id}" in text_of(message)


def test_run_page_queries_do_not_grow_with_sessions(client, login_as, site, count_queries):
    login_as(site.seoul)
    path = f"/runs/{site.run.id}/live"
    client.get(path)
    with count_queries() as few:
        page(client, path)
    for day in range(9):
        live = services.schedule_session(
            site.instructor,
            site.run,
            fields_at(site.now + timedelta(days=3 + day), title=f"Extra {day}", capacity=5),
            now=site.now,
        )
        services.register(site.seoul, live, now=site.now)
        services.register(site.lagos, live, now=site.now)
    services._session().commit()
    with count_queries() as many:
        html = page(client, path)
    assert html.count('class="card"') == 12
    assert len(many) == len(few)


def test_index_lists_upcoming_registrations(client, login_as, site):
    services.register(site.seoul, site.upcoming, now=site.now)
    services._session().commit()
    login_as(site.seoul)
    html = page(client, "/live")
    assert "Financing smart mobility" in html and "Registered" in html
    assert f"/runs/{site.run.id}/live" in html


def test_another_course_run_is_not_visible(client, login_as, site):
    other_course = create_course()
    other_run = make_run(
        other_course,
        starts_at=site.now - timedelta(days=1),
        ends_at=site.now + timedelta(days=5),
        now=site.now - timedelta(days=2),
    )
    services._session().commit()
    login_as(site.seoul)
    assert client.get(f"/runs/{other_run.id}/live").status_code == 403
    assert client.get("/runs/999999/live").status_code == 404
    assert client.get("/live/999999").status_code == 404


def test_cli_sends_due_reminders_once(app, site, outbox):
    services.register(site.lagos, site.soon, now=site.now - timedelta(days=1))
    services._session().commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["live", "send-reminders"])
    assert first.exit_code == 0 and "1 reminder(s) sent." in first.output
    assert "0 reminder(s) sent." in runner.invoke(args=["live", "send-reminders"]).output
    assert len(outbox.to(site.lagos.email)) == 1


def test_zero_minutes_counts_everyone_present(client, login_as, site):
    login_as(site.instructor)
    start = site.now + timedelta(days=3)
    response = post_form(
        client,
        f"/runs/{site.run.id}/live/new",
        form_data(local_input(start), local_input(start + timedelta(hours=1)), min_minutes="0"),
    )
    assert response.status_code == 303
    live = services._session().scalar(
        select(LiveSession).where(LiveSession.title == "Data governance clinic")
    )
    assert live.min_attendance_minutes == 0


def test_a_teams_report_in_utf16_with_tabs(client, login_as, site):
    login_as(site.instructor)
    path = f"/live/{site.past.id}/attendance"
    report = f"Full Name\tEmail\tDuration\nMin-jun Park\t{site.seoul.email}\t1h 2m\n"
    token = csrf_token(client, path)
    response = client.post(
        f"{path}/import",
        data={"csrf_token": token, "file": (io.BytesIO(report.encode("utf-16")), "r.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    assert services.attended_counts(site.run.id, [site.seoul.id]) == {site.seoul.id: 1}
