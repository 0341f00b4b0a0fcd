"""Forms of the authoring pages (the syntax of input; the rules are in ``authoring``)."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FloatField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.validators import AnyOf, DataRequired, Email, Length, NumberRange, Optional

from learning.core.locales import timezone_names
from learning.courses.models import EnrolmentMode, ItemKind, RunRole

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]

KIND_LABELS = {
    ItemKind.VIDEO.value: _l("Video"),
    ItemKind.READING.value: _l("Reading"),
    ItemKind.FILE.value: _l("File"),
    ItemKind.LINK.value: _l("Link"),
    ItemKind.QUIZ.value: _l("Quiz"),
}
ENROLMENT_MODE_LABELS = {
    EnrolmentMode.OPEN.value: _l("Open: anyone signed in may enrol"),
    EnrolmentMode.CODE.value: _l("With an invitation code"),
    EnrolmentMode.COORDINATOR.value: _l("Only coordinators add learners"),
}
RUN_ROLE_LABELS = {
    RunRole.COORDINATOR.value: _l("Coordinator"),
    RunRole.INSTRUCTOR.value: _l("Instructor"),
}


def _datetime_field(label, *, required: bool, description=None) -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=DATETIME_FORMATS,
        validators=[DataRequired() if required else Optional()],
        description=description,
    )


class CourseForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Address name"),
        validators=[Optional(), Length(max=80)],
        description=_l(
            "Used in the page address, /courses/<name>: lowercase letters, digits and dashes. "
            "Leave it empty to make it from the title."
        ),
        render_kw={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"},
    )
    summary = TextAreaField(
        _l("Summary"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 4}
    )
    language = SelectField(_l("Language of the course"), default="en")
    topics = StringField(
        _l("Topics"),
        validators=[Optional(), Length(max=450)],
        description=_l("Separated by commas, for example: mobility, open data."),
    )
    programme = StringField(_l("Programme"), validators=[Optional(), Length(max=200)])
    estimated_hours = FloatField(
        _l("Estimated hours of study"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=1000)],
    )
    video_threshold = IntegerField(
        _l("Share of a video to watch to complete it (%)"),
        default=90,
        validators=[DataRequired(), NumberRange(min=10, max=100)],
    )

    def fill_choices(self) -> None:
        self.language.choices = list(current_app.config["LANGUAGES"].items())

    def topic_list(self) -> list[str]:
        return [t.strip() for t in (self.topics.data or "").split(",") if t.strip()]


class CoverForm(FlaskForm):
    cover = FileField(_l("Cover image"), validators=[FileRequired(_l("Choose an image."))])


class ActionForm(FlaskForm):
    """A button that changes one thing (publish, archive, remove): the CSRF token only."""


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(["up", "down"])])


class PublishForm(FlaskForm):
    publish = HiddenField(validators=[AnyOf(["0", "1"])])


class ArchiveForm(FlaskForm):
    archived = HiddenField(validators=[AnyOf(["0", "1"])])


class ModuleForm(FlaskForm):
    title = StringField(_l("Module title"), validators=[DataRequired(), Length(max=200)])
    summary = TextAreaField(
        _l("Summary"), validators=[Optional(), Length(max=2000)], render_kw={"rows": 3}
    )
    release_after_days = IntegerField(
        _l("Opens this many days after a run starts"),
        validators=[Optional(), NumberRange(min=0, max=3650)],
        description=_l(
            "Leave empty to open it when the run starts. Each run may set its own date."
        ),
    )


class ItemForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    file = FileField(_l("File"))
    url = URLField(
        _l("Address (https://…)"),
        validators=[Optional(), Length(max=2000)],
        render_kw={"placeholder": "https://"},
    )
    body = TextAreaField(
        _l("Notes"),
        validators=[Optional(), Length(max=100_000)],
        description=_l("Markdown: **bold**, *italic*, [a link](https://…), lists with -."),
        render_kw={"rows": 8},
    )
    module_id = SelectField(_l("Module"), coerce=int)
    is_optional = BooleanField(_l("Optional: not needed to complete the course"))

    def adapt(self, kind: str, *, new: bool, modules=None) -> ItemForm:
        """Keep only the fields an item of ``kind`` has, with the labels that fit it."""
        if kind not in (ItemKind.VIDEO, ItemKind.FILE) or not new:
            del self.file
        elif kind == ItemKind.VIDEO:
            self.file.label.text = _l("Video file (MP4 or WebM)")
            _require(self.file, FileRequired(_l("Choose the video file.")))
        else:
            self.file.label.text = _l("Document or image")
            _require(self.file, FileRequired(_l("Choose the file.")))
        if kind != ItemKind.LINK:
            del self.url
        else:
            _require(self.url, DataRequired(), Length(max=2000))
        if kind == ItemKind.READING:
            self.body.label.text = _l("Text")
            if new:
                _require(self.body, DataRequired(), Length(max=100_000))
        if modules is None:
            del self.module_id
        else:
            self.module_id.choices = [(m.id, m.title) for m in modules]
        return self


def _require(field, *validators) -> None:
    field.validators = list(validators)
    field.flags.required = True


class MediaForm(FlaskForm):
    file = FileField(_l("New file"), validators=[FileRequired(_l("Choose a file."))])


class CaptionForm(FlaskForm):
    file = FileField(
        _l("Captions file (WebVTT, .vtt)"),
        validators=[FileRequired(_l("Choose a .vtt file."))],
    )
    language = StringField(
        _l("Language code"),
        validators=[DataRequired(), Length(max=10)],
        description=_l("For example en, fr, es or pt-BR."),
        render_kw={"autocapitalize": "none", "spellcheck": "false"},
    )
    label = StringField(
        _l("Name in the player's menu"),
        validators=[Optional(), Length(max=100)],
        description=_l("Leave empty to use the language's name."),
    )


class AttachmentForm(FlaskForm):
    file = FileField(_l("Attachment"), validators=[FileRequired(_l("Choose a file to attach."))])


class RunForm(FlaskForm):
    title = StringField(_l("Name of the run"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Address name"),
        validators=[Optional(), Length(max=80)],
        description=_l(
            "Lowercase letters, digits and dashes. Leave it empty to make it from the name."
        ),
        render_kw={"autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"},
    )
    timezone = SelectField(
        _l("Time zone of the dates below"),
        default="UTC",
        description=_l("Learners see every date in their own time zone."),
    )
    starts_at = _datetime_field(_l("Starts"), required=True)
    ends_at = _datetime_field(_l("Ends"), required=True)
    enrolment_opens_at = _datetime_field(
        _l("Enrolment opens"), required=False, description=_l("Leave empty: open now.")
    )
    enrolment_closes_at = _datetime_field(
        _l("Enrolment closes"), required=False, description=_l("Leave empty: when the run ends.")
    )
    enrolment_mode = SelectField(
        _l("How learners enrol"),
        choices=[SelectChoice(value, label) for value, label in ENROLMENT_MODE_LABELS.items()],
        default=EnrolmentMode.OPEN.value,
    )
    new_code = BooleanField(_l("Make a new invitation code (the old one stops working)"))
    capacity = IntegerField(
        _l("Places"),
        validators=[Optional(), NumberRange(min=1, max=1_000_000)],
        description=_l("Leave empty for no limit."),
    )
    is_sequential = BooleanField(_l("Learners take the items in order"))

    def fill_choices(self) -> None:
        self.timezone.choices = [(zone, zone.replace("_", " ")) for zone in timezone_names()]


def release_form(modules, *, formdata=None, data=None) -> FlaskForm:
    """One optional date field per module, named ``module_<id>``, labelled with its title.

    Filled from ``formdata`` when it was sent, else from ``data`` (module_<id> -> datetime).
    """

    class ReleaseForm(FlaskForm):
        pass

    for module in modules:
        setattr(
            ReleaseForm,
            f"module_{module.id}",
            _datetime_field(module.title, required=False),
        )
    return ReleaseForm(formdata=formdata, data=data or {})


class StaffForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    role = SelectField(
        _l("Role in this run"),
        choices=[SelectChoice(value, label) for value, label in RUN_ROLE_LABELS.items()],
        default=RunRole.INSTRUCTOR.value,
    )


class RemoveStaffForm(FlaskForm):
    user_id = HiddenField(validators=[DataRequired()])
    role = HiddenField(validators=[AnyOf([r.value for r in RunRole])])
