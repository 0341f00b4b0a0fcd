"""What `make run` does on a new machine, as separate processes on a new SQLite database:
migrate, sync the shipped content, load the demo twice. The suite's own database (one
connection, savepoints) hides what only real processes and transactions show, such as a task
sent before its transaction commits and then waiting on that transaction's write lock."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def flask(instance: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"LEARNING_DATABASE_URL", "LEARNING_REDIS_URL", "LEARNING_MAIL_SERVER"}
    }
    env.update(LEARNING_INSTANCE_DIR=str(instance), FLASK_APP="wsgi", LEARNING_ENV="development")
    return subprocess.run(
        [sys.executable, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_new_machine_gets_a_living_platform(tmp_path):
    for args in (("db", "upgrade"), ("content", "sync"), ("demo", "load")):
        done = flask(tmp_path, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "database is locked" not in done.stderr, done.stderr
    again = flask(tmp_path, "demo", "load")
    assert again.returncode == 0 and "up to date" in again.stdout, again.stdout + again.stderr

    with sqlite3.connect(tmp_path / "capacity.db") as connection:
        progress = connection.execute(
            "SELECT count(*) FROM item_progress WHERE completed_at IS NOT NULL"
        ).fetchone()[0]
        champion_certificates = connection.execute(
            "SELECT count(*) FROM certificates JOIN users ON users.id = certificates.user_id "
            "WHERE users.email = 'champion@example.org'"
        ).fetchone()[0]
    assert progress > 0, "the demo officials have made some progress"
    assert champion_certificates == 1
