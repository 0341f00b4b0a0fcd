"""``flask accounts ...``: account commands for operators."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup

from learning.accounts import services
from learning.accounts.models import ROLE_VALUES
from learning.core.db import utcnow
from learning.core.errors import ValidationError
from learning.extensions import db

accounts_cli = AppGroup("accounts", help="Manage user accounts.")


def _read_password() -> str:
    # Never from the command line, where it would land in shell history and `ps`.
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@accounts_cli.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(ROLE_VALUES),
    default=("learner",),
    show_default=True,
    help="Role; repeat for several.",
)
@click.option("--city", default=None, help="Name of an existing city or organisation.")
def create_user(email: str, name: str, roles: tuple[str, ...], city: str | None) -> None:
    """Create a confirmed account; the password is read from a prompt or standard input."""
    city_row = None
    if city:
        city_row = services.find_city(city)
        if city_row is None:
            raise click.BadParameter(f"no city or organisation named {city!r}", param_hint="--city")
    password = _read_password()
    try:
        user = services.create_user(
            email=email,
            password=password,
            display_name=name,
            roles=list(roles),
            city=city_row,
            now=utcnow(),
        )
    except ValidationError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(
        f"Created {user.email} ({', '.join(sorted(user.roles))}) on {current_app.config['SITE_NAME']}."
    )
