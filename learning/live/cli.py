"""``flask live ...``: live session commands."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from learning.live import tasks

live_cli = AppGroup("live", help="Live sessions.")


@live_cli.command("send-reminders")
def send_reminders() -> None:
    """Send the reminders due now (what Celery beat does every minute); safe to repeat."""
    count = tasks.send_reminders.apply().get()
    click.echo(f"{count} reminder(s) sent.")
