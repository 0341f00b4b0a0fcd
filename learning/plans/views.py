"""Action plan pages."""

from __future__ import annotations

from learning.plans import models  # noqa: F401


def register(app) -> None:
    """Register the blueprints, the CLI and the content section (called by create_app)."""
