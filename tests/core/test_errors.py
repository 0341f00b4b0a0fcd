"""Every error gets a friendly HTML page, or a JSON body under /api/."""

from __future__ import annotations

import pytest
from flask import Blueprint, jsonify

from learning.core.errors import Forbidden, NotFound
from learning.extensions import limiter
from tests.factories import create_user
from tests.helpers import csrf_token, side_app

SECRET_DETAIL = "the database password is hunter2"


def _throwaway_routes() -> Blueprint:
    bp = Blueprint("throwaway", __name__)

    @bp.route("/boom")
    @bp.route("/api/boom")
    def boom():
        raise RuntimeError(SECRET_DETAIL)

    @bp.route("/api/items", methods=["GET"])
    def items():
        return jsonify([])

    @bp.route("/api/items/<int:item_id>")
    def item(item_id: int):
        raise NotFound("No such item.")

    @bp.route("/api/admin-only")
    def admin_only():
        raise Forbidden("Only administrators may see this.")

    @bp.route("/upload", methods=["POST"])
    @bp.route("/api/upload", methods=["POST"])
    def upload():
        return "ok"

    @bp.route("/api/limited")
    @limiter.limit("1 per minute")
    def limited():
        return jsonify({"ok": True})

    return bp


@pytest.fixture(scope="module")
def other_app(tmp_path_factory):
    with side_app(
        tmp_path_factory.mktemp("errors"),
        SQLALCHEMY_DATABASE_URI="sqlite://",
        MAX_CONTENT_LENGTH=1024,
    ) as app:
        app.register_blueprint(_throwaway_routes())
        yield app


@pytest.fixture
def other_client(other_app):
    with other_app.app_context():
        limiter.reset()
    return other_app.test_client()


def assert_friendly_page(response, status: int, title: str) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    page = response.data.decode()
    assert f"<h1>{title}</h1>" in page
    assert f"Error {status}" in page
    assert 'href="/"' in page  # a way back home
    assert "Traceback" not in page
    return page


def assert_json_error(response, status: int, code: str) -> str:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]["message"]


# --- HTML pages ---------------------------------------------------------------------------------


def test_404_page(client):
    page = assert_friendly_page(client.get("/no/such/page"), 404, "Page not found")
    assert "We could not find that page." in page


def test_405_page(client):
    response = client.get("/logout")
    assert_friendly_page(response, 405, "Method not allowed")
    assert "POST" in response.headers["Allow"]


def test_400_page_for_a_missing_csrf_token(client):
    response = client.post("/login", data={"email": "a@example.org", "password": "x"})
    page = assert_friendly_page(response, 400, "Bad request")
    assert "Your form expired" in page


def test_403_page(client, db, login_as):
    login_as(create_user(roles=["learner"]))
    page = assert_friendly_page(client.get("/admin/users"), 403, "Not allowed")
    assert "You do not have permission" in page


def test_429_page(client, db, app):
    token = csrf_token(client, "/password/forgot")
    limit = int(app.config["RESET_RATE_LIMIT"].split()[0])
    for _ in range(limit):
        client.post("/password/forgot", data={"email": "a@example.org", "csrf_token": token})
    response = client.post("/password/forgot", data={"email": "a@example.org", "csrf_token": token})
    page = assert_friendly_page(response, 429, "Too many requests")
    assert "Wait a moment" in page
    assert int(response.headers["Retry-After"]) > 0


def test_413_page(other_client):
    response = other_client.post("/upload", data={"file": "x" * 4096})
    page = assert_friendly_page(response, 413, "File too large")
    assert "larger than we accept" in page


def test_500_page_hides_the_details(other_client, caplog):
    response = other_client.get("/boom")
    page = assert_friendly_page(response, 500, "Something went wrong")
    assert SECRET_DETAIL not in page
    assert "It has been logged" in page
    # ... and it has been logged, with the traceback, for the operators.
    assert any(r.exc_info and SECRET_DETAIL in str(r.exc_info[1]) for r in caplog.records)


def test_error_pages_carry_the_security_headers(client):
    response = client.get("/no/such/page")
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


# --- JSON under /api/ -------------------------------------------------------------------------------


def test_api_404_for_an_unknown_address(client):
    assert_json_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def test_api_404_from_a_domain_error_keeps_its_message(other_client):
    message = assert_json_error(other_client.get("/api/items/7"), 404, "not_found")
    assert message == "No such item."


def test_api_403(other_client):
    message = assert_json_error(other_client.get("/api/admin-only"), 403, "forbidden")
    assert message == "Only administrators may see this."


def test_api_405(other_client):
    response = other_client.delete("/api/items")
    assert_json_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_api_400_for_a_missing_csrf_token(other_client):
    assert_json_error(other_client.post("/api/upload", data={"a": "b"}), 400, "csrf_failed")


def test_api_413(other_client):
    response = other_client.post(
        "/api/upload", data=b"x" * 4096, content_type="application/octet-stream"
    )
    assert_json_error(response, 413, "payload_too_large")


def test_api_429(other_client):
    assert other_client.get("/api/limited").status_code == 200
    response = other_client.get("/api/limited")
    assert_json_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


def test_api_500_hides_the_details(other_client):
    message = assert_json_error(other_client.get("/api/boom"), 500, "server_error")
    assert SECRET_DETAIL not in message


def test_json_for_clients_that_ask_for_it(client):
    response = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert_json_error(response, 404, "not_found")
    browser = client.get("/no/such/page", headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html"
