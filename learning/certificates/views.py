"""Certificate pages: the learner's certificates and downloads, public verification (page,
code, PNG upload, pasted JWT, JSON for machines), the issuer's public documents (profile,
keys, status list), and the coordinators' issue-by-hand and revoke pages."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates as babel_dates
from babel.numbers import format_decimal
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning.certificates import render, services, settings
from learning.certificates.cli import certificates_cli
from learning.certificates.forms import (
    MAX_PNG_BYTES,
    CheckForm,
    CodeForm,
    IssueForm,
    ReasonForm,
    RulesForm,
)
from learning.core.db import begin_write, utcnow
from learning.core.errors import DomainError, Forbidden, NotFound, wants_json
from learning.core.forms import show_error
from learning.courses import services as courses
from learning.courses.models import CourseRun, Enrolment
from learning.extensions import csrf, db, limiter

bp = Blueprint("certificates", __name__, template_folder="templates")
api = Blueprint("certificates_api", __name__, url_prefix="/api/v1")

JSON_LD = "application/ld+json"
PUBLIC_MAX_AGE = 300  # issuer documents and the status list: short caching


def _verify_limit() -> str:
    return current_app.config["CERT_VERIFY_RATE_LIMIT"]


def _page_limit() -> str:
    return current_app.config["CERT_PAGE_RATE_LIMIT"]


def _no_lookup() -> bool:
    """GET /verify without a code is only the form: no limit on showing it."""
    return request.method == "GET" and not request.args.get("code")


def _certificate_or_404(uuid: str):
    certificate = services.get_by_uuid(uuid)
    if certificate is None:
        raise NotFound(_("No such certificate."))
    return certificate


def _own_certificate(uuid: str):
    certificate = _certificate_or_404(uuid)
    services.owner_or_staff(current_user, certificate)
    return certificate


def _public(response: Response, max_age: int = PUBLIC_MAX_AGE) -> Response:
    response.headers["Cache-Control"] = f"public, max-age={max_age}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# --- learners -----------------------------------------------------------------------------------


@bp.route("/certificates")
@login_required
def mine():
    standings = services.learner_standings(current_user, now=utcnow())
    managed = services.managed_runs(current_user)
    return render_template("certificates/mine.html", standings=standings, managed=managed)


@bp.route("/certificates/<uuid>")
@login_required
def detail(uuid: str):
    certificate = _own_certificate(uuid)
    verification = services.verification_of(certificate, now=utcnow())
    issuer = settings.current()
    return render_template(
        "certificates/detail.html",
        certificate=certificate,
        verification=verification,
        share_url=issuer.verify_url(certificate.uuid),
        may_manage=services.may_manage(current_user, certificate.run),
        revoke_form=ReasonForm(),
    )


def _download(
    body: str | bytes, mimetype: str, filename: str, cache: str = "private, no-store"
) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = cache
    return response


# Rendering costs tens of milliseconds: the holder's browser keeps its copy for an hour.
PRINTABLE_CACHE = "private, max-age=3600"


@bp.route("/certificates/<uuid>.jwt")
@login_required
def download_jwt(uuid: str):
    certificate = _own_certificate(uuid)
    return _download(certificate.jwt, "application/jwt", f"certificate-{certificate.code}.jwt")


@bp.route("/certificates/<uuid>.json")
@login_required
def download_json(uuid: str):
    certificate = _own_certificate(uuid)
    body = json.dumps(certificate.credential, ensure_ascii=False, indent=2)
    return _download(body, JSON_LD, f"certificate-{certificate.code}.json")


def _printable(certificate) -> render.CertificateView:
    """What the printed certificate says, in the holder's language and time zone."""
    user, course = certificate.user, certificate.course
    locale = user.locale if user.locale in current_app.config["LANGUAGES"] else "en"
    try:
        zone = ZoneInfo(user.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    course_settings = services.course_settings(course)
    issuer = settings.current()
    signatory = (course_settings.signatory if course_settings else "") or issuer.signatory
    name, _comma, title = signatory.partition(",")
    with force_locale(locale):
        labels = render.CertificateLabels(
            title=_("Certificate of completion"),
            certifies=_("This certifies that"),
            completed=_("has completed the course"),
            programme=_("Programme"),
            hours=_("Hours"),
            issued=_("Issued"),
            code=_("Certificate code"),
            verify=_("Verify at"),
        )
    return render.CertificateView(
        holder_name=certificate.holder_name,
        course_title=course.title,
        issuer_name=issuer.issuer_name,
        issued_on=babel_dates.format_date(
            certificate.valid_from.astimezone(zone).date(), "long", locale=locale
        ),
        code=certificate.code,
        verification_url=issuer.verify_url(certificate.uuid),
        labels=labels,
        programme=course.programme or "",
        hours=format_decimal(course.estimated_hours, locale=locale)
        if course.estimated_hours
        else "",
        signatory_name=name.strip(),
        signatory_title=title.strip(),
        language=locale,
        issued_at=certificate.issued_at,
    )


@bp.route("/certificates/<uuid>.png")
@login_required
def download_png(uuid: str):
    certificate = _own_certificate(uuid)
    image = render.render_png(_printable(certificate), credential_jwt=certificate.jwt)
    return _download(image, "image/png", f"certificate-{certificate.code}.png", PRINTABLE_CACHE)


@bp.route("/certificates/<uuid>.pdf")
@login_required
def download_pdf(uuid: str):
    certificate = _own_certificate(uuid)
    return _download(
        render.render_pdf(_printable(certificate)),
        "application/pdf",
        f"certificate-{certificate.code}.pdf",
        PRINTABLE_CACHE,
    )


# --- public verification ----------------------------------------------------------------------


def _verdict_response(verification: services.Verification, *, status: int = 200):
    if wants_json():
        return jsonify(verification.as_json()), status
    issuer = settings.current()
    return (
        render_template(
            "certificates/verify_result.html",
            verification=verification,
            jwks_url=issuer.jwks_url,
            issuer=issuer,
        ),
        status,
    )


@bp.route("/verify/<uuid>")
@limiter.limit(_page_limit)
def verify_page(uuid: str):
    certificate = services.get_by_uuid(uuid)
    verification = services.verification_of(certificate, now=utcnow())
    return _verdict_response(verification, status=404 if certificate is None else 200)


@bp.route("/verify", methods=["GET", "POST"])
@limiter.limit(_verify_limit, exempt_when=_no_lookup)
def verify():
    code_form = CodeForm(request.args)
    check_form = CheckForm()
    if request.method == "GET" and request.args.get("code"):
        if code_form.validate():
            certificate = services.get_by_code(code_form.code.data)
            if certificate is not None:
                if wants_json():
                    return jsonify(services.verification_of(certificate, now=utcnow()).as_json())
                return redirect(url_for("certificates.verify_page", uuid=certificate.uuid), 303)
        if wants_json():
            return jsonify(services.Verification(services.UNKNOWN).as_json()), 404
        code_form.code.errors = [
            *code_form.code.errors,
            _("No certificate has this code. Check it and try again."),
        ]
        return render_template(
            "certificates/verify.html", code_form=code_form, check_form=check_form
        ), 404
    if request.method == "POST" and check_form.validate_on_submit():
        token = _token_from(check_form)
        if token is not None:
            return _verdict_response(services.verify_token(token, settings.current(), now=utcnow()))
    elif request.method == "GET":
        code_form = CodeForm(formdata=None)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "certificates/verify.html", code_form=code_form, check_form=check_form
    ), status


def _token_from(form: CheckForm) -> str | None:
    """The JWT pasted, or the one baked into the uploaded PNG; None (errors on the form)."""
    upload = form.file.data
    if upload and getattr(upload, "filename", ""):
        data = upload.stream.read(MAX_PNG_BYTES + 1)
        if len(data) > MAX_PNG_BYTES:
            form.file.errors = [*form.file.errors, _("The image is larger than 10 MB.")]
            return None
        token = _unbake(data)
        if token is None:
            form.file.errors = [
                *form.file.errors,
                _("This image holds no signed credential: it is not a certificate of ours."),
            ]
        return token
    token = (form.token.data or "").strip()
    if not token:
        form.form_errors.append(_("Upload a certificate image or paste a signed credential."))
        return None
    return token


def _unbake(data: bytes) -> str | None:
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    try:
        return render.unbake_png(data)
    except ValueError:  # a forged or broken image is an answer, not an error
        return None


@api.route("/certificates/<uuid>")
@limiter.limit(_page_limit)
def api_certificate(uuid: str):
    certificate = services.get_by_uuid(uuid)
    verification = services.verification_of(certificate, now=utcnow())
    return jsonify(verification.as_json()), 404 if certificate is None else 200


@api.route("/certificates/verify", methods=["POST"])
@csrf.exempt  # changes nothing and takes no cookie-authenticated action
@limiter.limit(_verify_limit)
def api_verify():
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not (
        isinstance(payload.get("jwt"), str) or isinstance(payload.get("code"), str)
    ):
        message = _('Send a JSON object with "jwt" (a signed credential) or "code".')
        return jsonify({"error": {"code": "bad_request", "message": message}}), 400
    if isinstance(payload.get("jwt"), str):
        verification = services.verify_token(payload["jwt"], settings.current(), now=utcnow())
        return jsonify(verification.as_json())
    certificate = services.get_by_code(payload["code"])
    verification = services.verification_of(certificate, now=utcnow())
    return jsonify(verification.as_json()), 404 if certificate is None else 200


# --- the issuer's public documents ------------------------------------------------------------


@bp.route("/certificates/issuer")
def issuer_profile():
    issuer = settings.current()
    profile = {"@context": [services.vc.VC2_CONTEXT, services.vc.OB3_CONTEXT]}
    profile.update(issuer.issuer.profile())
    return _public(Response(json.dumps(profile), mimetype=JSON_LD))


@bp.route("/.well-known/jwks.json")
def jwks():
    return _public(jsonify(services.jwks(settings.current())))


@bp.route("/certificates/keys/<kid>")
def key(kid: str):
    record = services.find_key(kid)
    if record is None:
        raise NotFound(_("No such key."))
    response = Response(
        json.dumps(services.jwk_of(record, settings.current())), mimetype="application/jwk+json"
    )
    return _public(response, max_age=86400)


@bp.route("/certificates/status/<int:number>")
def status_list(number: int):
    issuer = settings.current()
    token = services.status_list_token(number, issuer, now=utcnow())
    db.session.commit()  # a key seen for the first time is recorded
    return _public(Response(token, mimetype="application/vc+jwt"))


# --- coordinators -----------------------------------------------------------------------------


def _managed_run(run_id: int) -> CourseRun:
    run = courses.find_run(run_id)
    if not services.may_manage(current_user, run):
        raise Forbidden(_("Only the run's coordinators manage its certificates."))
    return run


@bp.route("/certificates/runs/<int:run_id>")
@login_required
def run_page(run_id: int):
    run = _managed_run(run_id)
    standings = services.run_standings(run, now=utcnow())
    return render_template(
        "certificates/run.html",
        run=run,
        standings=standings,
        issue_form=IssueForm(),
        revoke_form=ReasonForm(),
    )


@bp.route("/certificates/runs/<int:run_id>/issue", methods=["POST"])
@login_required
def issue(run_id: int):
    begin_write(db.session)
    run = _managed_run(run_id)
    form = IssueForm()
    if form.validate_on_submit():
        enrolment = db.session.get(Enrolment, form.enrolment_id.data)
        if enrolment is None or enrolment.run_id != run.id:
            raise NotFound(_("No such learner in this run."))
        try:
            certificate = services.issue_manually(
                current_user, enrolment, form.reason.data, settings.current(), now=utcnow()
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Certificate issued to %(name)s.", name=certificate.holder_name), "success")
            return redirect(url_for("certificates.run_page", run_id=run.id), 303)
    standings = services.run_standings(run, now=utcnow())
    return render_template(
        "certificates/run.html",
        run=run,
        standings=standings,
        issue_form=form,
        revoke_form=ReasonForm(formdata=None),
        failed_enrolment=form.enrolment_id.data,
    ), 422


@bp.route("/certificates/<uuid>/revoke", methods=["POST"])
@login_required
def revoke(uuid: str):
    begin_write(db.session)
    certificate = _certificate_or_404(uuid)
    run = _managed_run(certificate.run_id)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.revoke(current_user, certificate, form.reason.data, now=utcnow())
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Certificate revoked."), "success")
            return redirect(url_for("certificates.run_page", run_id=run.id), 303)
    verification = services.verification_of(certificate, now=utcnow())
    return render_template(
        "certificates/detail.html",
        certificate=certificate,
        verification=verification,
        share_url=settings.current().verify_url(certificate.uuid),
        may_manage=True,
        revoke_form=form,
    ), 422


# --- instructors: completion rules -----------------------------------------------------------


def _optional_domains() -> dict[str, bool]:
    """Rules that need a domain this installation may not have (live sessions, plans)."""
    return {
        "live_sessions": importlib.util.find_spec("learning.live") is not None,
        "action_plan": importlib.util.find_spec("learning.plans") is not None,
    }


@bp.route("/teach/courses/<slug>/certificate", methods=["GET", "POST"])
@login_required
def course_rules(slug: str):
    course = courses.get_course(slug, viewer=current_user)
    if not courses.can_edit_course(current_user, course):
        raise Forbidden(_("Only this course's instructors and administrators may change it."))
    available = _optional_domains()
    current = services.course_settings(course)
    rules = services.rules_of(course)
    quiz_items = services.quiz_items(course)
    form = RulesForm(
        data={
            "items": rules.get("items") == "all",
            "quizzes": rules.get("quizzes_passed") or [],
            "not_before": date.fromisoformat(rules["not_before"])
            if "not_before" in rules
            else None,
            "live_sessions": rules.get("live_sessions"),
            "action_plan": rules.get("action_plan") == "approved",
            "valid_for_days": current.valid_for_days if current else None,
            "signatory": current.signatory if current else "",
            "criteria": current.criteria if current else "",
        }
    )
    form.quizzes.choices = [(key, title) for key, title in quiz_items]
    if form.validate_on_submit():
        requires: dict = {}
        if form.items.data:
            requires["items"] = "all"
        if form.quizzes.data:
            requires["quizzes_passed"] = list(form.quizzes.data)
        if form.not_before.data:
            requires["not_before"] = form.not_before.data.isoformat()
        if available["live_sessions"] and form.live_sessions.data:
            requires["live_sessions"] = form.live_sessions.data
        if available["action_plan"] and form.action_plan.data:
            requires["action_plan"] = "approved"
        try:
            services.save_course_settings(
                course,
                requires=requires,
                valid_for_days=form.valid_for_days.data,
                signatory=(form.signatory.data or "").strip(),
                criteria=(form.criteria.data or "").strip(),
                now=utcnow(),
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The certificate rules are saved."), "success")
            return redirect(url_for("certificates.course_rules", slug=course.slug), 303)
    return render_template(
        "certificates/course_rules.html", course=course, form=form, available=available
    ), (422 if form.errors else 200)


# Anyone may post to the public checks: a certificate image or a credential, not the
# site-wide limit meant for instructors' lecture videos.
PUBLIC_POST_LIMITS = {
    "certificates.verify": MAX_PNG_BYTES + 1024 * 1024,
    "certificates_api.api_verify": 256 * 1024,
}


def _limit_public_posts() -> None:
    limit = PUBLIC_POST_LIMITS.get(request.endpoint or "")
    if limit is not None:
        request.max_content_length = limit


def register(app) -> None:
    """Register the blueprints, CLI, content section and completion listeners."""
    from learning.certificates import content, tasks  # noqa: F401 - registers the section

    tasks.connect()
    # First of all before-request functions: the CSRF check reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_public_posts)
    app.register_blueprint(bp)
    app.register_blueprint(api)
    app.cli.add_command(certificates_cli)
