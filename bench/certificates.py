"""Certificates: issue + sign + render (PNG and PDF) per certificate, in-process; and
verifications per second through the public endpoints, with gunicorn and wrk.

Budgets (issue 7): under 100 ms per certificate for issue + sign + render; at least 500
verifications per second through the public endpoint.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from bench import common

LEARNERS = 40


def _setup(app, now):
    from datetime import timedelta

    from learning.accounts import services as accounts
    from learning.certificates import services
    from learning.courses import services as courses
    from learning.courses.models import Course, Item, Module
    from learning.extensions import db

    course = Course(
        slug="bench-certificates",
        title="Smart Sustainable Cities: Youth Champions Certificate",
        summary="Eight recorded lectures and a final assessment.",
        programme="Youth Champions Certificate Programme",
        estimated_hours=10,
        is_published=True,
        created_at=now,
        updated_at=now,
    )
    db.session.add(course)
    db.session.flush()
    module = Module(course_id=course.id, key="m", position=0, title="Module")
    db.session.add(module)
    db.session.flush()
    db.session.add(
        Item(
            course_id=course.id,
            module_id=module.id,
            key="r",
            position=0,
            kind="reading",
            title="Reading",
            is_optional=True,
        )
    )
    services.save_course_settings(
        course,
        requires={"items": "all"},
        valid_for_days=None,
        signatory="Dr. Amina Bello, Programme Director",
        criteria="",
        now=now,
    )
    run = courses.create_run(
        None,
        course,
        slug="r",
        title="Run",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=30),
        now=now,
    )
    names = ["Valentina Ortiz", "김민준", "Айгерим Нурлановна", "أمينة بيلو", "अमिता शर्मा"]
    enrolments = []
    for n in range(LEARNERS):
        user = accounts.create_user(
            email=f"cert{n}@example.org",
            password="bench-password-1",
            display_name=f"{names[n % len(names)]} {n}",
            now=now,
        )
        enrolments.append(courses.enroll(user, run, now=now))
    db.session.commit()
    return [e.id for e in enrolments]


def issue_and_render(kind: str) -> list[common.Result]:
    from learning.certificates import keys

    with tempfile.TemporaryDirectory() as folder:
        url = common.fresh_database(kind, Path(folder))
        if url is None:
            return []
        key_file = Path(folder) / "signing.pem"
        keys.write_pem(key_file, keys.generate_pem())
        env = common.environment(url, Path(folder))
        env["LEARNING_CERT_KEY_FILE"] = str(key_file)
        app = common.build_app(env)
        from learning.accounts import services as accounts
        from learning.certificates import services, settings
        from learning.certificates.views import _printable
        from learning.core.db import utcnow
        from learning.extensions import db

        accounts.configure_password_hashing(fast=True)
        now = utcnow()
        with app.app_context():
            enrolment_ids = _setup(app, now)
            issuer = settings.current()
            services.signing_key(issuer, now=now)  # the key recorded once, as in production
            db.session.commit()
        from learning.certificates import render

        issue_s = png_s = pdf_s = 0.0
        certificates = []
        with app.test_request_context("/"):
            for enrolment_id in enrolment_ids:
                start = time.perf_counter()
                certificate = services.issue_if_complete(enrolment_id, issuer, now=utcnow())
                db.session.commit()
                issued = time.perf_counter()
                view = _printable(certificate)
                render.render_png(view, credential_jwt=certificate.jwt)
                rendered_png = time.perf_counter()
                render.render_pdf(view)
                done = time.perf_counter()
                issue_s += issued - start
                png_s += rendered_png - issued
                pdf_s += done - rendered_png
                certificates.append((certificate.uuid, certificate.code, certificate.jwt))
        n = len(enrolment_ids)
        total = (issue_s + png_s + pdf_s) / n * 1000
        print(
            f"  certificate ({kind}): issue + sign {issue_s / n * 1000:.1f} ms, PNG "
            f"{png_s / n * 1000:.1f} ms, PDF {pdf_s / n * 1000:.1f} ms = {total:.1f} ms each "
            f"(budget < 100 ms)"
        )
        page_requests = [
            {"method": "GET", "path": f"/verify/{uuid}", "headers": {}}
            for uuid, _, _ in certificates
        ]
        json_requests = [
            {"method": "GET", "path": f"/api/v1/certificates/{uuid}", "headers": {}}
            for uuid, _, _ in certificates
        ]
        jwt_requests = [
            {
                "method": "POST",
                "path": "/api/v1/certificates/verify",
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"jwt": token}),
            }
            for _, _, token in certificates
        ]
        with common.gunicorn(env) as base:
            return [
                common.wrk(
                    f"verify page /verify/<uuid> ({kind})", base, common.lua_rotating(page_requests)
                ),
                common.wrk(
                    f"verify JSON /api/v1/certificates/<uuid> ({kind})",
                    base,
                    common.lua_rotating(json_requests),
                ),
                common.wrk(
                    f"verify a JWT: signature+schema+status ({kind})",
                    base,
                    common.lua_rotating(jwt_requests),
                ),
            ]


def run(kind: str) -> list[common.Result]:
    return issue_and_render(kind)


if __name__ == "__main__":
    for kind in ("sqlite", "postgresql"):
        for result in run(kind):
            print(result.line() + "   (budget: >= 500 verifications/s)")
