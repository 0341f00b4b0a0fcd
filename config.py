"""CapaCity configuration.

Every setting an operator may change comes from a ``LEARNING_*`` environment variable, read
when the app is created (not at import), so a test or a process can set them first.
``LEARNING_ENV`` picks the class: ``development`` (default), ``testing`` or ``production``.
The README's configuration table lists every variable; keep the two in step.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_INSTANCE_DIR = BASE_DIR / "instance"
MB = 1024 * 1024


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"LEARNING_{name}")
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    return default if value is None else int(value)


class ConfigError(RuntimeError):
    """Raised when a configuration cannot run safely (production without its secrets)."""


class BaseConfig:
    ENV_NAME = "base"

    def __init__(self) -> None:
        self.INSTANCE_DIR = Path(env("INSTANCE_DIR", str(DEFAULT_INSTANCE_DIR)))
        self.SECRET_KEY = env("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = (
            env("DATABASE_URL") or f"sqlite:///{self.INSTANCE_DIR / 'capacity.db'}"
        )
        # A ping before every checkout costs a round trip per request; connections are
        # recycled instead, and LEARNING_DB_PRE_PING turns the ping on where the database
        # drops idle connections.
        self.SQLALCHEMY_ENGINE_OPTIONS = {
            "pool_pre_ping": env_bool("DB_PRE_PING", False),
            "pool_recycle": env_int("DB_POOL_RECYCLE", 1800),
        }
        self.REDIS_URL = env("REDIS_URL")

        # Where links in e-mails point: workers render e-mails outside any request.
        self.BASE_URL = env("BASE_URL", "http://127.0.0.1:5000")
        self.SITE_NAME = env("SITE_NAME", "CapaCity")

        # Mail: SMTP when a server is named, otherwise .eml files in the outbox folder.
        self.MAIL_SERVER = env("MAIL_SERVER")
        self.MAIL_PORT = env_int("MAIL_PORT", 25)
        self.MAIL_USERNAME = env("MAIL_USERNAME")
        self.MAIL_PASSWORD = env("MAIL_PASSWORD")
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
        self.MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 30)
        self.MAIL_SENDER = env("MAIL_SENDER", "CapaCity <no-reply@capacity.example.org>")
        self.MAIL_OUTBOX_DIR = Path(env("MAIL_OUTBOX_DIR", str(self.INSTANCE_DIR / "outbox")))

        # Files: uploads and synced course media; course content folder for `flask content sync`.
        self.MEDIA_DIR = Path(env("MEDIA_DIR", str(self.INSTANCE_DIR / "media")))
        self.CONTENT_DIR = Path(env("CONTENT_DIR", str(BASE_DIR / "content")))
        self.MEDIA_MAX_AGE = env_int("MEDIA_MAX_AGE", 3600)
        # Uploads in the authoring pages, each kind with its own limit (checked while the file
        # streams to storage); a request body may be as large as the largest plus the form.
        self.MAX_VIDEO_BYTES = env_int("MAX_VIDEO_MB", 500) * MB
        self.MAX_FILE_BYTES = env_int("MAX_FILE_MB", 50) * MB
        self.MAX_IMAGE_BYTES = env_int("MAX_IMAGE_MB", 10) * MB

        # Accounts
        self.EMAIL_CONFIRM_MAX_AGE = timedelta(hours=env_int("EMAIL_CONFIRM_HOURS", 48))
        self.PASSWORD_RESET_MAX_AGE = timedelta(hours=env_int("PASSWORD_RESET_HOURS", 2))
        self.PASSWORD_HASH_FAST = False
        self.LOGIN_RATE_LIMIT = env("LOGIN_RATE_LIMIT", "10 per minute;60 per hour")
        self.LOGIN_EMAIL_RATE_LIMIT = env("LOGIN_EMAIL_RATE_LIMIT", "5 per minute;20 per hour")
        self.RESET_RATE_LIMIT = env("RESET_RATE_LIMIT", "5 per minute;20 per hour")
        self.SIGNUP_RATE_LIMIT = env("SIGNUP_RATE_LIMIT", "10 per hour")

        # Live sessions: the join link shows from this many minutes before the start.
        self.LIVE_JOIN_OPENS_MINUTES = env_int("LIVE_JOIN_OPENS_MINUTES", 15)
        # Certificates: the issuer named in every credential, and its RS256 signing key (a PEM
        # file or the PEM text; without either, development generates one into instance/ and
        # production issues nothing). Public URLs in credentials start with CERT_BASE_URL.
        self.CERT_BASE_URL = env("CERT_BASE_URL")  # default: BASE_URL
        self.CERT_ISSUER_NAME = env("CERT_ISSUER_NAME", self.SITE_NAME)
        self.CERT_ISSUER_URL = env("CERT_ISSUER_URL")  # default: CERT_BASE_URL
        self.CERT_SIGNATORY = env("CERT_SIGNATORY", "")
        self.CERT_KEY_FILE = env("CERT_KEY_FILE")
        self.CERT_KEY_PEM = env("CERT_KEY_PEM")
        # Looking up codes, uploads and pasted tokens (guessing codes must stay slow) ...
        self.CERT_VERIFY_RATE_LIMIT = env("CERT_VERIFY_RATE_LIMIT", "30 per minute;300 per hour")
        # ... and the public page of one certificate, by its unguessable UUID.
        self.CERT_PAGE_RATE_LIMIT = env("CERT_PAGE_RATE_LIMIT", "300 per minute")

        # Rate-limit counters live in Redis when configured, so that every web process shares them.
        self.RATELIMIT_STORAGE_URI = env("RATELIMIT_STORAGE_URL") or self.REDIS_URL or "memory://"
        self.RATELIMIT_HEADERS_ENABLED = True
        self.RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)

        # Cookies and requests
        secure = env_bool("SECURE_COOKIES", self.ENV_NAME == "production")
        self.SESSION_COOKIE_NAME = "capacity_session"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_NAME = "capacity_remember"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_SECURE = secure
        self.REMEMBER_COOKIE_DURATION = timedelta(days=env_int("REMEMBER_DAYS", 30))
        self.PERMANENT_SESSION_LIFETIME = timedelta(hours=env_int("SESSION_HOURS", 12))
        self.MAX_CONTENT_LENGTH = max(
            env_int("MAX_UPLOAD_MB", 64) * MB,
            max(self.MAX_VIDEO_BYTES, self.MAX_FILE_BYTES, self.MAX_IMAGE_BYTES) + MB,
        )
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session does
        self.PROXY_FIX_HOPS = env_int("PROXY_FIX_HOPS", 0)

        # Internationalisation: languages a user may prefer (dates and numbers follow it at
        # once; the interface text follows as catalogues are translated).
        self.LANGUAGES = {
            "en": "English",
            "fr": "Français",
            "es": "Español",
            "pt": "Português",
            "ru": "Русский",
            "ko": "한국어",
            "ar": "العربية",
        }
        self.BABEL_DEFAULT_LOCALE = "en"
        self.BABEL_DEFAULT_TIMEZONE = "UTC"

        # Celery: without Redis, tasks run in-process (still only after the commit).
        self.CELERY = {
            "broker_url": self.REDIS_URL or "memory://",
            "task_always_eager": self.REDIS_URL is None,
            "task_eager_propagates": False,
            "task_ignore_result": True,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": "UTC",
            "beat_schedule": {
                # Attempts left open past their time limit are submitted with what was saved.
                "close-overdue-quiz-attempts": {
                    "task": "quizzes.close_overdue_attempts",
                    "schedule": 60.0,
                },
                # Live session reminders (idempotent: a reminder is claimed once).
                "send-live-session-reminders": {
                    "task": "live.send_reminders",
                    "schedule": 60.0,
                },
                # Certificates due without an event (a rule's first day has come).
                "issue-due-certificates": {
                    "task": "certificates.issue_due",
                    "schedule": 3600.0,
                },
            },
        }

    def validate(self) -> None:
        """Refuse settings that cannot run safely; only production is strict."""


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"

    def __init__(self) -> None:
        super().__init__()
        # A fixed key is fine on a laptop; production refuses to start without a real one.
        self.SECRET_KEY = self.SECRET_KEY or "capacity-development-only-key"


class TestingConfig(BaseConfig):
    ENV_NAME = "testing"

    def __init__(self) -> None:
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "capacity-testing-key"  # noqa: S105 - tests only
        self.SQLALCHEMY_DATABASE_URI = env("DATABASE_URL") or "sqlite://"
        self.SQLALCHEMY_ENGINE_OPTIONS = {}
        # Counters in memory, reset between tests: shared Redis counters would leak across tests.
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.CELERY = {**self.CELERY, "task_always_eager": True, "task_eager_propagates": True}
        # Argon2 with a low cost keeps the suite fast; the algorithm is the same.
        self.PASSWORD_HASH_FAST = True
        self.BASE_URL = "http://localhost"


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"

    def __init__(self) -> None:
        super().__init__()
        self.PREFERRED_URL_SCHEME = "https"

    def validate(self) -> None:
        missing = [f"LEARNING_{name}" for name in ("SECRET_KEY", "DATABASE_URL") if not env(name)]
        if missing:
            raise ConfigError("Production refuses to start without " + ", ".join(missing))
        if len(self.SECRET_KEY or "") < 32:
            raise ConfigError("LEARNING_SECRET_KEY must be at least 32 characters long")


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def get_config(name: str | None = None) -> BaseConfig:
    """Build the configuration named by ``name`` or ``LEARNING_ENV`` from the environment."""
    name = name or env("ENV", "development")
    try:
        config = CONFIGS[name]()
    except KeyError:
        raise ConfigError(f"Unknown LEARNING_ENV {name!r}; use one of {sorted(CONFIGS)}") from None
    config.validate()
    return config
