"""The one mail module: messages built from templates, delivered by SMTP or to the outbox."""

from __future__ import annotations

import logging
from email import message_from_bytes, policy
from pathlib import Path
from types import SimpleNamespace

import pytest

from learning.core import mail
from tests.helpers import free_port, smtp_server

PERSON = SimpleNamespace(display_name="Aigerim Nurlanovna")


def confirmation(app, **overrides):
    options = {
        "to": "aigerim@example.org",
        "subject": "Confirm your e-mail address",
        "template": "accounts/email/confirm_email",
        "user": PERSON,
        "site_name": app.config["SITE_NAME"],
        "token": "TOKEN123",
        "hours": 48,
    }
    options.update(overrides)
    return mail.build_message(**options)


def test_build_message_has_headers_text_and_html(app):
    with app.app_context():
        message = confirmation(app)

    assert message["To"] == "aigerim@example.org"
    assert message["From"] == app.config["MAIL_SENDER"]
    assert message["Subject"] == "Confirm your e-mail address"
    assert message["Date"] and message["Message-ID"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    # Links point to the public address, even though no request is being served.
    assert "http://localhost/confirm/TOKEN123" in text
    assert "http://localhost/confirm/TOKEN123" in html
    assert "Hello Aigerim Nurlanovna," in text
    assert "48 hours" in text


def test_build_message_escapes_html_but_not_text(app):
    person = SimpleNamespace(display_name="<b>Eve</b> & co")
    with app.app_context():
        message = confirmation(app, user=person)
    assert "Hello <b>Eve</b> & co," in message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "<b>Eve</b>" not in html
    assert "&lt;b&gt;Eve&lt;/b&gt;" in html


def test_text_only_template(app):
    with app.app_context():
        message = mail.build_message(
            to="x@example.org",
            subject="You already have an account",
            template="accounts/email/signup_attempt",
            user=PERSON,
            site_name="CapaCity",
        )
    assert message.get_content_type() == "text/plain"
    assert "http://localhost/password/forgot" in message.get_content()


@pytest.mark.parametrize("locale", ["ko", "ar", "fr", None])
def test_build_message_in_any_offered_language(app, locale):
    with app.app_context():
        message = confirmation(app, locale=locale, subject="이메일 주소를 확인하세요")
    assert message["Subject"] == "이메일 주소를 확인하세요"
    parsed = message_from_bytes(bytes(message), policy=policy.default)
    assert parsed["Subject"] == "이메일 주소를 확인하세요"
    assert "TOKEN123" in parsed.get_body(preferencelist=("plain",)).get_content()


def test_build_message_renders_in_the_given_locale(app, monkeypatch):
    from flask_babel import get_locale

    seen = []
    original = mail.render_template

    def recording(*args, **kwargs):
        seen.append(str(get_locale()))
        return original(*args, **kwargs)

    monkeypatch.setattr(mail, "render_template", recording)
    with app.app_context():
        confirmation(app, locale="ko")
    assert seen and set(seen) == {"ko"}


def test_deliver_to_the_outbox_writes_an_eml_and_logs_it(app, tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", tmp_path / "outbox")
    with app.app_context():
        message = confirmation(app)
        with caplog.at_level(logging.INFO, logger="learning.core.mail"):
            where = mail.deliver(message)

    path = Path(where)
    assert path.parent == tmp_path / "outbox"
    assert path.suffix == ".eml"
    parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert parsed["To"] == "aigerim@example.org"
    assert "http://localhost/confirm/TOKEN123" in parsed.get_body(("plain",)).get_content()
    assert any(str(path) in record.getMessage() for record in caplog.records)


def test_outbox_files_do_not_overwrite_each_other(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", tmp_path)
    with app.app_context():
        paths = {mail.deliver(confirmation(app, token=f"T{n}")) for n in range(5)}
    assert len(paths) == 5
    assert len(list(tmp_path.glob("*.eml"))) == 5


def test_deliver_by_smtp_to_a_real_server(app, monkeypatch):
    with smtp_server() as server:
        monkeypatch.setitem(app.config, "MAIL_SERVER", server.host)
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
        outbox = Path(app.config["MAIL_OUTBOX_DIR"])
        before = set(outbox.glob("*.eml")) if outbox.exists() else set()
        with app.app_context():
            where = mail.deliver(confirmation(app))

    assert where == f"smtp://{server.host}:{server.port}"
    [received] = server.received
    assert received.rcpt_tos == ["aigerim@example.org"]
    assert received.mail_from == "no-reply@capacity.example.org"
    assert received.message["Subject"] == "Confirm your e-mail address"
    text = received.message.get_body(preferencelist=("plain",)).get_content()
    assert "http://localhost/confirm/TOKEN123" in text
    # Sent, so not written to the outbox as well.
    assert (set(outbox.glob("*.eml")) if outbox.exists() else set()) == before


def test_deliver_by_smtp_raises_when_the_server_is_down(app, monkeypatch):
    # The Celery task retries on OSError; delivery must not swallow it.
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 2)
    with app.app_context(), pytest.raises(OSError):
        mail.deliver(confirmation(app))
