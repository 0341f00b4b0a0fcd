"""Configuration from LEARNING_* variables; production refuses to start unsafely."""

from __future__ import annotations

import os

import pytest

import config
from config import ConfigError, get_config
from tests.helpers import side_app

GOOD_SECRET = "s" * 48


@pytest.fixture
def clean_env(monkeypatch):
    """No LEARNING_* variable from the outside world (CI sets some)."""
    for name in list(os.environ):
        if name.startswith("LEARNING_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_production_refuses_to_start_without_a_secret_key(clean_env):
    clean_env.setenv("LEARNING_DATABASE_URL", "postgresql+psycopg://db/capacity")
    with pytest.raises(ConfigError, match="LEARNING_SECRET_KEY"):
        get_config("production")


def test_production_refuses_to_start_without_a_database_url(clean_env):
    clean_env.setenv("LEARNING_SECRET_KEY", GOOD_SECRET)
    with pytest.raises(ConfigError, match="LEARNING_DATABASE_URL"):
        get_config("production")


def test_production_names_everything_that_is_missing(clean_env):
    with pytest.raises(ConfigError) as error:
        get_config("production")
    assert "LEARNING_SECRET_KEY" in str(error.value)
    assert "LEARNING_DATABASE_URL" in str(error.value)


def test_production_treats_an_empty_variable_as_missing(clean_env):
    clean_env.setenv("LEARNING_SECRET_KEY", "")
    clean_env.setenv("LEARNING_DATABASE_URL", "postgresql+psycopg://db/capacity")
    with pytest.raises(ConfigError, match="LEARNING_SECRET_KEY"):
        get_config("production")


def test_production_refuses_a_short_secret(clean_env):
    clean_env.setenv("LEARNING_SECRET_KEY", "too-short-a-secret")
    clean_env.setenv("LEARNING_DATABASE_URL", "postgresql+psycopg://db/capacity")
    with pytest.raises(ConfigError, match="at least 32"):
        get_config("production")


def test_production_is_picked_by_learning_env(clean_env):
    clean_env.setenv("LEARNING_ENV", "production")
    with pytest.raises(ConfigError):
        get_config()


def test_production_cookies_are_secure(clean_env):
    clean_env.setenv("LEARNING_SECRET_KEY", GOOD_SECRET)
    clean_env.setenv("LEARNING_DATABASE_URL", "postgresql+psycopg://db/capacity")

    settings = get_config("production")

    assert settings.SECRET_KEY == GOOD_SECRET
    assert settings.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://db/capacity"
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.REMEMBER_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.REMEMBER_COOKIE_HTTPONLY is True
    assert settings.PREFERRED_URL_SCHEME == "https"
    assert settings.PASSWORD_HASH_FAST is False


def test_production_app_sends_secure_cookies_and_hsts(clean_env, tmp_path):
    clean_env.setenv("LEARNING_SECRET_KEY", GOOD_SECRET)
    clean_env.setenv("LEARNING_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    with side_app(tmp_path, "production") as app:
        response = app.test_client().get("/login")
    assert response.status_code == 200
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "capacity_session=" in h)
    assert "; Secure" in cookie
    assert "; HttpOnly" in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_development_works_without_any_variable(clean_env):
    settings = get_config("development")
    assert settings.SECRET_KEY
    assert settings.SQLALCHEMY_DATABASE_URI.startswith("sqlite:///")
    assert settings.SQLALCHEMY_DATABASE_URI.endswith("instance/capacity.db")
    assert settings.SESSION_COOKIE_SECURE is False
    assert settings.MAIL_SERVER is None
    assert settings.MAIL_OUTBOX_DIR == config.DEFAULT_INSTANCE_DIR / "outbox"
    assert settings.RATELIMIT_STORAGE_URI == "memory://"


def test_the_default_environment_is_development(clean_env):
    assert get_config().ENV_NAME == "development"


def test_unknown_environment_is_refused(clean_env):
    with pytest.raises(ConfigError, match="Unknown LEARNING_ENV"):
        get_config("staging")


def test_tasks_run_in_process_without_redis(clean_env):
    celery = get_config("development").CELERY
    assert celery["task_always_eager"] is True
    assert celery["broker_url"] == "memory://"


def test_tasks_go_to_redis_when_it_is_configured(clean_env):
    clean_env.setenv("LEARNING_REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = get_config("development")
    assert settings.CELERY["task_always_eager"] is False
    assert settings.CELERY["broker_url"] == "redis://127.0.0.1:6379/3"
    # Rate-limit counters are shared by every web process through Redis too.
    assert settings.RATELIMIT_STORAGE_URI == "redis://127.0.0.1:6379/3"


def test_settings_come_from_the_environment(clean_env, tmp_path):
    clean_env.setenv("LEARNING_INSTANCE_DIR", str(tmp_path))
    clean_env.setenv("LEARNING_MAIL_SERVER", "smtp.example.org")
    clean_env.setenv("LEARNING_MAIL_PORT", "2525")
    clean_env.setenv("LEARNING_MAIL_USE_TLS", "yes")
    clean_env.setenv("LEARNING_EMAIL_CONFIRM_HOURS", "24")
    clean_env.setenv("LEARNING_SECURE_COOKIES", "true")

    settings = get_config("development")

    database, outbox = settings.SQLALCHEMY_DATABASE_URI, settings.MAIL_OUTBOX_DIR
    assert database == f"sqlite:///{tmp_path / 'capacity.db'}"
    assert outbox == tmp_path / "outbox"
    assert (settings.MAIL_SERVER, settings.MAIL_PORT, settings.MAIL_USE_TLS) == (
        "smtp.example.org",
        2525,
        True,
    )
    assert settings.EMAIL_CONFIRM_MAX_AGE.total_seconds() == 24 * 3600
    assert settings.SESSION_COOKIE_SECURE is True


def test_testing_keeps_tasks_in_process_and_counters_in_memory(clean_env):
    clean_env.setenv("LEARNING_REDIS_URL", "redis://127.0.0.1:6379/3")
    settings = get_config("testing")
    assert settings.CELERY["task_always_eager"] is True
    assert settings.RATELIMIT_STORAGE_URI == "memory://"
