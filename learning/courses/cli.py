"""``flask content sync [PATH]``: import course content from files."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from learning.core.db import utcnow
from learning.courses.content import ContentSyncError, sync_content
from learning.extensions import db

content_cli = AppGroup("content", help="Course content kept as files.")


@content_cli.command("sync")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def sync(path: Path | None) -> None:
    """Import or update the courses under PATH (default: the content folder); all or nothing."""
    path = path or Path(current_app.config["CONTENT_DIR"])
    try:
        report = sync_content(path, storage=current_app.extensions["storage"], now=utcnow())
    except ContentSyncError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s) found; nothing was imported."
        ) from None
    db.session.commit()
    for label, slugs in (
        ("created", report.created),
        ("updated", report.updated),
        ("unchanged", report.unchanged),
        ("archived items", report.archived_items),
    ):
        if slugs:
            click.echo(f"{label}: {', '.join(slugs)}")
