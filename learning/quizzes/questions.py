"""Questions as plain values: what the bank stores, GIFT reads and writes, and grading reads.

No database and no Flask here. A question is a frozen dataclass; ``to_dict``/``from_dict``
give the JSON the bank stores, ``fingerprint`` a stable hash of its content.

Conventions shared by every type (the grading registry checks them, see ``validate``):

- ``Answer.fraction`` is the credit of an answer in [-1, 1]: 1.0 = 100 %, -0.5 = -50 %.
- choice types ("single", "multiple", "missingword", "truefalse") refer to answers by index;
  true/false always has exactly the answers ``true`` then ``false``, each carrying the
  feedback shown to a learner who picks it.
- numerical answers hold the value in ``text`` (a number string, or ``*`` for "any other
  number") with ``tolerance``, or a range in ``low``/``high`` with ``text`` empty.
- matching pairs hold the left side in ``text`` and the right side in ``match``, fraction 1;
  an answer with an empty ``text`` is an extra wrong choice for the right side (fraction 0).
- a question with a blank ("missingword", or any other type written with text after its
  answers) keeps the text before the blank in ``text`` and the rest in ``missing_word_suffix``.
"""

from __future__ import annotations

import hashlib
import html
import json
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any

from learning.core.text import render_markdown, sanitize_html

SINGLE = "single"
MULTIPLE = "multiple"
TRUEFALSE = "truefalse"
SHORTANSWER = "shortanswer"
NUMERICAL = "numerical"
MATCHING = "matching"
MISSINGWORD = "missingword"
ESSAY = "essay"
DESCRIPTION = "description"
QUESTION_TYPES = (
    SINGLE,
    MULTIPLE,
    TRUEFALSE,
    SHORTANSWER,
    NUMERICAL,
    MATCHING,
    MISSINGWORD,
    ESSAY,
    DESCRIPTION,
)
TEXT_FORMATS = ("moodle", "markdown", "html", "plain")
DEFAULT_FORMAT = "moodle"

# Where the blank of a missing-word question goes while its text is rendered; a private-use
# character survives Markdown and the sanitiser untouched and is removed from authors' text.
_BLANK_MARK = "\ue000"


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of a question: its text, credit (fraction) and feedback."""

    text: str
    fraction: float
    feedback: str = ""
    tolerance: float = 0.0
    low: float | None = None
    high: float | None = None
    match: str | None = None

    def __post_init__(self) -> None:
        # 1 and 1.0 must give the same JSON, hence the same fingerprint.
        object.__setattr__(self, "fraction", float(self.fraction))
        object.__setattr__(self, "tolerance", float(self.tolerance))
        object.__setattr__(self, "low", _float_or_none(self.low))
        object.__setattr__(self, "high", _float_or_none(self.high))

    @property
    def is_range(self) -> bool:
        return self.low is not None or self.high is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "fraction": self.fraction,
            "feedback": self.feedback,
            "tolerance": self.tolerance,
            "low": self.low,
            "high": self.high,
            "match": self.match,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass(frozen=True, slots=True)
class Question:
    """A question of any type; ``line`` (where it was read from) takes no part in equality."""

    type: str
    text: str
    text_format: str = DEFAULT_FORMAT
    title: str = ""
    answers: tuple[Answer, ...] = ()
    general_feedback: str = ""
    category: str = ""
    missing_word_suffix: str = ""
    case_sensitive: bool = False
    line: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "answers", tuple(self.answers))

    @property
    def has_blank(self) -> bool:
        """Whether the answers sit inside the sentence (text, blank, suffix)."""
        return bool(self.missing_word_suffix.strip())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (for the bank's JSON column); ``from_dict`` reverses it."""
        return {
            "type": self.type,
            "text": self.text,
            "text_format": self.text_format,
            "title": self.title,
            "answers": [answer.to_dict() for answer in self.answers],
            "general_feedback": self.general_feedback,
            "category": self.category,
            "missing_word_suffix": self.missing_word_suffix,
            "case_sensitive": self.case_sensitive,
            "line": self.line,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        """Build from ``to_dict`` output; missing keys take their defaults, unknown are ignored."""
        known = {f.name for f in fields(cls)}
        values = {key: value for key, value in data.items() if key in known and key != "answers"}
        answers = tuple(Answer.from_dict(item) for item in data.get("answers", ()))
        return cls(answers=answers, **values)

    def fingerprint(self) -> str:
        """SHA-256 of the content: equal for equal questions wherever they are filed.

        ``category`` and ``line`` say where a question lives, not what it is, so they are left
        out; everything a learner or a grader sees is in.
        """
        content = self.to_dict()
        del content["category"], content["line"]
        encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


# Every learner sees the same texts: render each once per process.
@lru_cache(maxsize=8192)
def render_text(text: str, text_format: str = DEFAULT_FORMAT) -> str:
    """Safe HTML for a question's text, an answer or a feedback written in ``text_format``.

    ``markdown`` is rendered (raw HTML in it shown as text); ``html`` is sanitised; ``moodle``
    (Moodle's auto-format: HTML allowed, line breaks kept) is sanitised with its line breaks
    turned into ``<br>``; ``plain`` is escaped. Unknown formats are treated as plain.
    """
    text = text or ""
    if text_format == "markdown":
        return render_markdown(text)
    if text_format == "html":
        return sanitize_html(text)
    if text_format == "moodle":
        return sanitize_html(text.replace("\n", "<br>\n"))
    return "<p>" + html.escape(text).replace("\n", "<br>\n") + "</p>" if text else ""


def render_question_text(question: Question, *, blank: str = "_____") -> str:
    """The question's text as safe HTML; a missing-word question shows ``blank`` in its gap.

    ``blank`` is inserted as given, after sanitising, so a view may pass trusted markup
    (a ``<select>`` or an ``<input>``) there.
    """
    text = question.text.replace(_BLANK_MARK, "")
    if not question.has_blank:
        return render_text(text, question.text_format)
    suffix = question.missing_word_suffix.replace(_BLANK_MARK, "")
    rendered = render_text(text + _BLANK_MARK + suffix, question.text_format)
    return rendered.replace(_BLANK_MARK, blank)
