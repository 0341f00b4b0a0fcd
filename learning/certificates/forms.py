"""Certificate forms: the syntax of input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

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
