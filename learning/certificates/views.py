"""Certificate pages (placeholder, filled below)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("certificates", __name__, template_folder="templates")


def register(app) -> None:
    """Register the blueprints, CLI, content section and completion listeners."""
    from learning.certificates import content, tasks  # noqa: F401 - registers the section

    tasks.connect()
    app.register_blueprint(bp)
