"""``flask quizzes ...``: question bank commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from learning.core.db import utcnow
from learning.core.errors import NotFound
from learning.courses import services as courses
from learning.extensions import db
from learning.quizzes import gift, services

quizzes_cli = AppGroup("quizzes", help="Question banks and quizzes.")


@quizzes_cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--course", "slug", required=True, help="Slug of the course whose bank receives them."
)
@click.option("--category", default=None, help="Category path, e.g. 'Lecture 1/Basics'.")
def import_gift(file: Path, slug: str, category: str | None) -> None:
    """Import every question of a GIFT FILE into a course's bank, or none if any is wrong."""
    try:
        course = courses.get_course(slug)
    except NotFound:
        raise click.BadParameter(f"no course {slug!r}", param_hint="--course") from None
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file}: not UTF-8 text") from None
    try:
        report = services.import_gift(None, course, text, category_path=category, now=utcnow())
    except gift.GiftError as error:
        db.session.rollback()
        for problem in error.problems:
            click.echo(f"{file}:{problem.line}: {problem.message}: {problem.text}", err=True)
        raise click.ClickException(
            f"{len(error.problems)} problem(s); nothing was imported."
        ) from None
    db.session.commit()
    click.echo(f"Imported {report.added} question(s) into {', '.join(sorted(report.categories))}.")


@quizzes_cli.command("export-gift")
@click.option("--course", "slug", required=True, help="Slug of the course.")
def export_gift(slug: str) -> None:
    """Write a course's whole bank as GIFT to standard output."""
    try:
        course = courses.get_course(slug)
    except NotFound:
        raise click.BadParameter(f"no course {slug!r}", param_hint="--course") from None
    click.echo(services.export_gift(course), nl=False)
