"""Action plan forms: the syntax of input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import get_timezone, to_user_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from learning.plans.models import PLAN_STATES
from learning.plans.services import MAX_COMMENT_CHARS, MAX_SECTION_CHARS


class SimpleForm(FlaskForm):
    """A button: only the CSRF token."""


class SectionForm(FlaskForm):
    text = TextAreaField(_l("Text"), validators=[Length(max=MAX_SECTION_CHARS)])
    base_version = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class RestoreForm(FlaskForm):
    base_version = IntegerField(validators=[InputRequired(), NumberRange(min=0)])


class CommentForm(FlaskForm):
    comment = TextAreaField(
        _l("Comment (optional)"), validators=[Optional(), Length(max=MAX_COMMENT_CHARS)]
    )


class AttachmentForm(FlaskForm):
    file = FileField(
        _l("File"),
        validators=[FileRequired(_l("Choose a file."))],
        description=_l("PDF, Word, PowerPoint, Excel, or a PNG, JPEG or WebP image."),
    )


class ReviewerForm(FlaskForm):
    reviewer = SelectField(_l("Reviewer"), coerce=int, validate_choice=True)


class SettingsForm(FlaskForm):
    is_required = BooleanField(_l("This run asks each team for an action plan"))
    due_at = DateTimeLocalField(
        _l("Due date"),
        validators=[Optional()],
        format="%Y-%m-%dT%H:%M",
        description=_l("In your time zone. Leave empty for no due date."),
    )
    instructors_can_view = BooleanField(_l("The run's instructors may read the plans"))

    def fill(self, settings) -> None:
        if settings is not None:
            self.is_required.data = settings.is_required
            self.instructors_can_view.data = settings.instructors_can_view
            if settings.due_at:
                self.due_at.data = to_user_timezone(settings.due_at).replace(tzinfo=None)
        else:
            self.is_required.data = True

    def due_at_utc(self) -> datetime | None:
        if not self.due_at.data:
            return None
        return self.due_at.data.replace(tzinfo=ZoneInfo(str(get_timezone())))


class TemplateForm(FlaskForm):
    text = TextAreaField(
        _l("Sections and rubric (YAML)"),
        validators=[Length(max=200_000)],
        render_kw={"rows": 24, "spellcheck": "false"},
    )


class TeamForm(FlaskForm):
    user_id = IntegerField(validators=[InputRequired()])
    team = StringField(_l("Team"), validators=[Length(max=40)])


class QueueFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET form that changes nothing

    run = SelectField(_l("Run"), coerce=str, validate_choice=False)
    city = SelectField(_l("City"), coerce=str, validate_choice=False)
    country = SelectField(_l("Country"), coerce=str, validate_choice=False)
    state = SelectField(
        _l("State"),
        choices=[SelectChoice("", _l("Any"))] + [SelectChoice(s, s) for s in PLAN_STATES],
        validate_choice=False,
    )
    sort = SelectField(
        _l("Order"),
        choices=[
            SelectChoice("waiting", _l("Longest waiting first")),
            SelectChoice("recent", _l("Latest change first")),
        ],
        validate_choice=False,
    )


def decision_form(criteria, sections, formdata=None):
    """The review form for this course's rubric and template: a level per criterion, a
    comment per section, a general comment and the decision."""

    class DecisionForm(FlaskForm):
        decision = RadioField(
            _l("Decision"),
            choices=[
                SelectChoice("approved", _l("Approve the plan")),
                SelectChoice("changes_requested", _l("Ask the team for changes")),
            ],
            validators=[DataRequired(message=_l("Choose a decision."))],
        )
        comment = TextAreaField(
            _l("General comment for the team"),
            validators=[Optional(), Length(max=MAX_COMMENT_CHARS)],
        )

    for criterion in criteria:
        setattr(
            DecisionForm,
            f"c_{criterion.key}",
            RadioField(
                criterion.title,
                choices=[
                    SelectChoice(str(level.id), f"{level.title} ({level.points})")
                    for level in criterion.levels
                ],
                validators=[Optional()],
                description=criterion.description,
            ),
        )
    for section in sections:
        setattr(
            DecisionForm,
            f"s_{section.key}",
            TextAreaField(
                _l("Comment on “%(title)s”", title=section.title),
                validators=[Optional(), Length(max=MAX_COMMENT_CHARS)],
            ),
        )
    form = DecisionForm(formdata=formdata) if formdata is not None else DecisionForm()
    form.criteria = [(c, form[f"c_{c.key}"]) for c in criteria]
    form.section_fields = [(s, form[f"s_{s.key}"]) for s in sections]
    return form
