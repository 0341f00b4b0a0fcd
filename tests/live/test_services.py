"""Live sessions services with an explicit clock: time zones, bad input, the waiting list,
reminders that go once, attendance, recordings and calendar feeds."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from learning.core.errors import Conflict, Forbidden, NotFound, ValidationError
from learning.courses import services as courses
from learning.live import services
from learning.live.models import Attendance, LiveSession, Registration, ReminderSent
from tests.factories import create_course, create_user
from tests.live.conftest import NOW, make_run, session_fields

# --- time zones -----------------------------------------------------------------------------------


def test_times_entered_in_the_organisers_zone_are_stored_in_utc(world):
    live = services.schedule_session(world.instructor, world.run, session_fields(), now=NOW)
    # 21:00 in Seoul (UTC+9, no daylight saving) is noon UTC.
    assert live.starts_at == datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    assert live.ends_at == datetime(2026, 12, 10, 13, 30, tzinfo=UTC)
    assert live.timezone == "Asia/Seoul"
    assert live.sequence == 0


def test_sao_paulo_history_daylight_saving_then_none(db):
    """Brazil kept summer time until 2019: 10:00 in São Paulo was 12:00 UTC in November 2018
    (UTC-2) and 13:00 UTC in November 2019 (UTC-3)."""
    course = create_course()
    instructor = create_user(roles=("instructor",))
    then = datetime(2018, 10, 1, tzinfo=UTC)
    run = make_run(
        course,
        starts_at=datetime(2018, 10, 1, tzinfo=UTC),
        ends_at=datetime(2019, 12, 31, tzinfo=UTC),
        now=then,
    )
    courses.add_run_staff(run, instructor, "instructor")
    services._session().flush()
    zone = "America/Sao_Paulo"

    def at(local: datetime) -> LiveSession:
        return services.schedule_session(
            instructor,
            run,
            session_fields(
                timezone=zone, starts_local=local, ends_local=local + timedelta(hours=1)
            ),
            now=then,
        )

    before = at(datetime(2018, 10, 30, 10, 0))
    during = at(datetime(2018, 11, 6, 10, 0))
    abolished = at(datetime(2019, 11, 6, 10, 0))

    assert before.starts_at == datetime(2018, 10, 30, 13, 0, tzinfo=UTC)
    assert during.starts_at == datetime(2018, 11, 6, 12, 0, tzinfo=UTC)
    assert abolished.starts_at == datetime(2019, 11, 6, 13, 0, tzinfo=UTC)
    # Clocks jumped from midnight to 01:00 on 4 November 2018: 00:30 never happened.
    with pytest.raises(ValidationError) as error:
        at(datetime(2018, 11, 4, 0, 30))
    assert error.value.field == "starts_at"
    # A viewer in Seoul sees each at the right hour, the organiser's time beside it.
    times = services.session_times(during, "Asia/Seoul")
    assert times.starts.hour == 21 and times.organiser_starts.hour == 10
    assert times.differs


def test_london_clock_changes(world):
    """Spring forward (29 March 2026, 01:00 -> 02:00) and fall back (25 October 2026)."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    run = make_run(
        world.course,
        starts_at=datetime(2026, 1, 5, tzinfo=UTC),
        ends_at=datetime(2026, 12, 31, tzinfo=UTC),
        now=now,
    )
    courses.add_run_staff(run, world.instructor, "instructor")
    services._session().flush()

    def at(local: datetime) -> LiveSession:
        fields = session_fields(
            timezone="Europe/London", starts_local=local, ends_local=local + timedelta(hours=1)
        )
        return services.schedule_session(world.instructor, run, fields, now=now)

    winter = at(datetime(2026, 3, 28, 10, 0))
    summer = at(datetime(2026, 3, 30, 10, 0))
    assert winter.starts_at == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    assert summer.starts_at == datetime(2026, 3, 30, 9, 0, tzinfo=UTC)
    # Seoul never changes its clocks: the same London hour is 19:00 then 18:00 there.
    assert services.session_times(winter, "Asia/Seoul").starts.hour == 19
    assert services.session_times(summer, "Asia/Seoul").starts.hour == 18
    with pytest.raises(ValidationError):
        at(datetime(2026, 3, 29, 1, 30))  # skipped
    twice = at(datetime(2026, 10, 25, 1, 30))  # happens twice: the first (BST) is meant
    assert twice.starts_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert db_count(LiveSession) == 3


def db_count(model) -> int:
    from learning.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


def test_a_session_crossing_midnight_in_one_zone_but_not_another(world):
    live = services.schedule_session(
        world.instructor,
        world.run,
        session_fields(
            starts_local=datetime(2026, 12, 10, 23, 0), ends_local=datetime(2026, 12, 11, 0, 30)
        ),
        now=NOW,
    )
    seoul = services.session_times(live, "Asia/Seoul")
    assert seoul.crosses_midnight
    assert not seoul.differs
    sao_paulo = services.session_times(live, "America/Sao_Paulo")
    assert (sao_paulo.starts.hour, sao_paulo.ends.hour, sao_paulo.ends.minute) == (11, 12, 30)
    assert not sao_paulo.crosses_midnight
    assert sao_paulo.organiser_crosses_midnight
    assert sao_paulo.differs
    assert sao_paulo.duration == timedelta(minutes=90)
    # An unknown viewer zone falls back to UTC rather than failing the page.
    assert services.session_times(live, "Mars/Olympus").zone == "UTC"


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_local": datetime(2026, 12, 10, 20, 0)}, "ends_at"),
        ({"ends_local": datetime(2026, 12, 10, 21, 0)}, "ends_at"),
        (  # 08:00 UTC, before NOW
            {
                "starts_local": datetime(2026, 12, 7, 17, 0),
                "ends_local": datetime(2026, 12, 7, 18, 0),
            },
            "starts_at",
        ),
        ({"ends_local": datetime(2026, 12, 11, 21, 1)}, "ends_at"),  # over 24 hours
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"join_url": "javascript:alert(1)"}, "join_url"),
        ({"join_url": "http://meet.example.org/x"}, "join_url"),
        ({"join_url": "https://"}, "join_url"),
        ({"join_url": "https://user:pw@meet.example.org/x"}, "join_url"),
        ({"join_url": "https://meet.example.org/a b"}, "join_url"),
        ({"join_url": ""}, "join_url"),
        ({"capacity": 0}, "capacity"),
        ({"title": "  "}, "title"),
        ({"reminder_offsets": [0]}, "reminders"),
        ({"min_attendance_minutes": -1}, "min_minutes"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(world, overrides, field):
    with pytest.raises(ValidationError) as error:
        services.schedule_session(world.instructor, world.run, session_fields(**overrides), now=NOW)
    assert error.value.field == field
    assert db_count(LiveSession) == 0


def test_a_module_of_another_course_is_refused(world):
    other = create_course()
    with pytest.raises(ValidationError):
        services.schedule_session(
            world.instructor,
            world.run,
            session_fields(module_id=other.modules[0].id),
            now=NOW,
        )


def test_only_the_runs_staff_schedule(world):
    for person in (world.learners[0], world.outsider, world.other_instructor):
        with pytest.raises(Forbidden):
            services.schedule_session(person, world.run, session_fields(), now=NOW)
    for person in (world.coordinator, world.admin):
        services.schedule_session(person, world.run, session_fields(), now=NOW)
    assert db_count(LiveSession) == 2


def test_capacity_below_the_registrations_is_refused_and_changes_nothing(world, live):
    for learner in world.learners[:2]:
        services.register(learner, live, now=NOW)
    fields = session_fields(capacity=1, title="Renamed")
    with pytest.raises(ValidationError) as error:
        services.update_session(world.instructor, live, fields, now=NOW)
    assert error.value.field == "capacity"
    assert (live.title, live.capacity, live.sequence) == ("Open data with Seoul", None, 0)


def test_a_learner_outside_the_run_cannot_register(world, live):
    with pytest.raises(Forbidden):
        services.register(world.outsider, live, now=NOW)
    courses.leave(world.learners[0], world.run, now=NOW)
    with pytest.raises(Forbidden):
        services.register(world.learners[0], live, now=NOW)
    assert db_count(Registration) == 0


# --- editing and cancelling -----------------------------------------------------------------------


def test_an_edit_raises_the_sequence_and_names_who_to_tell(world, live):
    services.register(world.learners[0], live, now=NOW)
    moved = session_fields(
        starts_local=datetime(2026, 12, 11, 21, 0), ends_local=datetime(2026, 12, 11, 22, 0)
    )
    change = services.update_session(world.instructor, live, moved, now=NOW + timedelta(hours=1))
    assert change.notify_user_ids == [world.learners[0].id]
    assert live.sequence == 1
    assert live.updated_at == NOW + timedelta(hours=1)
    # Saving the same values again is no change: no e-mail, no new sequence.
    again = services.update_session(world.instructor, live, moved, now=NOW + timedelta(hours=2))
    assert not again.changed and again.notify_user_ids == []
    assert live.sequence == 1
    # A change of capacity alone is a change for calendars but not news for learners.
    bigger = services.update_session(
        world.instructor, live, replace(moved, capacity=10), now=NOW + timedelta(hours=3)
    )
    assert bigger.changed and bigger.notify_user_ids == []
    assert live.sequence == 2


def test_a_session_cannot_be_moved_into_the_past(world, live):
    past = session_fields(
        starts_local=datetime(2026, 12, 1, 9, 0), ends_local=datetime(2026, 12, 1, 10, 0)
    )
    with pytest.raises(ValidationError):
        services.update_session(world.instructor, live, past, now=NOW)


def test_cancel_tells_registered_and_waiting_learners_and_is_idempotent(world, live):
    live.capacity = 1
    services.register(world.learners[0], live, now=NOW)
    services.register(world.learners[1], live, now=NOW)
    change = services.cancel_session(world.instructor, live, now=NOW)
    assert change.notify_user_ids == [world.learners[0].id, world.learners[1].id]
    assert live.is_cancelled and live.sequence == 1
    assert services.cancel_session(world.instructor, live, now=NOW).notify_user_ids == []
    assert live.sequence == 1
    with pytest.raises(Conflict):
        services.register(world.learners[2], live, now=NOW)
    with pytest.raises(Conflict):
        services.update_session(world.instructor, live, session_fields(), now=NOW)


def test_learners_cannot_cancel_or_edit(world, live):
    with pytest.raises(Forbidden):
        services.cancel_session(world.learners[0], live, now=NOW)
    with pytest.raises(Forbidden):
        services.update_session(world.learners[0], live, session_fields(title="x"), now=NOW)
    assert not live.is_cancelled


# --- registration and the waiting list ------------------------------------------------------------


def test_waiting_list_moves_up_in_order(world, live):
    live.capacity = 1
    first, second, third = world.learners
    assert services.register(first, live, now=NOW).status == "registered"
    assert services.register(second, live, now=NOW + timedelta(minutes=1)).status == "waitlisted"
    waiting = services.register(third, live, now=NOW + timedelta(minutes=2))
    assert waiting.status == "waitlisted"
    assert services.waiting_position(waiting) == 2
    # Registering twice changes nothing.
    assert services.register(second, live, now=NOW).status == "waitlisted"

    promoted = services.cancel_registration(first, live, now=NOW + timedelta(hours=1))

    assert [r.user_id for r in promoted] == [second.id]
    assert services.registration_of(second, live).status == "registered"
    assert services.waiting_position(waiting) == 1
    # Leaving the waiting list frees nothing; coming back puts you at its end.
    assert services.register(first, live, now=NOW + timedelta(hours=2)).status == "waitlisted"
    assert services.cancel_registration(third, live, now=NOW) == []
    assert services.waiting_position(services.registration_of(first, live)) == 1


def test_raising_the_capacity_promotes_the_waiting_list(world, live):
    live.capacity = 1
    for learner in world.learners:
        services.register(learner, live, now=NOW)
    change = services.update_session(
        world.instructor, live, session_fields(capacity=2), now=NOW + timedelta(minutes=5)
    )
    assert [r.user_id for r in change.promoted] == [world.learners[1].id]
    assert change.notify_user_ids == []  # the rest did not change for anyone
    rows = services.run_sessions(world.run, world.learners[2])
    assert rows[0].registered == 2 and rows[0].waitlisted == 1 and rows[0].places_left == 0
    assert rows[0].my_status == "waitlisted"


def test_places_left_and_unlimited(world, live):
    rows = services.run_sessions(world.run, world.learners[0])
    assert rows[0].places_left is None and rows[0].my_status is None
    live.capacity = 3
    services.register(world.learners[0], live, now=NOW)
    row = services.run_sessions(world.run, world.learners[0])[0]
    assert row.places_left == 2 and row.my_status == "registered"


def test_no_registration_after_the_end_and_cancelling_twice(world, live):
    with pytest.raises(Conflict):
        services.register(world.learners[0], live, now=live.ends_at)
    with pytest.raises(NotFound):
        services.cancel_registration(world.learners[0], live, now=NOW)


def test_join_link_rules(world, live):
    learner, other, _ = world.learners
    registration = services.register(learner, live, now=NOW)
    before = timedelta(minutes=15)

    def may(user, reg, now, enrolled=True):
        return services.may_join(
            user, live, reg, is_enrolled=enrolled, now=now, opens_before=before
        )

    assert not may(learner, registration, live.starts_at - timedelta(minutes=16))
    assert may(learner, registration, live.starts_at - timedelta(minutes=15))
    assert may(learner, registration, live.ends_at - timedelta(seconds=1))
    assert not may(learner, registration, live.ends_at)
    assert not may(other, None, live.starts_at)
    live.is_link_for_all_enrolled = True
    assert may(other, None, live.starts_at)
    assert not may(world.outsider, None, live.starts_at, enrolled=False)
    assert may(world.instructor, None, live.starts_at, enrolled=False)
    live.cancelled_at = NOW
    assert not may(learner, registration, live.starts_at)


# --- reminders ------------------------------------------------------------------------------------


def test_reminders_go_once_each_at_their_time(world, live):
    registration = services.register(world.learners[0], live, now=NOW)
    start = live.starts_at  # 10 December 12:00 UTC

    assert services.claim_due_reminders(now=start - timedelta(hours=25)) == []
    day_before = services.claim_due_reminders(now=start - timedelta(hours=24))
    assert [(r.registration_id, r.offset_minutes) for r in day_before] == [(registration.id, 1440)]
    # The task runs again (or twice at once): nothing more.
    assert services.claim_due_reminders(now=start - timedelta(hours=24)) == []
    assert services.claim_due_reminders(now=start - timedelta(hours=2)) == []
    hour_before = services.claim_due_reminders(now=start - timedelta(minutes=59))
    assert [r.offset_minutes for r in hour_before] == [60]
    assert services.claim_due_reminders(now=start - timedelta(minutes=1)) == []
    assert services.claim_due_reminders(now=start) == []
    assert db_count(ReminderSent) == 2


def test_a_late_task_sends_only_the_nearest_reminder(world, live):
    services.register(world.learners[0], live, now=NOW)
    late = services.claim_due_reminders(now=live.starts_at - timedelta(minutes=30))
    assert [r.offset_minutes for r in late] == [60]
    assert services.claim_due_reminders(now=live.starts_at - timedelta(minutes=20)) == []
    delivered = dict(
        services._session()
        .execute(select(ReminderSent.offset_minutes, ReminderSent.is_delivered))
        .all()
    )
    assert delivered == {60: True, 1440: False}


def test_a_rescheduled_session_gets_its_reminders_again(world, live):
    services.register(world.learners[0], live, now=NOW)
    assert len(services.claim_due_reminders(now=live.starts_at - timedelta(hours=23))) == 1
    later = session_fields(
        starts_local=datetime(2026, 12, 12, 21, 0), ends_local=datetime(2026, 12, 12, 22, 0)
    )
    services.update_session(world.instructor, live, later, now=NOW + timedelta(days=2))
    assert services.claim_due_reminders(now=live.starts_at - timedelta(hours=30)) == []
    again = services.claim_due_reminders(now=live.starts_at - timedelta(hours=23))
    assert [r.offset_minutes for r in again] == [1440]


def test_no_reminders_for_late_registrants_waiting_lists_or_cancelled_sessions(world, live):
    live.capacity = 1
    services.register(world.learners[0], live, now=NOW)
    services.register(world.learners[1], live, now=NOW)  # waiting list
    # Registered 2 hours before: the day-before reminder's time had passed; the hour's will come.
    live.capacity = 2
    late = services.register(world.learners[2], live, now=live.starts_at - timedelta(hours=2))
    due = services.claim_due_reminders(now=live.starts_at - timedelta(minutes=50))
    assert sorted((r.user_id, r.offset_minutes) for r in due) == sorted(
        [(world.learners[0].id, 60), (late.user_id, 60)]
    )
    other = services.schedule_session(world.instructor, world.run, session_fields(), now=NOW)
    services.register(world.learners[0], other, now=NOW)
    services.cancel_session(world.instructor, other, now=NOW)
    assert services.claim_due_reminders(now=other.starts_at - timedelta(minutes=30)) == []


def test_learners_who_left_the_run_are_not_reminded(world, live):
    services.register(world.learners[0], live, now=NOW)
    courses.leave(world.learners[0], world.run, now=NOW)
    assert services.claim_due_reminders(now=live.starts_at - timedelta(minutes=30)) == []


def test_per_session_reminder_offsets(world):
    live = services.schedule_session(
        world.instructor, world.run, session_fields(reminder_offsets=[10, 180]), now=NOW
    )
    assert live.reminder_offsets == [180, 10]
    services.register(world.learners[0], live, now=NOW)
    assert services.claim_due_reminders(now=live.starts_at - timedelta(hours=24)) == []
    assert [
        r.offset_minutes
        for r in services.claim_due_reminders(now=live.starts_at - timedelta(hours=3))
    ] == [180]


def test_a_reminder_another_run_recorded_first_is_not_claimed_again(world, live):
    """Two overlapping runs computed the same due reminder: the insert decides."""
    services.register(world.learners[0], live, now=NOW)
    now = live.starts_at - timedelta(minutes=59)
    [(due, _skipped)] = services.reminders_due(now=now)
    values = {
        "registration_id": due.registration_id,
        "offset_minutes": due.offset_minutes,
        "session_starts_at": due.session_starts_at,
        "sent_at": now,
        "is_delivered": True,
    }
    assert services._insert_ignoring_duplicates(values) is True
    assert services._insert_ignoring_duplicates(values) is False
    assert services.claim_due_reminders(now=now) == []


# --- attendance -----------------------------------------------------------------------------------


def test_checklist_records_attendance_and_signals(world, live):
    after = live.ends_at + timedelta(hours=1)
    services.register(world.learners[0], live, now=NOW)
    received = []

    def listener(sender, **kwargs):
        received.append((sender, kwargs))

    services.attendance_recorded.connect(listener)
    try:
        with pytest.raises(Conflict):
            services.record_attendance(world.instructor, live, [], now=NOW)
        present = [world.learners[0].id, world.learners[2].id]
        services.record_attendance(world.instructor, live, present, now=after)
    finally:
        services.attendance_recorded.disconnect(listener)
    assert received == [(world.run, {"user_ids": sorted(present), "now": after})]
    rows = services.attendance_checklist(world.instructor, live)
    assert rows[0].user.id == world.learners[0].id and rows[0].is_registered
    assert {r.user.id for r in rows if r.is_present} == set(present)
    counts = services.attended_counts(world.run.id, [u.id for u in world.learners])
    assert counts.get(world.learners[0].id) == 1 and counts.get(world.learners[1].id, 0) == 0
    # Unticking removes the attendance.
    services.record_attendance(world.instructor, live, [world.learners[2].id], now=after)
    counts = services.attended_counts(world.run.id, [u.id for u in world.learners])
    assert counts.get(world.learners[0].id, 0) == 0 and counts[world.learners[2].id] == 1


def test_checklist_refuses_strangers_and_non_staff(world, live):
    after = live.ends_at
    with pytest.raises(ValidationError):
        services.record_attendance(world.instructor, live, [world.outsider.id], now=after)
    with pytest.raises(Forbidden):
        services.record_attendance(world.learners[0], live, [world.learners[0].id], now=after)
    with pytest.raises(Forbidden):
        services.attendance_checklist(world.other_instructor, live)
    assert db_count(Attendance) == 0


def test_attended_counts_over_several_sessions_in_one_query(world, count_queries):
    sessions = [
        services.schedule_session(
            world.instructor,
            world.run,
            session_fields(
                starts_local=datetime(2026, 12, 8 + i, 21, 0),
                ends_local=datetime(2026, 12, 8 + i, 22, 0),
            ),
            now=NOW,
        )
        for i in range(3)
    ]
    later = datetime(2026, 12, 20, tzinfo=UTC)
    a, b, c = world.learners
    services.record_attendance(world.instructor, sessions[0], [a.id, b.id], now=later)
    services.record_attendance(world.instructor, sessions[1], [a.id], now=later)
    services.record_attendance(world.instructor, sessions[2], [a.id], now=later)
    services.cancel_session(world.instructor, sessions[2], now=NOW)  # no longer counts
    with count_queries() as statements:
        counts = services.attended_counts(world.run.id, [a.id, b.id, c.id, world.outsider.id])
    assert len(statements) == 1
    assert counts == {a.id: 2, b.id: 1}
    assert services.attended_counts(world.run.id, []) == {}


ZOOM_CSV = """Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest
{a_name},{a},12/10/2026 09:58:12 PM,12/10/2026 10:20:40 PM,23,No
{a_name},{a},12/10/2026 10:25:00 PM,12/10/2026 10:31:00 PM,6,No
{b_name},{b_upper},12/10/2026 09:59:00 PM,12/10/2026 10:10:00 PM,11,No
Visitor,visitor@elsewhere.example,12/10/2026 09:59:00 PM,12/10/2026 10:30:00 PM,31,Yes
"""


def test_participant_report_import(world, live):
    a, b, _ = world.learners
    live.min_attendance_minutes = 25
    data = ZOOM_CSV.format(
        a=a.email, a_name=a.display_name, b_upper=b.email.upper(), b_name=b.display_name
    )
    report = services.import_participants(
        world.instructor, live, data, now=live.ends_at + timedelta(minutes=5)
    )
    assert report.ok
    assert report.attended == [a.email]  # 23 + 6 minutes
    assert report.too_short == [b.email]  # 11 minutes
    assert report.unmatched == [(5, "visitor@elsewhere.example")]
    minutes = dict(
        services._session().execute(select(Attendance.user_id, Attendance.minutes)).all()
    )
    assert minutes == {a.id: 29, b.id: 11}
    assert services.attended_counts(world.run.id, [a.id, b.id]) == {a.id: 1}


def test_participant_report_with_join_and_leave_times_only(world, live):
    a = world.learners[0]
    data = (
        "\ufeffFull Name,Email,Join time,Leave time\n"
        f"Someone,{a.email},2026-12-10 12:00:00,2026-12-10 12:45:30\n"
    )
    report = services.import_participants(world.instructor, live, data, now=live.ends_at)
    assert report.ok and report.attended == [a.email]


@pytest.mark.parametrize(
    "template",
    [
        # Teams: tab-separated, durations in words.
        "Full Name\tJoin Time\tLeave Time\tDuration\tEmail\n"
        "Someone\t12/10/26\t12/10/26\t1h 5m 3s\t{a}\n",
        # A European spreadsheet: semicolons.
        "Name;E-mail;Duration\nSomeone;{a};45\n",
        # Meet: times of day and "1 hr 2 min".
        "First name,Last name,Email,Duration,Time joined,Time exited\n"
        "Some,One,{a},1 hr 2 min,10:02 AM,11:04 AM\n",
        "Name,Email,Time joined,Time exited\nSome,{a},10:02 AM,11:04 AM\n",
    ],
)
def test_participant_reports_of_several_platforms(world, live, template):
    a = world.learners[0]
    report = services.import_participants(
        world.instructor, live, template.format(a=a.email), now=live.ends_at
    )
    assert report.ok, report.errors
    assert report.attended == [a.email]


@pytest.mark.parametrize(
    "data",
    [
        "",
        "just some words\n",
        "Name,Email\nA,a@example.org\n",  # no duration nor times
        "Name,Email,Duration\nA,{a},23\nB,not-an-address,12\n",
        "Name,Email,Duration\nA,{a},23\nB,{b},soon\n",
        "Name,Email,Join time,Leave time\nA,{a},2026-12-10 12:30:00,2026-12-10 12:00:00\n",
        'Name,Email,Duration\nA,{a},"23\n',
    ],
)
def test_a_malformed_report_imports_nothing(world, live, data):
    a, b, _ = world.learners
    report = services.import_participants(
        world.instructor, live, data.format(a=a.email, b=b.email), now=live.ends_at
    )
    assert not report.ok
    assert db_count(Attendance) == 0


# --- recordings -----------------------------------------------------------------------------------


def test_recording_becomes_a_video_item_of_the_course(world, live, tmp_path):
    import io

    from learning.core.storage import LocalStorage
    from learning.courses import authoring
    from tests.courses.test_authoring import mp4

    courses.add_course_instructor(world.course, world.instructor)
    storage = LocalStorage(tmp_path / "media")
    upload = authoring.Upload(io.BytesIO(mp4(3600)), "recording.mp4", 10_000_000)
    with pytest.raises(Conflict):
        services.attach_recording(world.instructor, live, upload, storage=storage, now=NOW)
    with pytest.raises(Forbidden):
        services.attach_recording(
            world.learners[0], live, upload, storage=storage, now=live.ends_at
        )
    item = services.attach_recording(
        world.instructor, live, upload, storage=storage, now=live.ends_at + timedelta(hours=1)
    )
    assert item.kind == "video" and item.duration_seconds == 3600
    assert item.title == "Recording: Open data with Seoul"
    assert item.is_optional
    assert live.recording_item_id == item.id
    assert item.module_id == world.course.modules[-1].id


# --- calendar feed --------------------------------------------------------------------------------


def test_feed_secret_is_stable_until_reset(world):
    learner = world.learners[0]
    secret = services.feed_secret(learner, now=NOW)
    assert services.feed_secret(learner, now=NOW) == secret
    assert services.user_for_feed(secret) == learner
    new = services.reset_feed_secret(learner, now=NOW)
    assert new != secret and len(new) >= 32
    assert services.user_for_feed(new) == learner
    with pytest.raises(NotFound):
        services.user_for_feed(secret)
    with pytest.raises(NotFound):
        services.user_for_feed("")
    learner.is_active = False
    with pytest.raises(NotFound):
        services.user_for_feed(new)


def test_feed_lists_registered_sessions_and_quiz_close_dates(world, live):
    from learning.courses.models import Item, Module
    from learning.quizzes.models import Quiz, QuizWindow

    learner = world.learners[0]
    services.register(learner, live, now=NOW)
    waiting_only = services.schedule_session(
        world.instructor, world.run, session_fields(capacity=1), now=NOW
    )
    services.register(world.learners[1], waiting_only, now=NOW)
    services.register(learner, waiting_only, now=NOW)  # waiting list: not in the calendar
    module = services._session().get(Module, world.course.modules[0].id)
    item = Item(
        course_id=world.course.id,
        module_id=module.id,
        key="quiz-1",
        position=9,
        kind="quiz",
        title="Check your understanding",
    )
    services._session().add(item)
    services._session().flush()
    quiz = Quiz(course_id=world.course.id, item_id=item.id)
    services._session().add(quiz)
    services._session().flush()
    closes = datetime(2026, 12, 14, 23, 59, tzinfo=UTC)
    services._session().add(QuizWindow(quiz_id=quiz.id, run_id=world.run.id, closes_at=closes))
    services._session().flush()

    feed = services.feed_for(learner, now=NOW)

    assert feed.sessions == [live]
    assert [(d.title, d.due_at) for d in feed.deadlines] == [
        ("Quiz closes: Check your understanding", closes)
    ]
    assert feed.deadlines[0].url_path == f"/courses/{world.course.slug}/quizzes/{item.id}"
    assert services.feed_for(world.outsider, now=NOW).deadlines == []


def test_other_domains_add_deadlines_by_registering_a_source(world, monkeypatch):
    from learning.courses import deadlines

    learner = world.learners[0]
    due = datetime(2026, 12, 18, 17, 0, tzinfo=UTC)

    def plan_deadlines(user, now):
        assert now == NOW
        return [deadlines.Deadline("plan-7-due", "Action plan due", due, "/plans/7")]

    monkeypatch.setattr(
        deadlines, "DEADLINE_SOURCES", [*deadlines.DEADLINE_SOURCES, plan_deadlines]
    )
    found = services.feed_for(learner, now=NOW).deadlines
    assert [(d.uid, d.due_at) for d in found] == [("plan-7-due", due)]
