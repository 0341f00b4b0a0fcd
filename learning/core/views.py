"""Pages that belong to no domain: the home page and the health check."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text

from learning.extensions import db

bp = Blueprint("main", __name__)


@bp.route("/")
def index():
    return render_template("index.html")


@bp.route("/healthz")
def health():
    """For load balancers: 200 when the database answers."""
    db.session.execute(text("SELECT 1"))
    return jsonify({"status": "ok"})
