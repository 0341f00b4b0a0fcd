"""WSGI entry point: ``gunicorn wsgi:app``."""

from learning import create_app

app = create_app()
