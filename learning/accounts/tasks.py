"""Account e-mails, sent by Celery after the commit that made them necessary.

Each task takes a user id, reloads the user, and renders the message in their language.
Sending twice is harmless (a second e-mail), so a retry after a network failure is safe.
"""

from __future__ import annotations

from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from learning.accounts import services
from learning.accounts.models import User
from learning.core import mail
from learning.core.db import utcnow
from learning.extensions import db

MAIL_RETRY = {"autoretry_for": (OSError,), "retry_backoff": True, "max_retries": 5}


def _email_user(user: User, *, template: str, subject, **context) -> str:
    with force_locale(user.locale):
        message = mail.build_message(
            to=user.email,
            subject=str(subject),
            template=template,
            locale=user.locale,
            user=user,
            site_name=current_app.config["SITE_NAME"],
            **context,
        )
    return mail.deliver(message)


def _hours(key: str) -> int:
    return int(current_app.config[key].total_seconds() // 3600)


@shared_task(name="accounts.send_confirmation_email", **MAIL_RETRY)
def send_confirmation_email(user_id: int) -> str | None:
    """E-mail a link that confirms the address (nothing if already confirmed)."""
    user = db.session.get(User, user_id)
    if user is None or user.is_email_confirmed:
        return None
    token = services.make_token(
        user, services.EMAIL_CONFIRM, secret=current_app.config["SECRET_KEY"], now=utcnow()
    )
    return _email_user(
        user,
        template="accounts/email/confirm_email",
        subject=_l("Confirm your e-mail address"),
        token=token,
        hours=_hours("EMAIL_CONFIRM_MAX_AGE"),
    )


@shared_task(name="accounts.send_password_reset_email", **MAIL_RETRY)
def send_password_reset_email(user_id: int) -> str | None:
    """E-mail a single-use link to choose a new password."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    token = services.make_token(
        user, services.PASSWORD_RESET, secret=current_app.config["SECRET_KEY"], now=utcnow()
    )
    return _email_user(
        user,
        template="accounts/email/reset_password",
        subject=_l("Reset your password"),
        token=token,
        hours=_hours("PASSWORD_RESET_MAX_AGE"),
    )


@shared_task(name="accounts.send_signup_attempt_notice", **MAIL_RETRY)
def send_signup_attempt_notice(user_id: int) -> str | None:
    """Tell an account's owner that someone tried to sign up again with their address."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return _email_user(
        user, template="accounts/email/signup_attempt", subject=_l("You already have an account")
    )


@shared_task(name="accounts.send_password_changed_notice", **MAIL_RETRY)
def send_password_changed_notice(user_id: int) -> str | None:
    """Tell the owner their password changed, in case it was not them."""
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return _email_user(
        user, template="accounts/email/password_changed", subject=_l("Your password was changed")
    )
