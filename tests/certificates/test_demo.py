"""`flask demo load` leaves the youth champion holding a real, verifiable certificate."""

from __future__ import annotations

from pathlib import Path

from learning.accounts import services as accounts
from learning.certificates import services
from learning.certificates import settings as issuer_settings
from learning.core.db import utcnow
from learning.core.storage import LocalStorage
from learning.courses import services as courses
from learning.courses.content import sync_content

CONTENT = Path(__file__).resolve().parents[2] / "content" / "youth-champions"


def test_the_champion_holds_the_champions_certificate(app, db, tmp_path):
    sync_content(CONTENT, storage=LocalStorage(tmp_path / "media"), now=utcnow())
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    champion = accounts.find_user_by_email("champion@example.org")
    course = courses.get_course("youth-champions")
    run = course.runs[0]
    certificate = services.certificate_of(champion, run)
    assert certificate is not None and certificate.revoked_at is None
    assert certificate.holder_name == "Valentina Ortiz"
    issuer_settings.reset()
    verdict = services.verify_token(certificate.jwt, issuer_settings.current(), now=utcnow())
    assert verdict.verdict == "valid"
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "up to date" in second.output
    assert services.certificate_of(champion, run).id == certificate.id
