"""Demo live sessions: three in the programme's current run, one past with attendance and its
recording, two ahead; learner@example.org registered for the next; loading twice adds nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.core.storage import LocalStorage
from learning.courses.content import sync_content
from learning.demo import load_demo_accounts, load_demo_runs
from learning.live import services
from learning.live.demo import load_demo

CONTENT = Path(__file__).resolve().parents[2] / "content"


def test_demo_sessions(app, db, tmp_path):
    now = utcnow()
    storage = LocalStorage(tmp_path / "media")
    app.extensions["storage"], previous = storage, app.extensions["storage"]
    try:
        sync_content(CONTENT, storage=storage, now=now)
        load_demo_accounts(now)
        load_demo_runs(now)
        created = load_demo(now)
        assert len(created) == 3
        assert load_demo(now + timedelta(minutes=5)) == []
    finally:
        app.extensions["storage"] = previous
    learner = accounts.find_user_by_email("learner@example.org")
    [(first, _status)] = services.upcoming_for_user(learner, now=now)
    run = first.run
    rows = services.run_sessions(run, learner)
    assert len(rows) == 3
    past, upcoming = rows[0], rows[1:]
    assert past.session.ends_at < now and past.session.recording_item_id is not None
    assert past.attended is True
    assert all(row.session.starts_at > now for row in upcoming)
    assert first is upcoming[0].session and upcoming[0].my_status == "registered"
    assert services.attended_counts(run.id, [learner.id]) == {learner.id: 1}
    # A realistic hour for every city: 13:00 UTC.
    for row in rows:
        seoul = services.session_times(row.session, "Asia/Seoul")
        assert seoul.starts.hour == 22
        assert services.session_times(row.session, "America/Guayaquil").starts.hour == 8
