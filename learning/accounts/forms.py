"""Account forms: the syntax of input. Business rules (unique e-mail, known city) are services'."""

from __future__ import annotations

from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SearchField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from learning.accounts.models import ROLE_VALUES, CityKind
from learning.accounts.services import PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH
from learning.core.locales import country_names, timezone_names

ROLE_LABELS = {
    "learner": _l("Learner"),
    "instructor": _l("Instructor"),
    "coordinator": _l("Coordinator"),
    "admin": _l("Administrator"),
}


def _role_choices() -> list[SelectChoice]:
    # Choices fixed at class definition are SelectChoice objects: WTForms 3.3 deprecates tuples.
    return [SelectChoice(role, ROLE_LABELS[role]) for role in ROLE_VALUES]


def city_choices(cities) -> list[tuple[str, str]]:
    return [(str(city.id), f"{city.name} ({city.country})") for city in cities]


def _password_field(label, **kwargs) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN_LENGTH},
        description=_l("At least %(n)d characters.", n=PASSWORD_MIN_LENGTH),
        **kwargs,
    )


class ProfileFieldsMixin:
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )
    city_id = SelectField(_l("City or organisation"), coerce=str, validators=[Optional()])
    country = SelectField(_l("Country"), validators=[Optional()])
    timezone = SelectField(
        _l("Time zone"),
        default="UTC",
        description=_l("Dates and times are shown in this zone."),
    )
    locale = SelectField(_l("Preferred language"), default="en")

    def fill_choices(self, cities) -> None:
        """Choices depend on the database and the viewer's language: set them per request."""
        self.city_id.choices = [("", _l("— None / not listed —"))] + city_choices(cities)
        self.country.choices = [("", _l("— Choose —"))] + list(country_names(str(get_locale())))
        self.timezone.choices = [(zone, zone.replace("_", " ")) for zone in timezone_names()]
        self.locale.choices = list(current_app.config["LANGUAGES"].items())

    def city_id_value(self) -> int | None:
        return int(self.city_id.data) if self.city_id.data else None


class SignupForm(ProfileFieldsMixin, FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    password = _password_field(_l("Password"))
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))


class ResendConfirmationForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send a new link"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send me a reset link"))


class ResetPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set the new password"))


class ProfileForm(ProfileFieldsMixin, FlaskForm):
    submit = SubmitField(_l("Save profile"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=PASSWORD_MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    password = _password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


# --- administration ---------------------------------------------------------------------------


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Name or e-mail"), validators=[Optional(), Length(max=100)])
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice("", _l("Any role")), *_role_choices()],
        validators=[Optional()],
    )


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserAdminForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=_role_choices())
    city_id = SelectField(_l("City or organisation"), coerce=str, validators=[Optional()])
    submit = SubmitField(_l("Save changes"))

    def fill_choices(self, cities) -> None:
        self.city_id.choices = [("", _l("— None —"))] + city_choices(cities)


class ActivationForm(FlaskForm):
    submit = SubmitField()


class CityForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    country = SelectField(_l("Country"), validators=[DataRequired()])
    region = StringField(_l("Region"), validators=[Optional(), Length(max=120)])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice(CityKind.CITY.value, _l("City")),
            SelectChoice(CityKind.ORGANISATION.value, _l("Organisation")),
        ],
    )
    timezone = SelectField(_l("Time zone"), default="UTC")
    submit = SubmitField(_l("Save"))

    def fill_choices(self) -> None:
        self.country.choices = [("", _l("— Choose —"))] + list(country_names(str(get_locale())))
        self.timezone.choices = [(zone, zone.replace("_", " ")) for zone in timezone_names()]
