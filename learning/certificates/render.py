"""Printable certificates: a PNG (Pillow) with the signed credential baked in, and a PDF (fpdf2).

Pure: no database, no Flask, no clock. The caller gives a ``CertificateView`` with every text
already formatted and translated (dates, hours and labels through Flask-Babel in the holder's
locale), and gets bytes back::

    view = CertificateView(
        holder_name="김민준", course_title="Climate-resilient streets", programme="...",
        hours="12", issued_on="6 December 2026", issuer_name="CapaCity",
        signatory_name="Ana Pérez", signatory_title="Programme director",
        code="K7QF-2M9X-TR4D", verification_url="https://example.org/verify/K7QF2M9XTR4D",
        labels=CertificateLabels(title=_("Certificate of completion"), ...),
    )
    png = render_png(view, credential_jwt=jwt)   # image/png, credential baked in
    pdf = render_pdf(view)                       # application/pdf, vector text
    unbake_png(png) == jwt

Text in any script is drawn with the fonts shipped in ``learning/core/fonts`` (never the
system's): ``learning.core.fonts.split_runs`` picks the face for each character, the Unicode
bidirectional algorithm (fpdf2's implementation) orders the runs, and HarfBuzz (uharfbuzz)
shapes each run, so Arabic joins and Devanagari forms its conjuncts in both formats, on any
machine, with or without libraqm/FriBiDi on the system. The PNG draws each shaped glyph with
Pillow through a copy of the font whose character map points Private Use code points at glyph
ids (Pillow can draw characters, not glyph ids); the PDF embeds subsets of the same fonts with
fpdf2's own HarfBuzz shaping.

Baking follows Open Badges 3.0: the compact JWT goes into one uncompressed ``iTXt`` chunk with
the keyword ``openbadgecredential``. ``unbake_png`` reads it back without decoding the image.
"""

from __future__ import annotations

import io
import re
import struct
import tempfile
import threading
import unicodedata
import zlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path

import qrcode
import qrcode.constants
import uharfbuzz as hb
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fpdf import FPDF
from fpdf.bidi import BidiParagraph
from fpdf.enums import TextMode
from PIL import Image, ImageDraw, ImageFont

from learning.core import fonts

__all__ = [
    "BAKED_KEYWORD",
    "PDF_SIZE_MM",
    "PNG_DPI",
    "PNG_SIZE",
    "CertificateLabels",
    "CertificateView",
    "bake_png",
    "render_pdf",
    "render_png",
    "unbake_png",
    "warm_up",
]

BAKED_KEYWORD = "openbadgecredential"
PDF_SIZE_MM = (297.0, 210.0)  # A4 landscape
PNG_DPI = 200
PNG_SIZE = (2339, 1654)  # A4 landscape at 200 dpi
MAX_CREDENTIAL_LENGTH = 1_000_000  # characters of a baked JWT; a real one is a few kB

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_PUA = 0xF0000  # glyph id g is drawn as the character U+F0000 + g (Supplementary PUA-A)
# Control characters become spaces; explicit bidi embeddings, overrides and isolates are dropped,
# so a name cannot reorder what is printed around it. ZWJ/ZWNJ (needed by Arabic, Indic) stay.
_STRIP = {
    **dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)], " "),
    **dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)]),
}
_SPACES = re.compile(" {2,}")
_RTL_CLASSES = frozenset({"R", "AL", "AN", "RLE", "RLO", "RLI", "FSI"})
_SEPARATOR = "\u2003\u00b7\u2003"  # em space, middle dot, em space


@dataclass(frozen=True, slots=True)
class CertificateLabels:
    """The fixed words of the certificate, already translated by the caller."""

    title: str  # "Certificate of completion"
    certifies: str  # "This certifies that"
    completed: str  # "has completed the course"
    programme: str  # "Programme"
    hours: str  # "Hours"
    issued: str  # "Issued"
    code: str  # "Certificate code"
    verify: str  # "Verify at"


@dataclass(frozen=True, slots=True)
class CertificateView:
    """Everything printed on a certificate, as display text. Empty optional parts are left out.

    ``hours`` and ``issued_on`` are formatted by the caller (Babel, the holder's locale);
    ``language`` (BCP 47, e.g. ``"ko"``) is written into the PDF for screen readers;
    ``issued_at`` (timezone-aware) becomes the PDF's creation date, which makes the PDF the same
    bytes every time (without it fpdf2 uses the current time).
    """

    holder_name: str
    course_title: str
    issuer_name: str
    issued_on: str
    code: str
    verification_url: str
    labels: CertificateLabels
    programme: str = ""
    hours: str = ""
    signatory_name: str = ""
    signatory_title: str = ""
    language: str = ""
    issued_at: datetime | None = None


# -- layout (millimetres and points, shared by both formats) -------------------------------------

_NAVY = (27, 45, 79)
_GOLD = (166, 124, 62)
_INK = (33, 33, 33)
_GREY = (92, 92, 92)
_PAPER = (253, 251, 246)
_PT_MM = 25.4 / 72
_EMBOLDEN = 0.045  # stroke width, in ems, that makes a regular CJK face look bold


@dataclass(frozen=True, slots=True)
class _Segment:
    """A piece of one line drawn by one face in one direction, at ``x`` mm from the left."""

    text: str
    face: str
    rtl: bool
    x: float
    width: float  # mm
    embolden: bool = False  # bold asked for, but the face has one weight (CJK): thicken it


@dataclass(frozen=True, slots=True)
class _Line:
    segments: tuple[_Segment, ...]
    baseline: float  # mm from the top
    size: float  # pt
    color: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float  # mm
    color: tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _Layout:
    lines: tuple[_Line, ...]
    rules: tuple[_Rule, ...]
    qr_modules: tuple[tuple[bool, ...], ...]
    qr_box: tuple[float, float, float]  # x, y, side in mm (quiet zone included)


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "").translate(_STRIP)
    return _SPACES.sub(" ", text).strip()


@cache
def _hb_font(face: str) -> tuple[hb.Font, int]:
    blob = hb.Blob(fonts.font_path(face).read_bytes())
    hb_face = hb.Face(blob)
    return hb.Font(hb_face), hb_face.upem


@lru_cache(maxsize=1024)  # labels, titles and issuers recur on every certificate
def _shape(text: str, face: str, rtl: bool) -> tuple[tuple, tuple, int]:
    font, upem = _hb_font(face)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = "rtl" if rtl else "ltr"
    hb.shape(font, buf, {"kern": True, "liga": True})
    return tuple(buf.glyph_infos), tuple(buf.glyph_positions), upem


def _advance(text: str, face: str, rtl: bool) -> float:
    """Width of ``text`` in ems."""
    _infos, positions, upem = _shape(text, face, rtl)
    return sum(p.x_advance for p in positions) / upem


def _visual_runs(text: str, style: str, bold: bool) -> list[tuple[str, str, bool]]:
    """``(text, face, rtl)`` runs of one line, in visual order left to right."""
    if not text:
        return []
    face_runs = fonts.split_runs(text, style=style, bold=bold)
    if not any(unicodedata.bidirectional(c) in _RTL_CLASSES for c in text):
        return [(run, face, False) for run, face in face_runs]  # all left to right
    chars = BidiParagraph(text, preserve_bn_chars=True).get_characters_with_embedding_level()
    faces: list[str] = []
    for run, face in face_runs:
        faces.extend([face] * len(run))
    runs: list[list] = []  # [text, face, level]
    for char, face in zip(chars, faces, strict=True):
        level = char.embedding_level
        if runs and runs[-1][1] == face and runs[-1][2] == level:
            runs[-1][0] += char.character
        else:
            runs.append([char.character, face, level])
    # Rule L2 of the bidi algorithm on whole runs: from the highest level to the lowest odd
    # one, reverse every sequence of runs at that level or higher.
    levels = [run[2] for run in runs]
    odd = [level for level in levels if level % 2]
    if odd:
        for level in range(max(levels), min(odd) - 1, -1):
            i = 0
            while i < len(runs):
                if runs[i][2] >= level:
                    j = i
                    while j < len(runs) and runs[j][2] >= level:
                        j += 1
                    runs[i:j] = runs[i:j][::-1]
                    i = j
                else:
                    i += 1
    return [(run_text, face, level % 2 == 1) for run_text, face, level in runs]


def _measure(runs: list[tuple[str, str, bool]], size: float) -> list[float]:
    return [_advance(text, face, rtl) * size * _PT_MM for text, face, rtl in runs]


def _place(
    runs: list[tuple[str, str, bool]], size: float, x: float, align: str, bold: bool
) -> tuple[_Segment, ...]:
    widths = _measure(runs, size)
    total = sum(widths)
    left = {"center": x - total / 2, "left": x, "right": x - total}[align]
    segments = []
    for (text, face, rtl), width in zip(runs, widths, strict=True):
        embolden = bold and not fonts.FACES[face].bold
        segments.append(_Segment(text, face, rtl, left, width, embolden))
        left += width
    return tuple(segments)


def _split_two(text: str) -> tuple[str, str] | None:
    """The split of ``text`` into two lines that balances their lengths best."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    if spaces:
        cut = min(spaces, key=lambda i: abs(len(text) / 2 - i))
        return text[:cut], text[cut + 1 :]
    if len(text) > 1 and all(fonts.covers("cjk", c) for c in text):  # no spaces in CJK names
        cut = len(text) // 2
        return text[:cut], text[cut:]
    return None


def _text_lines(
    text: str,
    *,
    y: float,
    size: float,
    style: str = "sans",
    bold: bool = False,
    color: tuple[int, int, int] = _INK,
    x: float = PDF_SIZE_MM[0] / 2,
    align: str = "center",
    max_width: float = 240.0,
    min_size: float = 0.0,
    two_lines: bool = False,
    first_line_up: float = 0.5,
) -> list[_Line]:
    """One line at ``size`` shrunk to fit ``max_width``; below ``min_size`` it may take two
    lines when ``two_lines``, shrinking further only if it must. Two lines are a line apart,
    the first ``first_line_up`` of that above ``y`` (0.5: centred on ``y``)."""
    text = _clean(text)
    if not text:
        return []
    runs = _visual_runs(text, style, bold)
    width = sum(_measure(runs, size))
    fit = size if width <= max_width else size * max_width / width
    if fit < min_size and two_lines and (parts := _split_two(text)):
        halves = [_visual_runs(part, style, bold) for part in parts]
        widest = max(sum(_measure(half, size)) for half in halves)
        fit2 = size if widest <= max_width else size * max_width / widest
        if fit2 > fit:
            gap = fit2 * _PT_MM * 1.2
            return [
                _Line(
                    _place(half, fit2, x, align, bold), y + (i - first_line_up) * gap, fit2, color
                )
                for i, half in enumerate(halves)
            ]
    return [_Line(_place(runs, fit, x, align, bold), y, fit, color)]


def _labelled(label: str, value: str) -> str:
    value = _clean(value)
    return f"{_clean(label)}: {value}" if value else ""


def _qr_modules(url: str) -> tuple[tuple[bool, ...], ...]:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


@lru_cache(maxsize=16)
def _layout(view: CertificateView) -> _Layout:
    """The placed content of ``view``; cached, so a PNG and a PDF of one view share it."""
    labels = view.labels
    page_w, page_h = PDF_SIZE_MM
    mid = page_w / 2
    lines: list[_Line] = []
    add = lines.extend
    # Two faces for Latin text (serif bold, sans): each face embedded costs a PDF time.
    add(
        _text_lines(
            view.issuer_name, y=33, size=14, style="serif", bold=True, color=_NAVY, max_width=200
        )
    )
    add(_text_lines(labels.title, y=54, size=34, style="serif", bold=True, color=_NAVY))
    add(_text_lines(labels.certifies, y=69, size=13, color=_GREY))
    name_lines = _text_lines(
        view.holder_name,
        y=89,
        size=40,
        style="serif",
        bold=True,
        max_width=235,
        min_size=24,
        two_lines=True,
        first_line_up=0.85,  # two lines grow upwards, clear of the rule below
    )
    add(name_lines)
    # The rule under the name: 160 mm, or as wide as the name and a little more.
    widest = max(
        (abs(line.segments[-1].x + line.segments[-1].width - mid) for line in name_lines),
        default=0.0,
    )
    rule_half = min(max(80.0, widest + 6), 125.0)
    add(_text_lines(labels.completed, y=108, size=13, color=_GREY))
    add(
        _text_lines(
            view.course_title,
            y=122,
            size=24,
            style="serif",
            bold=True,
            color=_NAVY,
            max_width=235,
            min_size=16,
            two_lines=True,
        )
    )
    add(_text_lines(_labelled(labels.programme, view.programme), y=136, size=13))
    details = [
        _labelled(labels.hours, view.hours),
        _labelled(labels.issued, view.issued_on),
    ]
    add(_text_lines(_SEPARATOR.join(d for d in details if d), y=146, size=12, color=_GREY))
    # Signature block, bottom left.
    sig_x = 78.0
    add(
        _text_lines(
            view.signatory_name, y=180, size=13, style="serif", bold=True, x=sig_x, max_width=90
        )
    )
    add(_text_lines(view.signatory_title, y=186, size=10, color=_GREY, x=sig_x, max_width=90))
    # Code and verification address, right-aligned beside the QR code, bottom right.
    qr_side = 34.0
    qr_x, qr_y = page_w - 16 - qr_side, page_h - 16 - qr_side
    add(
        _text_lines(
            _labelled(labels.code, view.code),
            y=180,
            size=11.5,
            style="serif",
            bold=True,
            x=qr_x - 3,
            align="right",
            max_width=110,
        )
    )
    add(
        _text_lines(
            _labelled(labels.verify, view.verification_url),
            y=186,
            size=9,
            color=_GREY,
            x=qr_x - 3,
            align="right",
            max_width=110,
        )
    )
    rules = (
        _Rule(8, 8, page_w - 8, page_h - 8, 1.6, _NAVY),  # outer frame (a rectangle)
        _Rule(11.5, 11.5, page_w - 11.5, page_h - 11.5, 0.35, _GOLD),  # inner frame
        _Rule(mid - 22, 39, mid + 22, 39, 0.5, _GOLD),  # under the issuer
        _Rule(mid - rule_half, 97, mid + rule_half, 97, 0.35, _GOLD),  # under the name
        _Rule(sig_x - 42, 173, sig_x + 42, 173, 0.3, _INK),  # signature line
    )
    return _Layout(tuple(lines), rules, _qr_modules(view.verification_url), (qr_x, qr_y, qr_side))


# -- PNG ---------------------------------------------------------------------------------------


@cache
def _glyph_font_bytes(face: str) -> bytes:
    """The face's font with a character map sending U+F0000 + g to glyph g, and nothing else."""
    font = TTFont(fonts.font_path(face), recalcBBoxes=False, recalcTimestamp=False)
    count = font["maxp"].numGlyphs
    names = [f"g{i}" for i in range(count)]
    font.setGlyphOrder(names)
    table = CmapSubtable.newSubtable(12)
    table.platformID, table.platEncID, table.language = 3, 10, 0
    table.cmap = {_PUA + gid: name for gid, name in enumerate(names)}
    font["cmap"].tables = [table]
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@cache
def _pil_font(face: str, size_px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(
        io.BytesIO(_glyph_font_bytes(face)), size_px, layout_engine=ImageFont.Layout.BASIC
    )


_FREETYPE = threading.Lock()


@lru_cache(maxsize=8192)
def _glyph_mask(
    face: str, size_px: float, glyph: int, stroke: int = 0
) -> tuple[Image.Image, int, int] | None:
    """Glyph ``glyph`` of ``face`` at ``size_px`` (thickened by ``stroke`` pixels) as a
    coverage mask, with the offset of its top-left corner from the pen position on the
    baseline; ``None`` for a blank glyph."""
    char = chr(_PUA + glyph)
    with _FREETYPE:  # one FreeType face must not be used by two threads at once
        font = _pil_font(face, size_px)
        left, top, right, bottom = font.getbbox(char, anchor="ls", stroke_width=stroke)
        if right <= left or bottom <= top:
            return None
        mask = Image.new("L", (right - left, bottom - top), 0)
        ImageDraw.Draw(mask).text(
            (-left, -top),
            char,
            font=font,
            fill=255,
            anchor="ls",
            stroke_width=stroke,
            stroke_fill=255,
        )
    return mask, left, top


# The PNG is drawn as palette indices: paper, 16 steps from paper to each text colour
# (anti-aliasing), the rule colours and the QR code's black and white. A palette PNG is a third
# of the size of an RGB one and several times faster to encode.
_LEVELS = 16
_TEXT_COLORS = (_NAVY, _INK, _GREY)


def _blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, ...]:
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=True))


_PALETTE: list[tuple[int, ...]] = [_PAPER]
_TEXT_BASE: dict[tuple[int, int, int], int] = {}
for _color in _TEXT_COLORS:
    _TEXT_BASE[_color] = len(_PALETTE) - 1  # index of level k is base + k, k = 1.._LEVELS
    _PALETTE += [_blend(_PAPER, _color, k / _LEVELS) for k in range(1, _LEVELS + 1)]
_INDEX = {_color: _TEXT_BASE[_color] + _LEVELS for _color in _TEXT_COLORS}
for _color in (_GOLD, (255, 255, 255), (0, 0, 0)):
    _INDEX[_color] = len(_PALETTE)
    _PALETTE.append(_color)
_PALETTE_BYTES = bytes(v for rgb in _PALETTE for v in rgb)
_COVERED = [255 if (v * _LEVELS + 127) // 255 else 0 for v in range(256)]


def _level_lut(color: tuple[int, int, int]) -> list[int]:
    base = _TEXT_BASE[color]
    return [base + level if (level := (v * _LEVELS + 127) // 255) else 0 for v in range(256)]


def _draw_line(image: Image.Image, line: _Line, scale: float) -> None:
    size_px = max(1.0, round(line.size * _PT_MM * scale * 4) / 4)  # quarter pixels: cacheable
    baseline = line.baseline * scale
    placed: list[tuple[Image.Image, int, int]] = []
    for segment in line.segments:
        infos, positions, upem = _shape(segment.text, segment.face, segment.rtl)
        factor = size_px / upem
        pen = segment.x * scale
        stroke = round(size_px * _EMBOLDEN / 2) if segment.embolden else 0
        for info, pos in zip(infos, positions, strict=True):
            glyph = _glyph_mask(segment.face, size_px, info.codepoint, stroke)
            if glyph is not None:
                mask, left, top = glyph
                x = round(pen + pos.x_offset * factor) + left
                y = round(baseline - pos.y_offset * factor) + top
                placed.append((mask, x, y))
            pen += pos.x_advance * factor
    if not placed:
        return
    x0 = min(x for _m, x, _y in placed)
    y0 = min(y for _m, _x, y in placed)
    x1 = max(x + m.width for m, x, _y in placed)
    y1 = max(y + m.height for m, _x, y in placed)
    coverage = Image.new("L", (x1 - x0, y1 - y0), 0)
    for mask, x, y in placed:
        coverage.paste(255, (x - x0, y - y0, x - x0 + mask.width, y - y0 + mask.height), mask)
    image.paste(coverage.point(_level_lut(line.color)), (x0, y0), coverage.point(_COVERED))


def render_png(view: CertificateView, *, credential_jwt: str | None = None) -> bytes:
    """The certificate as a PNG of ``PNG_SIZE`` pixels (A4 landscape at ``PNG_DPI``).

    With ``credential_jwt`` (a compact JWS) the credential is baked in (see ``bake_png``);
    ``ValueError`` if it is not one (checked before any drawing).
    """
    if credential_jwt is not None:
        _check_jwt(credential_jwt)
    layout = _layout(view)
    scale = PNG_SIZE[0] / PDF_SIZE_MM[0]  # px per mm
    image = Image.new("L", PNG_SIZE, 0)  # palette indices, 0 = paper
    draw = ImageDraw.Draw(image)
    for rule in layout.rules:
        line_px = max(1, round(rule.width * scale))
        if rule.y1 == rule.y2:
            px = [round(v * scale) for v in (rule.x1, rule.y1, rule.x2, rule.y2)]
            draw.line(px, fill=_INDEX[rule.color], width=line_px)
        else:  # Pillow draws a frame inside its box; PDF strokes centre on the path.
            half = rule.width / 2
            box = (rule.x1 - half, rule.y1 - half, rule.x2 + half, rule.y2 + half)
            draw.rectangle(
                [round(v * scale) for v in box], outline=_INDEX[rule.color], width=line_px
            )
    for line in layout.lines:
        _draw_line(image, line, scale)
    _draw_qr_png(image, layout, scale)
    image.putpalette(_PALETTE_BYTES)
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(PNG_DPI, PNG_DPI), compress_level=3)
    data = out.getvalue()
    return bake_png(data, credential_jwt) if credential_jwt is not None else data


def _draw_qr_png(image: Image.Image, layout: _Layout, scale: float) -> None:
    modules = layout.qr_modules
    count = len(modules)
    x, y, side = layout.qr_box
    black, white = _INDEX[(0, 0, 0)], _INDEX[(255, 255, 255)]
    qr = Image.new("L", (count, count), white)
    qr.putdata([black if dark else white for row in modules for dark in row])
    side_px = round(side * scale)
    qr = qr.resize((side_px, side_px), Image.Resampling.NEAREST)
    image.paste(qr, (round(x * scale), round(y * scale)))


def warm_up() -> None:
    """Load every shipped face for both formats now rather than on the first certificate that
    needs it (the CJK face alone takes about half a second); for a worker's start-up."""
    for face in fonts.FACES:
        _hb_font(face)
        _hb_face(face)
        _pil_font(face, 40.0)


# -- baking ------------------------------------------------------------------------------------


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bake_png(png: bytes, credential_jwt: str) -> bytes:
    """``png`` with ``credential_jwt`` in one uncompressed iTXt chunk ``openbadgecredential``
    just before IEND (an existing one is replaced). ``ValueError`` if ``credential_jwt`` is not
    a compact JWS or ``png`` is not a PNG."""
    _check_jwt(credential_jwt)
    chunks = [c for c in _chunks(png) if not _is_baked(c)]
    # keyword, NUL, compression flag 0 and method 0, empty language tag and translated keyword.
    data = BAKED_KEYWORD.encode("latin-1") + b"\0\0\0\0\0" + credential_jwt.encode("ascii")
    out = [_PNG_SIGNATURE]
    for kind, body in chunks:
        if kind == b"IEND":
            out.append(_chunk(b"iTXt", data))
        out.append(_chunk(kind, body))
    return b"".join(out)


def _check_jwt(credential_jwt: str) -> None:
    if not isinstance(credential_jwt, str) or not _JWT.fullmatch(credential_jwt):
        raise ValueError("credential_jwt must be a compact JWS (three base64url parts)")
    if len(credential_jwt) > MAX_CREDENTIAL_LENGTH:
        raise ValueError("credential_jwt is too long to bake")


def _is_baked(chunk: tuple[bytes, bytes]) -> bool:
    kind, body = chunk
    return kind == b"iTXt" and body.split(b"\0", 1)[0] == BAKED_KEYWORD.encode()


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """The ``(type, data)`` chunks of a PNG up to IEND, CRCs checked; ``ValueError`` if ``data``
    is not a well-formed PNG stream."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError("not a PNG: expected bytes")
    data = bytes(data)
    if not data.startswith(_PNG_SIGNATURE):
        raise ValueError("not a PNG: bad signature")
    chunks: list[tuple[bytes, bytes]] = []
    pos = len(_PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise ValueError("not a PNG: truncated (no IEND)")
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        end = pos + 8 + length
        if length > 0x7FFFFFFF or end + 4 > len(data):
            raise ValueError("not a PNG: chunk runs past the end")
        if not kind.isalpha():
            raise ValueError("not a PNG: bad chunk type")
        body = data[pos + 8 : end]
        (crc,) = struct.unpack_from(">I", data, end)
        if zlib.crc32(kind + body) != crc:
            raise ValueError(f"not a PNG: bad CRC in a {kind.decode('latin-1')} chunk")
        if not chunks and kind != b"IHDR":
            raise ValueError("not a PNG: IHDR is not the first chunk")
        chunks.append((kind, body))
        pos = end + 4
        if kind == b"IEND":
            return chunks


def unbake_png(data: bytes) -> str | None:
    """The compact JWT baked into a PNG, or ``None`` when it carries none.

    Reads the chunks only (the image is never decoded). ``ValueError`` (and never another
    exception) when ``data`` is not a well-formed PNG (bad signature, truncated, a bad CRC), or
    when its ``openbadgecredential`` iTXt chunk is not exactly one uncompressed chunk holding a
    compact JWS: a second chunk, compression, bad UTF-8 or anything else than a JWT is refused
    rather than guessed at. Whether the JWT's signature holds is the caller's check.
    """
    baked = [body for kind, body in _chunks(data) if _is_baked((kind, body))]
    if not baked:
        return None
    if len(baked) > 1:
        raise ValueError("more than one openbadgecredential chunk")
    # keyword NUL, compression flag, compression method, language tag NUL, translated keyword
    # NUL, text.
    rest = baked[0][len(BAKED_KEYWORD) + 1 :]
    if len(rest) < 2 or rest[:2] != b"\0\0":
        raise ValueError("the openbadgecredential chunk must be uncompressed")
    try:
        _language, _translated, text = rest[2:].split(b"\0", 2)
        credential = text.decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        raise ValueError("malformed openbadgecredential chunk") from None
    if len(credential) > MAX_CREDENTIAL_LENGTH or not _JWT.fullmatch(credential):
        raise ValueError("the openbadgecredential chunk does not hold a compact JWT")
    return credential


# -- PDF ---------------------------------------------------------------------------------------


def render_pdf(view: CertificateView) -> bytes:
    """The certificate as a one-page A4 landscape PDF with real (selectable, searchable) text in
    embedded font subsets, and a vector QR code."""
    layout = _layout(view)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 0
    pdf.set_creator("CapaCity")
    pdf.set_title(_clean(f"{view.labels.title}: {view.holder_name}"))
    pdf.set_subject(_clean(view.course_title))
    pdf.set_author(_clean(view.issuer_name))
    if view.language:
        pdf.set_lang(view.language)
    if view.issued_at is not None:
        pdf.set_creation_date(view.issued_at)
    pdf.add_page()
    page_w, page_h = PDF_SIZE_MM
    pdf.set_fill_color(*_PAPER)
    pdf.rect(0, 0, page_w, page_h, style="F")
    for rule in layout.rules:
        pdf.set_draw_color(*rule.color)
        pdf.set_line_width(rule.width)
        if rule.y1 == rule.y2:
            pdf.line(rule.x1, rule.y1, rule.x2, rule.y2)
        else:
            pdf.rect(rule.x1, rule.y1, rule.x2 - rule.x1, rule.y2 - rule.y1)
    _draw_qr_pdf(pdf, layout)
    characters: dict[str, set[str]] = {}
    for line in layout.lines:
        for segment in line.segments:
            characters.setdefault(segment.face, set()).update(segment.text)
    with tempfile.TemporaryDirectory(prefix="capacity-certificate-") as folder:
        for face, chars in characters.items():
            _add_font(pdf, face, chars, Path(folder))
        for line in layout.lines:
            pdf.set_text_color(*line.color)
            size_mm = line.size * _PT_MM
            for segment in line.segments:
                pdf.set_font(segment.face, "", line.size)
                pdf.set_text_shaping(True, direction="rtl" if segment.rtl else "ltr")
                if segment.embolden:  # fill and stroke the outline: still real text
                    pdf.text_mode = TextMode.FILL_STROKE
                    pdf.set_draw_color(*line.color)
                    # fpdf2 2.8 writes a text stroke's width unscaled, as points.
                    pdf.set_line_width(size_mm * _EMBOLDEN * pdf.k)
                else:
                    pdf.text_mode = TextMode.FILL
                # A cell's baseline is at its top + half its height + 0.3 of the font size.
                pdf.set_xy(segment.x, line.baseline - 0.8 * size_mm)
                pdf.cell(w=segment.width, h=size_mm, text=segment.text)
        return bytes(pdf.output())


@cache
def _hb_face(face: str) -> hb.Face:
    return hb.Face(hb.Blob(fonts.font_path(face).read_bytes()))


def _add_font(pdf: FPDF, face: str, chars: set[str], folder: Path) -> None:
    """Give ``pdf`` the face cut down to ``chars`` (and what shaping them can reach).

    fpdf2 parses a whole font in ``add_font`` and subsets it again with fontTools when it
    writes the PDF: tens of milliseconds per face for our fonts, hundreds for the CJK one.
    HarfBuzz's subsetter (C, about a millisecond) first cuts the face to the characters of this
    document, keeping the OpenType layout closure, so fpdf2 shapes with the small font exactly
    as with the whole one and has little left to do.
    """
    subset_input = hb.SubsetInput()
    # The space too: HarfBuzz draws invisible characters (ZWNJ, ZWJ) with the space glyph, and
    # drops them when the font has none, which fpdf2 does not expect.
    subset_input.unicode_set.update(ord(c) for c in {" ", *chars})
    subset = hb.subset(_hb_face(face), subset_input)
    path = folder / f"{face}{fonts.font_path(face).suffix}"
    path.write_bytes(bytes(subset.blob.data) if subset else fonts.font_path(face).read_bytes())
    pdf.add_font(face, "", path)
    # The subset's bounding boxes are right already: spare fontTools recomputing each glyph's.
    ttfont = getattr(pdf.fonts.get(face), "ttfont", None)
    if ttfont is not None:
        ttfont.recalcBBoxes = False


def _qr_rectangles(modules: tuple[tuple[bool, ...], ...]) -> list[tuple[int, int, int, int]]:
    """The dark modules as ``(column, row, width, height)`` rectangles: runs along each row,
    with the same run on the rows below merged into one taller rectangle."""
    done: list[tuple[int, int, int, int]] = []
    open_runs: dict[tuple[int, int], int] = {}  # (first column, end column) -> first row
    for row_index, row in enumerate((*modules, ())):
        runs: set[tuple[int, int]] = set()
        start = None
        for col, dark in enumerate((*row, False)):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                runs.add((start, col))
                start = None
        for run in [r for r in open_runs if r not in runs]:
            first_row = open_runs.pop(run)
            done.append((run[0], first_row, run[1] - run[0], row_index - first_row))
        for run in runs:
            open_runs.setdefault(run, row_index)
    return done


def _draw_qr_pdf(pdf: FPDF, layout: _Layout) -> None:
    x, y, side = layout.qr_box
    unit = side / len(layout.qr_modules)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, side, side, style="F")
    pdf.set_fill_color(0, 0, 0)
    for col, row, width, height in _qr_rectangles(layout.qr_modules):
        pdf.rect(x + col * unit, y + row * unit, width * unit, height * unit, style="F")
