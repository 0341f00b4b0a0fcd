"""Quiz pages for learners (take, save as you go, submit, review), the answer-saving API,
and the instructors' pages (bank, GIFT import/export, quiz settings, results, grading)."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import to_user_timezone
from flask_login import current_user, login_required
from markupsafe import Markup

from learning.core.auth import roles_required
from learning.core.db import utcnow
from learning.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from learning.core.jobs import enqueue_after_commit
from learning.courses import services as courses
from learning.courses.views import ITEM_PAGE_ENDPOINTS
from learning.extensions import db
from learning.quizzes import gift, services, tasks
from learning.quizzes.cli import quizzes_cli
from learning.quizzes.forms import (
    GiftImportForm,
    GradeForm,
    QuestionForm,
    QuizSettingsForm,
    SimpleForm,
)
from learning.quizzes.grading import REGISTRY
from learning.quizzes.models import AttemptAnswer, AttemptState
from learning.quizzes.questions import Question as QuestionData
from learning.quizzes.questions import render_question_text, render_text

bp = Blueprint("quizzes", __name__, template_folder="templates")
teach = Blueprint("quizzes_teach", __name__, url_prefix="/teach", template_folder="templates")
api = Blueprint("quizzes_api", __name__, url_prefix="/api/v1")
ITEM_PAGE_ENDPOINTS["quiz"] = "quizzes.quiz"


def _quiz_item(slug: str, item_id: int):
    item = courses.get_item(item_id)
    if item.module.course.slug != slug or item.kind != "quiz":
        raise NotFound(_("No such quiz."))
    return item


# --- learners ---------------------------------------------------------------------------------


@bp.route("/courses/<slug>/quizzes/<int:item_id>")
@login_required
def quiz(slug: str, item_id: int):
    item = _quiz_item(slug, item_id)
    now = utcnow()
    access = courses.item_access(current_user, item, now=now)
    quiz = services.quiz_for_item(item)
    course = item.module.course
    attempts, grade, window = [], None, None
    if access.enrolment is not None:
        courses.open_item(access.enrolment, item, now=now)
        attempts = services.attempts_of(quiz, access.enrolment)
        for attempt in attempts:
            services.finish_if_overdue(attempt, now=now)
        db.session.commit()
        grade = services.quiz_grade(quiz, attempts)
        window = services.window(quiz, access.enrolment.run_id)
    in_progress = next((a for a in attempts if a.is_open), None)
    used = len(attempts)
    can_start = (
        access.enrolment is not None
        and in_progress is None
        and (quiz.attempts_allowed is None or used < quiz.attempts_allowed)
        and services.is_open_now(quiz, access.enrolment, now)
    )
    return render_template(
        "quizzes/quiz.html",
        course=course,
        item=item,
        quiz=quiz,
        access=access,
        attempts=attempts,
        in_progress=in_progress,
        grade=grade,
        window=window,
        can_start=can_start,
        questions=services.max_questions(quiz),
        form=SimpleForm(),
        can_manage=services.can_manage_quizzes(current_user, course),
        now=now,
    )


@bp.route("/courses/<slug>/quizzes/<int:item_id>/start", methods=["POST"])
@login_required
def start(slug: str, item_id: int):
    item = _quiz_item(slug, item_id)
    now = utcnow()
    access = courses.item_access(current_user, item, now=now)
    if access.enrolment is None:
        raise Forbidden(_("Enrol in this course to take its quizzes."))
    if not SimpleForm().validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("quizzes.quiz", slug=slug, item_id=item_id), 303)
    try:
        attempt = services.start_attempt(access.enrolment, services.quiz_for_item(item), now=now)
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("quizzes.quiz", slug=slug, item_id=item_id), 303)
    db.session.commit()
    return redirect(url_for("quizzes.attempt", attempt_id=attempt.id), 303)


def _own_attempt(attempt_id: int):
    attempt = services.get_attempt(attempt_id)
    enrolment = services.attempt_owner_check(current_user, attempt)
    return attempt, enrolment


def _raw_response(form, slot: int, data):
    """What the form holds for one question, in the shape the question type expects."""
    name = f"q{slot}"
    if data.type == "multiple":
        return form.getlist(name)
    if data.type == "matching":
        from learning.quizzes.grading.matching import pairs

        return {
            answer.text: form.get(f"{name}-{index}", "")
            for index, answer in enumerate(pairs(data))
            if f"{name}-{index}" in form
        }
    return form.get(name)


@bp.route("/attempts/<int:attempt_id>", methods=["GET", "POST"])
@login_required
def attempt(attempt_id: int):
    attempt, _enrolment = _own_attempt(attempt_id)
    now = utcnow()
    if services.finish_if_overdue(attempt, now=now):
        db.session.commit()
        flash(_("Time was up: your attempt was submitted with the answers you had saved."), "info")
    if not attempt.is_open:
        return redirect(url_for("quizzes.review", attempt_id=attempt.id))
    errors: dict[int, str] = {}
    status = 200
    if request.method == "POST":
        if not SimpleForm().validate_on_submit():
            raise Conflict(_("Your form expired. Reload the page: your saved answers are kept."))
        questions = services.attempt_questions(attempt, reveal=False)
        try:
            for shown in questions:
                if shown.data.type == "description":
                    continue
                raw = _raw_response(request.form, shown.slot, shown.data)
                try:
                    services.save_answer(attempt, shown.slot, raw, now=now)
                except ValidationError as error:
                    errors[shown.slot] = error.message
        except Conflict as error:
            db.session.rollback()
            services.finish_if_overdue(attempt, now=now)
            db.session.commit()
            flash(error.message, "error")
            return redirect(url_for("quizzes.review", attempt_id=attempt.id), 303)
        if errors:
            # Keep everything that could be saved; show what could not.
            db.session.commit()
            status = 422
        elif "submit" in request.form:
            services.submit_attempt(attempt, now=now)
            db.session.commit()
            return redirect(url_for("quizzes.review", attempt_id=attempt.id), 303)
        else:
            db.session.commit()
            flash(_("Your answers are saved."), "success")
            return redirect(url_for("quizzes.attempt", attempt_id=attempt.id), 303)
    quiz = attempt.quiz
    item = courses.get_item(quiz.item_id)
    return render_template(
        "quizzes/attempt.html",
        attempt=attempt,
        quiz=quiz,
        item=item,
        course=item.module.course,
        questions=services.attempt_questions(attempt, reveal=False),
        errors=errors,
        form=SimpleForm(),
        registry=REGISTRY,
        render_question_text=render_question_text,
    ), status


@bp.route("/attempts/<int:attempt_id>/review")
@login_required
def review(attempt_id: int):
    attempt = services.get_attempt(attempt_id)
    staff = services.staff_may_view_attempt(current_user, attempt)
    if not staff:
        services.attempt_owner_check(current_user, attempt)
    if attempt.is_open and not staff:
        return redirect(url_for("quizzes.attempt", attempt_id=attempt.id))
    quiz = attempt.quiz
    item = courses.get_item(quiz.item_id)
    reveal = services.may_see_answers(quiz, attempt, now=utcnow()) or staff
    return render_template(
        "quizzes/review.html",
        attempt=attempt,
        quiz=quiz,
        item=item,
        course=item.module.course,
        questions=services.attempt_questions(attempt, reveal=reveal),
        reveal=reveal,
        render_question_text=render_question_text,
        render_text=render_text,
    )


@api.route("/attempts/<int:attempt_id>/answers/<int:slot>", methods=["POST"])
def save_answer(attempt_id: int, slot: int):
    if not current_user.is_authenticated:
        return jsonify({"error": {"code": "unauthorized", "message": _("Please sign in.")}}), 401
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or "response" not in payload:
        return jsonify(
            {"error": {"code": "bad_request", "message": _('Send {"response": ...}.')}}
        ), 400
    attempt, _enrolment = _own_attempt(attempt_id)
    now = utcnow()
    try:
        answer = services.save_answer(attempt, slot, payload["response"], now=now)
    except Conflict:
        db.session.rollback()
        if services.finish_if_overdue(attempt, now=now):
            db.session.commit()
        raise
    except DomainError:
        db.session.rollback()
        raise
    db.session.commit()
    return jsonify({"saved_at": answer.saved_at.isoformat(), "slot": slot})


# --- instructors: bank ---------------------------------------------------------------------------


def _managed_course(slug: str):
    course = courses.get_course(slug, viewer=current_user)
    services.require_manager(current_user, course)
    return course


@teach.route("/courses/<slug>/bank", methods=["GET"])
@roles_required("instructor", "coordinator")
def bank(slug: str, import_form=None, problems=None, status=200):
    course = _managed_course(slug)
    category_id = request.args.get("category", type=int)
    return render_template(
        "quizzes/bank.html",
        course=course,
        categories=services.categories(course),
        questions=services.bank(course, category_id=category_id),
        category_id=category_id,
        import_form=import_form or GiftImportForm(),
        delete_form=SimpleForm(),
        problems=problems,
        labels={name: qtype.label for name, qtype in REGISTRY.items()},
    ), status


@teach.route("/courses/<slug>/bank/import", methods=["POST"])
@roles_required("instructor", "coordinator")
def import_questions(slug: str):
    course = _managed_course(slug)
    form = GiftImportForm()
    if not form.validate_on_submit():
        return bank(slug, import_form=form, status=422)
    text = form.text.data or ""
    if form.file.data:
        raw = form.file.data.read(form.MAX_BYTES + 1)
        if len(raw) > form.MAX_BYTES:
            form.file.errors.append(_("The file is larger than 2 MB."))
            return bank(slug, import_form=form, status=422)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append(_("The file must be UTF-8 text."))
            return bank(slug, import_form=form, status=422)
    if not text.strip():
        form.text.errors.append(_("Paste questions in GIFT format or choose a file."))
        return bank(slug, import_form=form, status=422)
    try:
        report = services.import_gift(
            current_user, course, text, category_path=form.category.data or None, now=utcnow()
        )
    except gift.GiftError as error:
        db.session.rollback()
        return bank(slug, import_form=form, problems=error.problems, status=422)
    db.session.commit()
    flash(_("%(num)d question(s) imported.", num=report.added), "success")
    return redirect(url_for("quizzes_teach.bank", slug=slug), 303)


@teach.route("/courses/<slug>/bank/export")
@roles_required("instructor", "coordinator")
def export_questions(slug: str):
    course = _managed_course(slug)
    text = services.export_gift(course, category_id=request.args.get("category", type=int))
    return Response(
        text,
        mimetype="text/plain",
        headers={"Content-Disposition": f'attachment; filename="{course.slug}-questions.gift"'},
    )


@teach.route("/courses/<slug>/bank/new", methods=["GET", "POST"], defaults={"question_id": None})
@teach.route("/courses/<slug>/bank/<int:question_id>", methods=["GET", "POST"])
@roles_required("instructor", "coordinator")
def question(slug: str, question_id: int | None):
    course = _managed_course(slug)
    existing = services.get_question(course, question_id) if question_id else None
    form = QuestionForm()
    preview = None
    if request.method == "GET" and existing is not None:
        form.gift.data = gift.write_question(services.question_data(existing.current))
        form.category.data = existing.category.path
    status = 200
    if form.validate_on_submit():
        try:
            parsed = gift.parse_gift(form.gift.data)
        except gift.GiftError as error:
            form.gift.errors.extend(
                _("Line %(line)d: %(message)s", line=p.line, message=p.message)
                for p in error.problems
            )
            parsed = []
        if len(parsed) > 1:
            form.gift.errors.append(
                _("Write one question here; import several from the bank page.")
            )
        elif parsed:
            data = parsed[0]
            try:
                services.check_question(data)
            except ValidationError as error:
                form.gift.errors.append(error.message)
            else:
                preview = data
                if "save" in request.form:
                    now = utcnow()
                    if existing is None:
                        services.add_question(
                            current_user,
                            course,
                            data,
                            category_path=form.category.data or None,
                            now=now,
                        )
                    else:
                        services.edit_question(
                            current_user,
                            existing,
                            replace(data, category=form.category.data or existing.category.path),
                            now=now,
                        )
                    db.session.commit()
                    flash(_("Question saved."), "success")
                    return redirect(url_for("quizzes_teach.bank", slug=slug), 303)
        if form.gift.errors:
            status = 422
    elif request.method == "POST":
        status = 422
    return render_template(
        "quizzes/question_form.html",
        course=course,
        question=existing,
        form=form,
        preview=preview,
        render_question_text=render_question_text,
        render_text=render_text,
    ), status


@teach.route("/courses/<slug>/bank/<int:question_id>/delete", methods=["POST"])
@roles_required("instructor", "coordinator")
def delete_question(slug: str, question_id: int):
    course = _managed_course(slug)
    question = services.get_question(course, question_id)
    if SimpleForm().validate_on_submit():
        services.delete_question(question, now=utcnow())
        db.session.commit()
        flash(_("Question removed from the bank. Past attempts keep it."), "success")
    return redirect(url_for("quizzes_teach.bank", slug=slug), 303)


# --- instructors: quiz settings, results, grading --------------------------------------------------


@teach.route("/courses/<slug>/quizzes/<int:item_id>", methods=["GET", "POST"])
@roles_required("instructor", "coordinator")
def settings(slug: str, item_id: int):
    course = _managed_course(slug)
    item = _quiz_item(slug, item_id)
    now = utcnow()
    quiz = services.ensure_quiz(item, now=now)
    db.session.commit()
    form = QuizSettingsForm(obj=None)
    questions = services.bank(course)
    cats = services.categories(course)
    form.fill(quiz, questions, cats, course.runs, request.method == "GET")
    status = 200
    if form.validate_on_submit():
        try:
            services.configure_quiz(quiz, now=now, **form.settings())
            services.set_slots(quiz, form.slots())
            for run in course.runs:
                opens, closes = form.window(run)
                services.set_window(quiz, run, opens, closes)
        except ValidationError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = 422
        else:
            db.session.commit()
            flash(_("Quiz settings saved."), "success")
            return redirect(url_for("quizzes_teach.settings", slug=slug, item_id=item_id), 303)
    elif request.method == "POST":
        status = 422
    return render_template(
        "quizzes/settings.html",
        course=course,
        item=item,
        quiz=quiz,
        form=form,
        questions=questions,
        categories=cats,
        labels={n: t.label for n, t in REGISTRY.items()},
    ), status


@teach.route("/courses/<slug>/quizzes/<int:item_id>/results")
@roles_required("instructor", "coordinator")
def results(slug: str, item_id: int):
    course = _managed_course(slug)
    item = _quiz_item(slug, item_id)
    quiz = services.quiz_for_item(item)
    report = services.quiz_results(quiz)
    if request.args.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["learner", "email", "attempt", "submitted_at", "score_percent", "passed"])
        for attempt, user in report.rows:
            writer.writerow(
                [
                    user.display_name,
                    user.email,
                    attempt.number,
                    attempt.submitted_at.isoformat() if attempt.submitted_at else "",
                    f"{(attempt.score or 0) * 100:.1f}",
                    "yes" if attempt.is_passed else "no",
                ]
            )
        return Response(
            out.getvalue(),
            mimetype="text/csv",
            headers={
                "Content-Disposition": f'attachment; filename="{course.slug}-{item.key}-results.csv"'
            },
        )
    return render_template(
        "quizzes/results.html", course=course, item=item, quiz=quiz, report=report
    )


@teach.route("/grading")
@roles_required("instructor", "coordinator")
def grading():
    return render_template(
        "quizzes/grading.html",
        queue=services.grading_queue(current_user),
        form=GradeForm(),
        render_question_text=render_question_text,
    )


@teach.route("/grading/<int:answer_id>", methods=["POST"])
@roles_required("instructor", "coordinator")
def grade(answer_id: int):
    answer = db.session.get(AttemptAnswer, answer_id)
    if answer is None:
        raise NotFound(_("No such answer."))
    attempt = services.get_attempt(answer.attempt_id)
    if not services.staff_may_view_attempt(current_user, attempt):
        raise Forbidden(_("Only this course's instructors grade its essays."))
    form = GradeForm()
    if not form.validate_on_submit():
        flash(_("Give a mark between 0 and 100."), "error")
        return redirect(url_for("quizzes_teach.grading"), 303)
    attempt = services.grade_answer(
        current_user, answer, float(form.percent.data) / 100, form.comment.data or "", now=utcnow()
    )
    if attempt.state == AttemptState.GRADED:
        enqueue_after_commit(db.session, tasks.send_attempt_graded_email, attempt.id)
    db.session.commit()
    flash(_("Grade saved."), "success")
    return redirect(url_for("quizzes_teach.grading"), 303)


@bp.app_template_filter("render_answer")
def render_answer_filter(text: str, text_format: str):
    """An answer's text as safe inline HTML (no surrounding paragraph)."""
    html = render_text(text, text_format).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return Markup(html)  # noqa: S704 - render_text sanitises with nh3


@bp.app_template_filter("describe_response")
def describe_response(response, question) -> str:
    """A right answer written out for people."""
    return services.response_label(question, response)


@bp.app_template_filter("as_shown")
def as_shown(question):
    """A question alone (a preview), shaped like a question of an attempt."""
    return services.ShownQuestion(0, 1, question, list(range(len(question.answers))), None, None)


@bp.app_template_filter("as_question")
def as_question(data: dict):
    return QuestionData.from_dict(data)


@bp.app_template_filter("local_input")
def local_input(value) -> str:
    """A UTC datetime as the value of a datetime-local input, in the viewer's zone."""
    return to_user_timezone(value).strftime("%Y-%m-%dT%H:%M")


def register(app) -> None:
    """Register the blueprints and the content kind (called by create_app)."""
    from learning.quizzes import content  # noqa: F401 - registers the 'quiz' content kind

    app.register_blueprint(bp)
    app.register_blueprint(teach)
    app.register_blueprint(api)
    app.cli.add_command(quizzes_cli)
