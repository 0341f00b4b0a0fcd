"""Plan e-mails, sent by Celery after the commit of the transition they tell about."""

from __future__ import annotations

from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from learning.core import mail
from learning.extensions import db
from learning.plans import services
from learning.plans.models import PlanState, PlanTransition

SUBJECTS = {
    PlanState.SUBMITTED: _l("Action plan submitted: %(title)s"),
    PlanState.IN_REVIEW: _l("Action plan in review: %(title)s"),
    PlanState.CHANGES_REQUESTED: _l("Changes requested on your action plan: %(title)s"),
    PlanState.APPROVED: _l("Action plan approved: %(title)s"),
    PlanState.DRAFT: _l("Action plan reopened: %(title)s"),
}


@shared_task(
    name="plans.send_transition_emails",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def send_transition_emails(transition_id: int) -> list[str]:
    """Tell the team (and, on submission, the reviewers) that a plan changed state."""
    transition = db.session.get(PlanTransition, transition_id)
    if transition is None:
        return []
    plan = services.get_plan(transition.plan_id)
    sent = []
    for user in services.transition_recipients(transition):
        with force_locale(user.locale):
            message = mail.build_message(
                to=user.email,
                subject=str(SUBJECTS[PlanState(transition.to_state)] % {"title": plan.title}),
                template="plans/email/transition",
                locale=user.locale,
                user=user,
                plan=plan,
                transition=transition,
                is_team=services.is_member(user, plan),
                site_name=current_app.config["SITE_NAME"],
            )
        sent.append(mail.deliver(message))
    return sent
