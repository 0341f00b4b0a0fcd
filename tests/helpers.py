"""Helpers for tests that drive the app through the test client, or need an app of their own."""

from __future__ import annotations

import html
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

from celery import _state as celery_state
from flask import Flask

from learning import create_app
from learning.accounts import services as accounts
from learning.extensions import db

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')
_VALUE = re.compile(r'value="([^"]*)"')


def csrf_token_in(page: str | bytes) -> str:
    """The CSRF token of the first form on ``page``."""
    if isinstance(page, bytes):
        page = page.decode()
    tag = _CSRF_INPUT.search(page)
    assert tag, "no csrf_token field on the page"
    value = _VALUE.search(tag.group(0))
    assert value, f"csrf_token field without a value: {tag.group(0)}"
    return html.unescape(value.group(1))


def csrf_token(client, path: str) -> str:
    """GET ``path`` (a page with a form) and return its CSRF token."""
    response = client.get(path)
    assert response.status_code == 200, f"GET {path} answered {response.status_code}"
    return csrf_token_in(response.data)


def post_form(client, path: str, data: dict, *, form_path: str | None = None, **kwargs):
    """POST ``data`` to ``path`` with a valid CSRF token taken from ``form_path`` (or ``path``)."""
    token = csrf_token(client, form_path or path)
    return client.post(path, data={**data, "csrf_token": token}, **kwargs)


def links_in(message: EmailMessage) -> list[str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.findall(r"https?://\S+", text)


def path_of_link(message: EmailMessage, part: str) -> str:
    """The path (and query) of the first link in ``message`` that contains ``part``."""
    found = [link for link in links_in(message) if part in link]
    assert found, f"no link with {part!r} in the e-mail: {links_in(message)}"
    parts = urlsplit(found[0])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def field_value(page: str | bytes, name: str) -> str | None:
    """The value attribute of the input named ``name`` on ``page`` (None if it has none)."""
    if isinstance(page, bytes):
        page = page.decode()
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input named {name!r} on the page"
    value = _VALUE.search(tag.group(0))
    return html.unescape(value.group(1)) if value else None


def selected_option(page: str | bytes, name: str) -> str | None:
    """The value of the selected option of the select named ``name``."""
    if isinstance(page, bytes):
        page = page.decode()
    select = re.search(rf'<select[^>]*name="{re.escape(name)}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select named {name!r} on the page"
    option = re.search(r'<option[^>]*\bselected\b[^>]*value="([^"]*)"', select.group(1))
    option = option or re.search(r'<option[^>]*value="([^"]*)"[^>]*\bselected\b', select.group(1))
    return html.unescape(option.group(1)) if option else None


@contextmanager
def side_app(folder: Path, config: str = "testing", **overrides) -> Iterator[Flask]:
    """A second app in this process, with its own database settings and outbox.

    Extensions are shared by every app in the process, so the settings that would leak into
    the suite's app stay those of the suite (rate-limit counters in memory, fast password
    hashing) and the suite's Celery app stays the process default.
    """
    previous_default, previous_current = celery_state.default_app, celery_state._tls.current_app
    settings = {
        "INSTANCE_DIR": folder,
        "MAIL_OUTBOX_DIR": folder / "outbox",
        "MAIL_SERVER": None,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PASSWORD_HASH_FAST": True,
        **overrides,
    }
    app = create_app(config, **settings)
    if previous_default is not None:
        previous_default.set_default()
    if previous_current is not None:
        previous_current.set_current()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        accounts.configure_password_hashing(fast=True)


# --- a real SMTP server on 127.0.0.1 --------------------------------------------------------------


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SMTPSink:
    """An aiosmtpd handler that keeps every message it accepts."""

    received: list[ReceivedMail] = field(default_factory=list)
    host: str = "127.0.0.1"
    port: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.received.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server() -> Iterator[SMTPSink]:
    """A local SMTP server (aiosmtpd) running in a thread for the duration of the block."""
    from aiosmtpd.controller import Controller

    sink = SMTPSink(port=free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port, ready_timeout=10)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
