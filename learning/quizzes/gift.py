"""Moodle's GIFT format: ``parse_gift`` reads a file all or nothing, ``to_gift`` writes one.

The format as Moodle documents and implements it (question/format/gift):

- Questions are separated by blank lines; a line whose first non-blank characters are ``//``
  is a comment and is dropped, wherever it is (comments inside a question do not split it).
- ``$CATEGORY: path`` sets the category of the questions that follow.
- ``::title::`` starts a question; ``[moodle]``/``[html]``/``[plain]``/``[markdown]`` right
  before a text gives its format (the question text's format is the default of the rest).
- The answers sit in ``{...}``: ``=`` right, ``~`` wrong, ``~%50%`` weighted, ``#`` feedback of
  the answer before it, ``####`` general feedback; ``{#...}`` numerical (``value:tolerance``,
  ``min..max``, several ``=%w%`` answers, ``~#`` feedback for any other number); ``=a -> b``
  matching; ``{T}``/``{TRUE}``/``{F}``/``{FALSE}`` with ``#wrong#right`` feedback; ``{}`` essay;
  no braces at all: a description. Text after the closing brace puts the answers in a blank
  inside the sentence (missing word).
- ``// [tag:case-sensitive]`` among a question's comment lines makes a short answer compare
  case (Moodle reads ``[tag:...]`` from comments; GIFT has no syntax of its own for this).
- ``\\~ \\= \\# \\{ \\} \\:`` are literal characters, ``\\n`` a line break, ``\\\\`` a backslash;
  any other backslash is kept as written (``\\(x\\)`` stays LaTeX).

Where Moodle guesses or silently imports something else, this parser reports a problem
instead (see ``GiftProblem``), and it keeps going so one run lists every problem of a file.
The deliberate differences from Moodle are listed in the docstring of
``tests/quizzes/test_gift.py``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from learning.quizzes.grading import validate
from learning.quizzes.grading.matching import MIN_PAIRS
from learning.quizzes.grading.numerical import ANY_NUMBER, parse_number
from learning.quizzes.grading.truefalse import truefalse_answers
from learning.quizzes.questions import (
    DEFAULT_FORMAT,
    DESCRIPTION,
    ESSAY,
    MATCHING,
    MISSINGWORD,
    MULTIPLE,
    NUMERICAL,
    SHORTANSWER,
    SINGLE,
    TRUEFALSE,
    Answer,
    Question,
)

CATEGORY = "$CATEGORY:"
ESCAPABLE = "~=#{}:\\"
FORMAT_MARKER = re.compile(r"\[(moodle|html|plain|markdown)\]")
WEIGHT = re.compile(r"%([^%\n]*)%")
WEIGHT_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# GIFT has no syntax for a case-sensitive short answer. Moodle (3.6+) reads [tag:...] from a
# question's comment lines, so the flag travels as a tag Moodle would simply attach.
CASE_SENSITIVE_COMMENT = "// [tag:case-sensitive]"
CASE_SENSITIVE_TAG = re.compile(r"\[tag:\s*case-sensitive\s*\]", re.IGNORECASE)
TRUE_WORDS = ("T", "TRUE")
TRUEFALSE_WORDS = ("T", "TRUE", "F", "FALSE")
SNIPPET_LENGTH = 100

# In the structure view of a text (the "mask"), an escaped character becomes this, so that
# looking for ``{`` or ``#`` never finds a ``\{`` or ``\#``.
_ESCAPED = "\x00"


@dataclass(frozen=True, slots=True)
class GiftProblem:
    """One problem of a GIFT file: the 1-based line, the offending text, what is wrong."""

    line: int
    text: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}: {self.text}"


class GiftError(ValueError):
    """A GIFT file that cannot be imported; ``problems`` lists every problem found."""

    def __init__(self, problems: Iterable[GiftProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class GiftExportError(ValueError):
    """Questions that cannot be written as GIFT (they do not validate); see ``problems``."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# -- reading ------------------------------------------------------------------------------


class _Doc:
    """The raw text of one question block and where each of its lines came from."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.raw = "\n".join(line for _, line in lines)
        self.numbers = [number for number, _ in lines]
        self.starts: list[int] = []
        offset = 0
        for _, line in lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def line_of(self, offset: int) -> int:
        return self.numbers[bisect_right(self.starts, offset) - 1]


class _Src:
    """A piece of a block with escapes resolved: ``real`` is the text, ``mask`` the structure.

    Both have the same length; ``mask`` has every escaped character replaced by ``_ESCAPED``.
    Searching and stripping happen on ``mask``, so escaped characters are never structure and
    an escaped ``\\n`` at either end of a text is kept.
    """

    __slots__ = ("doc", "ends", "mask", "offs", "real", "start")

    def __init__(
        self, doc: _Doc, real: str, mask: str, offs: list[int], ends: list[int], start: int = 0
    ) -> None:
        self.doc, self.real, self.mask = doc, real, mask
        self.offs, self.ends, self.start = offs, ends, start

    @classmethod
    def read(cls, lines: list[tuple[int, str]]) -> _Src:
        doc = _Doc(lines)
        raw = doc.raw
        real: list[str] = []
        mask: list[str] = []
        offs: list[int] = []
        ends: list[int] = []
        i = 0
        while i < len(raw):
            char = raw[i]
            following = raw[i + 1] if i + 1 < len(raw) else ""
            if char == "\\" and following and (following in ESCAPABLE or following == "n"):
                real.append("\n" if following == "n" else following)
                mask.append(_ESCAPED)
                offs.append(i)
                ends.append(i + 2)
                i += 2
                continue
            real.append(char)
            mask.append(char)
            offs.append(i)
            ends.append(i + 1)
            i += 1
        return cls(doc, "".join(real), "".join(mask), offs, ends)

    def __len__(self) -> int:
        return len(self.real)

    def __bool__(self) -> bool:
        return bool(self.real)

    def __getitem__(self, key: slice) -> _Src:
        i, j, _ = key.indices(len(self.real))
        j = max(i, j)
        return _Src(self.doc, self.real[i:j], self.mask[i:j], self.offs, self.ends, self.start + i)

    def find(self, sub: str, start: int = 0) -> int:
        return self.mask.find(sub, start)

    def startswith(self, prefix: str) -> bool:
        return self.mask.startswith(prefix)

    def strip(self) -> _Src:
        return self.lstrip().rstrip()

    def lstrip(self) -> _Src:
        return self[len(self.mask) - len(self.mask.lstrip()) :]

    def rstrip(self) -> _Src:
        return self[: len(self.mask.rstrip())]

    @property
    def line(self) -> int:
        """The source line of the first character that is not a space."""
        if not self.offs:
            return 0
        skip = len(self.mask) - len(self.mask.lstrip())
        index = min(self.start + (skip if skip < len(self.mask) else 0), len(self.offs) - 1)
        return self.doc.line_of(self.offs[index])

    @property
    def source(self) -> str:
        """The text as written in the file (escapes and all), on one line, shortened."""
        if not self.real:
            return ""
        raw = self.doc.raw[self.offs[self.start] : self.ends[self.start + len(self.real) - 1]]
        return _snippet(raw)


def _snippet(raw: str) -> str:
    text = " ".join(raw.split())
    return text if len(text) <= SNIPPET_LENGTH else text[: SNIPPET_LENGTH - 1] + "…"


def _unescape(text: str) -> str:
    return _Src.read([(0, text)]).real


def _blocks(text: str) -> Iterable[tuple[list[tuple[int, str]], list[str]]]:
    """The questions of a file: runs of lines between blank lines, and their comment lines."""
    block: list[tuple[int, str]] = []
    comments: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            if block:
                yield block, comments
            block, comments = [], []
        elif stripped.startswith("//"):
            comments.append(stripped)
        else:
            block.append((number, line))
    if block:
        yield block, comments


def _take_format(src: _Src) -> tuple[str | None, _Src]:
    """A leading ``[format]`` marker (Moodle's four names only) and the text after it."""
    match = FORMAT_MARKER.match(src.mask)
    if match is None:
        return None, src
    return match.group(1), src[match.end() :].lstrip()


def _segments(block: _Src) -> tuple[_Src, list[tuple[str, _Src]]]:
    """Split an answer block at every ``=`` and ``~``: the text before, then (marker, answer)."""
    marks = [index for index, char in enumerate(block.mask) if char in "=~"]
    lead = block[: marks[0] if marks else len(block)].strip()
    segments = [
        (block.mask[start], block[start : marks[k + 1] if k + 1 < len(marks) else len(block)])
        for k, start in enumerate(marks)
    ]
    return lead, segments


class _BlockParser:
    """Reads one question block; records problems instead of stopping at the first one."""

    def __init__(self, lines: list[tuple[int, str]], category: str) -> None:
        self.src = _Src.read(lines)
        self.category = category
        self.problems: list[GiftProblem] = []

    def error(self, where: _Src, message: str) -> None:
        self.problems.append(GiftProblem(where.line, where.source, message))

    def text(self, src: _Src) -> str:
        """An answer, feedback or general feedback: trimmed, without its format marker."""
        _, src = _take_format(src.strip())
        return src.strip().real

    def parse(self) -> Question | None:
        whole = rest = self.src.strip()
        title = ""
        if rest.startswith("::"):
            end = rest.find("::", 2)
            if end < 0:
                self.error(rest, "the title is not closed: '::title::'")
                return None
            name = rest[2:end].strip()
            if not name:
                self.error(rest[: end + 2], "empty title: write '::title::' or leave it out")
                return None
            title = name.real
            rest = rest[end + 2 :].strip()
        text_format, rest = _take_format(rest)
        question = Question(
            type=DESCRIPTION,
            text="",
            text_format=text_format or DEFAULT_FORMAT,
            title=title,
            category=self.category,
            line=whole.line,
        )

        opening, closing = rest.find("{"), rest.find("}")
        if opening < 0 and closing < 0:
            return self.finish(whole, question, text=rest.real)
        if closing >= 0 and (opening < 0 or closing < opening):
            self.error(rest[closing:], "'}' without '{' before it (write \\} for a brace)")
            return None
        if closing < 0:
            self.error(rest[opening:], "'{' is never closed with '}'")
            return None
        nested = rest.find("{", opening + 1)
        if 0 <= nested < closing:
            self.error(rest[nested:closing], "'{' inside the answers (write \\{ for a brace)")
            return None
        after = rest[closing + 1 :]
        for brace in "{}":
            stray = after.find(brace)
            if stray >= 0:
                self.error(
                    after[stray:],
                    f"'{brace}' after the answers: a question has one answer block "
                    f"(write \\{brace} for a brace)",
                )
                return None
        prefix, answers = rest[:opening], rest[opening + 1 : closing]
        if after.real.strip():
            text, suffix = prefix.real, after.real
        else:
            text, suffix = prefix.rstrip().real, ""

        general = ""
        separator = answers.mask.rfind("####")
        if separator >= 0:
            general = self.text(answers[separator + 4 :])
            answers = answers[:separator]
        answers = answers.strip()
        question = replace(question, general_feedback=general, missing_word_suffix=suffix)

        if not answers:
            return self.finish(whole, question, text=text, type=ESSAY)
        if answers.startswith("#"):
            return self.finish(whole, question, text=text, **self.numerical(answers))
        lead, segments = _segments(answers)
        if segments and lead:
            self.error(
                lead,
                "text before the first answer: answers start with '=' or '~' "
                "(write \\= or \\~ for the characters themselves)",
            )
            return None
        if any(marker == "~" for marker, _ in segments):
            return self.finish(whole, question, text=text, **self.choice(segments, bool(suffix)))
        if any(self.is_pair(segment) for _, segment in segments):
            return self.finish(whole, question, text=text, **self.matching(answers, segments))
        if not segments:
            word = lead[: lead.find("#")] if lead.find("#") >= 0 else lead
            if word.strip().real.upper() not in TRUEFALSE_WORDS:
                self.error(
                    lead,
                    "unknown answer: answers start with '=' (right) or '~' (wrong); "
                    "{T} or {F} for true/false, {#...} for a number, {} for an essay",
                )
                return None
            return self.finish(whole, question, text=text, **self.truefalse(lead))
        return self.finish(whole, question, text=text, **self.shortanswer(segments))

    def finish(self, whole: _Src, question: Question, **changes: object) -> Question | None:
        if self.problems:
            return None
        question = replace(question, **changes)
        for message in validate(question):
            self.problems.append(GiftProblem(question.line, whole.source, message))
        return None if self.problems else question

    # -- answers ------------------------------------------------------------------------

    def weight(self, body: _Src, where: _Src) -> tuple[float | None, _Src]:
        """A leading ``%50%`` as a fraction (0.5), and the text after it."""
        body = body.lstrip()
        match = WEIGHT.match(body.mask)
        if match is None:
            return None, body
        inner = match.group(1).strip()
        if not WEIGHT_NUMBER.fullmatch(inner):
            if any(char.isdigit() for char in inner):
                self.error(where, f"malformed weight %{inner}%: write it as %50% or %-33.3%")
            return None, body
        percent = Decimal(inner)
        if not -100 <= percent <= 100:
            self.error(where, f"weight {inner}% is outside -100%..100%")
        return float(percent / 100), body[match.end() :]

    def feedback(self, body: _Src) -> tuple[_Src, str]:
        """Split ``answer#feedback`` at the first ``#``."""
        at = body.find("#")
        if at < 0:
            return body, ""
        return body[:at], self.text(body[at + 1 :])

    def is_pair(self, segment: _Src) -> bool:
        """``=left -> right`` without a weight: a matching pair (a weight means short answer)."""
        if not segment.startswith("="):
            return False
        weight = WEIGHT.match(segment[1:].lstrip().mask)
        answer, _ = self.feedback(segment[1:])
        return weight is None and "->" in answer.mask

    def choice(self, segments: list[tuple[str, _Src]], has_blank: bool) -> dict[str, object]:
        single = any(marker == "=" for marker, _ in segments)
        answers: list[Answer] = []
        for marker, segment in segments:
            weight, body = self.weight(segment[1:], segment)
            text, feedback = self.feedback(body)
            if marker == "=":
                if weight is not None and weight != 1.0:
                    self.error(
                        segment,
                        "'=' marks the right answer and takes no weight; "
                        "give partial credit with ~%50%answer",
                    )
                fraction = 1.0
            else:
                fraction = 0.0 if weight is None else weight
            answers.append(self.answer(segment, text, fraction, feedback))
        kind = (MISSINGWORD if has_blank else SINGLE) if single else MULTIPLE
        return {"type": kind, "answers": tuple(answers)}

    def answer(self, segment: _Src, text: _Src, fraction: float, feedback: str) -> Answer:
        value = self.text(text)
        if not value:
            self.error(segment, "empty answer")
        return Answer(value, fraction, feedback)

    def matching(self, block: _Src, segments: list[tuple[str, _Src]]) -> dict[str, object]:
        answers: list[Answer] = []
        for _, segment in segments:
            if not self.is_pair(segment):
                self.error(
                    segment,
                    "every answer of a matching question is a pair '=left -> right' "
                    "without weight (mixed '=' and '->' answers)",
                )
                continue
            body = segment[1:]
            if body.find("#") >= 0:
                self.error(segment, "matching pairs have no feedback (write \\# for a '#')")
            arrow = body.find("->")
            left = self.text(body[:arrow])
            right = body[arrow + 2 :].strip().real
            if not right:
                self.error(segment, "the pair has nothing after '->'")
            answers.append(Answer(left, 1.0 if left else 0.0, match=right))
        if len([answer for answer in answers if answer.text]) < MIN_PAIRS and not self.problems:
            self.error(block, f"a matching question needs at least {MIN_PAIRS} pairs")
        return {"type": MATCHING, "answers": tuple(answers)}

    def truefalse(self, lead: _Src) -> dict[str, object]:
        hashes = [index for index, char in enumerate(lead.mask) if char == "#"]
        if len(hashes) > 2:
            self.error(
                lead[hashes[2] :],
                "true/false takes two feedbacks at most: {T#if wrong#if right} "
                "(write \\# for a '#')",
            )
        cuts = [0, *(index + 1 for index in hashes[:2]), len(lead) + 1]
        parts = [lead[cuts[k] : cuts[k + 1] - 1] for k in range(len(cuts) - 1)]
        correct = parts[0].strip().real.upper() in TRUE_WORDS
        wrong = self.text(parts[1]) if len(parts) > 1 else ""
        right = self.text(parts[2]) if len(parts) > 2 else ""
        answers = truefalse_answers(
            correct,
            true_feedback=right if correct else wrong,
            false_feedback=wrong if correct else right,
        )
        return {"type": TRUEFALSE, "answers": answers}

    def shortanswer(self, segments: list[tuple[str, _Src]]) -> dict[str, object]:
        answers: list[Answer] = []
        for _, segment in segments:
            weight, body = self.weight(segment[1:], segment)
            text, feedback = self.feedback(body)
            answers.append(self.answer(segment, text, 1.0 if weight is None else weight, feedback))
        return {"type": SHORTANSWER, "answers": tuple(answers)}

    def numerical(self, block: _Src) -> dict[str, object]:
        """``block`` is the answer block, starting with its ``#``."""
        lead, segments = _segments(block[1:])
        items = ([("=", lead, lead)] if lead else []) + [
            (marker, segment[1:], segment) for marker, segment in segments
        ]
        if not items:
            self.error(block, "a numerical question needs an answer: {#42} or {#41..43}")
        answers: list[Answer] = []
        for marker, body, where in items:
            if marker == "~":
                before, feedback = self.feedback(body)
                if before.strip():
                    self.error(
                        where,
                        "in a numerical question '~' only gives the feedback for any other "
                        "number: ~#feedback",
                    )
                answers.append(Answer(ANY_NUMBER, 0.0, feedback))
                continue
            weight, body = self.weight(body, where)
            spec, feedback = self.feedback(body)
            answer = self.number(self.text(spec), where)
            if answer is not None:
                fraction = 1.0 if weight is None else weight
                answers.append(replace(answer, fraction=fraction, feedback=feedback))
        return {"type": NUMERICAL, "answers": tuple(answers)}

    def number(self, spec: str, where: _Src) -> Answer | None:
        """``42``, ``42:0.5``, ``41..43`` or ``*`` as an answer (fraction set by the caller)."""
        if spec == ANY_NUMBER:
            return Answer(ANY_NUMBER, 1.0)
        try:
            if spec.find("..") > 0:
                low_text, high_text = spec.split("..", 1)
                low, high = parse_number(low_text), parse_number(high_text)
                if low > high:
                    self.error(where, f"the range {spec} is empty: write min..max")
                    return None
                return Answer("", 1.0, low=low, high=high)
            value, colon, tolerance_text = spec.partition(":")
            parse_number(value)
            tolerance = parse_number(tolerance_text) if colon else 0.0
        except ValueError:
            self.error(where, f"{spec!r} is not a number: write 42, 42:0.5 (tolerance) or 41..43")
            return None
        if tolerance < 0:
            self.error(where, f"the tolerance of {spec} is negative")
            return None
        return Answer(value.strip(), 1.0, tolerance=tolerance)


def parse_gift(text: str, *, default_category: str = "") -> list[Question]:
    """Read a whole GIFT file; every question or none (``GiftError`` lists all problems).

    Questions before the first ``$CATEGORY:`` line get ``default_category``. A byte order mark
    and Windows or old Mac line endings are accepted.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    questions: list[Question] = []
    problems: list[GiftProblem] = []
    category = default_category
    for block, comments in _blocks(text):
        first = block[0][1]
        if first.lstrip().startswith(CATEGORY):
            # Moodle swallows the rest of the block into the category name; a question
            # right under the category line is read as a question instead.
            category = _unescape(first.lstrip()[len(CATEGORY) :]).strip()
            block = block[1:]
            if not block:
                continue
        parser = _BlockParser(block, category)
        question = parser.parse()
        problems.extend(parser.problems)
        if question is not None:
            if any(CASE_SENSITIVE_TAG.search(comment) for comment in comments):
                question = replace(question, case_sensitive=True)
            questions.append(question)
    if problems:
        raise GiftError(problems)
    return questions


# -- writing ------------------------------------------------------------------------------


def escape(text: str) -> str:
    """``text`` with GIFT's special characters escaped and line breaks written as ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out: list[str] = []
    for char in text:
        if char in ESCAPABLE:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)


def _needs_marker(text: str) -> bool:
    """Whether a text would lose its start when read back (a weight or a format marker)."""
    return text.startswith("%") or FORMAT_MARKER.match(text) is not None


def _inline(text: str, text_format: str) -> str:
    """An answer or feedback, with a format marker in front when its start needs guarding."""
    return (f"[{text_format}]" if _needs_marker(text) else "") + escape(text)


def _question_text(question: Question) -> str:
    text = question.text
    guard = question.text_format != DEFAULT_FORMAT or _needs_marker(text) or text.startswith("//")
    return (f"[{question.text_format}]" if guard else "") + escape(text)


def format_number(value: float) -> str:
    """The shortest decimal that reads back as exactly ``value`` (``5.0`` -> ``5``)."""
    text = format(Decimal(repr(value)).normalize(), "f")
    return text if len(text) <= 24 else repr(value)


def format_weight(fraction: float) -> str:
    """A fraction as a GIFT percentage that reads back exactly (``0.5`` -> ``50``)."""
    return format((Decimal(repr(fraction)) * 100).normalize(), "f")


def _feedback(text: str, text_format: str) -> str:
    return "#" + _inline(text, text_format) if text else ""


def _general(question: Question, indent: str = "\t") -> list[str]:
    if not question.general_feedback:
        return []
    return [f"{indent}####{_inline(question.general_feedback, question.text_format)}"]


def _lines_block(lines: list[str]) -> str:
    return "\n" + "\n".join(lines) + "\n"


def _choice_block(question: Question) -> str:
    fmt = question.text_format
    lines = []
    for answer in question.answers:
        if answer.fraction == 1.0 and question.type in (SINGLE, MISSINGWORD):
            marker = "="
        elif answer.fraction == 0.0:
            marker = "~"
        else:
            marker = f"~%{format_weight(answer.fraction)}%"
        lines.append(f"\t{marker}{_inline(answer.text, fmt)}{_feedback(answer.feedback, fmt)}")
    return _lines_block(lines + _general(question))


def _shortanswer_block(question: Question) -> str:
    fmt = question.text_format
    lines = []
    for answer in question.answers:
        # A weight also stops an answer containing '->' from reading as a matching pair.
        weighted = answer.fraction != 1.0 or "->" in answer.text
        weight = f"%{format_weight(answer.fraction)}%" if weighted else ""
        lines.append(f"\t={weight}{_inline(answer.text, fmt)}{_feedback(answer.feedback, fmt)}")
    return _lines_block(lines + _general(question))


def _number_spec(answer: Answer) -> str:
    if answer.is_range:
        return f"{format_number(answer.low)}..{format_number(answer.high)}"  # type: ignore[arg-type]
    if answer.tolerance:
        return f"{answer.text}:{format_number(answer.tolerance)}"
    return answer.text


def _numerical_block(question: Question) -> str:
    fmt = question.text_format
    answers = question.answers
    only = answers[0] if len(answers) == 1 else None
    if only and only.fraction == 1.0 and not only.feedback and only.text != ANY_NUMBER:
        general = _general(question, indent="")
        return "#" + _number_spec(only) + (general[0] if general else "")
    lines = []
    for answer in answers:
        if answer.text == ANY_NUMBER and answer.fraction == 0.0:
            lines.append(f"\t~{_feedback(answer.feedback, fmt)}")
            continue
        weight = f"%{format_weight(answer.fraction)}%" if answer.fraction != 1.0 else ""
        lines.append(f"\t={weight}{_number_spec(answer)}{_feedback(answer.feedback, fmt)}")
    return "#" + _lines_block(lines + _general(question))


def _matching_block(question: Question) -> str:
    lines = [
        f"\t={_inline(answer.text, question.text_format)} -> {escape(answer.match or '')}"
        for answer in question.answers
    ]
    return _lines_block(lines + _general(question))


def _truefalse_block(question: Question) -> str:
    fmt = question.text_format
    true, false = question.answers
    is_true = true.fraction == 1.0
    right, wrong = (true, false) if is_true else (false, true)
    out = "TRUE" if is_true else "FALSE"
    if wrong.feedback or right.feedback:
        out += "#" + _inline(wrong.feedback, fmt)
    if right.feedback:
        out += "#" + _inline(right.feedback, fmt)
    general = _general(question, indent="")
    return out + (general[0] if general else "")


def _essay_block(question: Question) -> str:
    general = _general(question, indent="")
    return general[0] if general else ""


_BLOCKS = {
    SINGLE: _choice_block,
    MISSINGWORD: _choice_block,
    MULTIPLE: _choice_block,
    SHORTANSWER: _shortanswer_block,
    NUMERICAL: _numerical_block,
    MATCHING: _matching_block,
    TRUEFALSE: _truefalse_block,
    ESSAY: _essay_block,
}


def write_question(question: Question) -> str:
    """One question in GIFT (no category line, no trailing newline); it must validate."""
    head = CASE_SENSITIVE_COMMENT + "\n" if question.case_sensitive else ""
    head += f"::{escape(question.title)}::" if question.title else ""
    head += _question_text(question)
    if question.type == DESCRIPTION:
        return head
    return (
        head + "{" + _BLOCKS[question.type](question) + "}" + escape(question.missing_word_suffix)
    )


def to_gift(questions: Iterable[Question]) -> str:
    """Write questions as a GIFT file, with a ``$CATEGORY:`` line wherever the category changes.

    ``parse_gift(to_gift(qs)) == qs`` for questions that validate and whose texts are trimmed
    as GIFT trims them. Raises ``GiftExportError`` if any question does not validate.
    """
    chunks: list[str] = []
    problems: list[str] = []
    category = ""
    for number, question in enumerate(questions, start=1):
        found = validate(question)
        if found:
            name = question.title or _snippet(question.text)[:40]
            problems.extend(f"question {number} ({name!r}): {message}" for message in found)
            continue
        if question.category != category:
            category = question.category
            chunks.append(f"{CATEGORY} {escape(category)}".rstrip())
        chunks.append(write_question(question))
    if problems:
        raise GiftExportError(problems)
    return "\n\n".join(chunks) + "\n" if chunks else ""
