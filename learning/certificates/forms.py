"""Certificate forms: the syntax of input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from learning.certificates.services import MAX_REASON

MAX_PNG_BYTES = 10 * 1024 * 1024
MAX_TOKEN_CHARS = 64 * 1024


class CodeForm(FlaskForm):
    """Looking a code up changes nothing: a GET form without a CSRF token."""

    class Meta:
        csrf = False

    code = StringField(
        _l("Certificate code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("The 12-character code printed on the certificate, e.g. 7K3M-QX2D-94HT."),
    )


class CheckForm(FlaskForm):
    """A certificate image (PNG with the credential baked in) or a pasted credential (JWT)."""

    file = FileField(
        _l("Certificate image (PNG)"),
        description=_l("The PNG file of a certificate; the signed credential is inside it."),
    )
    token = TextAreaField(
        _l("Or paste a signed credential (JWT)"),
        validators=[Optional(), Length(max=MAX_TOKEN_CHARS)],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON)], render_kw={"rows": 2}
    )


class IssueForm(ReasonForm):
    enrolment_id = IntegerField(validators=[DataRequired()], widget=HiddenField.widget)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RulesForm(FlaskForm):
    """A course's completion rules and certificate wording, edited in the browser."""

    items = BooleanField(_l("Every required item complete"))
    quizzes = MultiCheckboxField(_l("Quizzes to pass"), choices=[], coerce=str)
    not_before = DateField(
        _l("Not before"),
        validators=[Optional()],
        description=_l("No certificate is issued before this day (UTC)."),
    )
    live_sessions = IntegerField(
        _l("Live sessions to attend"), validators=[Optional(), NumberRange(min=1, max=1000)]
    )
    action_plan = BooleanField(_l("City action plan approved"))
    valid_for_days = IntegerField(
        _l("Valid for (days)"),
        validators=[Optional(), NumberRange(min=1, max=36500)],
        description=_l("Leave empty for a certificate that does not expire."),
    )
    signatory = StringField(
        _l("Signatory"),
        validators=[Optional(), Length(max=200)],
        description=_l("Name, then a comma and the title: “Ana Pérez, Programme director”."),
    )
    criteria = TextAreaField(
        _l("What a holder did"),
        validators=[Optional(), Length(max=2000)],
        description=_l("Written into the credential; by default the rules in words."),
    )
