"""CapaCity: a capacity-building e-learning platform for city governments."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from config import BaseConfig, get_config


def create_app(config: BaseConfig | str | None = None, **overrides: Any) -> Flask:
    """Build the app: load config, init extensions, register blueprints and CLI."""
    app = Flask(__name__)
    if config is None or isinstance(config, str):
        config = get_config(config)
    app.config.from_object(config)
    app.config["ENV_NAME"] = config.ENV_NAME
    app.config.update(overrides)
    app.instance_path = str(app.config["INSTANCE_DIR"])
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    from learning.accounts import services as account_services
    from learning.core import errors, i18n, jobs, security
    from learning.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_project_dir() / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    i18n.init_app(app)
    _set_login_message()
    errors.init_app(app)
    security.init_app(app)
    jobs.init_app(app)
    account_services.configure_password_hashing(fast=app.config.get("PASSWORD_HASH_FAST", False))

    from learning.accounts.cli import accounts_cli
    from learning.accounts.views import admin_bp
    from learning.accounts.views import bp as accounts_bp
    from learning.certificates.views import register as register_certificates
    from learning.core.storage import LocalStorage
    from learning.core.views import bp as main_bp
    from learning.courses.cli import content_cli
    from learning.courses.teach import bp as teach_bp
    from learning.courses.teach import public as teach_public_bp
    from learning.courses.views import api as courses_api
    from learning.courses.views import bp as courses_bp
    from learning.demo import demo_cli
    from learning.live.views import register as register_live
    from learning.plans.views import register as register_plans
    from learning.quizzes.views import register as register_quizzes

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(courses_api)
    app.register_blueprint(teach_bp)
    app.register_blueprint(teach_public_bp)
    register_quizzes(app)
    register_live(app)
    register_plans(app)
    register_certificates(app)
    app.extensions["storage"] = LocalStorage(app.config["MEDIA_DIR"])
    app.cli.add_command(accounts_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(demo_cli)
    return app


def _set_login_message() -> None:
    from flask_babel import lazy_gettext as _l

    from learning.extensions import login_manager

    login_manager.login_message = _l("Please sign in to see this page.")


def _project_dir():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent
