"""``flask plans ...``: run settings and exports from the command line."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from learning.core.db import utcnow
from learning.core.errors import NotFound
from learning.courses import services as courses
from learning.extensions import db
from learning.plans import services

plans_cli = AppGroup("plans", help="City action plans.")


@plans_cli.command("require")
@click.argument("run_id", type=int)
@click.option(
    "--due", default=None, help="Due date, ISO 8601 with a zone, e.g. 2026-12-20T17:00+09:00."
)
@click.option("--off", is_flag=True, help="Stop asking the run for action plans.")
def require(run_id: int, due: str | None, off: bool) -> None:
    """Make the run RUN_ID ask each team for an action plan, due by --due."""
    try:
        run = courses.find_run(run_id)
    except NotFound:
        raise click.BadParameter(f"no run {run_id}", param_hint="RUN_ID") from None
    due_at = None
    if due:
        try:
            due_at = datetime.fromisoformat(due)
        except ValueError:
            raise click.BadParameter("not an ISO 8601 date and time", param_hint="--due") from None
        if due_at.tzinfo is None:
            raise click.BadParameter("give a time zone, e.g. +09:00 or Z", param_hint="--due")
    services.configure_run(None, run, is_required=not off, due_at=due_at, now=utcnow())
    db.session.commit()
    click.echo(f"Run {run_id}: action plan {'not required' if off else 'required'}.")
