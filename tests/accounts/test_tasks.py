"""Account e-mails sent by Celery tasks: to the outbox, by real SMTP, in the user's language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import get_locale

from learning.accounts import services, tasks
from learning.core.db import utcnow
from tests.conftest import text_of
from tests.factories import create_user
from tests.helpers import path_of_link, smtp_server


@pytest.fixture
def run_task(app, db):
    """Run a task by name through this app's Celery, in-process, and return its result."""

    def run(name: str, *args):
        return app.extensions["celery"].tasks[name].apply(args=args).get()

    return run


def test_confirmation_email_goes_to_the_outbox_and_its_link_works(client, db, outbox, run_task):
    user = create_user(email="confirm-me@example.org", confirmed=False)

    where = run_task("accounts.send_confirmation_email", user.id)

    path = Path(where)
    assert path.suffix == ".eml" and path.exists()
    [message] = outbox.to("confirm-me@example.org")
    assert message["Subject"] == "Confirm your e-mail address"
    assert user.display_name in text_of(message)
    assert "48 hours" in text_of(message)
    response = client.get(path_of_link(message, "/confirm/"))
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.is_email_confirmed


def test_confirmation_email_is_not_sent_twice_once_confirmed(db, outbox, run_task):
    user = create_user(confirmed=True)
    assert run_task("accounts.send_confirmation_email", user.id) is None
    assert run_task("accounts.send_confirmation_email", 987654) is None
    assert outbox.messages == []


def test_reset_email_link_opens_the_reset_form(client, db, outbox, run_task):
    user = create_user(email="reset-me@example.org")

    run_task("accounts.send_password_reset_email", user.id)

    message = outbox.last_to("reset-me@example.org")
    assert message["Subject"] == "Reset your password"
    assert "2 hours" in text_of(message)
    page = client.get(path_of_link(message, "/password/reset/"))
    assert page.status_code == 200
    assert b"Choose a new password" in page.data


def test_no_reset_email_for_a_deactivated_account(db, outbox, run_task):
    user = create_user(active=False)
    assert run_task("accounts.send_password_reset_email", user.id) is None
    assert outbox.messages == []


def test_signup_attempt_and_password_changed_notices(db, outbox, run_task):
    user = create_user(email="notice@example.org")
    run_task("accounts.send_signup_attempt_notice", user.id)
    run_task("accounts.send_password_changed_notice", user.id)
    subjects = [m["Subject"] for m in outbox.to("notice@example.org")]
    assert subjects == ["You already have an account", "Your password was changed"]
    for message in outbox.to("notice@example.org"):
        assert "/password/forgot" in text_of(message)  # what to do if it was not them
    assert run_task("accounts.send_signup_attempt_notice", 987654) is None


def test_confirmation_email_is_built_in_the_users_language(db, outbox, run_task, monkeypatch):
    user = create_user(email="seoul@example.org", confirmed=False, locale="ko")
    seen = []
    original = tasks.mail.build_message

    def recording(**kwargs):
        # The subject is a lazy string made concrete here, so it must be in the user's locale.
        seen.append((str(get_locale()), kwargs["locale"], kwargs["subject"]))
        return original(**kwargs)

    monkeypatch.setattr(tasks.mail, "build_message", recording)

    run_task("accounts.send_confirmation_email", user.id)

    assert seen == [("ko", "ko", "Confirm your e-mail address")]
    message = outbox.last_to("seoul@example.org")
    assert path_of_link(message, "/confirm/")


def test_tokens_in_emails_are_fresh(db, outbox, run_task, app):
    user = create_user(email="fresh@example.org", confirmed=False)
    run_task("accounts.send_confirmation_email", user.id)
    token = path_of_link(outbox.last_to("fresh@example.org"), "/confirm/").rsplit("/", 1)[1]
    max_age = app.config["EMAIL_CONFIRM_MAX_AGE"]
    secret = app.config["SECRET_KEY"]
    assert (
        services.read_token(
            token, services.EMAIL_CONFIRM, secret=secret, max_age=max_age, now=utcnow()
        )
        == user
    )
    with pytest.raises(services.InvalidToken):
        services.read_token(
            token,
            services.EMAIL_CONFIRM,
            secret=secret,
            max_age=max_age,
            now=utcnow() + max_age + timedelta(minutes=1),
        )


def test_confirmation_email_through_a_real_smtp_server(
    client, db, app, outbox, run_task, monkeypatch
):
    user = create_user(email="smtp@example.org", confirmed=False)
    with smtp_server() as server:
        monkeypatch.setitem(app.config, "MAIL_SERVER", server.host)
        monkeypatch.setitem(app.config, "MAIL_PORT", server.port)

        where = run_task("accounts.send_confirmation_email", user.id)

    assert where == f"smtp://{server.host}:{server.port}"
    assert outbox.messages == []
    [received] = server.received
    assert received.rcpt_tos == ["smtp@example.org"]
    message = received.message
    assert message["Subject"] == "Confirm your e-mail address"
    assert message.get_body(preferencelist=("html",)) is not None
    monkeypatch.undo()
    assert client.get(path_of_link(message, "/confirm/")).status_code == 302
    db.session.refresh(user)
    assert user.is_email_confirmed


def test_mail_tasks_retry_on_network_errors():
    for task in (
        tasks.send_confirmation_email,
        tasks.send_password_reset_email,
        tasks.send_signup_attempt_notice,
        tasks.send_password_changed_notice,
    ):
        assert OSError in task.autoretry_for
        assert task.max_retries >= 3
