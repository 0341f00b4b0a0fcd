"""Demo plans: Seoul's draft with versions, Abuja's plan in the coordinator's queue."""

from __future__ import annotations

from pathlib import Path

from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.core.storage import LocalStorage
from learning.courses.content import sync_content
from learning.demo import load_demo_accounts, load_demo_runs
from learning.plans import services
from learning.plans.demo import load_demo


def test_demo_plans_are_loaded_once(app, db, tmp_path):
    now = utcnow()
    assert load_demo(now) == []  # no course yet: nothing to do
    content = Path(app.root_path).parent / "content" / "smart-city-officials"
    sync_content(content, storage=LocalStorage(tmp_path), now=now)
    load_demo_accounts(now)
    load_demo_runs(now)
    created = load_demo(now)
    assert len(created) == 3, created
    learner = accounts.find_user_by_email("learner@example.org")
    coordinator = accounts.find_user_by_email("coordinator@example.org")
    abuja = services.review_queue(coordinator, services.QueueFilters()).items[0]
    seoul = services.plan_for(learner, abuja.run)
    assert seoul.state == "draft" and len(services.history(seoul)) == 4
    assert len({v.author_id for v in services.history(seoul)}) == 3
    queue = services.review_queue(coordinator, services.QueueFilters(state="submitted")).items
    assert [p.title for p in queue] == ["Abuja action plan"]
    assert services.settings_for(seoul.run).due_at is not None
    assert load_demo(now) == []
