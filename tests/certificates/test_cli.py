"""``flask certificates verify|rotate-key|issue-due``."""

from __future__ import annotations

import json

import pytest

from learning.certificates import keys, services
from learning.certificates import settings as issuer_settings
from learning.core.db import utcnow
from tests.certificates.conftest import complete_everything


@pytest.fixture
def issued(setup, issuer, db):
    certificate = services.issue_manually(
        setup.coordinator, setup.enrolment, "Tests", issuer, now=utcnow()
    )
    db.session.commit()
    return certificate


def _verify(app, *args):
    result = app.test_cli_runner().invoke(args=["certificates", "verify", *map(str, args)])
    return result, json.loads(result.stdout) if result.stdout.strip().startswith("{") else None


def test_verify_a_jwt_file_with_the_instance_keys(app, issued, tmp_path):
    path = tmp_path / "c.jwt"
    path.write_text(issued.jwt)
    result, data = _verify(app, path)
    assert result.exit_code == 0, result.output
    assert data["verdict"] == "valid" and data["checks"]["status"] is True


def test_verify_offline_from_a_saved_jwks_and_status_list(app, client, issued, setup, tmp_path, db):
    (tmp_path / "jwks.json").write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    (tmp_path / "c.jwt").write_text(issued.jwt)
    (tmp_path / "status.jwt").write_text(
        client.get("/certificates/status/1").get_data(as_text=True)
    )
    result, data = _verify(
        app,
        tmp_path / "c.jwt",
        "--jwks",
        tmp_path / "jwks.json",
        "--status-list",
        tmp_path / "status.jwt",
    )
    assert result.exit_code == 0, result.output
    assert data["verdict"] == "valid"
    services.revoke(setup.coordinator, issued, "Error", now=utcnow())
    db.session.commit()
    (tmp_path / "status.jwt").write_text(
        client.get("/certificates/status/1").get_data(as_text=True)
    )
    result, data = _verify(
        app,
        tmp_path / "c.jwt",
        "--jwks",
        tmp_path / "jwks.json",
        "--status-list",
        tmp_path / "status.jwt",
    )
    assert result.exit_code == 1 and data["verdict"] == "revoked"


def test_verify_without_a_status_list_says_revocation_was_not_checked(
    app, client, issued, tmp_path
):
    (tmp_path / "jwks.json").write_text(client.get("/.well-known/jwks.json").get_data(as_text=True))
    (tmp_path / "c.jwt").write_text(issued.jwt)
    result, data = _verify(app, tmp_path / "c.jwt", "--jwks", tmp_path / "jwks.json")
    assert data["verdict"] == "valid" and "status" not in data["checks"]
    assert "Revocation not checked" in result.stderr


def test_verify_refuses_a_tampered_file_and_odd_files(app, issued, tmp_path):
    path = tmp_path / "c.jwt"
    path.write_text(issued.jwt[:-10] + "AAAAAAAAAA")
    result, data = _verify(app, path)
    assert result.exit_code == 1 and data["verdict"] == "invalid"
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result, _ = _verify(app, binary)
    assert result.exit_code != 0 and "neither a PNG nor a JWT" in result.output
    other_keys = tmp_path / "other.json"
    other_keys.write_text(
        json.dumps(
            {"keys": [{**keys.public_jwk(keys.load_pem(keys.generate_pem(2048))), "kid": "x"}]}
        )
    )
    path.write_text(issued.jwt)
    result, data = _verify(app, path, "--jwks", other_keys)
    assert result.exit_code == 1 and data["problem"] == "unknown_key"


def test_rotate_key_signs_with_a_new_key_and_keeps_the_old_published(
    app, issued, tmp_path, db, setup
):
    key_file = tmp_path / "signing.pem"
    keys.write_pem(key_file, keys.generate_pem(2048))
    app.config["CERT_KEY_FILE"] = str(key_file)
    issuer_settings.reset()
    try:
        result = app.test_cli_runner().invoke(args=["certificates", "rotate-key"])
        assert result.exit_code == 0, result.output
        new_settings = issuer_settings.current()
        assert key_file.stat().st_mode & 0o077 == 0
        published = services.jwks(new_settings)["keys"]
        assert len(published) >= 3  # the instance key, the file's first key, the new one
        assert services.verify_token(issued.jwt, new_settings, now=utcnow()).verdict == "valid"
        assert issued.kid in {k.kid for k in services.published_keys() if k.retired_at}
    finally:
        app.config["CERT_KEY_FILE"] = None
        issuer_settings.reset()


def test_rotate_key_refuses_a_key_from_the_environment(app, db):
    app.config["CERT_KEY_PEM"] = keys.generate_pem(2048).decode()
    issuer_settings.reset()
    try:
        result = app.test_cli_runner().invoke(args=["certificates", "rotate-key"])
    finally:
        app.config["CERT_KEY_PEM"] = None
        issuer_settings.reset()
    assert result.exit_code != 0 and "LEARNING_CERT_KEY_PEM" in result.output


def test_issue_due_catches_up(app, setup, issuer, db, monkeypatch):
    from learning.certificates import tasks

    monkeypatch.setattr(tasks, "_on_course_completed", lambda *a, **k: None)
    monkeypatch.setattr(tasks, "_on_attempt_passed", lambda *a, **k: None)
    complete_everything(setup, now=utcnow())
    # Signals were connected before the monkeypatch: drop what they queued.
    db.session.info.pop("capacity_pending_tasks", None)
    db.session.commit()
    assert services.certificate_of(setup.learner, setup.run) is None
    result = app.test_cli_runner().invoke(args=["certificates", "issue-due"])
    assert result.exit_code == 0, result.output
    assert "1 certificate(s) issued" in result.output
    assert services.certificate_of(setup.learner, setup.run) is not None


def test_other_processes_follow_a_rotated_key_file(app, tmp_path, db):
    """A web process that loaded the key before `rotate-key` signs with the new one after."""
    import os

    key_file = tmp_path / "signing.pem"
    keys.write_pem(key_file, keys.generate_pem(2048))
    app.config["CERT_KEY_FILE"] = str(key_file)
    issuer_settings.reset()
    try:
        before = keys.thumbprint(keys.public_jwk(issuer_settings.current().private_key))
        keys.write_pem(key_file, keys.generate_pem(2048))  # as rotate-key does elsewhere
        stat = key_file.stat()
        os.utime(key_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
        after = keys.thumbprint(keys.public_jwk(issuer_settings.current().private_key))
    finally:
        app.config["CERT_KEY_FILE"] = None
        issuer_settings.reset()
    assert before != after


def test_the_periodic_task_issues_what_became_due(setup, issuer, db):
    """A first day that has come: no event fires, the hourly task issues it."""
    from datetime import timedelta

    from learning.certificates import tasks

    now = utcnow()
    services.save_course_settings(
        setup.course,
        requires={"not_before": (now + timedelta(days=1)).date().isoformat()},
        valid_for_days=None,
        signatory="",
        criteria="",
        now=now,
    )
    db.session.commit()
    assert tasks.issue_due.apply().get() == 0
    services.save_course_settings(
        setup.course,
        requires={"not_before": (now - timedelta(days=1)).date().isoformat()},
        valid_for_days=None,
        signatory="",
        criteria="",
        now=now,
    )
    db.session.commit()
    assert tasks.issue_due.apply().get() == 1
    assert services.certificate_of(setup.learner, setup.run) is not None
    assert tasks.issue_due.apply().get() == 0
