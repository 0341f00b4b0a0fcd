"""The one mail module: build an e-mail from templates and deliver it.

Messages are rendered from ``<template>.txt`` (and ``<template>.html`` when present) in
the recipient's language and sent by SMTP when ``LEARNING_MAIL_SERVER`` is set. Otherwise each
message is written to the outbox folder as an ``.eml`` file and logged, so that a newcomer
can read the e-mails the platform would have sent. Delivery runs in Celery tasks, never in
a request.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound

from learning.core.db import utcnow

log = logging.getLogger(__name__)


def build_message(
    *, to: str, subject: str, template: str, locale: str | None = None, **context
) -> EmailMessage:
    """Render ``template`` into a multipart message for ``to`` in ``locale``."""
    app = current_app
    # Workers render e-mails outside any request; a request context at BASE_URL lets
    # templates call url_for(..., _external=True) and get the public address.
    with app.test_request_context(base_url=app.config["BASE_URL"]), force_locale(locale or "en"):
        text = render_template(f"{template}.txt", **context)
        try:
            html = render_template(f"{template}.html", **context)
        except TemplateNotFound:
            html = None
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = app.config["MAIL_SENDER"]
    message["To"] = to
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="capacity.local")
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def deliver(message: EmailMessage) -> str:
    """Send ``message`` by SMTP, or write it to the outbox. Returns where it went."""
    config = current_app.config
    if config.get("MAIL_SERVER"):
        _send_smtp(message, config)
        log.info("Mail sent by SMTP to %s: %s", message["To"], message["Subject"])
        return f"smtp://{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    outbox = Path(config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = outbox / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
    path.write_bytes(bytes(message))
    log.info("Mail to %s written to %s: %s", message["To"], path, message["Subject"])
    return str(path)


def _send_smtp(message: EmailMessage, config) -> None:
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if config.get("MAIL_USE_SSL"):
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            host, port, timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            smtp.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
