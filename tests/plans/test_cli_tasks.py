"""``flask plans require`` and the e-mail task."""

from __future__ import annotations

from datetime import UTC, datetime

from learning.plans import services, tasks
from tests.plans.conftest import NOW


def test_require_sets_the_run_and_refuses_bad_input(app, db, world):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["plans", "require", str(world.run.id), "--due", "2026-12-20T17:00+09:00"]
    )
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert services.settings_for(world.run).due_at == datetime(2026, 12, 20, 8, 0, tzinfo=UTC)
    naive = runner.invoke(args=["plans", "require", str(world.run.id), "--due", "2026-12-20T17:00"])
    assert naive.exit_code != 0 and "time zone" in naive.output
    assert runner.invoke(args=["plans", "require", "999999"]).exit_code != 0
    off = runner.invoke(args=["plans", "require", str(world.run.id), "--off"])
    assert off.exit_code == 0
    db.session.expire_all()
    assert services.settings_for(world.run).is_required is False


def test_transition_email_task(app, db, world, outbox):
    plan = world.plan()
    services.save_section(world.alice, plan, "problem", "Floods", base_version=0, now=NOW)
    transition = services.submit(world.alice, plan, comment="Ready", now=NOW)
    db.session.commit()
    sent = tasks.send_transition_emails.run(transition.id)
    assert len(sent) == 3
    assert {m["To"] for m in outbox.messages} == {
        world.alice.email,
        world.bob.email,
        world.coordinator.email,
    }
    assert "submitted" in outbox.last_to(world.bob.email)["Subject"]
    assert tasks.send_transition_emails.run(999999) == []
