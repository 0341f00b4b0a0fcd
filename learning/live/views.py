"""Live session pages."""

from __future__ import annotations

from flask import Blueprint

from learning.live import models  # noqa: F401 - the tables join the metadata

bp = Blueprint("live", __name__, template_folder="templates")


def register(app) -> None:
    """Register the blueprint (called by create_app)."""
    app.register_blueprint(bp)
