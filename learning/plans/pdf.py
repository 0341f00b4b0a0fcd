"""A plan as a PDF to present at the live session (fpdf2, Noto fonts for any script).

Pure: the caller gives the words (already translated) and the Markdown of each section; the
text is rendered and sanitised by ``core.text`` and laid out by fpdf2's HTML support. Fonts
come from ``learning/core/fonts`` (never the system), added only when the text needs them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fpdf import FPDF
from fpdf.fonts import FontFace, TextStyle

from learning.core import fonts
from learning.core.text import render_markdown

BODY = "sans"
FALLBACKS = ("arabic", "devanagari", "cjk")
INK = (33, 37, 41)
ACCENT = (0, 82, 147)


@dataclass
class PlanDocument:
    title: str
    subtitle: str  # course and run
    facts: list[tuple[str, str]]  # (label, value): team, state, due date, reviewer ...
    sections: list[tuple[str, str]]  # (title, Markdown)
    footer: str  # e.g. "CapaCity · generated 6 Dec 2026 (Asia/Seoul)"
    empty_text: str = "—"
    review: list[tuple[str, str]] = field(default_factory=list)  # (criterion, level/points)
    review_title: str = ""


class _PlanPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(BODY, size=8)
        self.set_text_color(110, 110, 110)
        self.cell(0, 8, f"{self.footer_text}   {self.page_no()}/{{nb}}", align="C")


def _all_text(doc: PlanDocument) -> str:
    parts = [doc.title, doc.subtitle, doc.footer, doc.review_title]
    parts += [f"{a} {b}" for a, b in doc.facts + doc.review]
    parts += [f"{a} {b}" for a, b in doc.sections]
    return "\n".join(parts)


def _setup_fonts(pdf: FPDF, text: str) -> None:
    needed = {face for _segment, face in fonts.split_runs(text, style=BODY)}
    pdf.add_font(BODY, "", str(fonts.font_path("sans")))
    pdf.add_font(BODY, "B", str(fonts.font_path("sans-bold")))
    # Italics fall back to the upright faces: Noto italics are not shipped.
    pdf.add_font(BODY, "I", str(fonts.font_path("sans")))
    pdf.add_font(BODY, "BI", str(fonts.font_path("sans-bold")))
    fallbacks = []
    for name in FALLBACKS:
        if name not in needed:
            continue  # the CJK font alone is 6 MB to read: only when the text needs it
        bold = name if name == "cjk" else f"{name}-bold"
        pdf.add_font(name, "", str(fonts.font_path(name)))
        pdf.add_font(name, "B", str(fonts.font_path(bold)))
        fallbacks.append(name)
    if fallbacks:
        pdf.set_fallback_fonts(fallbacks, exact_match=False)


def _html_for_pdf(markdown: str) -> str:
    html = render_markdown(markdown, shift_headings=2)
    # No remote or local images in an export: fpdf2 would fetch them.
    html = re.sub(r"<img\b[^>]*>", "", html)
    return html


def render_plan(doc: PlanDocument) -> bytes:
    """The plan as PDF bytes: a title block, the facts, each section, the rubric scores."""
    pdf = _PlanPDF(format="A4")
    pdf.footer_text = doc.footer
    pdf.set_title(doc.title)
    pdf.set_creator("CapaCity")
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=20)
    _setup_fonts(pdf, _all_text(doc))
    pdf.add_page()
    pdf.set_text_color(*ACCENT)
    pdf.set_font(BODY, "B", 20)
    pdf.multi_cell(0, 9, doc.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font(BODY, "", 11)
    pdf.multi_cell(0, 6, doc.subtitle, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    for label, value in doc.facts:
        pdf.set_font(BODY, "B", 10)
        pdf.cell(38, 6, label)
        pdf.set_font(BODY, "", 10)
        pdf.multi_cell(0, 6, value or doc.empty_text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_draw_color(*ACCENT)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)
    styles = {
        "h3": TextStyle(font_family=BODY, font_style="B", font_size_pt=13, color=INK, t_margin=4),
        "h4": TextStyle(font_family=BODY, font_style="B", font_size_pt=12, color=INK, t_margin=3),
        "h5": TextStyle(font_family=BODY, font_style="B", font_size_pt=11, color=INK, t_margin=3),
        "h6": TextStyle(font_family=BODY, font_style="B", font_size_pt=11, color=INK, t_margin=3),
        "code": TextStyle(font_family=BODY, color=INK),
        "pre": TextStyle(font_family=BODY, color=INK, t_margin=2, b_margin=2),
    }
    for number, (title, markdown) in enumerate(doc.sections, start=1):
        pdf.set_text_color(*ACCENT)
        pdf.set_font(BODY, "B", 14)
        pdf.multi_cell(0, 8, f"{number}. {title}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
        pdf.set_font(BODY, "", 11)
        if markdown.strip():
            pdf.write_html(
                _html_for_pdf(markdown),
                font_family=BODY,
                tag_styles=styles,
                li_prefix_color=ACCENT,
                warn_on_tags_not_matching=False,
            )
        else:
            pdf.set_text_color(110, 110, 110)
            pdf.multi_cell(0, 6, doc.empty_text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(*INK)
        pdf.ln(4)
    if doc.review:
        pdf.set_text_color(*ACCENT)
        pdf.set_font(BODY, "B", 14)
        pdf.multi_cell(0, 8, doc.review_title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(*INK)
        pdf.set_font(BODY, "", 10)
        with pdf.table(
            col_widths=(2, 1),
            headings_style=FontFace(emphasis="BOLD"),
            first_row_as_headings=False,
        ) as table:
            for criterion, level in doc.review:
                row = table.row()
                row.cell(criterion)
                row.cell(level)
    return bytes(pdf.output())
