"""Quiz forms: the syntax of input."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from learning.quizzes.models import FeedbackMode, GradingMethod


class SimpleForm(FlaskForm):
    """A button: only the CSRF token."""


class GiftImportForm(FlaskForm):
    MAX_BYTES = 2 * 1024 * 1024

    file = FileField(_l("GIFT file"), description=_l("A .gift or .txt file in UTF-8."))
    text = TextAreaField(
        _l("Or paste questions in GIFT format"), validators=[Optional(), Length(max=MAX_BYTES)]
    )
    category = StringField(
        _l("Category"),
        validators=[Optional(), Length(max=200)],
        description=_l(
            "Where the questions go, e.g. 'Lecture 1/Basics'. $CATEGORY lines in the file go below it."
        ),
    )


class QuestionForm(FlaskForm):
    gift = TextAreaField(
        _l("Question in GIFT format"),
        validators=[DataRequired(), Length(max=50_000)],
        description=_l(
            "For example: ::Capital::What is the capital of Kenya? {=Nairobi ~Mombasa ~Kisumu}"
        ),
        render_kw={"rows": 10, "spellcheck": "true"},
    )
    category = StringField(_l("Category"), validators=[Optional(), Length(max=200)])


class GradeForm(FlaskForm):
    percent = DecimalField(
        _l("Mark (%)"),
        places=1,
        validators=[DataRequired(message=_l("Give a mark.")), NumberRange(0, 100)],
    )
    comment = TextAreaField(
        _l("Comment for the learner"), validators=[Optional(), Length(max=5000)]
    )


class QuizSettingsForm(FlaskForm):
    pass_percent = IntegerField(
        _l("Pass mark (%)"), validators=[DataRequired(), NumberRange(0, 100)], default=50
    )
    attempts_allowed = IntegerField(
        _l("Attempts allowed"),
        validators=[Optional(), NumberRange(1, 100)],
        description=_l("Leave empty for unlimited attempts."),
    )
    grading_method = SelectField(
        _l("Grade kept"),
        choices=[
            SelectChoice(GradingMethod.HIGHEST.value, _l("Highest attempt")),
            SelectChoice(GradingMethod.LAST.value, _l("Last attempt")),
            SelectChoice(GradingMethod.AVERAGE.value, _l("Average of attempts")),
        ],
    )
    time_limit_minutes = IntegerField(
        _l("Time limit (minutes)"),
        validators=[Optional(), NumberRange(1, 600)],
        description=_l("Leave empty for no time limit."),
    )
    shuffle_questions = BooleanField(_l("Shuffle the questions"))
    shuffle_answers = BooleanField(_l("Shuffle the answers of each question"))
    feedback_mode = SelectField(
        _l("Right answers and feedback"),
        choices=[
            SelectChoice(FeedbackMode.IMMEDIATE.value, _l("Right after each attempt")),
            SelectChoice(FeedbackMode.AFTER_CLOSE.value, _l("After the quiz closes")),
            SelectChoice(FeedbackMode.NEVER.value, _l("Never")),
        ],
    )

    def fill(self, quiz, questions, categories, runs, is_get: bool) -> None:
        self._questions = questions
        self._categories = categories
        self._runs = runs
        if is_get:
            self.pass_percent.data = round(quiz.pass_mark * 100)
            self.attempts_allowed.data = quiz.attempts_allowed
            self.grading_method.data = quiz.grading_method
            self.time_limit_minutes.data = (
                round(quiz.time_limit_seconds / 60) if quiz.time_limit_seconds else None
            )
            self.shuffle_questions.data = quiz.shuffle_questions
            self.shuffle_answers.data = quiz.shuffle_answers
            self.feedback_mode.data = quiz.feedback_mode

    def settings(self) -> dict:
        return {
            "pass_mark": self.pass_percent.data / 100,
            "attempts_allowed": self.attempts_allowed.data,
            "grading_method": self.grading_method.data,
            "time_limit_seconds": self.time_limit_minutes.data * 60
            if self.time_limit_minutes.data
            else None,
            "shuffle_questions": bool(self.shuffle_questions.data),
            "shuffle_answers": bool(self.shuffle_answers.data),
            "feedback_mode": self.feedback_mode.data,
        }

    def slots(self) -> list[tuple[str, int, int]]:
        """Fixed questions ticked, then random draws from categories (count > 0)."""
        entries = [("question", int(v), 1) for v in request.form.getlist("question") if v.isdigit()]
        for category in self._categories:
            raw = request.form.get(f"draw-{category.id}", "").strip()
            if raw.isdigit() and int(raw) > 0:
                entries.append(("category", category.id, int(raw)))
        return entries

    def window(self, run) -> tuple[datetime | None, datetime | None]:
        """The run's opening and closing times, typed in the viewer's time zone."""
        zone = ZoneInfo(str(get_timezone()))

        def read(name: str) -> datetime | None:
            raw = request.form.get(f"{name}-{run.id}", "").strip()
            if not raw:
                return None
            try:
                return datetime.fromisoformat(raw).replace(tzinfo=zone)
            except ValueError:
                self.form_errors.append(_l("A date and time is not valid."))
                return None

        return read("opens"), read("closes")
