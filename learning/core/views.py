"""Pages that belong to no domain: the home page and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import text

from learning.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    # Signed-in people start from their own learning, where a domain provides one.
    if current_user.is_authenticated and "courses.dashboard" in current_app.view_functions:
        return redirect(url_for("courses.dashboard"))
    return render_template("index.html")


@bp.route("/healthz")
def health():
    """For load balancers: 200 when the database answers."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
