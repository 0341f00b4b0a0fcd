"""Test data with unique values: ``create_user``, ``create_city`` ..."""

from __future__ import annotations

import itertools

from learning.accounts import services as accounts
from learning.accounts.models import City, User
from learning.core.db import utcnow
from learning.extensions import db

PASSWORD = "correct horse battery"  # noqa: S105
_counter = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def create_city(**fields) -> City:
    fields.setdefault("name", unique("City "))
    fields.setdefault("country", "KR")
    fields.setdefault("timezone", "Asia/Seoul")
    city = accounts.save_city(None, now=utcnow(), **fields)
    db.session.flush()
    return city


def create_user(
    *,
    email: str | None = None,
    roles=("learner",),
    password: str = PASSWORD,
    confirmed: bool = True,
    active: bool = True,
    **fields,
) -> User:
    user = accounts.create_user(
        email=email or f"{unique('user')}@example.org",
        password=password,
        display_name=fields.pop("display_name", unique("Person ")),
        roles=list(roles),
        now=utcnow(),
        **fields,
    )
    if not confirmed:
        user.email_confirmed_at = None
    user.is_active = active
    db.session.flush()
    return user
