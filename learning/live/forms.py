"""Live session forms: the syntax of input (the rules are in ``services``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from learning.core.locales import timezone_names

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class SimpleForm(FlaskForm):
    """A button: only the CSRF token."""


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(
        _l("Description"), validators=[Optional(), Length(max=5000)], render_kw={"rows": 4}
    )
    timezone = SelectField(
        _l("Time zone of the times below"),
        description=_l("Learners see the times in their own time zone, with yours beside them."),
    )
    starts_at = DateTimeLocalField(
        _l("Starts"), format=DATETIME_FORMATS, validators=[DataRequired()]
    )
    ends_at = DateTimeLocalField(_l("Ends"), format=DATETIME_FORMATS, validators=[DataRequired()])
    join_url = URLField(
        _l("Link to join"),
        validators=[DataRequired(), Length(max=2000)],
        description=_l("The https:// address of the meeting (Zoom, Teams, Meet, Jitsi ...)."),
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"},
    )
    is_link_for_all_enrolled = BooleanField(
        _l("Show the link to every enrolled learner, not only to those registered")
    )
    capacity = IntegerField(
        _l("Places"),
        validators=[Optional(), NumberRange(min=1, max=100_000)],
        description=_l("Leave empty for no limit. When full, learners join a waiting list."),
    )
    module_id = SelectField(_l("Module"), coerce=int, validators=[Optional()])
    reminders = StringField(
        _l("Reminders (hours before the start)"),
        default="24, 1",
        validators=[Optional(), Length(max=50)],
        description=_l("Separated by commas, for example “24, 1”. Empty: no reminders."),
    )
    min_minutes = IntegerField(
        _l("Minutes that count as attended"),
        default=30,
        validators=[
            InputRequired(message=_l("Give a number of minutes.")),
            NumberRange(min=0, max=1440),
        ],
        description=_l("Used when importing the platform's participant report."),
    )

    def fill_choices(self, modules) -> None:
        self.timezone.choices = [(zone, zone.replace("_", " ")) for zone in timezone_names()]
        self.module_id.choices = [(0, _l("None"))] + [(m.id, m.title) for m in modules]

    def reminder_minutes(self) -> list[int] | None:
        """The reminders in minutes, or None (with an error on the field) if unreadable."""
        text = (self.reminders.data or "").strip()
        if not text:
            return []
        try:
            hours = [
                float(part.strip().replace(",", ".")) for part in text.split(",") if part.strip()
            ]
        except ValueError:
            self.reminders.errors = [*self.reminders.errors, _l("Give numbers of hours.")]
            return None
        return [round(h * 60) for h in hours]


class ImportForm(FlaskForm):
    MAX_BYTES = 2 * 1024 * 1024

    file = FileField(
        _l("Participant report (CSV)"),
        validators=[FileRequired(_l("Choose the CSV file the video platform exported."))],
        description=_l(
            "With a column of e-mail addresses and either the minutes attended or the join and "
            "leave times. Nothing is recorded if any row is wrong."
        ),
    )


class RecordingForm(FlaskForm):
    title = StringField(_l("Title of the video"), validators=[Optional(), Length(max=200)])
    module_id = SelectField(_l("Module"), coerce=int)
    file = FileField(
        _l("Recording (MP4 or WebM)"),
        validators=[FileRequired(_l("Choose the video file."))],
    )

    def fill_choices(self, modules) -> None:
        self.module_id.choices = [(m.id, m.title) for m in modules]
