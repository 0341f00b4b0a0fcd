from datetime import timedelta

import pytest

from learning.core.db import utcnow
from learning.core.errors import Conflict, Forbidden, ValidationError
from learning.courses import services
from learning.courses.models import ItemProgress
from tests.factories import create_course, create_run, create_user, enrol


def _items(course):
    return [i for m in course.modules for i in m.items]


@pytest.fixture
def setup(db):
    course = create_course()
    run = create_run(course)
    learner = create_user()
    enrolment = enrol(learner, run)
    video, reading, optional = _items(course)
    return course, run, learner, enrolment, video, reading, optional


def _report(enrolment, item, intervals, *, now, position=None):
    return services.record_video_progress(
        enrolment,
        item,
        intervals=intervals,
        position=position if position is not None else 0,
        duration=item.duration_seconds,
        now=now,
    )


# --- enrolment -----------------------------------------------------------------------------------


def test_enrolling_twice_is_harmless(setup):
    _, run, learner, enrolment, *_ = setup
    assert enrol(learner, run).id == enrolment.id


def test_enrolment_window_is_enforced(db):
    run = create_run(
        create_course(),
        enrolment_closes_at=utcnow() - timedelta(hours=1),
        enrolment_opens_at=utcnow() - timedelta(days=2),
    )
    with pytest.raises(Conflict):
        enrol(create_user(), run)


def test_invitation_code_is_required_and_checked(db):
    run = create_run(create_course(), enrolment_mode="code")
    with pytest.raises(ValidationError):
        enrol(create_user(), run, code="wrong")
    assert enrol(create_user(), run, code=run.invitation_code).is_active


def test_coordinator_mode_refuses_self_enrolment(db):
    run = create_run(create_course(), enrolment_mode="coordinator")
    with pytest.raises(Forbidden):
        enrol(create_user(), run)
    coordinator = create_user(roles=("coordinator",))
    assert enrol(create_user(), run, added_by=coordinator).added_by_id == coordinator.id


def test_capacity_is_enforced(db):
    run = create_run(create_course(), capacity=1)
    enrol(create_user(), run)
    with pytest.raises(Conflict):
        enrol(create_user(), run)


def test_leaving_and_coming_back_keeps_progress(setup):
    _, run, learner, enrolment, video, *_ = setup
    services.open_item(enrolment, video, now=utcnow() - timedelta(minutes=5))
    _report(enrolment, video, [[0, 30]], now=utcnow())
    services.leave(learner, run, now=utcnow())
    assert services.active_enrolment(learner, run.course) is None
    again = enrol(learner, run)
    assert again.id == enrolment.id
    progress = services.progress_for_enrolments([again])[again.id]
    assert progress.coverage[video.id] == pytest.approx(0.3)


# --- access --------------------------------------------------------------------------------------


def test_unenrolled_learner_cannot_open_items(setup):
    *_, video, _reading, _optional = setup
    with pytest.raises(Forbidden):
        services.item_access(create_user(), video, now=utcnow())


def test_module_release_dates_gate_items(db):
    course = create_course(modules=[[("reading", False)], [("reading", False)]])
    course.modules[1].release_after_days = 7
    run = create_run(course, days_ago=1)
    enrolment = enrol(create_user(), run)
    later = course.modules[1].items[0]
    with pytest.raises(Forbidden):
        services.item_access(enrolment.user, later, now=utcnow())
    assert services.item_access(
        enrolment.user, later, now=run.starts_at + timedelta(days=7)
    ).enrolment
    # A run may set its own date for a module.
    services.set_module_release(run, course.modules[1], utcnow() - timedelta(hours=1))
    assert services.item_access(enrolment.user, later, now=utcnow()).enrolment


def test_sequential_runs_require_items_in_order(setup):
    _course, run, learner, enrolment, video, reading, optional = setup
    run.is_sequential = True
    with pytest.raises(Forbidden):
        services.item_access(learner, reading, now=utcnow())
    services.open_item(enrolment, video, now=utcnow() - timedelta(minutes=10))
    _report(enrolment, video, [[0, 100]], now=utcnow())
    assert services.item_access(learner, reading, now=utcnow())
    # Optional items never block: the optional reading is reachable once the reading is done.
    services.set_item_done(enrolment, reading, True, now=utcnow())
    assert services.item_access(learner, optional, now=utcnow())


def test_staff_open_items_without_enrolment(setup):
    course, run, *_ = setup
    coordinator = create_user(roles=("coordinator",))
    services.add_run_staff(run, coordinator, "coordinator")
    access = services.item_access(coordinator, _items(course)[0], now=utcnow())
    assert access.is_staff and access.enrolment is None


# --- honest video progress -------------------------------------------------------------------------


def test_video_progress_counts_the_union_of_played_time(setup):
    *_, enrolment, video, _r, _o = setup
    now = utcnow()
    services.open_item(enrolment, video, now=now - timedelta(minutes=10))
    first = _report(enrolment, video, [[0, 20]], now=now)
    again = _report(enrolment, video, [[0, 20]], now=now)  # the same report twice
    rewatch = _report(enrolment, video, [[5, 15]], now=now)
    skip = _report(enrolment, video, [[80, 90]], now=now, position=90)
    assert first.played_seconds == again.played_seconds == rewatch.played_seconds == 20
    assert skip.played_seconds == 30 and skip.coverage == pytest.approx(0.3)
    assert skip.resume_position == 90 and not skip.completed


def test_video_completes_at_the_threshold_and_only_then(setup):
    *_, enrolment, video, _r, _o = setup
    now = utcnow()
    services.open_item(enrolment, video, now=now - timedelta(minutes=10))
    assert not _report(enrolment, video, [[0, 89]], now=now).completed
    assert _report(enrolment, video, [[89, 90]], now=now).completed


def test_more_play_than_wall_clock_is_refused(setup):
    *_, enrolment, video, _r, _o = setup
    now = utcnow()
    services.open_item(enrolment, video, now=now - timedelta(seconds=10))
    with pytest.raises(ValidationError) as error:
        _report(enrolment, video, [[0, 100]], now=now)
    assert error.value.code == "implausible_progress"
    # 10 s at up to double speed, plus slack, is believable.
    assert _report(enrolment, video, [[0, 24]], now=now).played_seconds == 24


@pytest.mark.parametrize(
    "intervals",
    [
        [[-1, 5]],
        [[10, 5]],
        [[0, 150]],
        "nope",
        [[0]],
        [["a", "b"]],
        [[0, float("nan")]],
        [[True, 3]],
    ],
)
def test_impossible_intervals_are_refused(setup, intervals):
    *_, enrolment, video, _r, _o = setup
    services.open_item(enrolment, video, now=utcnow() - timedelta(minutes=10))
    with pytest.raises(ValidationError):
        _report(enrolment, video, intervals, now=utcnow())


def test_duration_and_position_must_match_the_video(setup):
    *_, enrolment, video, _r, _o = setup
    with pytest.raises(ValidationError):
        services.record_video_progress(
            enrolment, video, intervals=[], position=0, duration=10, now=utcnow()
        )
    with pytest.raises(ValidationError):
        services.record_video_progress(
            enrolment, video, intervals=[], position=500, duration=100, now=utcnow()
        )


def test_readings_are_marked_done_and_undone(setup):
    *_, enrolment, video, reading, _o = setup
    services.set_item_done(enrolment, reading, True, now=utcnow())
    assert reading.id in services.completed_item_ids(enrolment)
    services.set_item_done(enrolment, reading, False, now=utcnow())
    assert reading.id not in services.completed_item_ids(enrolment)
    with pytest.raises(ValidationError):
        services.set_item_done(enrolment, video, True, now=utcnow())


def test_course_completes_once_without_optional_items(setup):
    *_, enrolment, video, reading, _optional = setup
    events = []

    def listener(sender, **kwargs):
        events.append(sender)

    services.course_completed.connect(listener)
    try:
        services.open_item(enrolment, video, now=utcnow() - timedelta(minutes=10))
        _report(enrolment, video, [[0, 100]], now=utcnow())
        assert enrolment.completed_at is None
        services.set_item_done(enrolment, reading, True, now=utcnow())
        assert enrolment.completed_at is not None
        services.set_item_done(enrolment, reading, False, now=utcnow())
        services.set_item_done(enrolment, reading, True, now=utcnow())
    finally:
        services.course_completed.disconnect(listener)
    assert events == [enrolment]
    progress = services.progress_for_enrolments([enrolment])[enrolment.id]
    assert progress.percent == 100


def test_progress_rows_are_unique_per_item(setup, db):
    *_, enrolment, video, _r, _o = setup
    services.open_item(enrolment, video, now=utcnow())
    services.open_item(enrolment, video, now=utcnow())
    count = (
        db.session.query(ItemProgress)
        .filter_by(enrolment_id=enrolment.id, item_id=video.id)
        .count()
    )
    assert count == 1


def test_dashboard_continues_where_the_learner_left_off(setup):
    *_, learner, enrolment, video, reading, _o = setup
    [entry] = services.dashboard(learner)
    assert entry.resume_item.id == video.id
    services.open_item(enrolment, reading, now=utcnow())
    [entry] = services.dashboard(learner)
    assert entry.resume_item.id == reading.id
    services.set_item_done(enrolment, reading, True, now=utcnow())
    [entry] = services.dashboard(learner)
    assert entry.resume_item.id == video.id  # the next required item not done


# --- CSV import ------------------------------------------------------------------------------------


def test_csv_import_adds_everyone_or_no_one(db):
    run = create_run(create_course(), enrolment_mode="coordinator")
    coordinator = create_user(roles=("coordinator",))
    a, b = create_user(), create_user()
    bad = services.add_learners_from_csv(
        coordinator,
        run,
        f"email\n{a.email}\nnobody@example.org\nnot-an-email\n{a.email}\n",
        now=utcnow(),
    )
    assert [line for line, _, _ in bad.errors] == [3, 4, 5]
    assert services.active_enrolment_in_run(a, run) is None
    good = services.add_learners_from_csv(
        coordinator, run, f"{a.email.upper()}\n\n{b.email}\n", now=utcnow()
    )
    assert good.ok and sorted(good.added) == sorted([a.email, b.email])
    again = services.add_learners_from_csv(coordinator, run, f"{a.email}\n", now=utcnow())
    assert again.already == [a.email] and not again.added


def test_csv_import_respects_capacity(db):
    run = create_run(create_course(), capacity=1)
    coordinator = create_user(roles=("coordinator",))
    report = services.add_learners_from_csv(
        coordinator, run, f"{create_user().email}\n{create_user().email}\n", now=utcnow()
    )
    assert not report.ok and services._active_count(run) == 0
