"""``flask demo load``: demo cities and accounts so a newcomer signs in to a living platform.

Idempotent: a second run adds only what is missing and changes nothing a person did.
Refused in production. Every domain adds its demo data here, through its services.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.extensions import db

DEMO_PASSWORD = "capacity-demo"  # noqa: S105 - documented demo password, never in production

CITIES = [
    # name, country, region, time zone
    ("Seoul", "KR", "Seoul Capital Area", "Asia/Seoul"),
    ("Abuja", "NG", "Federal Capital Territory", "Africa/Lagos"),
    ("Cuenca", "EC", "Azuay", "America/Guayaquil"),
    ("Almaty", "KZ", "Almaty", "Asia/Almaty"),
    ("São Paulo", "BR", "São Paulo", "America/Sao_Paulo"),
]

# email, display name, roles, city
USERS = [
    ("learner@example.org", "Min-jun Park", ["learner"], "Seoul"),
    ("champion@example.org", "Valentina Ortiz", ["learner"], "Cuenca"),
    ("instructor@example.org", "Dr. Amina Bello", ["instructor"], "Abuja"),
    ("coordinator@example.org", "Ji-woo Han", ["coordinator"], "Seoul"),
    ("admin@example.org", "Platform Administrator", ["admin"], None),
    ("seo-yeon.kim@example.org", "Seo-yeon Kim", ["learner"], "Seoul"),
    ("dong-hyun.lee@example.org", "Dong-hyun Lee", ["learner"], "Seoul"),
    ("chidi.okafor@example.org", "Chidi Okafor", ["learner"], "Abuja"),
    ("aisha.musa@example.org", "Aisha Musa", ["learner"], "Abuja"),
    ("mateo.vasquez@example.org", "Mateo Vásquez", ["learner"], "Cuenca"),
    ("lucia.pesantez@example.org", "Lucía Pesántez", ["learner"], "Cuenca"),
    ("aigerim.nurlanovna@example.org", "Aigerim Nurlanovna", ["learner"], "Almaty"),
    ("rafael.souza@example.org", "Rafael Souza", ["learner"], "São Paulo"),
]

demo_cli = AppGroup("demo", help="Demo data for development and evaluation.")


def load_demo_accounts() -> list[str]:
    """Create the demo cities and accounts that are missing; return what was created."""
    now = utcnow()
    created: list[str] = []
    cities = {}
    for name, country, region, zone in CITIES:
        city = accounts.find_city(name, country)
        if city is None:
            city = accounts.save_city(
                None, name=name, country=country, region=region, timezone=zone, now=now
            )
            created.append(f"city {name}")
        cities[name] = city
    for email, display_name, roles, city_name in USERS:
        if accounts.find_user_by_email(email) is not None:
            continue
        accounts.create_user(
            email=email,
            password=DEMO_PASSWORD,
            display_name=display_name,
            roles=roles,
            city=cities.get(city_name) if city_name else None,
            now=now,
        )
        created.append(email)
    return created


@demo_cli.command("load")
def load() -> None:
    """Load the demo cities and accounts (refused in production)."""
    if current_app.config.get("ENV_NAME") == "production":
        raise click.ClickException("Demo data is never loaded in production.")
    created = load_demo_accounts()
    db.session.commit()
    click.echo(f"Demo data: {len(created)} new record(s)." if created else "Demo data: up to date.")
