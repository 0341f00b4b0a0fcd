"""``flask accounts create-user`` and ``flask demo load``."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learning.accounts import services
from learning.accounts.models import City, User
from learning.demo import DEMO_PASSWORD
from tests.factories import PASSWORD, create_city, create_user


@pytest.fixture
def runner(app, db):
    return app.test_cli_runner()


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_create_user_reads_the_password_from_stdin(runner, db):
    create_city(name="Seoul", country="KR", timezone="Asia/Seoul")

    result = runner.invoke(
        args=[
            "accounts",
            "create-user",
            "Chief@Example.org",
            "--name",
            "Chief Admin",
            "--role",
            "admin",
            "--role",
            "instructor",
            "--city",
            "seoul",
        ],
        input=PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert "Created chief@example.org (admin, instructor)" in result.output
    assert PASSWORD not in result.output
    user = services.find_user_by_email("chief@example.org")
    assert user.roles == {"admin", "instructor"}
    assert user.display_name == "Chief Admin"
    assert user.city.name == "Seoul"
    assert user.timezone == "Asia/Seoul"
    assert user.is_email_confirmed
    assert services.authenticate("chief@example.org", PASSWORD, now=user.created_at) is user


def test_create_user_defaults_to_a_learner_without_a_city(runner, db):
    result = runner.invoke(
        args=["accounts", "create-user", "plain@example.org", "--name", "Plain"],
        input=PASSWORD + "\r\n",
    )
    assert result.exit_code == 0, result.output
    user = services.find_user_by_email("plain@example.org")
    assert (user.roles, user.city, user.timezone) == ({"learner"}, None, "UTC")
    assert services.password_matches(user, PASSWORD)


def test_create_user_refuses_an_unknown_city(runner, db):
    result = runner.invoke(
        args=["accounts", "create-user", "x@example.org", "--name", "X", "--city", "Atlantis"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 2
    assert "Atlantis" in result.output
    assert services.find_user_by_email("x@example.org") is None


def test_create_user_refuses_a_duplicate_email(runner, db):
    create_user(email="dup@example.org", display_name="First")
    db.session.commit()  # the command shares this session and rolls back on refusal
    before = count(db, User)
    result = runner.invoke(
        args=["accounts", "create-user", "DUP@example.org", "--name", "Second"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert count(db, User) == before


@pytest.mark.parametrize("password", ["short", "", "x" * 129])
def test_create_user_refuses_a_bad_password(runner, db, password):
    result = runner.invoke(
        args=["accounts", "create-user", "weak@example.org", "--name", "Weak"],
        input=password + "\n",
    )
    assert result.exit_code == 1
    assert "characters" in result.output
    assert services.find_user_by_email("weak@example.org") is None


def test_create_user_refuses_an_unknown_role(runner, db):
    result = runner.invoke(
        args=["accounts", "create-user", "r@example.org", "--name", "R", "--role", "root"],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 2
    assert services.find_user_by_email("r@example.org") is None


@pytest.mark.parametrize("option", ["--password", "--pass", "-p"])
def test_create_user_never_takes_a_password_option(runner, db, option):
    result = runner.invoke(
        args=["accounts", "create-user", "cli@example.org", "--name", "Cli", option, PASSWORD],
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 2
    assert "No such option" in result.output
    assert services.find_user_by_email("cli@example.org") is None


# --- demo data --------------------------------------------------------------------------------

DEMO_ROLES = {
    "learner@example.org": {"learner"},
    "champion@example.org": {"learner"},
    "instructor@example.org": {"instructor"},
    "coordinator@example.org": {"coordinator"},
    "admin@example.org": {"admin"},
}


def test_demo_load_is_idempotent(runner, db):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    users, cities = count(db, User), count(db, City)

    second = runner.invoke(args=["demo", "load"])

    assert second.exit_code == 0, second.output
    assert "up to date" in second.output
    assert (count(db, User), count(db, City)) == (users, cities)
    for email, roles in DEMO_ROLES.items():
        user = services.find_user_by_email(email)
        assert user is not None, email
        assert user.roles == roles
        assert user.is_active and user.is_email_confirmed
        assert services.password_matches(user, DEMO_PASSWORD)
    demo_cities = db.session.scalars(select(City)).all()
    assert len({c.country for c in demo_cities}) >= 3
    assert len({c.timezone for c in demo_cities}) >= 3
    assert services.find_user_by_email("learner@example.org").city.name == "Seoul"


def test_demo_load_keeps_what_people_changed(runner, db):
    runner.invoke(args=["demo", "load"])
    learner = services.find_user_by_email("learner@example.org")
    learner.display_name = "Renamed By Hand"
    db.session.commit()
    runner.invoke(args=["demo", "load"])
    db.session.refresh(learner)
    assert learner.display_name == "Renamed By Hand"


def test_demo_load_is_refused_in_production(runner, db, app, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 1
    assert "never loaded in production" in result.output
    assert count(db, User) == 0
