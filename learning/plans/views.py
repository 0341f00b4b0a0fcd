"""Action plan pages: the team's editor (with a JSON save for autosave), history, compare and
restore, submission, attachments; the coordinators' queue, review, teams and run settings;
exports (PDF of a plan, ZIP of a run's plans)."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf.csrf import validate_csrf
from markupsafe import Markup
from wtforms import SelectChoice
from wtforms.validators import ValidationError as CSRFValidationError

from learning.accounts.models import User
from learning.core.db import utcnow
from learning.core.errors import DomainError, Forbidden, NotFound
from learning.core.forms import show_error
from learning.core.i18n import country_name, local_datetime
from learning.core.jobs import enqueue_after_commit
from learning.core.text import render_markdown
from learning.courses import services as courses
from learning.courses.views import send_stored
from learning.extensions import csrf, db
from learning.plans import content as plan_content
from learning.plans import services, tasks
from learning.plans.cli import plans_cli
from learning.plans.forms import (
    AttachmentForm,
    CommentForm,
    QueueFilterForm,
    RestoreForm,
    ReviewerForm,
    SectionForm,
    SettingsForm,
    SimpleForm,
    TeamForm,
    TemplateForm,
    decision_form,
)
from learning.plans.models import PlanState
from learning.plans.pdf import PlanDocument, render_plan
from learning.plans.services import SectionConflict

bp = Blueprint("plans", __name__, template_folder="templates")
api = Blueprint("plans_api", __name__, url_prefix="/api/v1")


STATE_LABELS = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "changes_requested": _l("Changes requested"),
    "approved": _l("Approved"),
}


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(str(state), state))


def markdown_html(text: str | None, shift: int) -> Markup:
    """What someone wrote, as safe HTML (``core.text`` sanitises with nh3)."""
    return Markup(render_markdown(text or "", shift_headings=shift))  # noqa: S704 - sanitised


def _notify(transition) -> None:
    enqueue_after_commit(db.session, tasks.send_transition_emails, transition.id)


def _plan_for_viewer(plan_id: int):
    return services.viewable_plan(current_user, plan_id)


def _back(plan, anchor: str | None = None):
    return redirect(url_for("plans.plan", plan_id=plan.id, _anchor=anchor), 303)


# --- the team's plan -----------------------------------------------------------------------------


@bp.route("/runs/<int:run_id>/plan", methods=["GET", "POST"])
@login_required
def my_plan(run_id: int):
    """The learner's way in: their team's plan of the run, started on the first visit."""
    run = courses.find_run(run_id)
    settings = services.settings_for(run)
    if settings is None:
        raise NotFound(_("This run asks for no action plan."))
    plan = services.plan_for(current_user, run)
    if plan is not None:
        return redirect(url_for("plans.plan", plan_id=plan.id))
    form = SimpleForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Your form expired. Please try again."), "error")
            return redirect(url_for("plans.my_plan", run_id=run.id), 303)
        plan = services.start_plan(current_user, run, now=utcnow())
        db.session.commit()
        return redirect(url_for("plans.plan", plan_id=plan.id), 303)
    if services.courses.active_enrolment_in_run(current_user, run) is None:
        raise Forbidden(_("Only the run's learners write action plans."))
    team = services.team_label(services.team_key_for(current_user, run))
    return render_template("plans/start.html", run=run, settings=settings, team=team, form=form)


@bp.route("/plans/<int:plan_id>")
@login_required
def plan(plan_id: int):
    plan, rights = _plan_for_viewer(plan_id)
    sections = services.plan_sections(plan)
    reviews = services.reviews_of(plan)
    latest = reviews[0] if reviews else None
    return render_template(
        "plans/plan.html",
        plan=plan,
        rights=rights,
        sections=sections,
        rendered={s.key: markdown_html(s.text, 2) for s in sections},
        titles={s.key: s.template.title for s in sections},
        guidance={s.key: markdown_html(s.template.guidance, 2) for s in sections},
        settings=services.settings_for(plan.run),
        members=services.team_members(plan.run, plan.team_key),
        attachments=services.attachments_of(plan),
        reviews=reviews,
        latest=latest,
        transitions=services.transitions_of(plan),
        allowed=services.allowed_transitions(current_user, plan, rights),
        comment_form=CommentForm(),
        attachment_form=AttachmentForm(),
        simple_form=SimpleForm(),
        state_label=state_label,
    )


def _conflict_page(plan, conflict: SectionConflict, template):
    return render_template(
        "plans/conflict.html",
        plan=plan,
        conflict=conflict,
        template=template,
        form=SectionForm(formdata=None, text=conflict.yours, base_version=conflict.current_version),
    ), 409


@bp.route("/plans/<int:plan_id>/sections/<key>", methods=["POST"])
@login_required
@csrf.exempt  # the form checks its own token, so that an expired one gives the text back
def save_section(plan_id: int, key: str):
    """Save one section (the page's form without JavaScript; the conflict screen's form)."""
    plan, _rights = _plan_for_viewer(plan_id)
    form = SectionForm()
    if not form.validate_on_submit():
        # Keep the text: show it back on the conflict page's form rather than lose it.
        flash(_("Your form expired or was incomplete. Your text is below: save it again."), "error")
        text = request.form.get("text", "")
        template = next((s.template for s in services.plan_sections(plan) if s.key == key), None)
        if template is None:
            raise NotFound(_("No such section in this plan."))
        return render_template(
            "plans/conflict.html",
            plan=plan,
            conflict=None,
            template=template,
            form=SectionForm(
                formdata=None,
                text=text,
                base_version=request.form.get("base_version", type=int) or 0,
            ),
        ), 400
    try:
        services.save_section(
            current_user,
            plan,
            key,
            form.text.data or "",
            base_version=form.base_version.data,
            now=utcnow(),
        )
    except SectionConflict as conflict:
        db.session.rollback()
        template = next(s.template for s in services.plan_sections(plan) if s.key == key)
        return _conflict_page(plan, conflict, template)
    db.session.commit()
    flash(_("Section saved."), "success")
    return _back(plan, f"section-{key}")


@api.route("/plans/<int:plan_id>/sections/<key>", methods=["POST"])
@csrf.exempt  # checked below, after "who are you", so that an expired session answers 401
def api_save_section(plan_id: int, key: str):
    """Autosave: ``{"text": ..., "base_version": n}`` → ``{"version": n+1, "saved_at": ...}``;
    409 with the current text when another save came first."""
    if not current_user.is_authenticated:
        return jsonify({"error": {"code": "unauthorized", "message": _("Please sign in.")}}), 401
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except CSRFValidationError:
        message = _("Your page is out of date. Reload it: your text is kept in this browser.")
        return jsonify({"error": {"code": "csrf_failed", "message": message}}), 400
    payload = request.get_json(silent=True)
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("text"), str)
        or not isinstance(payload.get("base_version"), int)
        or isinstance(payload.get("base_version"), bool)
    ):
        return jsonify(
            {
                "error": {
                    "code": "bad_request",
                    "message": _('Send {"text": "...", "base_version": 0}.'),
                }
            }
        ), 400
    plan, _rights = _plan_for_viewer(plan_id)
    try:
        section = services.save_section(
            current_user, plan, key, payload["text"], base_version=payload["base_version"],
            now=utcnow(),
        )  # fmt: skip
    except SectionConflict as conflict:
        db.session.rollback()
        author = conflict.current_author
        return jsonify(
            {
                "error": {
                    "code": conflict.code,
                    "message": _(
                        "Someone else saved this section after you opened it. Your text is "
                        "kept: compare it with theirs and choose or merge."
                    ),
                    "current_text": conflict.current_text,
                    "current_version": conflict.current_version,
                    "current_author": author.display_name if author else None,
                    "your_text": conflict.yours,
                }
            }
        ), 409
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify(
        {
            "key": key,
            "version": section.version,
            "saved_at": section.updated_at.isoformat() if section.updated_at else None,
        }
    )


@bp.route("/plans/<int:plan_id>/history")
@login_required
def history(plan_id: int):
    plan, rights = _plan_for_viewer(plan_id)
    sections = services.plan_sections(plan)
    versions = services.history(plan)
    # Compare, by default, the newest save with the one before it in the same section.
    newest = versions[0] if versions else None
    previous = next(
        (v for v in versions[1:] if newest and v.section_key == newest.section_key), None
    )
    return render_template(
        "plans/history.html",
        plan=plan,
        rights=rights,
        versions=versions,
        default_pair=(previous.id if previous else None, newest.id if newest else None),
        titles={s.key: s.template.title for s in sections},
        current={s.key: s.version for s in sections},
        form=SimpleForm(),
    )


@bp.route("/plans/<int:plan_id>/compare")
@login_required
def compare(plan_id: int):
    plan, rights = _plan_for_viewer(plan_id)
    first = services.get_version(plan, request.args.get("a", type=int) or 0)
    second = services.get_version(plan, request.args.get("b", type=int) or 0)
    old, new = sorted((first, second), key=lambda v: v.id)
    sections = services.plan_sections(plan)
    return render_template(
        "plans/compare.html",
        plan=plan,
        rights=rights,
        old=old,
        new=new,
        lines=services.diff_versions(old, new),
        titles={s.key: s.template.title for s in sections},
        current={s.key: s.version for s in sections},
        form=SimpleForm(),
    )


@bp.route("/plans/<int:plan_id>/versions/<int:version_id>/restore", methods=["POST"])
@login_required
def restore(plan_id: int, version_id: int):
    plan, _rights = _plan_for_viewer(plan_id)
    version = services.get_version(plan, version_id)
    form = RestoreForm()
    if not form.validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("plans.history", plan_id=plan.id), 303)
    try:
        services.restore_version(
            current_user, plan, version, base_version=form.base_version.data, now=utcnow()
        )
    except SectionConflict:
        db.session.rollback()
        flash(_("The section changed since you opened the history. Look again and retry."), "error")
        return redirect(url_for("plans.history", plan_id=plan.id), 303)
    db.session.commit()
    flash(_("The old text is back, as a new version."), "success")
    return _back(plan, f"section-{version.section_key}")


def _transition_view(plan_id: int, action, target: str):
    plan, _rights = _plan_for_viewer(plan_id)
    form = CommentForm()
    if not form.validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return plan, None
    if plan.state == target:
        return plan, None  # a double click, or a teammate was quicker: the page shows the state
    try:
        transition = action(plan, form.comment.data or "")
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return plan, None
    _notify(transition)
    db.session.commit()
    return plan, transition


@bp.route("/plans/<int:plan_id>/submit", methods=["POST"])
@login_required
def submit(plan_id: int):
    plan, done = _transition_view(
        plan_id,
        lambda p, c: services.submit(current_user, p, comment=c, now=utcnow()),
        PlanState.SUBMITTED,
    )
    if done:
        flash(_("Your plan is submitted. The team and the reviewers have been told."), "success")
    return _back(plan)


@bp.route("/plans/<int:plan_id>/reopen", methods=["POST"])
@login_required
def reopen(plan_id: int):
    plan, done = _transition_view(
        plan_id,
        lambda p, c: services.reopen(current_user, p, comment=c, now=utcnow()),
        PlanState.DRAFT,
    )
    if done:
        flash(_("The plan is open for editing again."), "success")
    return redirect(url_for("plans.review", plan_id=plan.id), 303)


# --- attachments ----------------------------------------------------------------------------------


@bp.route("/plans/<int:plan_id>/attachments", methods=["POST"])
@login_required
def add_attachment(plan_id: int):
    plan, _rights = _plan_for_viewer(plan_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return _back(plan, "attachments")
    upload = form.file.data
    try:
        services.add_attachment(
            current_user,
            plan,
            upload.stream,
            upload.filename or "",
            storage=current_app.extensions["storage"],
            max_bytes=current_app.config["MAX_FILE_BYTES"],
            now=utcnow(),
        )
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(plan, "attachments")
    db.session.commit()
    flash(_("File attached."), "success")
    return _back(plan, "attachments")


@bp.route("/plans/<int:plan_id>/attachments/<int:attachment_id>")
@login_required
def attachment(plan_id: int, attachment_id: int):
    plan, _rights = _plan_for_viewer(plan_id)
    found = services.get_attachment(plan, attachment_id)
    return send_stored(found.storage_key, found.media_type, download_name=found.filename)


@bp.route("/plans/<int:plan_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@login_required
def remove_attachment(plan_id: int, attachment_id: int):
    plan, _rights = _plan_for_viewer(plan_id)
    found = services.get_attachment(plan, attachment_id)
    if not SimpleForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return _back(plan, "attachments")
    try:
        services.remove_attachment(current_user, found, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(plan, "attachments")
    db.session.commit()
    flash(_("Attachment removed."), "success")
    return _back(plan, "attachments")


# --- coordinators and reviewers --------------------------------------------------------------------


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.route("/plans/review")
@login_required
def queue():
    runs, cities = services.queue_choices(current_user)
    form = QueueFilterForm(request.args)
    form.run.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(str(r.id), f"{r.course.title} · {r.title}") for r in runs
    ]
    form.city.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(str(c.id), c.name) for c in cities
    ]
    countries = sorted({c.country for c in cities})
    form.country.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(code, country_name(code)) for code in countries
    ]
    form.state.choices = [SelectChoice("", _("Any"))] + [
        SelectChoice(s.value, state_label(s)) for s in PlanState
    ]
    filters = services.QueueFilters(
        run_id=_int_or_none(form.run.data),
        city_id=_int_or_none(form.city.data),
        country=form.country.data or None,
        state=form.state.data if form.state.data in {s.value for s in PlanState} else None,
        sort="recent" if form.sort.data == "recent" else "waiting",
    )
    if not runs and not current_user.has_any_role("coordinator", "admin"):
        raise Forbidden(_("You review no action plans."))
    result = services.review_queue(
        current_user, filters, page=request.args.get("page", 1, type=int)
    )
    now = utcnow()
    return render_template(
        "plans/queue.html",
        form=form,
        result=result,
        # Worked out once per page, not once per row: a queue can be long.
        labels={s.value: state_label(s) for s in PlanState},
        countries={code: country_name(code) for code in countries},
        waiting_days={p.id: (now - p.waiting_since).days for p in result.items if p.waiting_since},
        page_args={k: v for k, v in request.args.items() if k != "page"},
    )


@bp.route("/plans/<int:plan_id>/review", methods=["GET", "POST"])
@login_required
def review(plan_id: int):
    plan, rights = _plan_for_viewer(plan_id)
    if not rights.can_review:
        raise Forbidden(_("Only the plan's reviewers review it."))
    sections = services.plan_sections(plan)
    criteria = services.rubric(plan.run.course_id)
    form = decision_form(criteria, [s.template for s in sections])
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            levels = {c.key: int(field.data) for c, field in form.criteria if field.data}
            notes = {s.key: field.data or "" for s, field in form.section_fields}
            try:
                review = services.decide(
                    current_user,
                    plan,
                    form.decision.data,
                    levels=levels,
                    comment=form.comment.data or "",
                    section_comments=notes,
                    now=utcnow(),
                )
            except DomainError as error:
                db.session.rollback()
                show_error(form, error)
                status = 422
            else:
                transition = services.transitions_of(plan)[-1]
                _notify(transition)
                db.session.commit()
                flash(
                    _("Plan approved.")
                    if review.decision == PlanState.APPROVED
                    else _("The team has been asked for changes."),
                    "success",
                )
                return redirect(url_for("plans.review", plan_id=plan.id), 303)
        else:
            status = 422
    reviewers = services.reviewers_of(plan.run)
    reviewer_form = ReviewerForm(formdata=None, reviewer=plan.reviewer_id or 0)
    reviewer_form.reviewer.choices = [SelectChoice(0, _("Nobody yet"))] + [
        SelectChoice(u.id, u.display_name) for u in reviewers
    ]
    return render_template(
        "plans/review.html",
        plan=plan,
        rights=rights,
        sections=sections,
        rendered={s.key: markdown_html(s.text, 2) for s in sections},
        titles={s.key: s.template.title for s in sections},
        form=form,
        reviewer_form=reviewer_form,
        simple_form=SimpleForm(),
        comment_form=CommentForm(),
        reviews=services.reviews_of(plan),
        transitions=services.transitions_of(plan),
        attachments=services.attachments_of(plan),
        members=services.team_members(plan.run, plan.team_key),
        allowed=services.allowed_transitions(current_user, plan, rights),
        state_label=state_label,
    ), status


@bp.route("/plans/<int:plan_id>/review/start", methods=["POST"])
@login_required
def start_review(plan_id: int):
    plan, _done = _transition_view(
        plan_id,
        lambda p, c: services.start_review(current_user, p, now=utcnow()),
        PlanState.IN_REVIEW,
    )
    return redirect(url_for("plans.review", plan_id=plan.id), 303)


@bp.route("/plans/<int:plan_id>/reviewer", methods=["POST"])
@login_required
def assign_reviewer(plan_id: int):
    plan, _rights = _plan_for_viewer(plan_id)
    form = ReviewerForm()
    reviewers = services.reviewers_of(plan.run)
    form.reviewer.choices = [SelectChoice(0, "")] + [
        SelectChoice(u.id, u.display_name) for u in reviewers
    ]
    if not form.validate_on_submit():
        flash(_("Choose one of the run's coordinators or instructors."), "error")
        return redirect(url_for("plans.review", plan_id=plan.id), 303)
    reviewer = db.session.get(User, form.reviewer.data) if form.reviewer.data else None
    services.assign_reviewer(current_user, plan, reviewer, now=utcnow())
    db.session.commit()
    flash(_("Reviewer saved."), "success")
    target = url_for("plans.queue") if request.form.get("back") == "queue" else None
    return redirect(target or url_for("plans.review", plan_id=plan.id), 303)


def _coordinated_run(run_id: int):
    run = courses.find_run(run_id)
    if not services.is_coordinator(current_user, run):
        raise Forbidden(_("Only the run's coordinators manage its action plans."))
    return run


@bp.route("/runs/<int:run_id>/plans/settings", methods=["GET", "POST"])
@login_required
def run_settings(run_id: int):
    run = _coordinated_run(run_id)
    settings = services.settings_for(run)
    form = SettingsForm()
    if request.method == "GET":
        form.fill(settings)
    elif form.validate_on_submit():
        services.configure_run(
            current_user,
            run,
            is_required=bool(form.is_required.data),
            due_at=form.due_at_utc(),
            instructors_can_view=bool(form.instructors_can_view.data),
            now=utcnow(),
        )
        db.session.commit()
        flash(_("Action plan settings saved."), "success")
        return redirect(url_for("plans.run_settings", run_id=run.id), 303)
    return render_template("plans/settings.html", run=run, form=form, settings=settings)


@bp.route("/runs/<int:run_id>/plans/teams", methods=["GET", "POST"])
@login_required
def teams(run_id: int):
    run = _coordinated_run(run_id)
    form = TeamForm()
    if request.method == "POST":
        if form.validate_on_submit():
            learner = db.session.get(User, form.user_id.data)
            if learner is None:
                raise NotFound(_("No such learner."))
            team = form.team.data or None
            try:
                services.move_learner(current_user, run, learner, team, now=utcnow())
            except DomainError as error:
                db.session.rollback()
                flash(error.message, "error")
            else:
                db.session.commit()
                flash(_("Team saved."), "success")
        else:
            flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("plans.teams", run_id=run.id), 303)
    rows = services.run_teams(run)
    cities = {}
    for row in rows:
        if row.user.city is not None:
            cities[row.user.city.id] = row.user.city
    labels = {}
    for row in rows:
        if row.team_key not in labels:
            labels[row.team_key] = services.team_label(row.team_key)
    return render_template(
        "plans/teams.html",
        run=run,
        rows=rows,
        cities=sorted(cities.values(), key=lambda c: c.name),
        labels=labels,
        form=SimpleForm(),
    )


# --- the course's template and rubric, edited in the browser ---------------------------------------


@bp.route("/teach/courses/<slug>/action-plan", methods=["GET", "POST"])
@login_required
def template(slug: str):
    course = services.courses.get_course(slug, viewer=current_user)
    if not services.courses.can_edit_course(current_user, course):
        raise Forbidden(_("Only the course's instructors edit its plan template."))
    form = TemplateForm()
    problems = []
    status = 200
    if request.method == "GET":
        form.text.data = plan_content.dump_yaml(course.id)
    elif form.validate_on_submit():
        spec, problems = plan_content.parse_yaml(form.text.data or "")
        if spec is not None:
            plan_content.ActionPlanContent().apply(course, spec, now=utcnow())
            db.session.commit()
            flash(_("The plan template and rubric are saved."), "success")
            return redirect(url_for("plans.template", slug=course.slug), 303)
        status = 422
    else:
        status = 422
    return render_template(
        "plans/template.html", course=course, form=form, problems=problems
    ), status


# --- exports ----------------------------------------------------------------------------------------


def _plan_document(plan) -> PlanDocument:
    sections = services.plan_sections(plan)
    settings = services.settings_for(plan.run)
    members = services.team_members(plan.run, plan.team_key)
    reviews = services.reviews_of(plan)
    facts = [
        (_("Team"), ", ".join(m.display_name for m in members)),
        (_("State"), state_label(plan.state)),
    ]
    if settings and settings.due_at:
        facts.append((_("Due"), local_datetime(settings.due_at)))
    if plan.reviewer:
        facts.append((_("Reviewer"), plan.reviewer.display_name))
    review_rows = []
    if reviews and reviews[0].scores:
        latest = reviews[0]
        review_rows = [
            (score["title"], f"{score['level']} ({score['points']}/{score['max_points']})")
            for score in latest.scores
        ]
        review_rows.append((_("Total"), f"{latest.total_points}/{latest.max_points}"))
    return PlanDocument(
        title=plan.title,
        subtitle=f"{plan.run.course.title} · {plan.run.title}",
        facts=facts,
        sections=[(s.template.title, s.text) for s in sections],
        footer=_(
            "%(site)s · %(when)s",
            site=current_app.config["SITE_NAME"],
            when=local_datetime(utcnow(), "short"),
        ),
        empty_text=_("Not written yet."),
        review=review_rows,
        review_title=_("Rubric scores"),
    )


def _filename(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", unicodedata.normalize("NFKD", text)).strip("-").lower()


@bp.route("/plans/<int:plan_id>/plan.pdf")
@login_required
def export_pdf(plan_id: int):
    plan, _rights = _plan_for_viewer(plan_id)
    data = render_plan(_plan_document(plan))
    response = make_response(data)
    response.headers["Content-Type"] = "application/pdf"
    name = f"{_filename(plan.title) or 'action-plan'}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.cache_control.private = True
    return response


@bp.route("/runs/<int:run_id>/plans.zip")
@login_required
def export_run(run_id: int):
    """Every plan of the run as a PDF, and a CSV summary, in one ZIP (coordinators)."""
    run = _coordinated_run(run_id)
    buffer = io.BytesIO()
    summary = io.StringIO()
    writer = csv.writer(summary)
    writer.writerow(
        ["plan_id", "title", "city", "country", "state", "team", "sections_written",
         "sections_total", "waiting_since", "reviewer", "decision", "points", "max_points",
         "file"]
    )  # fmt: skip
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for plan in services.run_plans(run):
            name = f"{plan.id}-{_filename(plan.title) or 'plan'}.pdf"
            archive.writestr(name, render_plan(_plan_document(plan)))
            sections = services.plan_sections(plan)
            reviews = services.reviews_of(plan)
            latest = reviews[0] if reviews else None
            members = services.team_members(run, plan.team_key)
            writer.writerow(
                [
                    plan.id, plan.title, plan.city.name if plan.city else "",
                    plan.city.country if plan.city else "", plan.state,
                    "; ".join(m.display_name for m in members),
                    sum(1 for s in sections if s.text.strip()), len(sections),
                    plan.waiting_since.isoformat() if plan.waiting_since else "",
                    plan.reviewer.display_name if plan.reviewer else "",
                    latest.decision if latest else "",
                    latest.total_points if latest else "",
                    latest.max_points if latest else "",
                    name,
                ]
            )  # fmt: skip
        archive.writestr("summary.csv", "\ufeff" + summary.getvalue())
    response = make_response(buffer.getvalue())
    response.headers["Content-Type"] = "application/zip"
    name = f"action-plans-{_filename(run.course.slug)}-{_filename(run.slug)}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.cache_control.private = True
    return response


# --- what other domains' pages show (template globals, so that they import nothing) -----------------


def plan_status(run) -> dict | None:
    """The signed-in learner's team plan in ``run``: state, due date and link, if asked for."""
    if not current_user.is_authenticated:
        return None
    settings = services.settings_for(run)
    if settings is None or not settings.is_required:
        return None
    states = services.plan_states_for(current_user, [run.id])
    return {
        "state": states.get(run.id),
        "due_at": settings.due_at,
        "url": url_for("plans.my_plan", run_id=run.id),
    }


def plan_coordinates(run) -> bool:
    return services.is_coordinator(current_user, run)


def plan_reviews(run) -> bool:
    return services.settings_for(run) is not None and plan_coordinates(run)


def register(app) -> None:
    """Register the blueprints, the CLI and the ``action_plan`` content section (called by
    create_app)."""
    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.cli.add_command(plans_cli)
    app.jinja_env.filters["plan_state"] = state_label
    app.jinja_env.globals.update(
        plan_status=plan_status, plan_coordinates=plan_coordinates, plan_reviews=plan_reviews
    )
    app.jinja_env.filters["plan_markdown"] = lambda text: markdown_html(text or "", 3)
