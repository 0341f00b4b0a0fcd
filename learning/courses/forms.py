"""Course forms: the syntax of input."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, SearchField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from learning.core.locales import language_name


class CatalogueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = SearchField(_l("Search courses"), validators=[Optional(), Length(max=100)])
    language = SelectField(_l("Language"), validators=[Optional()], validate_choice=False)
    topic = SelectField(_l("Topic"), validators=[Optional()], validate_choice=False)
    open = BooleanField(_l("Open for enrolment"))

    def fill_choices(self, languages, topics) -> None:
        self.language.choices = [("", _l("Any language"))] + [
            (code, language_name(code)) for code in languages
        ]
        self.topic.choices = [("", _l("Any topic"))] + [(t, t) for t in topics]


class EnrolForm(FlaskForm):
    code = StringField(_l("Invitation code"), validators=[Optional(), Length(max=64)])


class LeaveForm(FlaskForm):
    pass


class DoneForm(FlaskForm):
    done = HiddenField(default="1")


class AddLearnerForm(FlaskForm):
    email = EmailField(
        _l("E-mail address of the learner"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )


class ImportLearnersForm(FlaskForm):
    MAX_BYTES = 1024 * 1024

    file = FileField(
        _l("CSV file of e-mail addresses"),
        validators=[FileRequired(_l("Choose a CSV file."))],
        description=_l(
            "One address per line, or a column named 'email'. Nothing is added if any row is wrong."
        ),
    )
