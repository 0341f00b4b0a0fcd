"""The quizzes core (questions, GIFT, grading) is pure Python: its tests need no app.

The suite-wide autouse ``_reset_rate_limits`` asks for ``app``, which builds the app and
migrates a database before every test. Here the reset happens only for tests that use the app
(through ``app``, ``db``, ``client`` ...), so the pure tests run without either.
"""

from __future__ import annotations

import pytest

from learning.extensions import limiter


@pytest.fixture(autouse=True)
def _reset_rate_limits(request: pytest.FixtureRequest):
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            limiter.reset()
    yield
