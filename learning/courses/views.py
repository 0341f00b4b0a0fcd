"""Catalogue, course and item pages, enrolment, files, the dashboard, the progress API and
the coordinator's run view. Thin: parse, call one service, commit once, render or redirect."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError, OperationalError

from learning.accounts import services as accounts
from learning.core.auth import roles_required
from learning.core.db import begin_write, is_retryable, utcnow
from learning.core.errors import DomainError, Forbidden, NotFound
from learning.courses import services
from learning.courses.forms import (
    AddLearnerForm,
    CatalogueFilterForm,
    DoneForm,
    EnrolForm,
    ImportLearnersForm,
    LeaveForm,
)
from learning.courses.models import Item, ItemAsset
from learning.extensions import db

bp = Blueprint("courses", __name__, template_folder="templates")
#: Pages of other domains that show their own kinds of item (quizzes registers 'quiz').
ITEM_PAGE_ENDPOINTS: dict[str, str] = {}
api = Blueprint("courses_api", __name__, url_prefix="/api/v1")


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


# --- catalogue and course page ------------------------------------------------------------------


@bp.route("/courses")
def catalogue():
    form = CatalogueFilterForm(request.args)
    languages, topics = services.catalogue_facets()
    form.fill_choices(languages, topics)
    form.validate()
    entries = services.catalogue(
        query=(form.q.data or "")[:100],
        language=(form.language.data or "")[:10] or None,
        topic=(form.topic.data or "")[:100] or None,
        open_only=bool(form.open.data),
        now=utcnow(),
    )
    return render_template("courses/catalogue.html", form=form, entries=entries, now=utcnow())


@bp.route("/courses/<slug>")
def course(slug: str):
    viewer = _viewer()
    course = services.get_course(slug, viewer=viewer)
    now = utcnow()
    enrolment = services.active_enrolment(viewer, course) if viewer else None
    progress = (
        services.progress_for_enrolments([enrolment], course=course)[enrolment.id]
        if enrolment
        else None
    )
    modules = services.module_progress(course, progress) if progress else None
    runs = [run for run in course.runs if run.ends_at > now]
    return render_template(
        "courses/course.html",
        course=course,
        enrolment=enrolment,
        progress=progress,
        module_progress=modules,
        runs=runs,
        now=now,
        enrol_form=EnrolForm(),
        leave_form=LeaveForm(),
        can_edit=services.can_edit_course(viewer, course),
        staff_runs=[r for r in course.runs if services.is_run_staff(viewer, r)],
    )


@bp.route("/courses/<slug>/runs/<int:run_id>/enrol", methods=["POST"])
@login_required
def enrol(slug: str, run_id: int):
    course = services.get_course(slug, viewer=current_user)
    run = services.get_run(course, run_id)
    form = EnrolForm()
    if not form.validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("courses.course", slug=slug))
    try:
        services.enroll(current_user, run, code=form.code.data, now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("courses.course", slug=slug), 303)
    db.session.commit()
    flash(_("You are enrolled in %(course)s.", course=course.title), "success")
    return redirect(url_for("courses.course", slug=slug), 303)


@bp.route("/courses/<slug>/runs/<int:run_id>/leave", methods=["POST"])
@login_required
def leave(slug: str, run_id: int):
    course = services.get_course(slug, viewer=current_user)
    run = services.get_run(course, run_id)
    if not LeaveForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("courses.course", slug=slug))
    services.leave(current_user, run, now=utcnow())
    db.session.commit()
    flash(
        _("You have left %(course)s. Your progress is kept if you come back.", course=course.title),
        "info",
    )
    return redirect(url_for("courses.course", slug=slug), 303)


# --- items ----------------------------------------------------------------------------------------


def _item_in_course(slug: str, item_id: int) -> Item:
    item = services.get_item(item_id)
    if item.module.course.slug != slug:
        raise NotFound(_("No such item."))
    return item


@bp.route("/courses/<slug>/items/<int:item_id>")
@login_required
def item(slug: str, item_id: int):
    item = _item_in_course(slug, item_id)
    if item.kind in ITEM_PAGE_ENDPOINTS:
        return redirect(url_for(ITEM_PAGE_ENDPOINTS[item.kind], slug=slug, item_id=item.id))
    now = utcnow()
    access = services.item_access(current_user, item, now=now)
    course = services.get_course(slug, viewer=current_user)
    progress_row = None
    if access.enrolment is not None:
        progress_row = services.open_item(access.enrolment, item, now=now)
        db.session.commit()
    progress = (
        services.progress_for_enrolments([access.enrolment], course=course)[access.enrolment.id]
        if access.enrolment
        else None
    )
    ordered = [i for m in services.visible_modules(course) for i in services.visible_items(m)]
    index = next(n for n, candidate in enumerate(ordered) if candidate.id == item.id)
    return render_template(
        "courses/item.html",
        course=course,
        item=item,
        access=access,
        progress=progress,
        progress_row=progress_row,
        previous_item=ordered[index - 1] if index > 0 else None,
        next_item=ordered[index + 1] if index + 1 < len(ordered) else None,
        done_form=DoneForm(),
        captions=[a for a in item.assets if a.kind == "captions"],
        attachments=[a for a in item.assets if a.kind == "attachment"],
    )


@bp.route("/courses/<slug>/items/<int:item_id>/done", methods=["POST"])
@login_required
def item_done(slug: str, item_id: int):
    item = _item_in_course(slug, item_id)
    access = services.item_access(current_user, item, now=utcnow())
    form = DoneForm()
    if access.enrolment is None:
        raise Forbidden(_("Only enrolled learners record progress."))
    if not form.validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
    else:
        services.set_item_done(access.enrolment, item, form.done.data == "1", now=utcnow())
        db.session.commit()
    return redirect(url_for("courses.item", slug=slug, item_id=item.id), 303)


def send_stored(key: str, media_type: str, *, download_name: str | None = None, public=False):
    path = current_app.extensions["storage"].local_path(key)
    if path is None:
        abort(404)
    response = send_file(
        path,
        mimetype=media_type,
        conditional=True,  # answers Range requests, so seeking in a video works
        etag=True,
        max_age=current_app.config["MEDIA_MAX_AGE"],
        download_name=download_name,
        as_attachment=False,
    )
    # Course media is only for those allowed to see it: no shared caches.
    response.cache_control.public = public
    response.cache_control.private = not public
    return response


@bp.route("/courses/<slug>/items/<int:item_id>/media")
@login_required
def item_media(slug: str, item_id: int):
    item = _item_in_course(slug, item_id)
    services.item_access(current_user, item, now=utcnow())
    if not item.media_key:
        abort(404)
    return send_stored(item.media_key, item.media_type, download_name=item.media_name)


@bp.route("/courses/<slug>/assets/<int:asset_id>")
@login_required
def asset(slug: str, asset_id: int):
    asset = db.session.get(ItemAsset, asset_id)
    if asset is None or asset.item.module.course.slug != slug or asset.item.is_archived:
        raise NotFound(_("No such file."))
    services.item_access(current_user, asset.item, now=utcnow())
    return send_stored(asset.storage_key, asset.media_type, download_name=asset.filename)


@bp.route("/courses/<slug>/cover")
def cover(slug: str):
    course = services.get_course(slug, viewer=_viewer())
    if not course.cover_key:
        abort(404)
    media_type = "image/" + course.cover_key.rsplit(".", 1)[-1].replace("jpg", "jpeg")
    return send_stored(course.cover_key, media_type, public=course.is_published)


# --- dashboard --------------------------------------------------------------------------------------


@bp.route("/dashboard")
@login_required
def dashboard():
    return render_template(
        "courses/dashboard.html",
        entries=services.dashboard(current_user),
        staff_runs=services.runs_for_staff(current_user)
        if current_user.has_any_role("coordinator", "instructor", "admin")
        else [],
    )


# --- coordinators ---------------------------------------------------------------------------------


def _staff_run(slug: str, run_id: int):
    course = services.get_course(slug, viewer=current_user)
    run = services.get_run(course, run_id)
    if not services.is_run_staff(current_user, run):
        raise Forbidden(_("Only this run's coordinators and instructors see its learners."))
    return course, run


@bp.route("/courses/<slug>/runs/<int:run_id>/learners", methods=["GET"])
@roles_required("coordinator", "instructor")
def run_learners(slug: str, run_id: int, add_form=None, import_form=None, report=None, status=200):
    course, run = _staff_run(slug, run_id)
    rows = services.run_progress(run)
    return render_template(
        "courses/run_learners.html",
        course=course,
        run=run,
        rows=rows,
        modules=services.visible_modules(course),
        add_form=add_form or AddLearnerForm(),
        import_form=import_form or ImportLearnersForm(),
        report=report,
        can_add=services.is_run_staff(current_user, run, "coordinator"),
    ), status


@bp.route("/courses/<slug>/runs/<int:run_id>/learners/add", methods=["POST"])
@roles_required("coordinator")
def add_learner(slug: str, run_id: int):
    _course, run = _staff_run(slug, run_id)
    if not services.is_run_staff(current_user, run, "coordinator"):
        raise Forbidden(_("Only this run's coordinators add learners."))
    form = AddLearnerForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(form.email.data)
        if user is None:
            form.email.errors.append(_("No account uses this address."))
        else:
            try:
                services.enroll(user, run, added_by=current_user, now=utcnow())
            except DomainError as error:
                db.session.rollback()
                form.email.errors.append(error.message)
            else:
                db.session.commit()
                flash(_("%(name)s is enrolled.", name=user.display_name), "success")
                return redirect(url_for("courses.run_learners", slug=slug, run_id=run.id), 303)
    return run_learners(slug, run_id, add_form=form, status=422)


@bp.route("/courses/<slug>/runs/<int:run_id>/learners/import", methods=["POST"])
@roles_required("coordinator")
def import_learners(slug: str, run_id: int):
    _course, run = _staff_run(slug, run_id)
    if not services.is_run_staff(current_user, run, "coordinator"):
        raise Forbidden(_("Only this run's coordinators add learners."))
    form = ImportLearnersForm()
    if not form.validate_on_submit():
        return run_learners(slug, run_id, import_form=form, status=422)
    raw = form.file.data.read(form.MAX_BYTES + 1)
    if len(raw) > form.MAX_BYTES:
        form.file.errors.append(_("The file is larger than 1 MB."))
        return run_learners(slug, run_id, import_form=form, status=422)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        form.file.errors.append(_("The file must be UTF-8 text (CSV)."))
        return run_learners(slug, run_id, import_form=form, status=422)
    report = services.add_learners_from_csv(current_user, run, text, now=utcnow())
    if not report.ok:
        db.session.rollback()
        return run_learners(slug, run_id, import_form=form, report=report, status=422)
    db.session.commit()
    flash(
        _(
            "%(added)d learner(s) added, %(already)d already enrolled.",
            added=len(report.added),
            already=len(report.already),
        ),
        "success",
    )
    return redirect(url_for("courses.run_learners", slug=slug, run_id=run.id), 303)


# --- progress API -----------------------------------------------------------------------------------


def _record_progress(user_id: int, item_id: int, payload: dict):
    return services.report_video_progress(
        user_id,
        item_id,
        intervals=payload["intervals"],
        position=payload["position"],
        duration=payload["duration"],
        now=utcnow(),
    )


@api.route("/items/<int:item_id>/progress", methods=["POST"])
def item_progress(item_id: int):
    # Who is asking, without loading the whole user: this endpoint is the busiest of all.
    user_id = accounts.active_user_id(session.get("_user_id"))
    if user_id is None and current_user.is_authenticated:  # restored from "remember me"
        user_id = current_user.id
    if user_id is None:
        return jsonify({"error": {"code": "unauthorized", "message": _("Please sign in.")}}), 401
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify({"error": {"code": "bad_request", "message": _("Send a JSON object.")}}), 400
    missing = [k for k in ("intervals", "position", "duration") if k not in payload]
    if missing:
        return jsonify(
            {
                "error": {
                    "code": "bad_request",
                    "message": _("Missing: %(fields)s", fields=", ".join(missing)),
                }
            }
        ), 400
    # Reports are idempotent, so a transaction that lost a race with another writer is
    # simply run again.
    for attempt in range(3):
        try:
            begin_write(db.session)
            report = _record_progress(user_id, item_id, payload)
            db.session.commit()
            break
        except (OperationalError, IntegrityError) as error:
            # A lost race (SQLite busy, deadlock, or a first report inserted twice at once).
            db.session.rollback()
            if attempt == 2 or not (isinstance(error, IntegrityError) or is_retryable(error)):
                raise
        except DomainError:
            db.session.rollback()
            raise
    return jsonify(
        {
            "played_seconds": report.played_seconds,
            "coverage": report.coverage,
            "completed": report.completed,
            "resume_position": report.resume_position,
        }
    )


@bp.app_template_filter("duration")
def duration_filter(seconds: float | None) -> str:
    """A video length as m:ss (or h:mm:ss)."""
    if not seconds:
        return ""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.app_template_filter("module_release")
def module_release_filter(run, module):
    return services.module_release_at(run, module)


@bp.app_template_global("item_url")
def item_url(course, item) -> str:
    """Where an item of ``course`` is shown (its own domain's page for a quiz)."""
    endpoint = ITEM_PAGE_ENDPOINTS.get(item.kind, "courses.item")
    return url_for(endpoint, slug=course.slug, item_id=item.id)
