"""Security headers on every response, and proxy awareness."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import BadRequest
from werkzeug.middleware.proxy_fix import ProxyFix

# No inline scripts or styles anywhere: small JavaScript lives in static files and receives
# its data through data- attributes.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if response.mimetype == "text/html":
        # Pages show personal data; shared caches must not keep them.
        headers.setdefault("Cache-Control", "no-store")
    return response


def refuse_nul_characters() -> None:
    """Refuse input holding NUL: no form needs one, and PostgreSQL text cannot store it (a 500)."""
    for source in (request.args, request.form):
        for values in source.listvalues():
            if any("\x00" in value for value in values):
                raise BadRequest("The request contains a NUL character.")


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
    if app.config.get("SESSION_COOKIE_SECURE"):

        @app.after_request
        def strict_transport(response: Response) -> Response:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
            return response

    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
