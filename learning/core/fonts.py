"""The fonts shipped with CapaCity, and which of them draws which character.

Printable documents (certificates) must show a person's name in any script. No single font
covers them all, so a small set of Noto fonts ships in ``learning/core/fonts/`` (provenance
and licences in its README.md) and is read from there at run time, never from the system.

A *face* is one font file under a short name:

=================  ===========================================================================
face               covers
=================  ===========================================================================
serif, serif-bold  Latin (accents, Vietnamese, IPA), Greek, Cyrillic: Noto Serif
sans, sans-bold    the same in Noto Sans
arabic(-bold)      Arabic, Persian, Urdu (and Arabic digits, basic punctuation): Noto Naskh Arabic
devanagari(-bold)  Devanagari (Hindi, Marathi, Nepali ...): Noto Sans Devanagari
cjk                Hangul (every syllable and jamo), kana, the Han characters of GB 2312 and
                   JIS X 0208, CJK punctuation, full-width forms: Noto Sans CJK JP (subset, one
                   weight, also used where bold is asked for)
=================  ===========================================================================

``split_runs(text)`` cuts a text into runs that one face draws each (spaces and punctuation stay
with the run around them, so an Arabic name with a space is one run and is shaped as a whole);
``fonts_for_text(text)`` lists the font files a text needs; ``missing_characters(text)`` what no
shipped font can draw. Everything here is pure and cached; the only dependency is fontTools
(already needed by fpdf2) to read each font's character map.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_DIR: Path = Path(__file__).resolve().with_name("fonts")


@dataclass(frozen=True, slots=True)
class Face:
    """One shipped font file: its short name, file name, weight and the scripts it is for."""

    name: str
    filename: str
    bold: bool
    scripts: tuple[str, ...]

    @property
    def path(self) -> Path:
        return FONT_DIR / self.filename


_LATIN = ("latin", "greek", "cyrillic")

FACES: dict[str, Face] = {
    face.name: face
    for face in (
        Face("serif", "NotoSerif-Regular.ttf", False, _LATIN),
        Face("serif-bold", "NotoSerif-Bold.ttf", True, _LATIN),
        Face("sans", "NotoSans-Regular.ttf", False, _LATIN),
        Face("sans-bold", "NotoSans-Bold.ttf", True, _LATIN),
        Face("arabic", "NotoNaskhArabic-Regular.ttf", False, ("arabic",)),
        Face("arabic-bold", "NotoNaskhArabic-Bold.ttf", True, ("arabic",)),
        Face("devanagari", "NotoSansDevanagari-Regular.ttf", False, ("devanagari",)),
        Face("devanagari-bold", "NotoSansDevanagari-Bold.ttf", True, ("devanagari",)),
        Face("cjk", "NotoSansCJKjp-Regular-subset.otf", False, ("hangul", "kana", "han")),
    )
}

STYLES = ("serif", "sans")

# Characters that never decide the font on their own: they join the run they are in when its
# face has them (a space inside an Arabic name must not break its shaping).
_JOINERS = frozenset("\u200c\u200d\u200e\u200f\u2060\ufeff")


def font_path(name: str) -> Path:
    """The file of the face ``name`` (a key of ``FACES``); ``KeyError`` for an unknown name."""
    try:
        return FACES[name].path
    except KeyError:
        raise KeyError(f"unknown font face {name!r}; known: {', '.join(FACES)}") from None


def fallback_chain(style: str = "serif", *, bold: bool = False) -> tuple[str, ...]:
    """The faces tried in order for a character, starting with ``style`` (serif or sans)."""
    if style not in STYLES:
        raise ValueError(f"unknown font style {style!r}; known: {', '.join(STYLES)}")
    suffix = "-bold" if bold else ""
    other = "sans" if style == "serif" else "serif"
    return (
        style + suffix,
        "arabic" + suffix,
        "devanagari" + suffix,
        "cjk",
        other + suffix,
    )


@cache
def charset(name: str) -> frozenset[int]:
    """The code points the face ``name`` maps to a glyph (its cmap), read once."""
    font = TTFont(font_path(name), lazy=True)
    try:
        return frozenset(font.getBestCmap() or ())
    finally:
        font.close()


def covers(name: str, char: str) -> bool:
    """Whether the face ``name`` has a glyph for the single character ``char``."""
    return ord(char) in charset(name)


def _is_neutral(char: str) -> bool:
    category = unicodedata.category(char)
    return char in _JOINERS or category[0] in "ZPM" or category in ("Cc", "Cf", "Sk")


def split_runs(text: str, *, style: str = "serif", bold: bool = False) -> list[tuple[str, str]]:
    """Cut ``text`` into ``(segment, face name)`` runs, each drawn by one face.

    A character goes to the first face of ``fallback_chain(style, bold=bold)`` that has it;
    spaces, punctuation, combining marks and joiners stay in the current run when its face has
    them (leading ones join the first run). A character no face has goes to the first face, so
    it shows as that face's missing-glyph box: see ``missing_characters``.
    """
    chain = fallback_chain(style, bold=bold)
    runs: list[tuple[str, str]] = []
    pending = ""  # neutral characters seen before the first run
    current_face: str | None = None
    current = ""
    for char in text:
        if current_face is not None and _is_neutral(char) and covers(current_face, char):
            current += char
            continue
        if current_face is None and _is_neutral(char):
            pending += char
            continue
        face = next((name for name in chain if covers(name, char)), chain[0])
        if face == current_face:
            current += char
            continue
        if current_face is not None:
            runs.append((current, current_face))
            current = char
        else:
            if not all(covers(face, c) for c in pending):
                runs.append((pending, chain[0]))
                pending = ""
            current = pending + char
            pending = ""
        current_face = face
    if current_face is not None:
        runs.append((current, current_face))
    elif pending:
        runs.append((pending, chain[0]))
    return runs


def fonts_for_text(text: str, *, style: str = "serif", bold: bool = False) -> list[Path]:
    """The font files needed to draw ``text``, in order of first use (see ``split_runs``)."""
    seen: dict[str, None] = {}
    for _segment, face in split_runs(text, style=style, bold=bold):
        seen.setdefault(face, None)
    return [font_path(face) for face in seen]


def missing_characters(text: str) -> list[str]:
    """The distinct visible characters of ``text`` that no shipped face can draw."""
    missing: dict[str, None] = {}
    for char in text:
        if char in _JOINERS or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        if not any(covers(name, char) for name in FACES):
            missing.setdefault(char, None)
    return list(missing)
