"""Plan pages and the autosave API: permissions (guessed ids), saving, conflicts, history,
submission and review, uploads, exports, and a constant number of statements for the queue."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pypdf
import pytest

from learning.core.db import utcnow
from learning.plans import services
from learning.plans.models import ActionPlan
from tests.conftest import text_of
from tests.factories import create_city, create_user
from tests.helpers import csrf_token
from tests.plans.conftest import NOW

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def plan(world, db):
    plan = world.plan()
    db.session.commit()
    return plan


def _save(client, plan, key, text, base, token=None):
    token = token or csrf_token(client, f"/plans/{plan.id}")
    return client.post(
        f"/plans/{plan.id}/sections/{key}",
        data={"csrf_token": token, "text": text, "base_version": str(base)},
    )


def _api_save(client, plan, key, text, base, token):
    return client.post(
        f"/api/v1/plans/{plan.id}/sections/{key}",
        json={"text": text, "base_version": base},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


# --- starting and seeing a plan ------------------------------------------------------------------


def test_a_learner_starts_the_team_plan(client, world, login_as, db):
    login_as(world.alice)
    page = client.get(f"/runs/{world.run.id}/plan")
    assert page.status_code == 200 and "Seoul test" in page.get_data(as_text=True)
    token = csrf_token(client, f"/runs/{world.run.id}/plan")
    response = client.post(f"/runs/{world.run.id}/plan", data={"csrf_token": token})
    assert response.status_code == 303
    plan = services.plan_for(world.alice, world.run)
    assert response.headers["Location"].endswith(f"/plans/{plan.id}")
    login_as(world.bob)  # a teammate lands on the same plan
    assert (
        client.get(f"/runs/{world.run.id}/plan").headers["Location"].endswith(f"/plans/{plan.id}")
    )


def test_people_outside_the_run_cannot_start_a_plan(client, world, login_as):
    login_as(world.outsider)
    assert client.get(f"/runs/{world.run.id}/plan").status_code == 403
    assert client.get("/runs/999999/plan").status_code == 404


def test_the_team_sees_the_editor(client, world, plan, login_as):
    login_as(world.bob)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert 'name="base_version" value="0"' in page and "Problem statement" in page
    assert "js/plans.js" in page and "Submit the plan" in page


GUESSED = [
    "/plans/{id}",
    "/plans/{id}/history",
    "/plans/{id}/compare?a={v}&b={v}",
    "/plans/{id}/plan.pdf",
    "/plans/{id}/review",
    "/plans/{id}/attachments/{a}",
]


@pytest.mark.parametrize("path", GUESSED)
def test_guessing_ids_shows_nothing_to_other_learners(client, world, plan, login_as, path, db):
    services.save_section(world.alice, plan, "problem", "Secret", base_version=0, now=NOW)
    version = services.history(plan)[0]
    attachment = services.add_attachment(
        world.alice, plan, io.BytesIO(PDF), "a.pdf",
        storage=client.application.extensions["storage"], max_bytes=10_000, now=NOW,
    )  # fmt: skip
    db.session.commit()
    url = path.format(id=plan.id, v=version.id, a=attachment.id)
    for stranger in (world.chidi, world.outsider, world.instructor):
        login_as(stranger)
        response = client.get(url)
        assert response.status_code == 404, (stranger, url)
        assert b"Secret" not in response.data


def test_guessed_writes_are_refused(client, world, plan, login_as, db):
    login_as(world.chidi)
    token = csrf_token(client, "/courses")  # any page: a valid token of this session
    assert _save(client, plan, "problem", "x", 0, token).status_code == 404
    assert _api_save(client, plan, "problem", "x", 0, token).status_code == 404
    for path in ("submit", "reopen", "review/start", "reviewer", "attachments"):
        assert (
            client.post(f"/plans/{plan.id}/{path}", data={"csrf_token": token}).status_code == 404
        )
    assert services.history(plan) == []


def test_coordinator_reads_without_editing(client, world, plan, login_as):
    login_as(world.coordinator)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Problem statement" in page and "<textarea" not in page


def test_instructor_reads_only_when_the_run_allows(client, world, plan, login_as, db):
    services.configure_run(
        world.coordinator, world.run, is_required=True, due_at=None, instructors_can_view=True,
        now=NOW,
    )  # fmt: skip
    db.session.commit()
    login_as(world.instructor)
    page = client.get(f"/plans/{plan.id}")
    assert page.status_code == 200 and b"<textarea" not in page.data
    assert client.get(f"/plans/{plan.id}/review").status_code == 403


# --- saving ---------------------------------------------------------------------------------------


def test_save_without_javascript(client, world, plan, login_as):
    login_as(world.alice)
    response = _save(client, plan, "problem", "Floods **every** year", 0)
    assert response.status_code == 303 and response.headers["Location"].endswith("#section-problem")
    login_as(world.coordinator)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "<strong>every</strong>" in page


def test_markdown_is_sanitised(client, world, plan, login_as):
    login_as(world.alice)
    _save(client, plan, "problem", "<script>alert(1)</script> [x](javascript:alert(1))", 0)
    login_as(world.coordinator)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "<script>alert" not in page and 'href="javascript' not in page


def test_stale_save_without_javascript_shows_both_texts_and_keeps_mine(
    client, world, plan, login_as
):
    login_as(world.alice)
    token = csrf_token(client, f"/plans/{plan.id}")
    assert _save(client, plan, "problem", "Alice wrote this", 0, token).status_code == 303
    login_as(world.bob)
    response = _save(client, plan, "problem", "Bob wrote that", 0)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Alice wrote this" in page and "Bob wrote that" in page
    assert 'name="base_version" value="1"' in page  # saving from here builds on Alice's
    assert services.plan_sections(plan)[0].text == "Alice wrote this"
    assert _save(client, plan, "problem", "Alice wrote this\nBob wrote that", 1).status_code == 303
    assert services.plan_sections(plan)[0].text == "Alice wrote this\nBob wrote that"


def test_an_expired_form_gives_the_text_back(client, world, plan, login_as):
    login_as(world.alice)
    response = client.post(
        f"/plans/{plan.id}/sections/problem",
        data={"csrf_token": "stale", "text": "Do not lose me", "base_version": "0"},
    )
    assert response.status_code == 400 and b"Do not lose me" in response.data
    assert services.history(plan) == []


def test_autosave_api(client, world, plan, login_as):
    login_as(world.alice)
    token = csrf_token(client, f"/plans/{plan.id}")
    first = _api_save(client, plan, "objectives", "Cut emissions", 0, token)
    assert first.status_code == 200 and first.json["version"] == 1
    again = _api_save(client, plan, "objectives", "Cut emissions", 0, token)  # a retried request
    assert again.status_code == 200 and again.json["version"] == 1
    login_as(world.bob)
    token = csrf_token(client, f"/plans/{plan.id}")
    stale = _api_save(client, plan, "objectives", "Plant trees", 0, token)
    assert stale.status_code == 409
    error = stale.json["error"]
    assert error["code"] == "section_conflict"
    assert (error["current_text"], error["current_version"], error["your_text"]) == (
        "Cut emissions", 1, "Plant trees",
    )  # fmt: skip
    other = _api_save(client, plan, "kpis", "Trees planted", 0, token)  # another section
    assert other.status_code == 200


def test_autosave_api_refusals(client, world, plan, login_as, app):
    assert _api_save(client, plan, "problem", "x", 0, "t").status_code in (400, 401)
    login_as(world.alice)
    token = csrf_token(client, f"/plans/{plan.id}")
    bad = client.post(
        f"/api/v1/plans/{plan.id}/sections/problem",
        json={"text": 5, "base_version": "0"},
        headers={"X-CSRFToken": token},
    )
    assert bad.status_code == 400 and "error" in bad.json
    no_csrf = client.post(
        f"/api/v1/plans/{plan.id}/sections/problem", json={"text": "x", "base_version": 0}
    )
    assert no_csrf.status_code == 400
    assert _api_save(client, plan, "nope", "x", 0, token).status_code == 404
    assert services.history(plan) == []


def test_autosave_when_signed_out_answers_401(client, world, plan, app):
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        response = client.post(
            f"/api/v1/plans/{plan.id}/sections/problem", json={"text": "x", "base_version": 0}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


# --- history ----------------------------------------------------------------------------------------


def test_history_compare_and_restore(client, world, plan, login_as, db):
    services.save_section(world.alice, plan, "problem", "one\ntwo", base_version=0, now=NOW)
    services.save_section(world.bob, plan, "problem", "one\nthree", base_version=1, now=NOW)
    db.session.commit()
    new, old = services.history(plan)
    login_as(world.alice)
    page = client.get(f"/plans/{plan.id}/history").get_data(as_text=True)
    assert page.count("<tr>") == 3 and world.bob.display_name in page
    diff = client.get(f"/plans/{plan.id}/compare?a={old.id}&b={new.id}").get_data(as_text=True)
    assert "<del" in diff and "two" in diff and "<ins" in diff and "three" in diff
    token = csrf_token(client, f"/plans/{plan.id}/history")
    response = client.post(
        f"/plans/{plan.id}/versions/{old.id}/restore",
        data={"csrf_token": token, "base_version": "2"},
    )
    assert response.status_code == 303
    assert services.plan_sections(plan)[0].text == "one\ntwo"
    assert len(services.history(plan)) == 3
    stale = client.post(
        f"/plans/{plan.id}/versions/{old.id}/restore",
        data={"csrf_token": token, "base_version": "2"},
    )
    assert stale.status_code == 303 and len(services.history(plan)) == 3
    assert client.get(f"/plans/{plan.id}/compare?a=999999&b={new.id}").status_code == 404


# --- submission and review ------------------------------------------------------------------------


def _submit(client, world, plan):
    services.save_section(world.alice, plan, "problem", "Floods", base_version=0, now=NOW)
    from learning.extensions import db

    db.session.commit()
    token = csrf_token(client, f"/plans/{plan.id}")
    return client.post(
        f"/plans/{plan.id}/submit", data={"csrf_token": token, "comment": "Please review"}
    )


def test_submitting_emails_the_team_and_reviewers_and_freezes_editing(
    client, world, plan, login_as, outbox, db
):
    login_as(world.alice)
    assert _submit(client, world, plan).status_code == 303
    db.session.expire_all()
    assert plan.state == "submitted"
    recipients = {m["To"] for m in outbox.messages}
    assert recipients == {world.alice.email, world.bob.email, world.coordinator.email}
    body = text_of(outbox.last_to(world.coordinator.email))
    assert "Please review" in body and f"/plans/{plan.id}/review" in body
    assert f"/plans/{plan.id}" in text_of(outbox.last_to(world.bob.email))
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "<textarea" not in page
    assert (
        _save(client, plan, "problem", "More", 1, csrf_token(client, "/courses")).status_code == 409
    )


def test_review_with_the_rubric_and_the_learner_sees_it(client, world, plan, login_as, outbox):
    login_as(world.alice)
    _submit(client, world, plan)
    login_as(world.coordinator)
    page = client.get(f"/plans/{plan.id}/review").get_data(as_text=True)
    assert "Start the review" in page
    token = csrf_token(client, f"/plans/{plan.id}/review")
    assert (
        client.post(f"/plans/{plan.id}/review/start", data={"csrf_token": token}).status_code == 303
    )
    page = client.get(f"/plans/{plan.id}/review").get_data(as_text=True)
    assert "Relevance to the city" in page and "Send the review" in page
    criteria = services.rubric(world.course.id)
    incomplete = client.post(
        f"/plans/{plan.id}/review",
        data={"csrf_token": token, "decision": "approved", f"c_{criteria[0].key}": str(criteria[0].levels[2].id)},
    )  # fmt: skip
    assert incomplete.status_code == 422 and b"before approving" in incomplete.data
    response = client.post(
        f"/plans/{plan.id}/review",
        data={
            "csrf_token": token,
            "decision": "changes_requested",
            f"c_{criteria[0].key}": str(criteria[0].levels[2].id),
            "s_kpis": "Add a baseline",
            "comment": "Good start, **more numbers**",
        },
    )
    assert response.status_code == 303
    assert "Changes requested" in outbox.last_to(world.alice.email)["Subject"]
    login_as(world.bob)
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Latest feedback" in page and "Add a baseline" in page
    assert "<strong>more numbers</strong>" in page and "4 / 4" in page
    assert "<textarea" in page  # editable again


def test_queue_filters_assign_and_access(client, world, plan, login_as, db):
    abuja = world.plan(world.chidi)
    db.session.commit()
    login_as(world.alice)
    assert client.get("/plans/review").status_code == 403
    login_as(world.coordinator)
    page = client.get("/plans/review").get_data(as_text=True)
    assert plan.title in page and abuja.title in page
    page = client.get("/plans/review?country=NG&state=draft&sort=recent&run=x").get_data(
        as_text=True
    )
    assert abuja.title in page and plan.title not in page
    token = csrf_token(client, f"/plans/{plan.id}/review")
    response = client.post(
        f"/plans/{plan.id}/reviewer",
        data={"csrf_token": token, "reviewer": str(world.instructor.id)},
    )
    db.session.expire_all()
    assert response.status_code == 303 and plan.reviewer_id == world.instructor.id
    bad = client.post(
        f"/plans/{plan.id}/reviewer", data={"csrf_token": token, "reviewer": str(world.alice.id)}
    )
    db.session.expire_all()
    assert bad.status_code == 303 and plan.reviewer_id == world.instructor.id
    login_as(world.instructor)
    page = client.get("/plans/review").get_data(as_text=True)
    assert plan.title in page and abuja.title not in page


def test_review_queue_issues_constant_queries(client, db, login_as, count_queries):
    counts = []
    for count in (10, 1000):
        from tests.factories import create_course, create_run

        course = create_course()
        run = create_run(course)
        coordinator = create_user(roles=("coordinator",))
        services.courses.add_run_staff(run, coordinator, "coordinator")
        reviewer = create_user(roles=("instructor",))
        services.courses.add_run_staff(run, reviewer, "instructor")
        cities = [create_city(country=("KR", "NG", "EC")[i % 3]) for i in range(5)]
        now = utcnow()
        db.session.add_all(
            ActionPlan(
                run_id=run.id,
                team_key=f"user:{1_000_000 + i}",
                city_id=cities[i % 5].id,
                title=f"Plan {i}",
                state=("submitted", "in_review", "draft")[i % 3],
                reviewer_id=reviewer.id if i % 2 else None,
                waiting_since=now - timedelta(hours=i) if i % 3 != 2 else None,
                created_at=now,
                state_changed_at=now,
            )
            for i in range(count)
        )
        db.session.commit()
        login_as(coordinator)
        client.get("/plans/review")
        with count_queries() as statements:
            response = client.get("/plans/review")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert page.count('/review">Plan ') == min(count, services.QUEUE_PAGE)
        assert f"{count} plans" in page
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert "Page 1 of 10" in page and 'rel="next"' in page


def test_reopen_an_approved_plan(client, world, plan, login_as, db):
    services.save_section(world.alice, plan, "problem", "Floods", base_version=0, now=NOW)
    services.submit(world.alice, plan, now=NOW)
    services.start_review(world.coordinator, plan, now=NOW)
    levels = {c.key: c.levels[-1].id for c in services.rubric(world.course.id)}
    services.decide(world.coordinator, plan, "approved", levels=levels, now=NOW)
    db.session.commit()
    login_as(world.alice)
    token = csrf_token(client, f"/plans/{plan.id}")
    client.post(f"/plans/{plan.id}/reopen", data={"csrf_token": token})
    db.session.expire_all()
    assert plan.state == "approved"  # learners cannot reopen
    login_as(world.coordinator)
    token = csrf_token(client, f"/plans/{plan.id}/review")
    assert "Reopen for editing" in client.get(f"/plans/{plan.id}/review").get_data(as_text=True)
    client.post(f"/plans/{plan.id}/reopen", data={"csrf_token": token, "comment": "Update KPIs"})
    db.session.expire_all()
    assert plan.state == "draft"


# --- attachments ----------------------------------------------------------------------------------


def test_attachments_upload_download_and_refusals(client, world, plan, login_as):
    login_as(world.alice)
    token = csrf_token(client, f"/plans/{plan.id}")
    response = client.post(
        f"/plans/{plan.id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(PDF), "budget.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    [attachment] = services.attachments_of(plan)
    fake = client.post(
        f"/plans/{plan.id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(b"MZ\x90\x00evil"), "budget.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 303 and len(services.attachments_of(plan)) == 1
    assert b"read from the file itself" in client.get(f"/plans/{plan.id}").data
    download = client.get(f"/plans/{plan.id}/attachments/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    download.close()
    login_as(world.coordinator)
    download = client.get(f"/plans/{plan.id}/attachments/{attachment.id}")
    assert download.status_code == 200
    download.close()
    token = csrf_token(client, f"/plans/{plan.id}")
    client.post(f"/plans/{plan.id}/attachments/{attachment.id}/delete", data={"csrf_token": token})
    assert len(services.attachments_of(plan)) == 1  # only the team removes


# --- coordinators' run pages -----------------------------------------------------------------------


def test_run_settings_and_teams_are_for_coordinators(client, world, login_as):
    for path in (f"/runs/{world.run.id}/plans/settings", f"/runs/{world.run.id}/plans/teams"):
        login_as(world.alice)
        assert client.get(path).status_code == 403
        login_as(world.instructor)
        assert client.get(path).status_code == 403
        login_as(world.coordinator)
        assert client.get(path).status_code == 200


def test_coordinator_sets_the_due_date_in_their_time_zone(client, world, login_as, db):
    world.coordinator.timezone = "Asia/Seoul"
    db.session.commit()
    login_as(world.coordinator)
    path = f"/runs/{world.run.id}/plans/settings"
    token = csrf_token(client, path)
    response = client.post(
        path, data={"csrf_token": token, "is_required": "y", "due_at": "2026-12-20T18:00"}
    )
    assert response.status_code == 303
    due = services.settings_for(world.run).due_at
    assert due.isoformat() == "2026-12-20T09:00:00+00:00"
    assert 'value="2026-12-20T18:00"' in client.get(path).get_data(as_text=True)


def test_coordinator_moves_a_learner(client, world, login_as):
    login_as(world.coordinator)
    path = f"/runs/{world.run.id}/plans/teams"
    page = client.get(path).get_data(as_text=True)
    assert world.bob.display_name in page and "An individual plan" in page
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={"csrf_token": token, "user_id": str(world.bob.id), "team": f"user:{world.bob.id}"},
    )
    assert response.status_code == 303
    assert services.team_key_for(world.bob, world.run) == f"user:{world.bob.id}"
    client.post(
        path,
        data={"csrf_token": token, "user_id": str(world.bob.id), "team": f"user:{world.alice.id}"},
    )
    assert services.team_key_for(world.bob, world.run) == f"user:{world.bob.id}"


# --- exports ----------------------------------------------------------------------------------------


def test_plan_pdf_is_a_real_pdf_with_the_text(client, world, plan, login_as, db):
    services.save_section(
        world.alice, plan, "problem", "Floods in **Gangnam** and 서울", base_version=0, now=NOW
    )
    db.session.commit()
    login_as(world.bob)
    response = client.get(f"/plans/{plan.id}/plan.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(response.data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Seoul test action plan" in text and "Problem statement" in text
    assert "Gangnam" in text and "Objectives" in text
    assert "서" in text and "울" in text


def test_run_zip_has_a_pdf_per_plan_and_a_csv(client, world, plan, login_as, db):
    world.plan(world.chidi)
    db.session.commit()
    login_as(world.alice)
    assert client.get(f"/runs/{world.run.id}/plans.zip").status_code == 403
    login_as(world.coordinator)
    response = client.get(f"/runs/{world.run.id}/plans.zip")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    assert len([n for n in names if n.endswith(".pdf")]) == 2 and "summary.csv" in names
    rows = list(csv.DictReader(io.StringIO(archive.read("summary.csv").decode("utf-8-sig"))))
    assert {r["city"] for r in rows} == {"Seoul test", "Abuja test"}
    assert all(r["file"] in names for r in rows)
    for name in names:
        if name.endswith(".pdf"):
            assert pypdf.PdfReader(io.BytesIO(archive.read(name))).pages


def test_the_course_page_shows_the_plan_state_and_staff_links(client, world, login_as, db):
    login_as(world.alice)
    page = client.get(f"/courses/{world.course.slug}").get_data(as_text=True)
    assert f'href="/runs/{world.run.id}/plan"' in page and "not started yet" in page
    world.plan()
    db.session.commit()
    assert "Action plan: <a" in client.get(f"/courses/{world.course.slug}").get_data(as_text=True)
    login_as(world.coordinator)
    page = client.get(f"/courses/{world.course.slug}").get_data(as_text=True)
    assert f"/runs/{world.run.id}/plans/settings" in page and "/plans/review?run=" in page


def test_instructors_edit_the_template_in_the_browser(client, world, login_as, db):
    from learning.courses import services as courses

    instructor = create_user(roles=("instructor",))
    courses.add_course_instructor(world.course, instructor)
    db.session.commit()
    path = f"/teach/courses/{world.course.slug}/action-plan"
    login_as(world.alice)
    assert client.get(path).status_code == 403
    login_as(instructor)
    assert path in client.get(f"/teach/courses/{world.course.slug}").get_data(as_text=True)
    page = client.get(path).get_data(as_text=True)
    assert "key: problem" in page and "Relevance to the city" in page
    token = csrf_token(client, path)
    bad = client.post(path, data={"csrf_token": token, "text": "sections:\n  - key: Bad\n"})
    assert bad.status_code == 422 and b"Line 2:" in bad.data
    assert services.template_sections(world.course.id)[0].key == "problem"
    text = (
        "action_plan:\n  sections:\n    - key: vision\n      title: Vision\n"
        "  rubric:\n    - key: x\n      title: X\n      levels:\n        - {title: Ok, points: 1}\n"
    )
    assert client.post(path, data={"csrf_token": token, "text": text}).status_code == 303
    assert [s.key for s in services.template_sections(world.course.id)] == ["vision"]
    assert [c.key for c in services.rubric(world.course.id)] == ["x"]


def test_a_double_click_on_submit_submits_once(client, world, plan, login_as, outbox):
    login_as(world.alice)
    token = csrf_token(client, f"/plans/{plan.id}")
    _submit(client, world, plan)
    again = client.post(f"/plans/{plan.id}/submit", data={"csrf_token": token})
    assert again.status_code == 303
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "cannot become" not in page
    assert len(services.transitions_of(plan)) == 1 and len(outbox.messages) == 3
