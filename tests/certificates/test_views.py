"""Certificate pages: permissions, downloads, public verification, coordinators' actions."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from learning.certificates import services
from learning.certificates.models import Certificate
from learning.core.db import utcnow
from learning.courses import services as courses
from tests.certificates.conftest import complete_everything
from tests.factories import create_user, enrol
from tests.helpers import post_form


@pytest.fixture
def issued(setup, issuer, db):
    return services.issue_manually(
        setup.coordinator, setup.enrolment, "Tests", issuer, now=utcnow()
    )


def test_a_learner_sees_what_is_missing(client, login_as, setup):
    login_as(setup.learner)
    page = client.get("/certificates").get_data(as_text=True)
    assert setup.course.title in page
    assert "2 of 2 required items left" in page


def test_after_completing_the_learner_holds_the_certificate(client, login_as, setup, issuer, db):
    complete_everything(setup, now=utcnow())
    db.session.commit()
    login_as(setup.learner)
    page = client.get("/certificates").get_data(as_text=True)
    certificate = services.certificate_of(setup.learner, setup.run)
    assert f"/certificates/{certificate.uuid}" in page
    detail = client.get(f"/certificates/{certificate.uuid}").get_data(as_text=True)
    assert certificate.code in detail and f"/verify/{certificate.uuid}" in detail


def test_the_certificates_page_is_signed_in_only(client):
    response = client.get("/certificates")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_downloads_are_the_holders_and_staffs_only(client, login_as, issued, setup):
    for suffix in ("", ".jwt", ".json"):
        assert client.get(f"/certificates/{issued.uuid}{suffix}").status_code == 302
    login_as(create_user())
    for suffix in ("", ".jwt", ".json"):
        assert client.get(f"/certificates/{issued.uuid}{suffix}").status_code == 403
    login_as(setup.learner)
    jwt_response = client.get(f"/certificates/{issued.uuid}.jwt")
    assert jwt_response.status_code == 200
    assert jwt_response.get_data(as_text=True) == issued.jwt
    assert "attachment" in jwt_response.headers["Content-Disposition"]
    credential = json.loads(client.get(f"/certificates/{issued.uuid}.json").get_data())
    assert credential["id"] == f"urn:uuid:{issued.uuid}"
    login_as(setup.coordinator)
    assert client.get(f"/certificates/{issued.uuid}.jwt").status_code == 200


def test_unknown_certificates_are_404(client, login_as, setup):
    login_as(setup.learner)
    assert client.get("/certificates/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.get("/certificates/nonsense.jwt").status_code == 404


def test_the_public_page_shows_the_verdict_without_signing_in(client, issued):
    page = client.get(f"/verify/{issued.uuid}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Valid" in text and "Дарина Ковальчук" in text and issued.course.title in text


def test_the_public_page_answers_json_to_machines(client, issued):
    response = client.get(f"/verify/{issued.uuid}", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.get_json()["verdict"] == "valid"
    api = client.get(f"/api/v1/certificates/{issued.uuid}")
    assert api.get_json()["holder"] == "Дарина Ковальчук"
    missing = client.get("/api/v1/certificates/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and missing.get_json()["verdict"] == "unknown"


def test_a_revoked_certificate_shows_the_date_not_the_reason(client, issued, setup, db):
    services.revoke(setup.coordinator, issued, "Cheated on the final", now=utcnow())
    db.session.commit()
    text = client.get(f"/verify/{issued.uuid}").get_data(as_text=True)
    assert "Revoked" in text and "Cheated" not in text
    data = client.get(f"/verify/{issued.uuid}", headers={"Accept": "application/json"}).get_json()
    assert data["verdict"] == "revoked" and data["revoked_at"] and "Cheated" not in json.dumps(data)


@pytest.mark.parametrize("uuid", ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "x" * 300])
def test_unknown_addresses_say_unknown(client, uuid):
    response = client.get(f"/verify/{uuid}")
    assert response.status_code == 404
    assert "no certificate with this address" in response.get_data(as_text=True)


def test_a_code_leads_to_the_certificate(client, issued):
    response = client.get("/verify", query_string={"code": issued.code.lower().replace("-", " ")})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/verify/{issued.uuid}")
    data = client.get(
        "/verify", query_string={"code": issued.code}, headers={"Accept": "application/json"}
    ).get_json()
    assert data["verdict"] == "valid"


@pytest.mark.parametrize("code", ["0000-0000-0000", "short", "<script>", "x" * 100])
def test_unknown_codes_are_told_plainly(client, code, db):
    response = client.get("/verify", query_string={"code": code})
    assert response.status_code == 404
    assert "No certificate has this code" in response.get_data(as_text=True)


def test_code_guessing_is_rate_limited(app, client, db):
    app.config["CERT_VERIFY_RATE_LIMIT"] = "3 per minute"
    try:
        codes = [
            client.get("/verify", query_string={"code": "0000-0000-0000"}).status_code
            for _ in range(5)
        ]
    finally:
        app.config["CERT_VERIFY_RATE_LIMIT"] = "30 per minute;300 per hour"
    assert codes[:3] == [404, 404, 404] and codes[3:] == [429, 429]
    assert client.get("/verify").status_code == 200  # the form itself stays reachable


def test_a_pasted_token_is_checked(client, issued):
    response = post_form(client, "/verify", {"token": issued.jwt})
    assert response.status_code == 200
    assert "This certificate is genuine and valid." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.",
        "eyJhbGciOiJSUzI1NiIsImtpZCI6IngifQ.e30.AAAA",
    ],
)
def test_a_bad_token_is_not_valid_and_never_a_500(client, token, db):
    response = post_form(client, "/verify", {"token": token})
    assert response.status_code == 200
    assert "not a genuine certificate" in response.get_data(as_text=True)


def test_a_tampered_token_is_explained(client, issued):
    head, body, signature = issued.jwt.split(".")
    response = post_form(client, "/verify", {"token": f"{head}.{body[:-4]}AAAA.{signature}"})
    assert "the credential was altered" in response.get_data(as_text=True)


def test_a_tampered_token_through_the_api(client, issued):
    head, body, signature = issued.jwt.split(".")
    tampered = f"{head}.{body[:-4]}AAAA.{signature}"
    data = client.post("/api/v1/certificates/verify", json={"jwt": tampered}).get_json()
    assert data["verdict"] == "invalid"
    good = client.post("/api/v1/certificates/verify", json={"jwt": issued.jwt}).get_json()
    assert good["verdict"] == "valid" and good["checks"]["signature"]


@pytest.mark.parametrize("body", [None, [], {"jwt": 3}, {"other": "x"}])
def test_the_verify_api_refuses_bad_input_with_json(client, body, db):
    response = client.post("/api/v1/certificates/verify", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_an_empty_check_asks_for_something(client, db):
    response = post_form(client, "/verify", {"token": ""})
    assert response.status_code == 422
    assert "Upload a certificate image or paste" in response.get_data(as_text=True)


def test_a_file_that_is_not_a_png_holds_no_credential(client, db):
    import io

    response = post_form(
        client,
        "/verify",
        {"file": (io.BytesIO(b"GIF89a not a png"), "x.png")},
        form_path="/verify",
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "holds no signed credential" in response.get_data(as_text=True)


def test_the_issuers_public_documents(client, issued, issuer):
    profile = client.get("/certificates/issuer")
    assert profile.status_code == 200 and "max-age" in profile.headers["Cache-Control"]
    assert json.loads(profile.get_data())["id"] == issuer.issuer_id
    keys = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert issuer.key_url(issued.kid) in {k["kid"] for k in keys}
    one = client.get(f"/certificates/keys/{issued.kid}")
    assert one.status_code == 200 and json.loads(one.get_data())["kid"] == issuer.key_url(
        issued.kid
    )
    assert client.get("/certificates/keys/unknown").status_code == 404
    status = client.get("/certificates/status/1")
    assert status.status_code == 200
    assert status.mimetype == "application/vc+jwt"
    assert "max-age=300" in status.headers["Cache-Control"]
    assert client.get("/certificates/status/99").status_code == 404


def test_coordinators_find_their_runs_on_the_certificates_page(client, login_as, setup):
    login_as(setup.coordinator)
    page = client.get("/certificates").get_data(as_text=True)
    assert f"/certificates/runs/{setup.run.id}" in page
    assert f"{setup.course.title}, {setup.run.title}" in page
    login_as(setup.learner)
    assert f"/certificates/runs/{setup.run.id}" not in client.get("/certificates").get_data(
        as_text=True
    )


def test_only_coordinators_of_the_run_open_its_certificates_page(client, login_as, setup):
    assert client.get(f"/certificates/runs/{setup.run.id}").status_code == 302
    login_as(setup.learner)
    assert client.get(f"/certificates/runs/{setup.run.id}").status_code == 403
    other = create_user(roles=("coordinator",))
    login_as(other)
    assert client.get(f"/certificates/runs/{setup.run.id}").status_code == 403
    login_as(setup.coordinator)
    page = client.get(f"/certificates/runs/{setup.run.id}")
    assert page.status_code == 200 and setup.learner.display_name in page.get_data(as_text=True)
    assert client.get("/certificates/runs/999999").status_code == 404


def test_a_coordinator_issues_by_hand_with_a_reason(client, login_as, setup, issuer, db):
    login_as(setup.coordinator)
    path = f"/certificates/runs/{setup.run.id}/issue"
    form = f"/certificates/runs/{setup.run.id}"
    refused = post_form(
        client, path, {"enrolment_id": setup.enrolment.id, "reason": ""}, form_path=form
    )
    assert refused.status_code == 422
    assert services.certificate_of(setup.learner, setup.run) is None
    done = post_form(
        client,
        path,
        {"enrolment_id": setup.enrolment.id, "reason": "Finished on paper"},
        form_path=form,
    )
    assert done.status_code == 303
    certificate = services.certificate_of(setup.learner, setup.run)
    assert certificate.issue_reason == "Finished on paper"
    again = post_form(
        client, path, {"enrolment_id": setup.enrolment.id, "reason": "Twice"}, form_path=form
    )
    assert again.status_code == 422 and "already holds" in again.get_data(as_text=True)


def test_issuing_for_a_learner_of_another_run_is_404(client, login_as, setup, db):
    other_learner = create_user()
    run = courses.create_run(
        None,
        setup.course,
        slug="elsewhere",
        title="Elsewhere",
        starts_at=setup.run.starts_at,
        ends_at=setup.run.ends_at,
        now=utcnow(),
    )
    stranger = enrol(other_learner, run)
    login_as(setup.coordinator)
    response = post_form(
        client,
        f"/certificates/runs/{setup.run.id}/issue",
        {"enrolment_id": stranger.id, "reason": "x"},
        form_path=f"/certificates/runs/{setup.run.id}",
    )
    assert response.status_code == 404


def test_a_learner_cannot_issue_or_revoke(client, login_as, setup, issued):
    login_as(setup.learner)
    token_page = f"/certificates/{issued.uuid}"
    response = post_form(
        client, f"/certificates/{issued.uuid}/revoke", {"reason": "x"}, form_path=token_page
    )
    assert response.status_code == 403
    assert issued.revoked_at is None


def test_a_coordinator_revokes_with_a_reason(client, login_as, setup, issued, db):
    login_as(setup.coordinator)
    page = f"/certificates/{issued.uuid}"
    refused = post_form(
        client, f"/certificates/{issued.uuid}/revoke", {"reason": " "}, form_path=page
    )
    assert refused.status_code == 422
    done = post_form(
        client, f"/certificates/{issued.uuid}/revoke", {"reason": "Duplicate"}, form_path=page
    )
    assert done.status_code == 303
    row = db.session.scalar(select(Certificate).where(Certificate.id == issued.id))
    db.session.refresh(row)
    assert row.revoked_at is not None and row.revoke_reason == "Duplicate"


def test_forms_need_their_csrf_token(client, login_as, setup, issued):
    login_as(setup.coordinator)
    response = client.post(f"/certificates/{issued.uuid}/revoke", data={"reason": "x"})
    assert response.status_code == 400


def test_the_run_page_costs_the_same_queries_for_more_learners(
    client, login_as, setup, count_queries, issuer, db
):
    login_as(setup.coordinator)

    def measure(extra):
        for _ in range(extra):
            enrolment = enrol(create_user(), setup.run)
            services.issue_manually(setup.coordinator, enrolment, "x", issuer, now=utcnow())
            enrol(create_user(), setup.run)
        db.session.commit()
        with count_queries() as statements:
            assert client.get(f"/certificates/runs/{setup.run.id}").status_code == 200
        return len(statements)

    assert measure(1) == measure(10)


# --- instructors: rules in the browser --------------------------------------------------------


@pytest.fixture
def instructor(setup, db):
    user = create_user(roles=("instructor",))
    courses.add_course_instructor(setup.course, user)
    db.session.flush()
    return user


def test_only_the_courses_instructors_edit_its_rules(client, login_as, setup, instructor):
    path = f"/teach/courses/{setup.course.slug}/certificate"
    assert client.get(path).status_code == 302
    login_as(setup.learner)
    assert client.get(path).status_code == 403
    login_as(create_user(roles=("instructor",)))
    assert client.get(path).status_code == 403
    login_as(instructor)
    page = client.get(path)
    assert page.status_code == 200 and setup.quiz_item.title in page.get_data(as_text=True)


def test_an_instructor_sets_the_rules(client, login_as, setup, instructor, db):
    login_as(instructor)
    path = f"/teach/courses/{setup.course.slug}/certificate"
    response = post_form(
        client,
        path,
        {
            "items": "y",
            "quizzes": [setup.quiz_item.key],
            "not_before": "2026-03-01",
            "valid_for_days": "365",
            "signatory": "Ana Pérez, Programme director",
        },
    )
    assert response.status_code == 303
    assert services.rules_of(setup.course) == {
        "items": "all",
        "quizzes_passed": [setup.quiz_item.key],
        "not_before": "2026-03-01",
    }
    assert services.course_settings(setup.course).valid_for_days == 365


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose at least one rule"),
        ({"items": "y", "quizzes": ["nope"]}, "not a valid choice"),
        ({"items": "y", "valid_for_days": "0"}, "Number must be"),
        ({"items": "y", "not_before": "soon"}, "Not a valid date"),
    ],
)
def test_bad_rules_are_refused(client, login_as, setup, instructor, data, message):
    login_as(instructor)
    response = post_form(client, f"/teach/courses/{setup.course.slug}/certificate", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert services.course_settings(setup.course) is None


def test_oversized_posts_to_the_public_checks_are_refused(client, db):
    """Refused from the length alone, before anything reads the body (CSRF check included)."""
    big = b"-" * (12 * 1024 * 1024)
    response = client.post("/verify", data=big, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    huge = client.post(
        "/api/v1/certificates/verify", data=b"{" + b" " * 300_000, content_type="application/json"
    )
    assert huge.status_code == 413
    assert huge.get_json()["error"]["code"] == "payload_too_large"
