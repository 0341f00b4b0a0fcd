"""Certificates services with an explicit clock: rules, issuance, revocation, keys."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.accounts.models import AuditLogEntry
from learning.certificates import rules, services
from learning.certificates import settings as issuer_settings
from learning.certificates.models import Certificate, SigningKey
from learning.core.db import utcnow
from learning.core.errors import Conflict, Forbidden, ValidationError
from learning.courses import services as courses
from learning.live import services as live
from learning.plans import services as plans
from tests.certificates.conftest import complete_everything, pass_quiz
from tests.factories import create_user, enrol


def _texts(missing):
    return [str(m) for m in missing]


def test_a_new_learner_is_told_what_is_missing(setup, app):
    now = utcnow()
    services.save_course_settings(
        setup.course,
        requires={"items": "all", "quizzes_passed": [setup.quiz_item.key]},
        valid_for_days=None,
        signatory="",
        criteria="",
        now=now,
    )
    with app.test_request_context():
        missing = _texts(
            services.missing_for(setup.course, [setup.enrolment], now=now)[setup.enrolment.id]
        )
    assert missing == ["2 of 2 required items left", f"“{setup.quiz_item.title}” not passed"]


def test_rules_evaluate_many_enrolments_in_constant_queries(setup, count_queries, app):
    now = utcnow()
    services.save_course_settings(
        setup.course,
        requires={
            "items": "all",
            "quizzes_passed": [setup.quiz_item.key],
            "not_before": "2020-01-01",
        },
        valid_for_days=None,
        signatory="",
        criteria="",
        now=now,
    )

    def measure(n):
        for _ in range(n):
            enrol(create_user(), setup.run)
        enrolments = [row.enrolment for row in courses.run_progress(setup.run)]
        with count_queries() as statements:
            result = services.missing_for(setup.course, enrolments, now=now)
        assert len(result) == len(enrolments)
        return len(statements)

    assert measure(1) == measure(20)


def test_a_failed_quiz_still_misses_and_a_passed_one_does_not(setup, app):
    now = utcnow()
    services.save_course_settings(
        setup.course,
        requires={"quizzes_passed": [setup.quiz_item.key]},
        valid_for_days=None,
        signatory="",
        criteria="",
        now=now,
    )
    pass_quiz(setup.enrolment, setup.quiz, now=now, right=False)
    assert services.missing_for(setup.course, [setup.enrolment], now=now)[setup.enrolment.id]
    pass_quiz(setup.enrolment, setup.quiz, now=now)
    assert services.missing_for(setup.course, [setup.enrolment], now=now)[setup.enrolment.id] == []


def test_not_before_waits_for_the_day(setup, app):
    rule = rules.NotBefore(rules.NotBefore.parse("2030-05-01"))
    before = rule.starts_at - timedelta(seconds=1)
    with app.test_request_context():
        assert _texts(
            rule.missing(setup.course, [setup.enrolment], now=before)[setup.enrolment.id]
        ) == ["issued from 2030-05-01"]
    assert (
        rule.missing(setup.course, [setup.enrolment], now=rule.starts_at)[setup.enrolment.id] == []
    )


def test_live_sessions_rule_counts_attendance_recorded_by_the_live_domain(setup, app):
    now = utcnow().replace(microsecond=0)
    start = (now + timedelta(days=1)).replace(tzinfo=None)
    session = live.schedule_session(
        setup.coordinator,
        setup.run,
        live.SessionFields(
            title="Ask the experts",
            starts_local=start,
            ends_local=start + timedelta(hours=1),
            timezone="UTC",
            join_url="https://meet.example.org/experts",
        ),
        now=now,
    )
    rule = rules.LiveSessions(rules.LiveSessions.parse(1))
    with app.test_request_context():
        missing = rule.missing(setup.course, [setup.enrolment], now=now)
        assert _texts(missing[setup.enrolment.id]) == ["1 more live session to attend"]
    live.record_attendance(
        setup.coordinator, session, [setup.learner.id], now=now + timedelta(days=2)
    )
    assert rule.missing(setup.course, [setup.enrolment], now=now)[setup.enrolment.id] == []


def test_action_plan_rule_follows_the_plans_review(setup, app):
    now = utcnow()
    plans.configure_run(None, setup.run, is_required=True, due_at=None, now=now)
    plans.set_template(setup.course, [plans.SectionSpec(key="problem", title="Problem")], now=now)
    plan = plans.start_plan(setup.learner, setup.run, now=now)
    plans.save_section(
        setup.learner, plan, "problem", "Floods every spring.", base_version=0, now=now
    )
    plans.submit(setup.learner, plan, now=now)
    rule = rules.ActionPlanApproved(rules.ActionPlanApproved.parse("approved"))
    with app.test_request_context():
        missing = rule.missing(setup.course, [setup.enrolment], now=now)
        assert _texts(missing[setup.enrolment.id]) == ["action plan not approved yet"]
    plans.start_review(setup.coordinator, plan, now=now)
    plans.decide(setup.coordinator, plan, "approved", levels={}, now=now)
    assert rule.missing(setup.course, [setup.enrolment], now=now)[setup.enrolment.id] == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"items": "some"}, "'items' can only be 'all'"),
        ({"quizzes_passed": []}, "list of quiz item keys"),
        ({"not_before": "soon"}, "must be a date"),
        ({"live_sessions": 0}, "whole number"),
        ({"live_sessions": True}, "whole number"),
        ({"action_plan": "submitted"}, "only be 'approved'"),
        ({"karma": 3}, "unknown rule 'karma'"),
        ([], "must map rule names"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(raw, message):
    with pytest.raises(rules.RuleError, match=message):
        rules.parse_rules(raw)


def test_completing_the_course_issues_the_certificate_after_commit(setup, issuer, db):
    now = utcnow()
    complete_everything(setup, now=now)
    assert services.certificate_of(setup.learner, setup.run) is None  # not before the commit
    db.session.commit()
    certificate = services.certificate_of(setup.learner, setup.run)
    assert certificate is not None
    assert certificate.holder_name == "Дарина Ковальчук"
    assert services.normalise_code(certificate.code) == certificate.code


def test_nothing_is_issued_while_something_is_missing(setup, issuer, db):
    courses.set_item_done(setup.enrolment, setup.reading, True, now=utcnow())
    db.session.commit()
    assert services.issue_if_complete(setup.enrolment.id, issuer, now=utcnow()) is None
    assert services.certificate_of(setup.learner, setup.run) is None


def test_issuing_twice_gives_the_same_certificate(setup, issuer, db):
    now = utcnow()
    complete_everything(setup, now=now)
    first = services.issue_if_complete(setup.enrolment.id, issuer, now=now)
    second = services.issue_if_complete(setup.enrolment.id, issuer, now=now)
    assert first is not None and first.id == second.id
    count = db.session.scalar(
        select(func.count()).select_from(Certificate).where(Certificate.run_id == setup.run.id)
    )
    assert count == 1


def test_a_racing_second_issuer_ends_with_the_one_certificate(setup, issuer, db, monkeypatch):
    """The worker that loses the race sees no certificate at first, inserts, hits the unique
    constraint (ON CONFLICT DO NOTHING) and returns the winner's."""
    now = utcnow()
    complete_everything(setup, now=now)
    winner = services.issue_if_complete(setup.enrolment.id, issuer, now=now)
    real = services.certificate_of
    calls = {"n": 0}

    def late(user, run):
        calls["n"] += 1
        return None if calls["n"] == 1 else real(user, run)

    monkeypatch.setattr(services, "certificate_of", late)
    loser = services._issue(setup.enrolment, issuer, now=now)
    assert loser.id == winner.id
    assert (
        db.session.scalar(
            select(func.count()).select_from(Certificate).where(Certificate.run_id == setup.run.id)
        )
        == 1
    )


def test_status_indices_and_codes_are_distinct(setup, issuer, db):
    now = utcnow()
    seen_index, seen_code = set(), set()
    for _ in range(5):
        enrolment = enrol(create_user(), setup.run)
        certificate = services.issue_manually(setup.coordinator, enrolment, "Test", issuer, now=now)
        seen_index.add((certificate.status_list, certificate.status_index))
        seen_code.add(certificate.code)
    assert len(seen_index) == 5 and len(seen_code) == 5


def test_manual_issue_needs_a_coordinator_and_a_reason_and_is_audited(setup, issuer, db):
    now = utcnow()
    with pytest.raises(Forbidden):
        services.issue_manually(setup.learner, setup.enrolment, "I deserve it", issuer, now=now)
    instructor = create_user(roles=("instructor",))
    courses.add_run_staff(setup.run, instructor, "instructor")
    with pytest.raises(Forbidden):
        services.issue_manually(instructor, setup.enrolment, "Because", issuer, now=now)
    with pytest.raises(ValidationError):
        services.issue_manually(setup.coordinator, setup.enrolment, "  ", issuer, now=now)
    certificate = services.issue_manually(
        setup.coordinator, setup.enrolment, "Completed offline in Cuenca", issuer, now=now
    )
    assert certificate.issued_by_id == setup.coordinator.id
    assert certificate.issue_reason == "Completed offline in Cuenca"
    entry = db.session.scalar(
        select(AuditLogEntry).where(
            AuditLogEntry.action == "certificate.issue", AuditLogEntry.target_id == certificate.id
        )
    )
    assert entry.actor_id == setup.coordinator.id
    assert entry.details["reason"] == "Completed offline in Cuenca"
    with pytest.raises(Conflict):
        services.issue_manually(setup.coordinator, setup.enrolment, "Again", issuer, now=now)


def test_revoke_needs_a_coordinator_and_a_reason(setup, issuer, db):
    now = utcnow()
    certificate = services.issue_manually(setup.coordinator, setup.enrolment, "x", issuer, now=now)
    with pytest.raises(Forbidden):
        services.revoke(setup.learner, certificate, "no", now=now)
    with pytest.raises(ValidationError):
        services.revoke(setup.coordinator, certificate, "", now=now)
    services.revoke(setup.coordinator, certificate, "Plagiarised action plan", now=now)
    assert certificate.revoked_at == now
    with pytest.raises(Conflict):
        services.revoke(setup.coordinator, certificate, "again", now=now)
    assert db.session.scalar(
        select(AuditLogEntry).where(
            AuditLogEntry.action == "certificate.revoke", AuditLogEntry.target_id == certificate.id
        )
    ).details == {"reason": "Plagiarised action plan"}
    assert certificate.status_index in services.revoked_indices(certificate.status_list)
    verdict = services.verification_of(certificate, now=now)
    assert verdict.verdict == "revoked" and verdict.revoked_at == now
    assert "Plagiarised" not in str(verdict.as_json())


def test_valid_for_days_sets_valid_until_and_expiry(setup, issuer, db):
    now = utcnow()
    services.save_course_settings(
        setup.course,
        requires={"items": "all"},
        valid_for_days=30,
        signatory="",
        criteria="",
        now=now,
    )
    certificate = services.issue_manually(setup.coordinator, setup.enrolment, "x", issuer, now=now)
    assert certificate.valid_until == certificate.valid_from + timedelta(days=30)
    import jwt as pyjwt

    claims = pyjwt.decode(certificate.jwt, options={"verify_signature": False})
    assert claims["exp"] == int(certificate.valid_until.timestamp())
    assert claims["nbf"] == int(certificate.valid_from.timestamp())
    assert certificate.credential["validUntil"].endswith("Z")
    assert services.verification_of(certificate, now=now).verdict == "valid"
    later = now + timedelta(days=31)
    assert services.verification_of(certificate, now=later).verdict == "expired"
    assert services.verify_token(certificate.jwt, issuer, now=later).verdict == "expired"


def test_the_learner_keeps_one_opaque_subject_id(setup, issuer, db):
    now = utcnow()
    first = services.issue_manually(setup.coordinator, setup.enrolment, "x", issuer, now=now)
    other_run = courses.create_run(
        None,
        setup.course,
        slug="again",
        title="Again",
        starts_at=now,
        ends_at=now + timedelta(days=3),
        now=now,
    )
    courses.add_run_staff(other_run, setup.coordinator, "coordinator")
    second = services.issue_manually(
        setup.coordinator, enrol(setup.learner, other_run), "x", issuer, now=now
    )
    subject = first.credential["credentialSubject"]["id"]
    assert subject.startswith("urn:uuid:")
    assert second.credential["credentialSubject"]["id"] == subject
    stranger = services.issue_manually(
        setup.coordinator, enrol(create_user(), setup.run), "x", issuer, now=now
    )
    assert stranger.credential["credentialSubject"]["id"] != subject


def test_production_refuses_to_issue_without_a_key(setup, db, app):
    config = dict(app.config, ENV_NAME="production", CERT_KEY_FILE=None, CERT_KEY_PEM=None)
    production = issuer_settings.load_settings(config)
    assert production.private_key is None
    with pytest.raises(services.SigningUnavailable, match="LEARNING_CERT_KEY_FILE"):
        services.issue_manually(setup.coordinator, setup.enrolment, "x", production, now=utcnow())


def test_a_new_key_signs_and_the_old_one_stays_published(setup, issuer, db, app, tmp_path):
    from learning.certificates import keys

    now = utcnow()
    old = services.issue_manually(setup.coordinator, setup.enrolment, "x", issuer, now=now)
    path = tmp_path / "new.pem"
    keys.write_pem(path, keys.generate_pem(2048))
    rotated = issuer_settings.load_settings(dict(app.config, CERT_KEY_FILE=str(path)))
    other = enrol(create_user(), setup.run)
    new = services.issue_manually(setup.coordinator, other, "x", rotated, now=now)
    assert new.kid != old.kid
    published = {k.kid: k for k in services.published_keys()}
    assert published[old.kid].retired_at == now and published[new.kid].retired_at is None
    assert services.verify_token(old.jwt, rotated, now=now).verdict == "valid"
    assert services.verify_token(new.jwt, rotated, now=now).verdict == "valid"
    assert {k["kid"] for k in services.jwks(rotated)["keys"]} >= {
        rotated.key_url(old.kid),
        rotated.key_url(new.kid),
    }
    assert (
        db.session.scalar(
            select(func.count()).select_from(SigningKey).where(SigningKey.retired_at.is_(None))
        )
        == 1
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("7k3m-qx2d-94ht", "7K3M-QX2D-94HT"),
        (" 7K3M QX2D 94HT ", "7K3M-QX2D-94HT"),
        ("7K3MQX2DO4HT", "7K3M-QX2D-04HT"),
        ("7K3M-QX2D-94H", None),
        ("7K3M-QX2D-94HU", None),
        ("", None),
        (None, None),
    ],
)
def test_codes_are_read_forgivingly(typed, expected):
    assert services.normalise_code(typed) == expected


def test_unknown_and_malformed_codes_find_nothing(db):
    assert services.get_by_code("0000-0000-0000") is None
    assert services.get_by_code("'; DROP TABLE certificates; --") is None
    assert services.get_by_uuid("not-a-uuid") is None


def test_passing_a_named_quiz_after_completion_issues_the_certificate(issuer, db):
    """The quiz is optional, so the course is complete without it; the rules still ask for
    it, and passing it later (the attempt marked passed) queues the issuance."""
    from learning.quizzes import services as quizzes
    from tests.certificates.conftest import GIFT
    from tests.factories import create_course, create_run

    course = create_course(modules=[[("reading", False), ("quiz", True)]])
    run = create_run(course)
    learner = create_user()
    enrolment = enrol(learner, run)
    reading, quiz_item = course.modules[0].items
    now = utcnow()
    quizzes.import_gift(None, course, GIFT, now=now)
    quiz = quizzes.ensure_quiz(quiz_item, now=now)
    quizzes.set_slots(quiz, [("question", q.id, 1) for q in quizzes.bank(course)])
    services.save_course_settings(
        course,
        requires={"items": "all", "quizzes_passed": [quiz_item.key]},
        valid_for_days=None,
        signatory="",
        criteria="",
        now=now,
    )
    courses.set_item_done(enrolment, reading, True, now=now)
    db.session.commit()
    assert enrolment.completed_at is not None
    assert services.certificate_of(learner, run) is None  # the quiz is still missing
    pass_quiz(enrolment, quiz, now=now, right=False)
    db.session.commit()
    assert services.certificate_of(learner, run) is None
    pass_quiz(enrolment, quiz, now=now)
    db.session.commit()
    assert services.certificate_of(learner, run) is not None


def test_a_rolled_back_completion_queues_nothing(setup, issuer, db):
    complete_everything(setup, now=utcnow())
    db.session.rollback()
    db.session.commit()
    assert services.certificate_of(setup.learner, setup.run) is None


@pytest.mark.parametrize("source", ["live attendance", "approved plan"])
def test_recorded_attendance_and_approved_plans_queue_the_issuance(setup, issuer, db, source):
    """The live and plans domains' signals lead to the certificate, after the commit."""
    from types import SimpleNamespace

    from learning.live.services import attendance_recorded
    from learning.plans.services import plan_approved

    services.save_course_settings(
        setup.course,
        requires={"not_before": "2000-01-01"},
        valid_for_days=None,
        signatory="",
        criteria="",
        now=utcnow(),
    )
    if source == "live attendance":
        attendance_recorded.send(setup.run, user_ids=[setup.learner.id], now=utcnow())
    else:
        plan = SimpleNamespace(run_id=setup.run.id)  # the signal's sender: the approved plan
        plan_approved.send(plan, user_ids=[setup.learner.id], now=utcnow())
    assert services.certificate_of(setup.learner, setup.run) is None  # after the commit
    db.session.commit()
    assert services.certificate_of(setup.learner, setup.run) is not None
