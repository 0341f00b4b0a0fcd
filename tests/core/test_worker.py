"""A real Celery worker process runs the confirmation e-mail task, sent through Redis."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from flask_migrate import upgrade

from config import get_config
from learning.accounts import services, tasks
from learning.core.db import utcnow
from learning.core.jobs import enqueue_after_commit
from learning.extensions import db
from tests.databases import fresh_database_url
from tests.helpers import path_of_link, side_app

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parent.parent.parent
CELERY = Path(sys.executable).parent / "celery"
SECRET = "worker-test-secret-" + "x" * 32
WAIT_SECONDS = 60


def _worker_env(database_url: str, redis_url: str, outbox: Path, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARNING_")}
    env.update(
        LEARNING_ENV="development",
        LEARNING_DATABASE_URL=database_url,
        LEARNING_REDIS_URL=redis_url,
        LEARNING_MAIL_OUTBOX_DIR=str(outbox),
        LEARNING_INSTANCE_DIR=str(instance),
        LEARNING_SECRET_KEY=SECRET,
        LEARNING_BASE_URL="http://worker.test",
        PYTHONUNBUFFERED="1",
    )
    return env


def _stop(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=10)


def test_confirmation_email_runs_in_a_worker_through_redis(tmp_path):
    redis_url = os.environ.get("LEARNING_REDIS_URL")
    if not redis_url:
        pytest.skip("set LEARNING_REDIS_URL (a Redis server) to run a real Celery worker")

    database_url = fresh_database_url("worker", tmp_path)
    worker_outbox = tmp_path / "worker-outbox"
    celery_settings = {
        **get_config("development").CELERY,
        "broker_url": redis_url,
        "task_always_eager": False,
    }
    with side_app(
        tmp_path,
        "development",
        SQLALCHEMY_DATABASE_URI=database_url,
        SECRET_KEY=SECRET,
        CELERY=celery_settings,
    ) as app:
        celery_app = app.extensions["celery"]
        with app.app_context():
            upgrade()
            db.session.remove()
        celery_app.control.purge()  # nothing left over from an earlier run

        log_path = tmp_path / "worker.log"
        with log_path.open("wb") as log:
            worker = subprocess.Popen(
                [
                    str(CELERY),
                    "-A",
                    "worker",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    "-Q",
                    "celery",
                    "--loglevel=info",
                    "--without-gossip",
                    "--without-mingle",
                ],
                cwd=ROOT,
                env=_worker_env(database_url, redis_url, worker_outbox, tmp_path / "worker"),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            with app.app_context():
                user = services.create_user(
                    email="worker@example.org",
                    password="correct horse battery",
                    display_name="Worker Test",
                    now=utcnow(),
                )
                user.email_confirmed_at = None
                enqueue_after_commit(db.session, tasks.send_confirmation_email, user.id)
                # Nothing may leave before the commit: the worker would not find the user.
                with celery_app.connection_for_read() as connection:
                    assert connection.default_channel.client.llen("celery") == 0
                db.session.commit()
                user_id = user.id

            deadline = time.monotonic() + WAIT_SECONDS
            files: list[Path] = []
            while time.monotonic() < deadline and not files:
                if worker.poll() is not None:
                    break
                files = sorted(worker_outbox.glob("*.eml"))
                time.sleep(0.2)
        finally:
            _stop(worker)
            celery_app.close()
        worker_log = log_path.read_text(errors="replace")

        assert files, f"the worker wrote no e-mail within {WAIT_SECONDS} s; its log:\n{worker_log}"
        assert "accounts.send_confirmation_email" in worker_log
        # The test process only enqueued: it wrote nothing itself.
        assert not list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
        [eml] = files
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert message["To"] == "worker@example.org"
        assert message["Subject"] == "Confirm your e-mail address"
        link = path_of_link(message, "/confirm/")
        token = link.rsplit("/", 1)[1]
        with app.app_context():
            confirmed = services.confirm_email(
                token,
                secret=SECRET,
                max_age=app.config["EMAIL_CONFIRM_MAX_AGE"],
                now=utcnow(),
            )
            assert confirmed.id == user_id
            db.session.rollback()
