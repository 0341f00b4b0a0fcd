"""Live session pages: a run's sessions, a session (register, join, ``.ics``), the staff's
scheduling, attendance and recording pages, and the private calendar feed."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning.core.db import utcnow
from learning.core.errors import DomainError, Forbidden, ValidationError
from learning.core.forms import show_error
from learning.core.jobs import enqueue_after_commit
from learning.courses import authoring
from learning.courses import services as courses
from learning.extensions import db
from learning.live import ical, services, tasks
from learning.live.formatting import moment, when
from learning.live.forms import ImportForm, RecordingForm, SessionForm, SimpleForm
from learning.live.models import LiveSession

bp = Blueprint("live", __name__, template_folder="templates")


def _user():
    return current_user._get_current_object()


def _viewer_zone() -> str:
    return str(get_timezone())


def _domain() -> str:
    return urlsplit(current_app.config["BASE_URL"]).hostname or "capacity.local"


def _session_url(live: LiveSession) -> str:
    # The public address, as in e-mails: a calendar keeps it.
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("live.session", session_id=live.id)


def _can_view(run) -> None:
    if not services.can_view_run_sessions(_user(), run):
        raise Forbidden(_("Only this run's learners and staff see its live sessions."))


def _notify(change: services.Change, live: LiveSession, *, cancelled: bool = False) -> None:
    task = tasks.send_cancelled_email if cancelled else tasks.send_changed_email
    for user_id in change.notify_user_ids:
        enqueue_after_commit(db.session, task, live.id, user_id)
    for registration in change.promoted:
        enqueue_after_commit(db.session, tasks.send_promoted_email, registration.id)


@bp.app_template_filter("live_when")
def live_when(live: LiveSession, zone: str | None = None):
    """A session's times in ``zone`` (the viewer's by default), worded in the page's locale."""
    return when(live.starts_at, live.ends_at, zone or _viewer_zone(), str(get_locale()))


@bp.app_template_filter("live_moment")
def live_moment(instant) -> str:
    """An instant in the viewer's zone, to the minute, with the zone named."""
    return moment(instant, _viewer_zone(), str(get_locale()))


# --- learners -------------------------------------------------------------------------------------


@bp.route("/live")
@login_required
def index():
    """The viewer's upcoming sessions, and the runs whose sessions they can see."""
    now = utcnow()
    user = _user()
    upcoming = services.upcoming_for_user(user, now=now)
    enrolled = services.runs_of_learner(user, now=now)
    staff = [r for r in courses.runs_for_staff(user) if r.ends_at > now]
    return render_template(
        "live/index.html", upcoming=upcoming, enrolled=enrolled, staff=staff, now=now
    )


@bp.route("/runs/<int:run_id>/live")
@login_required
def run_sessions(run_id: int):
    run = courses.find_run(run_id)
    _can_view(run)
    user = _user()
    rows = services.run_sessions(run, user)
    attended = None
    is_enrolled = courses.active_enrolment_in_run(user, run) is not None
    if is_enrolled:
        held = [r for r in rows if not r.session.is_cancelled]
        attended = (sum(1 for r in held if r.attended), len(held))
    return render_template(
        "live/run_sessions.html",
        run=run,
        rows=rows,
        attended=attended,
        can_manage=services.can_manage_sessions(user, run),
        is_enrolled=is_enrolled,
        now=utcnow(),
    )


@bp.route("/live/<int:session_id>")
@login_required
def session(session_id: int):
    live = services.get_session(session_id)
    _can_view(live.run)
    user = _user()
    now = utcnow()
    registration = services.registration_of(user, live)
    is_enrolled = courses.active_enrolment_in_run(user, live.run) is not None
    row = next(r for r in services.run_sessions(live.run, user) if r.session.id == live.id)
    opens_before = timedelta(minutes=current_app.config["LIVE_JOIN_OPENS_MINUTES"])
    times = services.session_times(live, _viewer_zone())
    return render_template(
        "live/session.html",
        live=live,
        run=live.run,
        row=row,
        registration=registration,
        waiting_position=(
            services.waiting_position(registration)
            if registration is not None and registration.status == services.WAITLISTED
            else None
        ),
        is_enrolled=is_enrolled,
        can_manage=services.can_manage_sessions(user, live.run),
        may_join=services.may_join(
            user,
            live,
            registration,
            is_enrolled=is_enrolled,
            now=now,
            opens_before=opens_before,
        ),
        join_opens_at=live.starts_at - opens_before,
        times=times,
        form=SimpleForm(),
        now=now,
    )


@bp.route("/live/<int:session_id>.ics")
@login_required
def session_ics(session_id: int):
    live = services.get_session(session_id)
    _can_view(live.run)
    body = ical.session_file(live, url=_session_url(live), domain=_domain())
    return Response(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": f'attachment; filename="live-session-{live.id}.ics"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/live/<int:session_id>/register", methods=["POST"])
@login_required
def register_for_session(session_id: int):
    live = services.get_session(session_id)
    if not SimpleForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("live.session", session_id=live.id), 303)
    try:
        registration = services.register(_user(), live, now=utcnow())
    except DomainError as error:
        if error.status_code == 403:
            raise
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("live.session", session_id=live.id), 303)
    db.session.commit()
    if registration.status == services.REGISTERED:
        flash(_("You are registered. Add the session to your calendar below."), "success")
    else:
        flash(
            _(
                "The session is full: you are on the waiting list and will be told by e-mail if a place frees up."
            ),
            "warning",
        )
    return redirect(url_for("live.session", session_id=live.id), 303)


@bp.route("/live/<int:session_id>/unregister", methods=["POST"])
@login_required
def unregister(session_id: int):
    live = services.get_session(session_id)
    if not SimpleForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("live.session", session_id=live.id), 303)
    promoted = services.cancel_registration(_user(), live, now=utcnow())
    for registration in promoted:
        enqueue_after_commit(db.session, tasks.send_promoted_email, registration.id)
    db.session.commit()
    flash(_("Your registration is cancelled."), "success")
    return redirect(url_for("live.session", session_id=live.id), 303)


# --- staff ----------------------------------------------------------------------------------------


def _require_manager(run) -> None:
    if not services.can_manage_sessions(_user(), run):
        raise Forbidden(_("Only this run's instructors and coordinators may manage its sessions."))


def _fields(form: SessionForm) -> services.SessionFields | None:
    offsets = form.reminder_minutes()
    if offsets is None:
        return None
    return services.SessionFields(
        title=form.title.data or "",
        starts_local=form.starts_at.data,
        ends_local=form.ends_at.data,
        timezone=form.timezone.data or "",
        join_url=form.join_url.data or "",
        description=form.description.data or "",
        capacity=form.capacity.data,
        module_id=form.module_id.data or None,
        is_link_for_all_enrolled=form.is_link_for_all_enrolled.data,
        reminder_offsets=offsets,
        min_attendance_minutes=form.min_minutes.data,
    )


@bp.route("/runs/<int:run_id>/live/new", methods=["GET", "POST"])
@login_required
def new_session(run_id: int):
    run = courses.find_run(run_id)
    _require_manager(run)
    form = SessionForm()
    form.fill_choices(courses.visible_modules(run.course))
    if request.method == "GET":
        form.timezone.data = _user().timezone or run.timezone
    elif form.validate_on_submit() and (fields := _fields(form)) is not None:
        try:
            live = services.schedule_session(_user(), run, fields, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The session is scheduled."), "success")
            return redirect(url_for("live.session", session_id=live.id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("live/session_form.html", form=form, run=run, live=None), status


@bp.route("/live/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit_session(session_id: int):
    live = services.get_session(session_id)
    _require_manager(live.run)
    form = SessionForm()
    form.fill_choices(courses.visible_modules(live.run.course))
    if request.method == "GET":
        local = services.to_local
        form.title.data = live.title
        form.description.data = live.description
        form.timezone.data = live.timezone
        form.starts_at.data = local(live.starts_at, live.timezone).replace(tzinfo=None)
        form.ends_at.data = local(live.ends_at, live.timezone).replace(tzinfo=None)
        form.join_url.data = live.join_url
        form.is_link_for_all_enrolled.data = live.is_link_for_all_enrolled
        form.capacity.data = live.capacity
        form.module_id.data = live.module_id or 0
        form.reminders.data = ", ".join(f"{m / 60:g}" for m in live.reminder_offsets or [])
        form.min_minutes.data = live.min_attendance_minutes
    elif form.validate_on_submit() and (fields := _fields(form)) is not None:
        try:
            change = services.update_session(_user(), live, fields, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            _notify(change, live)
            db.session.commit()
            if change.notify_user_ids:
                flash(_("Saved. Registered learners are told by e-mail."), "success")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("live.session", session_id=live.id), 303)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("live/session_form.html", form=form, run=live.run, live=live), status


@bp.route("/live/<int:session_id>/cancel", methods=["POST"])
@login_required
def cancel_session(session_id: int):
    live = services.get_session(session_id)
    _require_manager(live.run)
    if not SimpleForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("live.session", session_id=live.id), 303)
    change = services.cancel_session(_user(), live, now=utcnow())
    _notify(change, live, cancelled=True)
    db.session.commit()
    flash(_("The session is cancelled; its learners are told by e-mail."), "success")
    return redirect(url_for("live.session", session_id=live.id), 303)


@bp.route("/live/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(session_id: int):
    live = services.get_session(session_id)
    _require_manager(live.run)
    form = SimpleForm()
    status = 200
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Your form expired. Please try again."), "error")
            return redirect(url_for("live.attendance", session_id=live.id), 303)
        try:
            present = [int(v) for v in request.form.getlist("present")]
        except ValueError:
            present = None
        try:
            if present is None:
                raise ValidationError(_("The list was not understood."))
            services.record_attendance(_user(), live, present, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
            status = error.status_code
        else:
            db.session.commit()
            flash(_("Attendance is saved."), "success")
            return redirect(url_for("live.attendance", session_id=live.id), 303)
    return render_template(
        "live/attendance.html",
        live=live,
        run=live.run,
        rows=services.attendance_checklist(_user(), live),
        form=form,
        import_form=ImportForm(),
        report=None,
        now=utcnow(),
    ), status


@bp.route("/live/<int:session_id>/attendance/import", methods=["POST"])
@login_required
def import_attendance(session_id: int):
    live = services.get_session(session_id)
    _require_manager(live.run)
    form = ImportForm()
    report = None
    status = 422
    if form.validate_on_submit():
        raw = form.file.data.stream.read(ImportForm.MAX_BYTES + 1)
        if len(raw) > ImportForm.MAX_BYTES:
            form.file.errors = [_("The file is larger than 2 MB.")]
        else:
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    text = raw.decode("utf-16")
                except UnicodeError:
                    text = None
            if text is None:
                form.file.errors = [_("Save the report as a CSV file in UTF-8.")]
            else:
                try:
                    report = services.import_participants(_user(), live, text, now=utcnow())
                except DomainError as error:
                    db.session.rollback()
                    form.file.errors = [error.message]
                else:
                    if report.ok:
                        db.session.commit()
                        status = 200
                    else:
                        db.session.rollback()
    return render_template(
        "live/attendance.html",
        live=live,
        run=live.run,
        rows=services.attendance_checklist(_user(), live),
        form=SimpleForm(),
        import_form=form,
        report=report,
        now=utcnow(),
    ), status


@bp.route("/live/<int:session_id>/recording", methods=["GET", "POST"])
@login_required
def recording(session_id: int):
    live = services.get_session(session_id)
    _require_manager(live.run)
    form = RecordingForm()
    modules = services.recording_modules(live)
    form.fill_choices(modules)
    if request.method == "GET":
        form.module_id.data = live.module_id or (modules[-1].id if modules else None)
        form.title.data = _("Recording: %(title)s", title=live.title)
    elif form.validate_on_submit():
        upload = authoring.Upload(
            form.file.data.stream,
            form.file.data.filename or "",
            current_app.config["MAX_VIDEO_BYTES"],
        )
        try:
            item = services.attach_recording(
                _user(),
                live,
                upload,
                storage=current_app.extensions["storage"],
                module_id=form.module_id.data,
                title=form.title.data,
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The recording is now a video of the course."), "success")
            return redirect(
                url_for("courses.item", slug=live.run.course.slug, item_id=item.id), 303
            )
    status = 422 if form.errors or form.form_errors else 200
    return render_template("live/recording.html", live=live, run=live.run, form=form), status


# --- calendar feed --------------------------------------------------------------------------------


@bp.route("/calendar")
@login_required
def calendar():
    secret = services.feed_secret(_user(), now=utcnow())
    db.session.commit()
    base = current_app.config["BASE_URL"].rstrip("/")
    return render_template(
        "live/calendar.html",
        feed_url=base + url_for("live.feed", secret=secret),
        form=SimpleForm(),
    )


@bp.route("/calendar/reset", methods=["POST"])
@login_required
def reset_calendar():
    if not SimpleForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("live.calendar"), 303)
    services.reset_feed_secret(_user(), now=utcnow())
    db.session.commit()
    flash(_("Your calendar has a new address; the old one no longer works."), "success")
    return redirect(url_for("live.calendar"), 303)


@bp.route("/calendar/<secret>.ics")
def feed(secret: str):
    """The private feed: no sign-in (calendar programs have none), the secret is the key."""
    user = services.user_for_feed(secret)
    now = utcnow()
    content = services.feed_for(user, now=now)
    body = ical.feed(
        content.sessions,
        content.deadlines,
        session_url=_session_url,
        base_url=current_app.config["BASE_URL"],
        domain=_domain(),
        name=f"{current_app.config['SITE_NAME']} — {user.display_name}",
        now=now,
    )
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Cache-Control": "private, max-age=300", "X-Robots-Tag": "noindex"},
    )


def register(app) -> None:
    """Register the blueprint and the CLI (called by create_app)."""
    from learning.live.cli import live_cli

    app.register_blueprint(bp)
    app.cli.add_command(live_cli)
