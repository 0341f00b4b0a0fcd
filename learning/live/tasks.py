"""Live session tasks: the periodic reminder run, and the e-mails that follow an edit, a
cancellation or a move up from the waiting list. Each takes ids and reloads what it needs."""

from __future__ import annotations

from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from learning.accounts.models import User
from learning.core import mail
from learning.core.db import begin_write, utcnow
from learning.core.jobs import enqueue_after_commit
from learning.extensions import db
from learning.live import services
from learning.live.formatting import when
from learning.live.models import LiveSession, Registration

MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


def _email(user: User, live: LiveSession, *, template: str, subject) -> str:
    with force_locale(user.locale):
        message = mail.build_message(
            to=user.email,
            subject=str(subject) % {"title": live.title},
            template=f"live/email/{template}",
            locale=user.locale,
            user=user,
            live=live,
            when=when(live.starts_at, live.ends_at, user.timezone, user.locale),
            site_name=current_app.config["SITE_NAME"],
        )
    return mail.deliver(message)


@shared_task(name="live.send_reminders")
def send_reminders() -> int:
    """Claim the reminders due now and e-mail each once, after the claim is committed.

    Idempotent: overlapping or repeated runs claim each reminder once (a unique constraint);
    a run that comes late sends only the reminder nearest the start.
    """
    begin_write(db.session)  # SQLite: take the write lock before reading what is due
    won = services.claim_due_reminders(now=utcnow())
    for reminder in won:
        enqueue_after_commit(db.session, send_reminder_email, reminder.registration_id)
    db.session.commit()
    return len(won)


@shared_task(name="live.send_reminder_email", **MAIL_RETRY)
def send_reminder_email(registration_id: int) -> str | None:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != services.REGISTERED:
        return None
    live = registration.session
    if live.is_cancelled:
        return None
    return _email(registration.user, live, template="reminder", subject=_l("Reminder: %(title)s"))


@shared_task(name="live.send_changed_email", **MAIL_RETRY)
def send_changed_email(session_id: int, user_id: int) -> str | None:
    live, user = db.session.get(LiveSession, session_id), db.session.get(User, user_id)
    if live is None or user is None or live.is_cancelled:
        return None
    return _email(user, live, template="changed", subject=_l("Changed: %(title)s"))


@shared_task(name="live.send_cancelled_email", **MAIL_RETRY)
def send_cancelled_email(session_id: int, user_id: int) -> str | None:
    live, user = db.session.get(LiveSession, session_id), db.session.get(User, user_id)
    if live is None or user is None:
        return None
    return _email(user, live, template="cancelled", subject=_l("Cancelled: %(title)s"))


@shared_task(name="live.send_promoted_email", **MAIL_RETRY)
def send_promoted_email(registration_id: int) -> str | None:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status != services.REGISTERED:
        return None
    return _email(
        registration.user,
        registration.session,
        template="promoted",
        subject=_l("You have a place: %(title)s"),
    )
