"""Domain errors and the one error handler that turns any error into a page or a JSON body.

Services raise ``DomainError`` subclasses; views do not catch them unless they can do better
(for example, put the message on a form field). Under ``/api/`` every error is
``{"error": {"code": ..., "message": ...}}``; elsewhere it is a friendly HTML page.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from learning.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the request. ``message`` is safe to show to the user."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class ValidationError(DomainError):
    status_code = 422
    code = "invalid"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


# Titles and explanations for the pages people actually meet.
HTTP_MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    401: (_l("Please sign in"), _l("You need to sign in to see this page.")),
    403: (_l("Not allowed"), _l("You do not have permission to see this page.")),
    404: (_l("Page not found"), _l("We could not find that page. Check the address.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("Someone changed this at the same time. Reload and try again.")),
    413: (_l("File too large"), _l("The file or form you sent is larger than we accept.")),
    422: (_l("Invalid input"), _l("Some of what you sent is not valid.")),
    429: (_l("Too many requests"), _l("You tried too often. Wait a moment and try again.")),
    500: (
        _l("Something went wrong"),
        _l("An error on our side stopped this page. It has been logged."),
    ),
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


def wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, code: str, message: str, *, headers=None):
    if wants_json():
        response = jsonify({"error": {"code": code, "message": message}})
    else:
        title = HTTP_MESSAGES.get(status, HTTP_MESSAGES[400])[0]
        page = render_template("errors/error.html", status=status, title=title, message=message)
        response = make_response(page)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_domain_error(error: DomainError):
    return error_response(error.status_code, error.code, error.message)


def handle_http_error(error: HTTPException):
    status = error.code or 500
    if isinstance(error, CSRFError):
        message = _("Your form expired or was sent from elsewhere. Reload the page and try again.")
        return error_response(400, "csrf_failed", message)
    default = HTTP_MESSAGES.get(status)
    message = str(default[1]) if default else (error.description or "")
    headers = {}
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    if status == 429:
        retry = getattr(error, "retry_after", None)
        if retry:
            headers["Retry-After"] = str(retry)
    return error_response(status, HTTP_CODES.get(status, "error"), message, headers=headers)


def handle_unexpected_error(error: Exception):
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    log.exception("Unhandled error on %s %s", request.method, request.path)
    # The page itself may need the database (who is signed in): start from a clean session.
    db.session.rollback()
    return handle_http_error(InternalServerError())


def init_app(app: Flask) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
