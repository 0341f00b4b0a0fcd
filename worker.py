"""Celery entry point: ``celery -A worker worker -B``.

The Flask app is built first so that tasks run inside its app context with its settings.
"""

from learning import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
