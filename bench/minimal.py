"""The ceiling: a minimal Flask page, served by the same gunicorn configuration."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def index():
    return "<!doctype html><title>ok</title><p>ok</p>"
