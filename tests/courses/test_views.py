import io
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from learning.accounts.models import User, UserRole
from learning.core.db import utcnow
from learning.core.storage import LocalStorage
from learning.courses import services
from learning.courses.models import Enrolment, ItemProgress
from tests.factories import WEBM_HEAD, create_course, create_run, create_user, enrol
from tests.helpers import csrf_token


@pytest.fixture
def course_setup(db, app, tmp_path):
    course = create_course(modules=[[("video", False), ("reading", False)], [("reading", True)]])
    run = create_run(course)
    video = course.modules[0].items[0]
    storage = app.extensions["storage"]
    with io.BytesIO(WEBM_HEAD + bytes(range(256)) * 40) as data:
        stored = storage.save(data, suffix="webm")
    video.media_key, video.media_type, video.media_name = stored.key, "video/webm", "intro.webm"
    db.session.commit()
    return course, run, video


def _api(client, item_id, payload, *, token=None, raw=None):
    headers = {"X-CSRFToken": token} if token else {}
    if raw is not None:
        return client.post(
            f"/api/v1/items/{item_id}/progress",
            data=raw,
            headers={**headers, "Content-Type": "application/json"},
        )
    return client.post(f"/api/v1/items/{item_id}/progress", json=payload, headers=headers)


def test_catalogue_lists_published_courses_with_filters(client, db):
    create_course(title="Smart Mobility", topics=["transport"], language="ko")
    create_course(title="Hidden draft", published=False)
    page = client.get("/courses").get_data(as_text=True)
    assert "Smart Mobility" in page and "Hidden draft" not in page
    assert "Smart Mobility" not in client.get("/courses?language=en").get_data(as_text=True)
    assert "Smart Mobility" in client.get("/courses?topic=transport&q=mobility").get_data(
        as_text=True
    )


def test_unpublished_course_is_404_for_learners(client, db, login_as):
    course = create_course(published=False)
    login_as(create_user())
    assert client.get(f"/courses/{course.slug}").status_code == 404


def test_enrol_and_leave_through_the_course_page(client, course_setup, login_as):
    course, run, _ = course_setup
    learner = login_as(create_user())
    token = csrf_token(client, f"/courses/{course.slug}")
    response = client.post(
        f"/courses/{course.slug}/runs/{run.id}/enrol", data={"csrf_token": token}
    )
    assert response.status_code == 303
    assert services.active_enrolment(learner, course) is not None
    page = client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert "Your progress" in page
    assert f'href="/runs/{run.id}/live"' in page, "the run's live sessions are one click away"
    client.post(f"/courses/{course.slug}/runs/{run.id}/leave", data={"csrf_token": token})
    assert services.active_enrolment(learner, course) is None


def test_enrol_without_csrf_is_refused(client, course_setup, login_as):
    course, run, _ = course_setup
    learner = login_as(create_user())
    client.post(f"/courses/{course.slug}/runs/{run.id}/enrol", data={})
    assert services.active_enrolment(learner, course) is None


def test_item_page_requires_enrolment(client, course_setup, login_as):
    course, _run, video = course_setup
    login_as(create_user())
    assert client.get(f"/courses/{course.slug}/items/{video.id}").status_code == 403
    assert client.get(f"/courses/{course.slug}/items/{video.id}/media").status_code == 403


def test_item_of_another_course_is_404(client, course_setup, login_as):
    _, run, video = course_setup
    other = create_course()
    learner = login_as(create_user())
    enrol(learner, run)
    assert client.get(f"/courses/{other.slug}/items/{video.id}").status_code == 404


def test_video_page_and_media_with_range_requests(client, course_setup, login_as):
    course, run, video = course_setup
    learner = login_as(create_user())
    enrol(learner, run)
    page = client.get(f"/courses/{course.slug}/items/{video.id}").get_data(as_text=True)
    assert 'data-progress-url="/api/v1/items/' in page and "<video" in page and "player.js" in page
    with client.get(f"/courses/{course.slug}/items/{video.id}/media") as full:
        assert full.status_code == 200 and full.mimetype == "video/webm"
        assert "private" in full.headers["Cache-Control"]
    with client.get(
        f"/courses/{course.slug}/items/{video.id}/media", headers={"Range": "bytes=0-99"}
    ) as part:
        assert part.status_code == 206 and len(part.data) == 100
        assert part.headers["Content-Range"].startswith("bytes 0-99/")


def test_reading_mark_done_and_undone(client, course_setup, login_as):
    course, run, _ = course_setup
    reading = course.modules[0].items[1]
    learner = login_as(create_user())
    enrolment = enrol(learner, run)
    path = f"/courses/{course.slug}/items/{reading.id}"
    token = csrf_token(client, path)
    assert client.post(f"{path}/done", data={"csrf_token": token, "done": "1"}).status_code == 303
    assert reading.id in services.completed_item_ids(enrolment)
    client.post(f"{path}/done", data={"csrf_token": token, "done": "0"})
    assert reading.id not in services.completed_item_ids(enrolment)


# --- progress API --------------------------------------------------------------------------------


@pytest.fixture
def api_learner(client, course_setup, login_as):
    _course, run, video = course_setup
    learner = login_as(create_user())
    enrolment = enrol(learner, run)
    token = csrf_token(client, "/profile")
    progress = services.open_item(enrolment, video, now=utcnow() - timedelta(minutes=5))
    from learning.extensions import db

    db.session.commit()
    return video, token, progress


def test_progress_api_records_and_is_idempotent(client, api_learner):
    video, token, _ = api_learner
    payload = {"intervals": [[0, 30], [20, 40]], "position": 40, "duration": 100}
    first = _api(client, video.id, payload, token=token)
    second = _api(client, video.id, payload, token=token)
    assert first.status_code == 200, first.get_json()
    assert (
        first.get_json()
        == second.get_json()
        == {
            "played_seconds": 40.0,
            "coverage": 0.4,
            "completed": False,
            "resume_position": 40.0,
        }
    )


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"intervals": [[-1, 5]], "position": 0, "duration": 100}, 422),
        ({"intervals": [[10, 5]], "position": 0, "duration": 100}, 422),
        ({"intervals": [[0, 500]], "position": 0, "duration": 100}, 422),
        (
            {"intervals": [[0, 100]], "position": 0, "duration": 100},
            422,
        ),  # 5 minutes, 100 s at most... see below
        ({"intervals": [[0, 5]], "position": 0, "duration": 3}, 422),
        ({"intervals": [[0, 5]], "duration": 100}, 400),
        ([1, 2, 3], 400),
    ],
)
def test_progress_api_rejects_bad_reports(client, api_learner, payload, status):
    video, token, progress = api_learner
    if payload == {"intervals": [[0, 100]], "position": 0, "duration": 100}:
        # Opened just now: 100 s of play cannot have happened yet.
        from learning.extensions import db

        progress.opened_at = utcnow()
        db.session.commit()
    response = _api(client, video.id, payload, token=token)
    assert response.status_code == status
    assert set(response.get_json()["error"]) == {"code", "message"}


def test_progress_api_rejects_malformed_json(client, api_learner):
    video, token, _ = api_learner
    response = _api(client, video.id, None, token=token, raw="{not json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


def test_progress_api_errors(client, course_setup, login_as):
    _, _run, video = course_setup
    assert _api(
        client, video.id, {"intervals": [], "position": 0, "duration": 100}
    ).status_code in (400, 401)
    login_as(create_user())
    token = csrf_token(client, "/profile")
    payload = {"intervals": [], "position": 0, "duration": 100}
    not_enrolled = _api(client, video.id, payload, token=token)
    assert (
        not_enrolled.status_code == 403 and not_enrolled.get_json()["error"]["code"] == "forbidden"
    )
    unknown = _api(client, 999999, payload, token=token)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "not_found"
    assert _api(client, video.id, payload).status_code == 400  # no CSRF token


def test_progress_api_requires_sign_in(client, course_setup):
    _, _, video = course_setup
    from flask import current_app

    current_app.config["WTF_CSRF_ENABLED"] = False
    try:
        response = _api(client, video.id, {"intervals": [], "position": 0, "duration": 100})
    finally:
        current_app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"


# --- coordinators ----------------------------------------------------------------------------------


def test_run_view_permissions(client, db, course_setup, login_as):
    course, run, _ = course_setup
    path = f"/courses/{course.slug}/runs/{run.id}/learners"
    login_as(create_user())
    assert client.get(path).status_code == 403
    outsider = create_user(roles=("coordinator",))
    login_as(outsider)
    assert client.get(path).status_code == 403
    coordinator = create_user(roles=("coordinator",))
    services.add_run_staff(run, coordinator, "coordinator")
    db.session.commit()
    login_as(coordinator)
    assert client.get(path).status_code == 200


def test_coordinator_adds_learners_one_by_one_and_by_csv(client, db, course_setup, login_as):
    course, run, _ = course_setup
    coordinator = create_user(roles=("coordinator",))
    services.add_run_staff(run, coordinator, "coordinator")
    db.session.commit()
    login_as(coordinator)
    path = f"/courses/{course.slug}/runs/{run.id}/learners"
    one, two, three = create_user(), create_user(), create_user()
    token = csrf_token(client, path)
    response = client.post(f"{path}/add", data={"csrf_token": token, "email": one.email})
    assert response.status_code == 303
    unknown = client.post(f"{path}/add", data={"csrf_token": token, "email": "ghost@example.org"})
    assert unknown.status_code == 422 and "No account uses this address" in unknown.get_data(
        as_text=True
    )
    bad_csv = (io.BytesIO(f"email\n{two.email}\nghost@example.org\n".encode()), "list.csv")
    refused = client.post(
        f"{path}/import",
        data={"csrf_token": token, "file": bad_csv},
        content_type="multipart/form-data",
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Line 3" in page and "ghost@example.org" in page
    assert services.active_enrolment_in_run(two, run) is None
    good_csv = (io.BytesIO(f"{two.email}\n{three.email}\n".encode()), "list.csv")
    assert (
        client.post(
            f"{path}/import",
            data={"csrf_token": token, "file": good_csv},
            content_type="multipart/form-data",
        ).status_code
        == 303
    )
    assert services.active_enrolment_in_run(three, run) is not None


# --- constant queries --------------------------------------------------------------------------------


def _many_learners(db, run, course, count):
    now = utcnow()
    start = db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) or 0
    rows = [
        {
            "email": f"bulk{start + n}-{run.id}@example.org",
            "password_hash": "x",
            "display_name": f"Bulk {n}",
            "timezone": "UTC",
            "locale": "en",
            "is_active": True,
            "session_token": f"t{n}",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(count)
    ]
    db.session.execute(insert(User), rows)
    ids = list(
        db.session.scalars(select(User.id).where(User.email.like(f"bulk%-{run.id}@example.org")))
    )
    db.session.execute(
        insert(UserRole), [{"user_id": i, "role": "learner", "granted_at": now} for i in ids]
    )
    db.session.execute(
        insert(Enrolment), [{"run_id": run.id, "user_id": i, "enrolled_at": now} for i in ids]
    )
    enrolment_ids = list(db.session.scalars(select(Enrolment.id).where(Enrolment.run_id == run.id)))
    item_ids = [i.id for m in course.modules for i in m.items]
    db.session.execute(
        insert(ItemProgress),
        [
            {
                "enrolment_id": e,
                "item_id": item_ids[0],
                "intervals": [[0, 50]],
                "played_seconds": 50.0,
                "position_seconds": 50.0,
                "opened_at": now,
                "updated_at": now,
                "completed_at": None,
            }
            for e in enrolment_ids
        ],
    )
    db.session.commit()


@pytest.mark.parametrize("page", ["course", "dashboard", "run", "item"])
def test_main_pages_issue_constant_queries(client, db, login_as, count_queries, page):
    counts = []
    for size in (5, 500):
        course = create_course(
            modules=[[("video", False), ("reading", False)], [("reading", True)]]
        )
        run = create_run(course)
        coordinator = create_user(roles=("coordinator",))
        services.add_run_staff(run, coordinator, "coordinator")
        learner = create_user()
        enrolment = enrol(learner, run)
        _many_learners(db, run, course, size)
        for item in [i for m in course.modules for i in m.items][: size // 50 + 1]:
            services.open_item(enrolment, item, now=utcnow())
        db.session.commit()
        viewer = coordinator if page == "run" else learner
        login_as(viewer)
        path = {
            "course": f"/courses/{course.slug}",
            "dashboard": "/dashboard",
            "run": f"/courses/{course.slug}/runs/{run.id}/learners",
            "item": f"/courses/{course.slug}/items/{course.modules[0].items[1].id}",
        }[page]
        client.get(path)  # warm caches (time zone lists, templates)
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{page}: {counts}"


def test_storage_refuses_keys_outside_its_folder(tmp_path):
    storage = LocalStorage(tmp_path)
    with pytest.raises(ValueError):
        storage.local_path("../../etc/passwd")
