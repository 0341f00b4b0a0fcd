"""Browser tests: a live server with its own database, headless Chromium, and axe-core.

Every test in this folder is marked ``browser``. The live server is a second app built by
``create_app`` and served by Werkzeug in a thread; it has its own database (a SQLite file, or
``<LEARNING_DATABASE_URL>_live`` on PostgreSQL) built by the real migrations, and its own
outbox folder. It never uses the ``app``/``db`` fixtures: their savepoint transaction is
invisible to another connection, and a browser needs committed data.

Playwright drives the system Chromium (``/usr/bin/chromium``, or ``CHROMIUM_PATH``); a
browser is never downloaded. On failure each open page is saved to ``test-artifacts/``.
With ``CAPTURE_SCREENS=1`` the tests also save the main pages to ``test-artifacts/screens/``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from celery import _state as celery_state
from flask import Flask
from flask_migrate import upgrade
from werkzeug.serving import WSGIRequestHandler, make_server

from learning import create_app
from learning.accounts import services as accounts
from learning.core.db import utcnow
from learning.extensions import db
from tests.browser.helpers import DESKTOP, PASSWORD
from tests.databases import fresh_database_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Headless Chromium as root, on a machine without network: no sandbox, no phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ADMIN_EMAIL = "admin@live.example.org"
LEARNER_EMAIL = "learner@live.example.org"
CITY_NAME = "Riverton"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


# --- the live server ---------------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """No access log: it would drown the test output."""


@dataclass
class LiveServer:
    url: str
    app: Flask
    outbox: Path
    admin_email: str = ADMIN_EMAIL
    learner_email: str = LEARNER_EMAIL
    password: str = PASSWORD
    city_name: str = CITY_NAME

    def __call__(self, path: str = "/") -> str:
        return self.url + path

    def messages_to(self, address: str) -> list[EmailMessage]:
        """E-mails the live server wrote to its outbox for ``address``, oldest first."""
        found = []
        for path in sorted(self.outbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address:
                found.append(message)
        return found

    def link_in_last_email(self, address: str, path_part: str) -> str:
        messages = self.messages_to(address)
        assert messages, f"no e-mail to {address} in {self.outbox}"
        text = messages[-1].get_body(preferencelist=("plain",)).get_content()
        links = [link for link in re.findall(r"https?://\S+", text) if path_part in link]
        assert links, f"no {path_part} link in the e-mail:\n{text}"
        return links[0]

    def create_user(self, *, email: str, display_name: str, roles=("learner",)) -> int:
        """A confirmed account, committed, for a test that needs someone to act on."""
        with self.app.app_context():
            user = accounts.create_user(
                email=email,
                password=self.password,
                display_name=display_name,
                roles=list(roles),
                city=accounts.find_city(self.city_name),
                now=utcnow(),
            )
            db.session.commit()
            return user.id


def _seed(app: Flask) -> None:
    with app.app_context():
        now = utcnow()
        city = accounts.save_city(
            None,
            name=CITY_NAME,
            country="GH",
            region="Greater Accra",
            timezone="Africa/Accra",
            now=now,
        )
        accounts.create_user(
            email=ADMIN_EMAIL,
            password=PASSWORD,
            display_name="Ama Admin",
            roles=["admin"],
            now=now,
        )
        accounts.create_user(
            email=LEARNER_EMAIL,
            password=PASSWORD,
            display_name="Kofi Learner",
            city=city,
            now=now,
        )
        db.session.commit()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    # Creating an app makes its Celery app the process default; the in-process suite's app
    # must keep its own, so remember it and put it back.
    previous_default, previous_current = celery_state.default_app, celery_state._tls.current_app
    app = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=fresh_database_url("live", folder),
        INSTANCE_DIR=folder,
        MAIL_OUTBOX_DIR=folder / "outbox",
        MEDIA_DIR=folder / "media",
        MAIL_SERVER=None,
        # Limits stay on (the limiter is shared by every app in the process) but are generous:
        # one browser signs in and up from 127.0.0.1 many times.
        LOGIN_RATE_LIMIT="1000 per minute",
        LOGIN_EMAIL_RATE_LIMIT="1000 per minute",
        SIGNUP_RATE_LIMIT="1000 per minute",
        RESET_RATE_LIMIT="1000 per minute",
    )
    celery_app = app.extensions["celery"]
    if previous_default is not None:
        previous_default.set_default()
    if previous_current is not None:
        previous_current.set_current()

    with app.app_context():
        upgrade()
        db.session.remove()
    _seed(app)

    def wsgi(environ, start_response):
        # Tasks run eagerly in the request thread: they must find this app's Celery.
        celery_app.set_current()
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, wsgi, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    try:
        yield LiveServer(url=url, app=app, outbox=Path(app.config["MAIL_OUTBOX_DIR"]))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


# --- the browser ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: install it or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


_reports = pytest.StashKey[dict]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(_reports, {})[report.when] = report


def _failed(node) -> bool:
    reports = node.stash.get(_reports, {})
    return any(r.failed for r in reports.values())


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:120]


@dataclass
class PageProblems:
    """What a page said on its console: CSP refusals, script errors, failed loads."""

    errors: list[str] = field(default_factory=list)

    def on_console(self, message) -> None:
        # A page answered 4xx (a form with errors, a 404 page) is logged as a failed load;
        # broken sub-resources are caught by on_response instead.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def on_response(self, response) -> None:
        # An API's 401 or 409 is an answer the page handles (sign in again, an edit conflict),
        # not a broken load.
        if response.status in (401, 409) and "/api/" in response.url:
            return
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} for {response.url}")


@pytest.fixture
def new_page(browser, live_server, request):
    """``new_page(width=1280, height=800)``: a page in a fresh browser context (no cookies)."""
    contexts = []
    problems = PageProblems()

    def make(width: int = DESKTOP["width"], height: int = DESKTOP["height"], **options):
        options.setdefault("locale", "en-GB")
        options.setdefault("timezone_id", "Europe/Paris")
        context = browser.new_context(
            viewport={"width": width, "height": height}, base_url=live_server.url, **options
        )
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", problems.on_console)
        page.on("pageerror", lambda exc: problems.errors.append(f"script error: {exc}"))
        page.on("response", problems.on_response)
        return page

    yield make

    if _failed(request.node):
        ARTIFACTS.mkdir(exist_ok=True)
        for n, context in enumerate(contexts):
            for m, page in enumerate(context.pages):
                target = ARTIFACTS / f"{_safe_name(request.node.nodeid)}-{n}-{m}.png"
                try:
                    page.screenshot(path=str(target), full_page=True)
                except Exception as error:  # a crashed page must not hide the real failure
                    print(f"could not save {target}: {error}")  # noqa: T201
    for context in contexts:
        context.close()
    assert not problems.errors, "the browser reported errors:\n" + "\n".join(problems.errors)


@pytest.fixture
def page(new_page):
    return new_page()


# --- screenshots on demand ------------------------------------------------------------------


@pytest.fixture
def capture_screen():
    """``capture_screen(page, name)`` saves a full-page screenshot when CAPTURE_SCREENS=1."""
    enabled = os.environ.get("CAPTURE_SCREENS", "").lower() in {"1", "true", "yes"}
    folder = ARTIFACTS / "screens"

    def capture(page, name: str) -> None:
        if not enabled:
            return
        folder.mkdir(parents=True, exist_ok=True)
        width = page.viewport_size["width"]
        page.screenshot(path=str(folder / f"{_safe_name(name)}-{width}.png"), full_page=True)

    return capture
