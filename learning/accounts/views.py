"""Sign-up, confirmation, sign-in, password reset, profile; and the administrators' pages.

Views parse a form, call one service, commit once, enqueue e-mails after the commit, and
redirect or render. Messages never reveal whether an address has an account.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from learning.accounts import services, tasks
from learning.accounts.forms import (
    ROLE_LABELS,
    ActivationForm,
    ChangePasswordForm,
    CityForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResendConfirmationForm,
    ResetPasswordForm,
    SignupForm,
    UserAdminForm,
    UserSearchForm,
)
from learning.accounts.models import City, Role
from learning.core.auth import is_safe_redirect, roles_required
from learning.core.db import utcnow
from learning.core.errors import NotFound, ValidationError
from learning.core.forms import show_error
from learning.core.jobs import enqueue_after_commit
from learning.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__, template_folder="templates")
admin_bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@login_manager.user_loader
def load_user(session_id: str):
    return services.load_user_for_session(session_id)


def _config(key: str):
    return current_app.config[key]


def _login_email_key() -> str:
    return "login-email:" + request.form.get("email", "").strip().lower()[:254]


# --- sign-up and confirmation ---------------------------------------------------------------


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: _config("SIGNUP_RATE_LIMIT"), methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignupForm()
    form.fill_choices(services.list_cities())
    if form.validate_on_submit():
        try:
            result = services.register_user(
                email=form.email.data,
                password=form.password.data,
                display_name=form.display_name.data,
                city_id=form.city_id_value(),
                country=form.country.data or None,
                timezone=form.timezone.data,
                locale=form.locale.data,
                languages=_config("LANGUAGES"),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            task = (
                tasks.send_confirmation_email if result.is_new else tasks.send_signup_attempt_notice
            )
            enqueue_after_commit(db.session, task, result.user.id)
            db.session.commit()
            # The same page for a new and an existing address: no account enumeration.
            return redirect(url_for("accounts.check_inbox"))
    elif request.method == "GET":
        form.locale.data = str(get_locale())
    return render_template("accounts/signup.html", form=form), (422 if form.errors else 200)


@bp.route("/signup/check-inbox")
def check_inbox():
    return render_template("accounts/check_inbox.html")


@bp.route("/confirm/<token>")
def confirm_email(token: str):
    try:
        user = services.confirm_email(
            token,
            secret=_config("SECRET_KEY"),
            max_age=_config("EMAIL_CONFIRM_MAX_AGE"),
            now=utcnow(),
        )
    except services.InvalidToken as error:
        db.session.rollback()
        return render_template(
            "accounts/token_invalid.html", message=error.message, form=ResendConfirmationForm()
        ), 400
    db.session.commit()
    flash(_("Thank you, your e-mail address is confirmed. You can sign in now."), "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("main.index"))
    return redirect(url_for("accounts.login", email=user.email))


@bp.route("/confirm", methods=["GET", "POST"])
@limiter.limit(lambda: _config("RESET_RATE_LIMIT"), methods=["POST"])
def resend_confirmation():
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.is_active and not user.is_email_confirmed:
            enqueue_after_commit(db.session, tasks.send_confirmation_email, user.id)
        db.session.commit()
        return redirect(url_for("accounts.check_inbox"))
    return render_template("accounts/resend_confirmation.html", form=form)


# --- sign-in and sign-out -------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: _config("LOGIN_RATE_LIMIT"), methods=["POST"])
@limiter.limit(
    lambda: _config("LOGIN_EMAIL_RATE_LIMIT"), methods=["POST"], key_func=_login_email_key
)
def login():
    next_url = request.values.get("next")
    if current_user.is_authenticated:
        return redirect(next_url if is_safe_redirect(next_url) else url_for("main.index"))
    form = LoginForm()
    status = 200
    if request.method == "GET":
        form.next.data = next_url if is_safe_redirect(next_url) else ""
        form.email.data = request.args.get("email", "")[:254]
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, now=utcnow())
        except services.EmailNotConfirmed as error:
            enqueue_after_commit(db.session, tasks.send_confirmation_email, error.user.id)
            db.session.commit()
            form.form_errors.append(error.message)
            status = 403
        except (services.AuthenticationFailed, services.AccountDeactivated) as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status_code
        else:
            db.session.commit()
            # A new session on sign-in: nothing planted before it survives (session fixation).
            session.clear()
            session.permanent = True
            login_user(user, remember=bool(form.remember.data))
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            target = form.next.data
            return redirect(target if is_safe_redirect(target) else url_for("main.index"))
    elif request.method == "POST":
        status = 422
    form.password.data = ""
    return render_template("accounts/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    # Clear first: logout_user() leaves a note in the session that makes Flask-Login delete
    # the remember-me cookie; clearing after it would keep that cookie and sign the user in again.
    session.clear()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("main.index"))


# --- forgotten password ------------------------------------------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: _config("RESET_RATE_LIMIT"), methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.is_active:
            enqueue_after_commit(db.session, tasks.send_password_reset_email, user.id)
        db.session.commit()
        return render_template("accounts/reset_sent.html")
    return render_template("accounts/forgot_password.html", form=form), (
        422 if form.errors else 200
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: _config("RESET_RATE_LIMIT"), methods=["POST"])
def reset_password(token: str):
    options = {
        "secret": _config("SECRET_KEY"),
        "max_age": _config("PASSWORD_RESET_MAX_AGE"),
        "now": utcnow(),
    }
    try:
        services.read_token(token, services.PASSWORD_RESET, **options)
    except services.InvalidToken as error:
        return render_template(
            "accounts/token_invalid.html", message=error.message, reset=True
        ), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = services.reset_password(token, form.password.data, **options)
        except services.InvalidToken as error:
            db.session.rollback()
            return render_template(
                "accounts/token_invalid.html", message=error.message, reset=True
            ), 400
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            enqueue_after_commit(db.session, tasks.send_password_changed_notice, user.id)
            db.session.commit()
            logout_user()
            flash(_("Your password has been changed. Sign in with the new one."), "success")
            return redirect(url_for("accounts.login", email=user.email))
    return render_template("accounts/reset_password.html", form=form), (422 if form.errors else 200)


# --- profile ---------------------------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    form.fill_choices(services.list_cities())
    if request.method == "GET":
        form.city_id.data = str(current_user.city_id or "")
        form.country.data = current_user.country or ""
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                display_name=form.display_name.data,
                city_id=form.city_id_value(),
                country=form.country.data or None,
                timezone=form.timezone.data,
                locale=form.locale.data,
                languages=_config("LANGUAGES"),
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Your profile has been saved."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template(
        "accounts/profile.html", form=form, password_form=ChangePasswordForm()
    ), (422 if form.errors else 200)


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.password.data, now=utcnow()
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            user = current_user._get_current_object()
            enqueue_after_commit(db.session, tasks.send_password_changed_notice, user.id)
            db.session.commit()
            # The session id contains the rotated token: sign in again in this browser only.
            login_user(user)
            flash(
                _("Your password has been changed. Other devices have been signed out."), "success"
            )
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form), (
        422 if form.errors else 200
    )


# --- administration ---------------------------------------------------------------------------


@admin_bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    form = UserSearchForm(request.args)
    form.validate()
    page = request.args.get("page", 1, type=int)
    role = form.role.data if not form.role.errors else None
    result = services.search_users(
        query=(form.q.data or "") if not form.q.errors else "", role=role or None, page=page
    )
    return render_template("accounts/admin_users.html", form=form, result=result)


def _user_or_404(user_id: int):
    try:
        return services.get_user(user_id)
    except NotFound:
        raise NotFound(_("No such user.")) from None


@admin_bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_detail(user_id: int):
    user = _user_or_404(user_id)
    form = UserAdminForm()
    form.fill_choices(services.list_cities())
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
        form.city_id.data = str(user.city_id or "")
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        try:
            services.set_roles(current_user, user, set(form.roles.data or []), now=now)
            city_id = int(form.city_id.data) if form.city_id.data else None
            services.set_user_city(current_user, user, city_id, now=now)
        except ValidationError as error:
            db.session.rollback()
            user = _user_or_404(user_id)
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("Changes to %(name)s saved.", name=user.display_name), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    if form.errors:
        status = 422
    entries = [
        entry
        for entry in services.recent_audit_entries(limit=50, target_type="user")
        if entry.target_id == user.id
    ]
    return render_template(
        "accounts/admin_user.html",
        user=user,
        form=form,
        activation_form=ActivationForm(),
        entries=entries,
    ), status


@admin_bp.route("/users/<int:user_id>/active", methods=["POST"])
@roles_required(Role.ADMIN)
def set_active(user_id: int):
    user = _user_or_404(user_id)
    form = ActivationForm()
    if not form.validate_on_submit():
        flash(_("Your form expired. Please try again."), "error")
        return redirect(url_for("admin.user_detail", user_id=user.id))
    activate = request.form.get("active") == "1"
    try:
        services.set_active(current_user, user, activate, now=utcnow())
    except ValidationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _("%(name)s can sign in again.", name=user.display_name)
            if activate
            else _("%(name)s has been deactivated and signed out.", name=user.display_name),
            "success",
        )
    return redirect(url_for("admin.user_detail", user_id=user.id))


@admin_bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    return render_template(
        "accounts/admin_audit.html", entries=services.recent_audit_entries(limit=200)
    )


@admin_bp.route("/cities")
@roles_required(Role.ADMIN)
def cities():
    return render_template("accounts/admin_cities.html", cities=services.list_cities())


@admin_bp.route("/cities/new", methods=["GET", "POST"], defaults={"city_id": None})
@admin_bp.route("/cities/<int:city_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def city_edit(city_id: int | None):
    city = db.session.get(City, city_id) if city_id is not None else None
    if city_id is not None and city is None:
        raise NotFound(_("No such city or organisation."))
    form = CityForm(obj=city if request.method == "GET" else None)
    form.fill_choices()
    if form.validate_on_submit():
        try:
            city = services.save_city(
                current_user,
                city=city,
                name=form.name.data,
                country=form.country.data,
                region=form.region.data or "",
                kind=form.kind.data,
                timezone=form.timezone.data,
                now=utcnow(),
            )
        except ValidationError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s saved.", name=city.name), "success")
            return redirect(url_for("admin.cities"))
    return render_template("accounts/admin_city.html", form=form, city=city), (
        422 if form.errors else 200
    )


@bp.app_template_filter("role_label")
def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))
