"""Authoring pages: instructors build courses, modules and items with their files; course
editors and coordinators schedule and run the runs. Thin: parse a form, call one service in
``authoring``, commit once, enqueue after the commit, redirect or render.

Uploads stream from Werkzeug's spooled request file to storage; a refused file shows its
error on the field (422) with everything else the person typed kept.
"""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from learning.core.auth import roles_required
from learning.core.db import utcnow
from learning.core.errors import DomainError, Forbidden, NotFound, ValidationError
from learning.core.forms import show_error
from learning.core.jobs import enqueue_after_commit
from learning.courses import authoring, services, tasks
from learning.courses.models import Course, CourseRun, Item, ItemAsset, ItemKind, Module
from learning.courses.teach_forms import (
    KIND_LABELS,
    RUN_ROLE_LABELS,
    ActionForm,
    ArchiveForm,
    AttachmentForm,
    CaptionForm,
    CourseForm,
    CoverForm,
    ItemForm,
    MediaForm,
    ModuleForm,
    MoveForm,
    PublishForm,
    RemoveStaffForm,
    RunForm,
    StaffForm,
    release_form,
)
from learning.courses.views import send_stored
from learning.extensions import db

bp = Blueprint("teach", __name__, url_prefix="/teach", template_folder="templates")
# Public addresses that belong with authoring (the processed cover's thumbnail).
public = Blueprint("teach_public", __name__)

INSTRUCTORS = ("instructor",)
RUN_PEOPLE = ("instructor", "coordinator")


def _user():
    return current_user._get_current_object()


def _storage():
    return current_app.extensions["storage"]


def _upload(file_storage, limit_key: str) -> authoring.Upload:
    return authoring.Upload(
        file_storage.stream, file_storage.filename or "", current_app.config[limit_key]
    )


def _status(*forms) -> int:
    return 422 if any(f.errors for f in forms if f is not None) else 200


def _check(form) -> None:
    """Small button forms: a bad value is a bad request (CSRF is checked for every POST)."""
    if not form.validate_on_submit():
        raise ValidationError(_("This request was incomplete. Reload the page and try again."))


def _mb(limit_key: str) -> int:
    return max(1, current_app.config[limit_key] // (1024 * 1024))


# --- finding what is edited -------------------------------------------------------------------


def _editable_course(slug: str) -> Course:
    course = services.get_course(slug, viewer=current_user)
    if not services.can_edit_course(current_user, course):
        raise Forbidden(_("Only this course's instructors and administrators may change it."))
    return course


def _module_of(course: Course, module_id: int) -> Module:
    module = next((m for m in course.modules if m.id == module_id), None)
    if module is None:
        raise NotFound(_("No such module in this course."))
    return module


def _item_of(course: Course, item_id: int) -> Item:
    item = next((i for m in course.modules for i in m.items if i.id == item_id), None)
    if item is None:
        raise NotFound(_("No such item in this course."))
    return item


def _managed_run(slug: str, run_id: int) -> tuple[Course, CourseRun]:
    course = services.get_course(slug, viewer=current_user)
    run = services.get_run(course, run_id)
    if not authoring.can_manage_run(current_user, run):
        raise Forbidden(
            _(
                "Only this run's coordinators, the course's instructors and administrators may change it."
            )
        )
    return course, run


# --- overview ----------------------------------------------------------------------------------


@bp.route("/")
@roles_required(*RUN_PEOPLE)
def index():
    user = _user()
    courses = authoring.schedulable_courses(user)
    runs = authoring.managed_runs(user)
    return render_template(
        "courses/teach_index.html",
        courses=courses,
        editable_ids={c.id for c in courses if services.can_edit_course(user, c)},
        runs=runs,
        staff_run_ids={r.id for r in runs if services.is_run_staff(user, r)},
        can_create=authoring.can_create_course(user),
    )


# --- courses -------------------------------------------------------------------------------------


def _course_data(course: Course) -> dict:
    return {
        "title": course.title,
        "slug": course.slug,
        "summary": course.summary,
        "language": course.language,
        "topics": ", ".join(course.topics or []),
        "programme": course.programme,
        "estimated_hours": course.estimated_hours,
        "video_threshold": round(course.video_threshold * 100),
    }


def _course_values(form: CourseForm) -> dict:
    return {
        "title": form.title.data,
        "slug": form.slug.data,
        "summary": form.summary.data,
        "language": form.language.data,
        "topics": form.topic_list(),
        "programme": form.programme.data,
        "estimated_hours": form.estimated_hours.data or 0,
        "video_threshold": form.video_threshold.data / 100,
    }


@bp.route("/courses/new", methods=["GET", "POST"])
@roles_required(*INSTRUCTORS)
def new_course():
    form = CourseForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            course = authoring.create_course(_user(), **_course_values(form), now=utcnow())
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(
                _("The course is created. Add its modules and items, then publish it."), "success"
            )
            return redirect(url_for("teach.course", slug=course.slug), 303)
    return render_template("courses/teach_course_form.html", form=form, course=None), _status(form)


def _outline_page(course: Course, module_form: ModuleForm | None = None):
    module_form = module_form or ModuleForm(formdata=None)
    return render_template(
        "courses/teach_course.html",
        course=course,
        module_form=module_form,
        problems=authoring.publishing_problems(course),
        runs=list(course.runs),
        can_schedule=authoring.can_create_run(_user(), course),
        kinds=KIND_LABELS,
    ), _status(module_form)


@bp.route("/courses/<slug>", endpoint="course")
@roles_required(*INSTRUCTORS)
def outline(slug: str):
    return _outline_page(_editable_course(slug))


def _settings_page(course: Course, form: CourseForm, cover_form: CoverForm):
    return render_template(
        "courses/teach_course_form.html",
        course=course,
        form=form,
        cover_form=cover_form,
        image_mb=_mb("MAX_IMAGE_BYTES"),
    ), _status(form, cover_form)


@bp.route("/courses/<slug>/settings", methods=["GET", "POST"])
@roles_required(*INSTRUCTORS)
def edit_course(slug: str):
    course = _editable_course(slug)
    form = CourseForm(data=_course_data(course))
    form.fill_choices()
    if form.validate_on_submit():
        try:
            authoring.update_course(_user(), course, **_course_values(form), now=utcnow())
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The course's settings are saved."), "success")
            return redirect(url_for("teach.course", slug=course.slug), 303)
    return _settings_page(course, form, CoverForm(formdata=None))


@bp.route("/courses/<slug>/cover", methods=["POST"])
@roles_required(*INSTRUCTORS)
def upload_cover(slug: str):
    course = _editable_course(slug)
    cover_form = CoverForm()
    if cover_form.validate_on_submit():
        try:
            authoring.set_cover(
                _user(),
                course,
                _upload(cover_form.cover.data, "MAX_IMAGE_BYTES"),
                storage=_storage(),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(cover_form, error)
        else:
            enqueue_after_commit(db.session, tasks.process_cover, course.id)
            db.session.commit()
            # Without a broker the task has already run; with one, the worker is on it.
            db.session.refresh(course)
            if course.cover_pending_key:
                flash(_("The image is being prepared; it will appear in a moment."), "success")
            elif course.cover_key:
                flash(_("The cover image is saved."), "success")
            else:
                flash(_("This image could not be processed. Try another file."), "error")
            return redirect(url_for("teach.edit_course", slug=course.slug), 303)
    form = CourseForm(formdata=None, data=_course_data(course))
    form.fill_choices()
    return _settings_page(course, form, cover_form)


@bp.route("/courses/<slug>/cover/remove", methods=["POST"])
@roles_required(*INSTRUCTORS)
def remove_cover(slug: str):
    course = _editable_course(slug)
    _check(ActionForm())
    authoring.remove_cover(_user(), course, now=utcnow())
    db.session.commit()
    flash(_("The cover image is removed."), "success")
    return redirect(url_for("teach.edit_course", slug=course.slug), 303)


@bp.route("/courses/<slug>/publish", methods=["POST"])
@roles_required(*INSTRUCTORS)
def publish(slug: str):
    course = _editable_course(slug)
    form = PublishForm()
    _check(form)
    published = form.publish.data == "1"
    try:
        authoring.set_published(_user(), course, published, now=utcnow())
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        if published:
            flash(_("The course is published: it is in the catalogue."), "success")
        else:
            flash(_("The course is unpublished: only its staff see it."), "success")
    return redirect(url_for("teach.course", slug=course.slug), 303)


# --- modules -------------------------------------------------------------------------------------


def _module_values(form: ModuleForm) -> dict:
    return {
        "title": form.title.data,
        "summary": form.summary.data or "",
        "release_after_days": form.release_after_days.data,
    }


@bp.route("/courses/<slug>/modules", methods=["POST"])
@roles_required(*INSTRUCTORS)
def add_module(slug: str):
    course = _editable_course(slug)
    form = ModuleForm()
    if form.validate_on_submit():
        try:
            module = authoring.add_module(_user(), course, **_module_values(form), now=utcnow())
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The module “%(title)s” is added.", title=module.title), "success")
            return redirect(url_for("teach.course", slug=slug, _anchor=f"module-{module.id}"), 303)
    return _outline_page(course, form)


@bp.route("/courses/<slug>/modules/<int:module_id>", methods=["GET", "POST"])
@roles_required(*INSTRUCTORS)
def edit_module(slug: str, module_id: int):
    course = _editable_course(slug)
    module = _module_of(course, module_id)
    form = ModuleForm(
        data={
            "title": module.title,
            "summary": module.summary,
            "release_after_days": module.release_after_days,
        }
    )
    if form.validate_on_submit():
        try:
            authoring.update_module(_user(), module, **_module_values(form), now=utcnow())
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The module is saved."), "success")
            return redirect(url_for("teach.course", slug=slug, _anchor=f"module-{module.id}"), 303)
    return render_template(
        "courses/teach_module.html", course=course, module=module, form=form
    ), _status(form)


@bp.route("/courses/<slug>/modules/<int:module_id>/move", methods=["POST"])
@roles_required(*INSTRUCTORS)
def move_module(slug: str, module_id: int):
    course = _editable_course(slug)
    module = _module_of(course, module_id)
    form = MoveForm()
    _check(form)
    authoring.move_module(_user(), module, form.direction.data, now=utcnow())
    db.session.commit()
    return redirect(url_for("teach.course", slug=slug, _anchor=f"module-{module.id}"), 303)


@bp.route("/courses/<slug>/modules/<int:module_id>/archive", methods=["POST"])
@roles_required(*INSTRUCTORS)
def archive_module(slug: str, module_id: int):
    course = _editable_course(slug)
    module = _module_of(course, module_id)
    form = ArchiveForm()
    _check(form)
    archived = form.archived.data == "1"
    authoring.archive_module(_user(), module, archived=archived, now=utcnow())
    db.session.commit()
    if archived:
        flash(
            _("The module “%(title)s” is archived: learners no longer see it.", title=module.title),
            "success",
        )
    else:
        flash(_("The module “%(title)s” is restored.", title=module.title), "success")
    return redirect(url_for("teach.course", slug=slug, _anchor=f"module-{module.id}"), 303)


# --- items ---------------------------------------------------------------------------------------


def _item_values(form: ItemForm) -> dict:
    values = {
        "title": form.title.data,
        "body": form.body.data or "",
        "is_optional": form.is_optional.data,
    }
    if "url" in form:
        values["url"] = form.url.data
    return values


@bp.route("/courses/<slug>/modules/<int:module_id>/items/new/<kind>", methods=["GET", "POST"])
@roles_required(*INSTRUCTORS)
def new_item(slug: str, module_id: int, kind: str):
    course = _editable_course(slug)
    module = _module_of(course, module_id)
    if kind not in KIND_LABELS:
        raise NotFound(_("No such kind of item."))
    form = ItemForm().adapt(kind, new=True)
    limit_key = "MAX_VIDEO_BYTES" if kind == ItemKind.VIDEO else "MAX_FILE_BYTES"
    if form.validate_on_submit():
        upload = _upload(form.file.data, limit_key) if "file" in form else None
        try:
            item = authoring.add_item(
                _user(),
                module,
                kind=kind,
                **_item_values(form),
                upload=upload,
                storage=_storage(),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            if kind == ItemKind.VIDEO:
                flash(_("The video is added. Now add its captions."), "success")
            else:
                flash(_("“%(title)s” is added.", title=item.title), "success")
            return redirect(url_for("teach.edit_item", slug=slug, item_id=item.id), 303)
    return render_template(
        "courses/teach_item_new.html",
        course=course,
        module=module,
        kind=kind,
        kind_label=KIND_LABELS[kind],
        form=form,
        limit_mb=_mb(limit_key),
    ), _status(form)


def _item_data(item: Item) -> dict:
    return {
        "title": item.title,
        "body": authoring.editable_markdown(item) or "",
        "url": item.url,
        "is_optional": item.is_optional,
        "module_id": item.module_id,
    }


def _module_choices(course: Course, item: Item) -> list[Module]:
    modules = services.visible_modules(course)
    return modules if item.module in modules else [*modules, item.module]


def _item_page(
    course: Course,
    item: Item,
    *,
    form=None,
    media_form=None,
    caption_form=None,
    attachment_form=None,
):
    if form is None:
        form = ItemForm(formdata=None, data=_item_data(item))
        form.adapt(item.kind, new=False, modules=_module_choices(course, item))
    caption_form = caption_form or CaptionForm(formdata=None, data={"language": course.language})
    media_form = media_form or MediaForm(formdata=None)
    attachment_form = attachment_form or AttachmentForm(formdata=None)
    return render_template(
        "courses/teach_item.html",
        course=course,
        item=item,
        kind_label=KIND_LABELS[item.kind],
        form=form,
        media_form=media_form,
        caption_form=caption_form,
        attachment_form=attachment_form,
        captions=[a for a in item.assets if a.kind == "captions"],
        attachments=[a for a in item.assets if a.kind == "attachment"],
        synced_text=bool(item.body_html) and authoring.editable_markdown(item) is None,
        previewable=not item.is_archived and not item.module.is_archived,
        video_mb=_mb("MAX_VIDEO_BYTES"),
        file_mb=_mb("MAX_FILE_BYTES"),
    ), _status(form, media_form, caption_form, attachment_form)


@bp.route("/courses/<slug>/items/<int:item_id>", methods=["GET", "POST"])
@roles_required(*INSTRUCTORS)
def edit_item(slug: str, item_id: int):
    course = _editable_course(slug)
    item = _item_of(course, item_id)
    modules = _module_choices(course, item)
    form = ItemForm(data=_item_data(item)).adapt(item.kind, new=False, modules=modules)
    if form.validate_on_submit():
        target = next((m for m in modules if m.id == form.module_id.data), item.module)
        try:
            authoring.update_item(_user(), item, **_item_values(form), module=target, now=utcnow())
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("“%(title)s” is saved.", title=item.title), "success")
            return redirect(url_for("teach.edit_item", slug=slug, item_id=item.id), 303)
    return _item_page(course, item, form=form)


@bp.route("/courses/<slug>/items/<int:item_id>/media", methods=["POST"])
@roles_required(*INSTRUCTORS)
def item_media(slug: str, item_id: int):
    course = _editable_course(slug)
    item = _item_of(course, item_id)
    media_form = MediaForm()
    limit_key = "MAX_VIDEO_BYTES" if item.kind == ItemKind.VIDEO else "MAX_FILE_BYTES"
    if media_form.validate_on_submit():
        try:
            authoring.attach_item_media(
                _user(),
                item,
                _upload(media_form.file.data, limit_key),
                storage=_storage(),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(media_form, error)
        else:
            db.session.commit()
            flash(_("The file is replaced."), "success")
            return redirect(url_for("teach.edit_item", slug=slug, item_id=item.id), 303)
    return _item_page(course, item, media_form=media_form)


@bp.route("/courses/<slug>/items/<int:item_id>/captions", methods=["POST"])
@roles_required(*INSTRUCTORS)
def add_caption(slug: str, item_id: int):
    course = _editable_course(slug)
    item = _item_of(course, item_id)
    caption_form = CaptionForm()
    if caption_form.validate_on_submit():
        try:
            authoring.add_caption(
                _user(),
                item,
                _upload(caption_form.file.data, "MAX_FILE_BYTES"),
                language=caption_form.language.data,
                label=caption_form.label.data or "",
                storage=_storage(),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(caption_form, error)
        else:
            db.session.commit()
            flash(_("The captions are added."), "success")
            return redirect(url_for("teach.edit_item", slug=slug, item_id=item.id), 303)
    return _item_page(course, item, caption_form=caption_form)


@bp.route("/courses/<slug>/items/<int:item_id>/attachments", methods=["POST"])
@roles_required(*INSTRUCTORS)
def add_attachment(slug: str, item_id: int):
    course = _editable_course(slug)
    item = _item_of(course, item_id)
    attachment_form = AttachmentForm()
    if attachment_form.validate_on_submit():
        try:
            authoring.add_attachment(
                _user(),
                item,
                _upload(attachment_form.file.data, "MAX_FILE_BYTES"),
                storage=_storage(),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(attachment_form, error)
        else:
            db.session.commit()
            flash(_("The file is attached."), "success")
            return redirect(url_for("teach.edit_item", slug=slug, item_id=item.id), 303)
    return _item_page(course, item, attachment_form=attachment_form)


@bp.route("/courses/<slug>/assets/<int:asset_id>/remove", methods=["POST"])
@roles_required(*INSTRUCTORS)
def remove_asset(slug: str, asset_id: int):
    course = _editable_course(slug)
    asset = db.session.get(ItemAsset, asset_id)
    if asset is None or asset.item.course_id != course.id:
        raise NotFound(_("No such file in this course."))
    item_id = asset.item_id
    _check(ActionForm())
    try:
        authoring.remove_asset(_user(), asset, storage=_storage(), now=utcnow())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The file is removed."), "success")
    return redirect(url_for("teach.edit_item", slug=slug, item_id=item_id), 303)


@bp.route("/courses/<slug>/items/<int:item_id>/move", methods=["POST"])
@roles_required(*INSTRUCTORS)
def move_item(slug: str, item_id: int):
    course = _editable_course(slug)
    item = _item_of(course, item_id)
    form = MoveForm()
    _check(form)
    authoring.move_item(_user(), item, form.direction.data, now=utcnow())
    db.session.commit()
    return redirect(url_for("teach.course", slug=slug, _anchor=f"item-{item.id}"), 303)


@bp.route("/courses/<slug>/items/<int:item_id>/archive", methods=["POST"])
@roles_required(*INSTRUCTORS)
def archive_item(slug: str, item_id: int):
    course = _editable_course(slug)
    item = _item_of(course, item_id)
    form = ArchiveForm()
    _check(form)
    archived = form.archived.data == "1"
    authoring.archive_item(_user(), item, archived=archived, now=utcnow())
    db.session.commit()
    if archived:
        flash(_("“%(title)s” is archived: learners no longer see it.", title=item.title), "success")
    else:
        flash(_("“%(title)s” is restored.", title=item.title), "success")
    return redirect(url_for("teach.course", slug=slug, _anchor=f"item-{item.id}"), 303)


# --- runs ------------------------------------------------------------------------------------------


def _run_values(form: RunForm) -> dict:
    return {
        "title": form.title.data,
        "slug": form.slug.data,
        "timezone": form.timezone.data,
        "starts_local": form.starts_at.data,
        "ends_local": form.ends_at.data,
        "enrolment_opens_local": form.enrolment_opens_at.data,
        "enrolment_closes_local": form.enrolment_closes_at.data,
        "enrolment_mode": form.enrolment_mode.data,
        "capacity": form.capacity.data,
        "is_sequential": form.is_sequential.data,
    }


@bp.route("/courses/<slug>/runs/new", methods=["GET", "POST"])
@roles_required(*RUN_PEOPLE)
def new_run(slug: str):
    course = services.get_course(slug, viewer=current_user)
    user = _user()
    if not authoring.can_create_run(user, course):
        raise Forbidden(
            _("Only the course's instructors, coordinators and administrators schedule runs.")
        )
    form = RunForm(data={"timezone": user.timezone or "UTC"})
    form.fill_choices()
    del form.new_code
    if form.validate_on_submit():
        try:
            run = authoring.create_run(user, course, **_run_values(form), now=utcnow())
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The run “%(title)s” is scheduled.", title=run.title), "success")
            return redirect(url_for("teach.edit_run", slug=course.slug, run_id=run.id), 303)
    return render_template(
        "courses/teach_run.html",
        course=course,
        run=None,
        form=form,
        can_edit_course=services.can_edit_course(user, course),
    ), _status(form)


def _run_data(run: CourseRun) -> dict:
    zone = run.timezone
    return {
        "title": run.title,
        "slug": run.slug,
        "timezone": zone,
        "starts_at": authoring.utc_to_local(run.starts_at, zone),
        "ends_at": authoring.utc_to_local(run.ends_at, zone),
        "enrolment_opens_at": authoring.utc_to_local(run.enrolment_opens_at, zone),
        "enrolment_closes_at": authoring.utc_to_local(run.enrolment_closes_at, zone),
        "enrolment_mode": run.enrolment_mode,
        "capacity": run.capacity,
        "is_sequential": run.is_sequential,
    }


def _release_data(run: CourseRun) -> dict:
    return {
        f"module_{release.module_id}": authoring.utc_to_local(release.releases_at, run.timezone)
        for release in run.module_releases
    }


def _run_page(course: Course, run: CourseRun, *, form=None, releases=None, staff_form=None):
    modules = services.visible_modules(course)
    if form is None:
        form = RunForm(formdata=None, data=_run_data(run))
        form.fill_choices()
    releases = releases or release_form(modules, data=_release_data(run))
    staff_form = staff_form or StaffForm(formdata=None)
    defaults = {
        m.id: authoring.utc_to_local(
            run.starts_at + timedelta(days=m.release_after_days), run.timezone
        )
        for m in modules
        if m.release_after_days
    }
    return render_template(
        "courses/teach_run.html",
        course=course,
        run=run,
        form=form,
        releases=releases,
        modules=modules,
        release_defaults=defaults,
        staff_form=staff_form,
        staff=authoring.run_staff(run),
        role_labels=RUN_ROLE_LABELS,
        can_edit_course=services.can_edit_course(current_user, course),
        is_staff=services.is_run_staff(current_user, run),
    ), _status(form, releases, staff_form)


@bp.route("/courses/<slug>/runs/<int:run_id>", methods=["GET", "POST"])
@roles_required(*RUN_PEOPLE)
def edit_run(slug: str, run_id: int):
    course, run = _managed_run(slug, run_id)
    form = RunForm(data=_run_data(run))
    form.fill_choices()
    if form.validate_on_submit():
        try:
            authoring.update_run(
                _user(), run, **_run_values(form), new_code=form.new_code.data, now=utcnow()
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The run is saved."), "success")
            return redirect(url_for("teach.edit_run", slug=course.slug, run_id=run.id), 303)
    return _run_page(course, run, form=form)


@bp.route("/courses/<slug>/runs/<int:run_id>/releases", methods=["POST"])
@roles_required(*RUN_PEOPLE)
def run_releases(slug: str, run_id: int):
    course, run = _managed_run(slug, run_id)
    modules = services.visible_modules(course)
    releases = release_form(modules, formdata=request.form)
    if releases.validate():
        try:
            authoring.set_release_dates(
                _user(),
                run,
                {m.id: releases[f"module_{m.id}"].data for m in modules},
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(releases, error)
        else:
            db.session.commit()
            flash(_("The release dates are saved."), "success")
            return redirect(
                url_for("teach.edit_run", slug=course.slug, run_id=run.id, _anchor="releases"), 303
            )
    return _run_page(course, run, releases=releases)


@bp.route("/courses/<slug>/runs/<int:run_id>/staff", methods=["POST"])
@roles_required(*RUN_PEOPLE)
def add_run_staff(slug: str, run_id: int):
    course, run = _managed_run(slug, run_id)
    staff_form = StaffForm()
    if staff_form.validate_on_submit():
        try:
            entry = authoring.add_staff(
                _user(), run, staff_form.email.data, staff_form.role.data, now=utcnow()
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(staff_form, error)
        else:
            db.session.commit()
            flash(
                _(
                    "%(name)s is now %(role)s of this run.",
                    name=entry.user.display_name,
                    role=RUN_ROLE_LABELS[entry.role],
                ),
                "success",
            )
            return redirect(
                url_for("teach.edit_run", slug=course.slug, run_id=run.id, _anchor="staff"), 303
            )
    return _run_page(course, run, staff_form=staff_form)


@bp.route("/courses/<slug>/runs/<int:run_id>/staff/remove", methods=["POST"])
@roles_required(*RUN_PEOPLE)
def remove_run_staff(slug: str, run_id: int):
    course, run = _managed_run(slug, run_id)
    form = RemoveStaffForm()
    _check(form)
    if not form.user_id.data.isdigit():
        abort(400)
    authoring.remove_staff(_user(), run, int(form.user_id.data), form.role.data, now=utcnow())
    db.session.commit()
    flash(_("The person is removed from the run's staff."), "success")
    if not authoring.can_manage_run(current_user, run):
        return redirect(url_for("teach.index"), 303)
    return redirect(
        url_for("teach.edit_run", slug=course.slug, run_id=run.id, _anchor="staff"), 303
    )


# --- public -----------------------------------------------------------------------------------------


@public.route("/courses/<slug>/cover/thumb")
def cover_thumb(slug: str):
    viewer = current_user._get_current_object() if current_user.is_authenticated else None
    course = authoring.course_for_cover(slug, viewer=viewer)
    key = course.cover_thumb_key or course.cover_key
    if not key:
        abort(404)
    media_type = "image/" + key.rsplit(".", 1)[-1].replace("jpg", "jpeg")
    return send_stored(key, media_type, public=course.is_published)
