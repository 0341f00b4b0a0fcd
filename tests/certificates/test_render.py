"""Printable certificates: PNG and PDF content, scripts, QR code, and baking the credential.

Pure tests: no app, no database (``render`` takes strings and returns bytes).
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pypdf
import pypdfium2
import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, ImageFont, PngImagePlugin

from learning.certificates import render
from learning.certificates.render import (
    BAKED_KEYWORD,
    PNG_SIZE,
    CertificateLabels,
    CertificateView,
    bake_png,
    render_pdf,
    render_png,
    unbake_png,
)
from learning.core import fonts


@pytest.fixture(autouse=True)
def _reset_rate_limits():
    """Pure tests: no app (overrides the suite-wide fixture that builds one)."""
    yield


LABELS = CertificateLabels(
    title="Certificate of Completion",
    certifies="This certifies that",
    completed="has successfully completed the course",
    programme="Programme",
    hours="Learning hours",
    issued="Issued",
    code="Certificate code",
    verify="Verify at",
)
URL = "https://capacity.example.org/verify/6f1c2a9e-1b7d-4c55-9a7e-3f0d2c8b1a44"
# A compact JWS as the signing code makes it (header.payload.signature, base64url).
JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6Imh0dHBzOi8vZXhhbXBsZS5vcmcva2V5cy8xIiwidHlwIjoiSldUIn0"
    ".eyJpc3MiOiJodHRwczovL2V4YW1wbGUub3JnIiwianRpIjoidXJuOnV1aWQ6MSJ9"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmUtMDEyMzQ1Njc4OQ"
)

NAMES = {
    "latin": "Zoë Ångström-Núñez",
    "vietnamese": "Nguyễn Thị Phương",
    "cyrillic": "Алексей Щукин",
    "greek": "Αλέξανδρος Παπαδόπουλος",
    "hangul": "김민준",
    "arabic": "محمد علي",
    "persian": "پرویز گلچین",
    "devanagari": "प्रियंका श्रीवास्तव",
    "japanese": "山田 はなこ",
    "chinese": "王小明",
}


def make_view(**overrides) -> CertificateView:
    fields = {
        "holder_name": "Zoë Ångström-Núñez",
        "course_title": "Climate-Resilient Streets",
        "programme": "Urban Youth Champions",
        "hours": "12",
        "issued_on": "6 December 2026",
        "issuer_name": "CapaCity",
        "signatory_name": "Ana Pérez",
        "signatory_title": "Programme Director",
        "code": "K7QF-2M9X-TR4D",
        "verification_url": URL,
        "labels": LABELS,
        "language": "en",
    }
    fields.update(overrides)
    return CertificateView(**fields)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        chunks.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return chunks


def build_png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    out = [b"\x89PNG\r\n\x1a\n"]
    for kind, body in chunks:
        crc = zlib.crc32(kind + body)
        out.append(struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc))
    return b"".join(out)


def itxt(text: bytes, *, keyword: bytes = BAKED_KEYWORD.encode(), flag: bytes = b"\0") -> bytes:
    return keyword + b"\0" + flag + b"\0" + b"\0" + b"\0" + text


@pytest.fixture(scope="module")
def plain_png() -> bytes:
    return render_png(make_view())


@pytest.fixture(scope="module")
def baked_png() -> bytes:
    return render_png(make_view(), credential_jwt=JWT)


def pdf_text(data: bytes) -> str:
    text = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    return re.sub(r"[\x00-\x09\x0b-\x1f]", "", text)  # pypdf leaves CID bytes from CFF fonts


def ink(image: Image.Image, box: tuple[int, int, int, int]) -> int:
    """How many pixels in ``box`` differ from the paper."""
    region = image.convert("RGB").crop(box)
    paper = Image.new("RGB", region.size, render._PAPER)
    return sum(ImageChops.difference(region, paper).convert("L").histogram()[41:])


# -- PNG -----------------------------------------------------------------------------------------


def test_png_is_a4_landscape_at_200_dpi(plain_png):
    image = Image.open(io.BytesIO(plain_png))
    image.verify()
    image = Image.open(io.BytesIO(plain_png))
    assert image.format == "PNG"
    assert image.size == PNG_SIZE == (2339, 1654)
    assert image.size[0] / image.size[1] == pytest.approx(297 / 210, rel=1e-3)
    assert image.info["dpi"] == pytest.approx((200, 200), abs=0.01)


def test_png_qr_code_decodes_to_the_verification_url(plain_png):
    image = Image.open(io.BytesIO(plain_png)).convert("RGB")
    codes = zxingcpp.read_barcodes(image)
    assert [c.text for c in codes] == [URL]
    assert codes[0].format == zxingcpp.BarcodeFormat.QRCode
    # Bottom-right corner, inside the frame.
    pos = codes[0].position
    assert pos.top_left.x > PNG_SIZE[0] * 0.75
    assert pos.top_left.y > PNG_SIZE[1] * 0.65
    assert pos.bottom_right.x < PNG_SIZE[0] - 100
    assert pos.bottom_right.y < PNG_SIZE[1] - 100


def test_another_url_gives_another_qr_code():
    other = "https://capacity.example.org/verify/00000000-0000-4000-8000-000000000000"
    image = Image.open(io.BytesIO(render_png(make_view(verification_url=other))))
    assert [c.text for c in zxingcpp.read_barcodes(image.convert("RGB"))] == [other]


def test_png_rendering_is_deterministic(plain_png):
    assert render_png(make_view()) == plain_png


# The band of the page where the holder's name is drawn (between "certifies" and the rule).
NAME_BAND = (150, 600, 2190, 750)


@pytest.mark.parametrize("script", NAMES)
def test_png_draws_each_script_with_real_glyphs(script):
    name = NAMES[script]
    # Every character has a glyph in a shipped font, and after shaping no glyph is .notdef.
    assert fonts.missing_characters(name) == []
    for text, face, rtl in render._visual_runs(name, "serif", True):
        infos, _positions, _upem = render._shape(text, face, rtl)
        assert all(info.codepoint != 0 for info in infos), (script, text, face)
    image = Image.open(io.BytesIO(render_png(make_view(holder_name=name))))
    assert ink(image, NAME_BAND) > 2000
    # And the name is what is drawn there: another name draws something else.
    other = Image.open(io.BytesIO(render_png(make_view(holder_name=name + name[0]))))
    assert ImageChops.difference(
        image.convert("L").crop(NAME_BAND), other.convert("L").crop(NAME_BAND)
    ).getbbox()


def test_arabic_letters_join_and_devanagari_forms_conjuncts():
    # Shaped "محمد": the first meem takes its initial form, another glyph than the lone letter.
    (alone,), *_ = render._shape("م", "arabic-bold", True)
    joined, *_ = render._shape("محمد", "arabic-bold", True)
    assert len(joined) == 4
    assert joined[-1].codepoint != alone.codepoint  # RTL: the first letter is drawn last
    # "प्रि" (pa, virama, ra, vowel sign i): ra becomes a conjunct and the i-sign goes first.
    shaped, *_ = render._shape("प्रि", "devanagari-bold", False)
    assert len(shaped) < 4
    assert shaped[0].cluster == 0  # one cluster, reordered inside
    assert {g.cluster for g in shaped} == {0}


def test_one_weight_faces_are_thickened_where_bold_is_asked_for():
    layout = render._layout(make_view(holder_name="김민준 Kim"))
    name = next(line for line in layout.lines if "김민준 " in [s.text for s in line.segments])
    assert [(s.face, s.embolden) for s in name.segments] == [("cjk", True), ("serif-bold", False)]
    labels = [s for line in layout.lines for s in line.segments if s.text == "This certifies that"]
    assert [s.embolden for s in labels] == [False]
    content = pypdf.PdfReader(io.BytesIO(render_pdf(make_view(holder_name="김민준 Kim"))))
    operators = content.pages[0].get_contents().get_data().decode("latin-1")
    # Fill and stroke (2 Tr) with a stroke 0.045 em wide: 40 pt * 0.045 = 1.8 pt.
    assert re.search(r" 2 Tr 1\.8\d w", operators)
    thick = Image.open(io.BytesIO(render_png(make_view(holder_name="김민준"))))
    thin = render._glyph_mask("cjk", 94.5, render._shape("김", "cjk", False)[0][0].codepoint)
    thicker = render._glyph_mask("cjk", 94.5, render._shape("김", "cjk", False)[0][0].codepoint, 2)
    assert sum(thicker[0].histogram()[128:]) > 1.2 * sum(thin[0].histogram()[128:])
    assert ink(thick, NAME_BAND) > 0


def test_bidi_orders_runs_visually():
    assert render._visual_runs("Zoë محمد", "sans", False) == [
        ("Zoë ", "sans", False),
        ("محمد", "arabic", True),
    ]
    # In a right-to-left line the Latin word is drawn first (leftmost).
    assert render._visual_runs("محمد Zoë", "sans", False) == [
        ("Zoë", "sans", False),
        ("محمد ", "arabic", True),
    ]
    # Digits in Arabic text keep their left-to-right order.
    runs = render._visual_runs("تاريخ الإصدار: 2026", "sans", False)
    assert runs[0] == ("2026", "sans", False)
    assert runs[-1][2] is True


def test_png_glyphs_are_drawn_without_libraqm():
    # The PNG path shapes with HarfBuzz from PyPI and draws glyph ids through Pillow's basic
    # layout, so a machine without libraqm/FriBiDi renders the same.
    font = render._pil_font("arabic", 40)
    assert font.layout_engine == ImageFont.Layout.BASIC


def test_very_long_names_shrink_or_wrap_to_stay_inside_the_frame():
    long_name = " ".join(["Maximiliana Alessandra Wolfeschlegelsteinhausen-Bergerdorff"] * 3)
    layout = render._layout(make_view(holder_name=long_name))
    name_lines = [
        line for line in layout.lines if any("Maximiliana" in s.text for s in line.segments)
    ]
    assert len(name_lines) == 2  # wrapped
    # Both lines above the rule under the name, which is as wide as they are.
    rule = next(r for r in layout.rules if r.y1 == r.y2 == 97)
    for line in name_lines:
        assert line.baseline + 0.3 * line.size * 25.4 / 72 < rule.y1
        assert (
            rule.x1 < line.segments[0].x and line.segments[-1].x + line.segments[-1].width < rule.x2
        )
    for line in name_lines:
        assert line.size < 40
        left = line.segments[0].x
        right = line.segments[-1].x + line.segments[-1].width
        assert left > 12 and right < 285
    image = Image.open(io.BytesIO(render_png(make_view(holder_name=long_name))))
    # Nothing drawn between the inner frame and the outer frame (left and right margins).
    scale = PNG_SIZE[0] / 297
    assert ink(image, (round(9.5 * scale), 500, round(11 * scale), 800)) == 0
    assert ink(image, (round(286 * scale), 500, round(287.5 * scale), 800)) == 0


def test_a_short_name_is_not_shrunk_and_a_long_one_without_spaces_is():
    short = render._layout(make_view(holder_name="Ana"))
    assert max(line.size for line in short.lines) == 40
    long_cjk = "王" * 60
    layout = render._layout(make_view(holder_name=long_cjk))
    lines = [line for line in layout.lines if any("王" in s.text for s in line.segments)]
    for line in lines:
        assert line.segments[-1].x + line.segments[-1].width - line.segments[0].x <= 235.01


def test_optional_parts_are_left_out():
    layout = render._layout(make_view(programme="", hours="", signatory_name=""))
    texts = ["".join(s.text for s in line.segments) for line in layout.lines]
    assert not any("Programme:" in t for t in texts)
    assert not any("Learning hours" in t for t in texts)
    assert "Issued: 6 December 2026" in texts


def test_control_and_bidi_override_characters_are_dropped():
    layout = render._layout(make_view(holder_name="Ana\u202e\nPérez\u2066x\u2069"))
    texts = ["".join(s.text for s in line.segments) for line in layout.lines]
    assert "Ana Pérezx" in texts


# -- baking ------------------------------------------------------------------------------------


def test_baked_png_yields_the_same_jwt_from_one_uncompressed_itxt_chunk(baked_png, plain_png):
    assert unbake_png(baked_png) == JWT
    chunks = png_chunks(baked_png)
    baked = [body for kind, body in chunks if kind == b"iTXt" and body.startswith(b"openbadge")]
    assert baked == [b"openbadgecredential\0\0\0\0\0" + JWT.encode()]
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    # Baking changes nothing else: the image is the same, and still a valid PNG.
    Image.open(io.BytesIO(baked_png)).verify()
    assert (
        Image.open(io.BytesIO(baked_png)).tobytes() == Image.open(io.BytesIO(plain_png)).tobytes()
    )
    assert Image.open(io.BytesIO(baked_png)).text[BAKED_KEYWORD] == JWT  # Pillow reads it too


def test_png_without_credential_unbakes_to_none(plain_png):
    assert unbake_png(plain_png) is None
    # Other text chunks, and the keyword in a tEXt chunk (not how baking is done), are ignored.
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "hello")
    info.add_text(BAKED_KEYWORD, JWT)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    assert unbake_png(out.getvalue()) is None


def test_baking_again_replaces_the_credential(baked_png):
    other = JWT[:-4] + "AAAA"
    rebaked = bake_png(baked_png, other)
    assert unbake_png(rebaked) == other
    assert sum(1 for kind, _ in png_chunks(rebaked) if kind == b"iTXt") == 1


def test_a_duplicate_credential_chunk_is_refused(baked_png):
    chunks = png_chunks(baked_png)
    forged = build_png([*chunks[:1], (b"iTXt", itxt(b"eyJhbGciOiJub25lIn0.e30.")), *chunks[1:]])
    with pytest.raises(ValueError, match="more than one"):
        unbake_png(forged)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (itxt(JWT.encode(), flag=b"\1"), "uncompressed"),
        (itxt(b"not a jwt"), "compact JWT"),
        (itxt(b'{"@context": []}'), "compact JWT"),
        (itxt(b""), "compact JWT"),
        (itxt(JWT.encode() + b"\n"), "compact JWT"),
        (itxt(b"\xff\xfe.\xff.\xff"), "malformed"),
        (BAKED_KEYWORD.encode() + b"\0", "uncompressed"),
        (BAKED_KEYWORD.encode() + b"\0\0\0", "malformed"),
    ],
)
def test_a_garbled_credential_chunk_is_refused(plain_png, body, message):
    chunks = png_chunks(plain_png)
    with pytest.raises(ValueError, match=message):
        unbake_png(build_png([*chunks[:-1], (b"iTXt", body), chunks[-1]]))


def test_a_compressed_credential_chunk_is_refused():
    info = PngImagePlugin.PngInfo()
    info.add_itxt(BAKED_KEYWORD, JWT, zip=True)
    out = io.BytesIO()
    Image.new("RGB", (4, 4)).save(out, "PNG", pnginfo=info)
    with pytest.raises(ValueError, match="uncompressed"):
        unbake_png(out.getvalue())


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"GIF89a",
        b"\xff\xd8\xff\xe0" + b"\0" * 100,  # JPEG
        b"\x89PNG\r\n\x1a\n",  # signature only
        b"\x89PNG\r\n\x1a\n" + b"\0\0\0\x0dIHDR" + b"\0" * 5,  # truncated
        b"\x89PNG\r\n\x1a\n" + b"\xff\xff\xff\xffIHDR" + b"\0" * 30,  # absurd length
        "a string, not bytes",
        None,
    ],
)
def test_junk_is_refused_with_value_error(data):
    with pytest.raises(ValueError, match="not a PNG"):
        unbake_png(data)


def test_a_bad_crc_or_a_missing_ihdr_is_refused(baked_png):
    chunks = png_chunks(baked_png)
    index = next(i for i, (k, _) in enumerate(chunks) if k == b"iTXt")
    raw = bytearray(build_png(chunks))
    start = raw.find(b"iTXt")
    raw[start + 30] ^= 0x01  # flip a bit inside the credential
    with pytest.raises(ValueError, match="bad CRC"):
        unbake_png(bytes(raw))
    with pytest.raises(ValueError, match="IHDR"):
        unbake_png(build_png(chunks[index:]))


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300), cut=st.integers(0, 2000), flip=st.integers(0, 2000))
def test_unbake_never_raises_anything_but_value_error(baked_png, data, cut, flip):
    head = bytearray(baked_png[:2000])
    if flip < len(head):
        head[flip] ^= 0xFF
    for candidate in (data, b"\x89PNG\r\n\x1a\n" + data, bytes(head[:cut]), bytes(head)):
        try:
            result = unbake_png(candidate)
        except ValueError:
            continue
        assert result is None or result == JWT


def test_only_a_compact_jws_is_baked(plain_png):
    for bad in ("", "not a jwt", "a.b", "a.b.c.d", "a.b.c\n", "a.b.c\0x", "é.b.c"):
        with pytest.raises(ValueError, match="compact JWS"):
            render_png(make_view(), credential_jwt=bad)
        with pytest.raises(ValueError, match="compact JWS"):
            bake_png(plain_png, bad)
    with pytest.raises(ValueError, match="not a PNG"):
        bake_png(b"GIF89a", JWT)


# -- PDF ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_pdf(make_view())


def test_pdf_is_one_a4_landscape_page_with_real_text(pdf):
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert float(page.mediabox.width) == pytest.approx(841.89, abs=0.1)
    assert float(page.mediabox.height) == pytest.approx(595.28, abs=0.1)
    text = pdf_text(pdf)
    for expected in (
        "Certificate of Completion",
        "This certifies that",
        "Zoë Ångström-Núñez",
        "Climate-Resilient Streets",
        "Programme: Urban Youth Champions",
        "Learning hours: 12",
        "Issued: 6 December 2026",
        "Ana Pérez",
        "Programme Director",
        "Certificate code: K7QF-2M9X-TR4D",
        URL,
    ):
        assert expected in text
    # Fonts are embedded subsets, and nothing is an image (the QR code is vector too).
    resources = page["/Resources"]
    assert "/XObject" not in resources
    for font in resources["/Font"].values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor or "/FontFile3" in descriptor
    assert reader.metadata.title == "Certificate of Completion: Zoë Ångström-Núñez"
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_pdf_is_the_same_bytes_for_the_same_view_and_moment():
    moment = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)
    first = render_pdf(make_view(issued_at=moment))
    assert render_pdf(make_view(issued_at=moment)) == first
    assert render_pdf(make_view(issued_at=moment, code="OTHER")) != first
    assert pypdf.PdfReader(io.BytesIO(first)).metadata.creation_date == moment


@pytest.mark.parametrize("script", NAMES)
def test_pdf_text_holds_the_name_in_each_script(script):
    name = NAMES[script]
    assert name in pdf_text(render_pdf(make_view(holder_name=name)))


def test_pdf_qr_code_decodes_to_the_verification_url(pdf):
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=200 / 72).to_pil()
    finally:
        document.close()
    assert [c.text for c in zxingcpp.read_barcodes(image.convert("RGB"))] == [URL]


def test_pdf_and_png_show_the_same_page():
    view = make_view(holder_name="محمد علي")
    document = pypdfium2.PdfDocument(render_pdf(view))
    try:
        from_pdf = document[0].render(scale=100 / 72).to_pil().convert("L")
    finally:
        document.close()
    from_png = Image.open(io.BytesIO(render_png(view))).convert("L")
    # Anti-aliasing differs; shapes and positions do not: compare at 2 mm per pixel.
    small = (148, 105)
    a = from_pdf.resize(small, Image.Resampling.BOX)
    b = from_png.resize(small, Image.Resampling.BOX)
    assert sum(ImageChops.difference(a, b).histogram()[49:]) < 30  # another name: 70


def test_threads_render_the_same_images_as_one_thread():
    views = [make_view(holder_name=NAMES[s]) for s in ("hangul", "arabic", "devanagari", "latin")]
    expected = [render_png(v) for v in views]
    render._glyph_mask.cache_clear()  # every thread now renders glyphs afresh, at the same time
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(render_png, views)) == expected
        pdfs = list(pool.map(render_pdf, views))
    for view, data in zip(views, pdfs, strict=True):
        assert view.holder_name in pdf_text(data)


def test_pdf_qr_rectangles_cover_exactly_the_dark_modules():
    modules = render._qr_modules(URL)
    size = len(modules)
    covered = [[0] * size for _ in range(size)]
    rectangles = render._qr_rectangles(modules)
    for col, row, width, height in rectangles:
        for y in range(row, row + height):
            for x in range(col, col + width):
                covered[y][x] += 1
    assert [[bool(c) for c in row] for row in covered] == [list(row) for row in modules]
    assert max(max(row) for row in covered) == 1  # no overlaps
    assert len(rectangles) < sum(map(sum, modules)) / 2


def test_persian_names_with_a_zero_width_non_joiner_render():
    name = "محمد\u200cرضا"  # noqa: RUF001 (ZWNJ: the two parts of the name do not join)
    assert render._visual_runs(name, "serif", True) == [(name, "arabic-bold", True)]
    assert name in pdf_text(render_pdf(make_view(holder_name=name)))


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40))
def test_any_text_is_laid_out_without_losing_a_character(text):
    runs = render._visual_runs(text, "serif", True)
    assert sorted("".join(run for run, _face, _rtl in runs)) == sorted(text)
    for line in render._text_lines(text, y=90, size=40, two_lines=True, min_size=24):
        for segment in line.segments:
            assert segment.face in fonts.FACES


MIXED = list("aéŻ ЖΩمرضاक्षि김山か1()-.،\u200c\u200d\u0301")


@settings(max_examples=30, deadline=None)
@given(name=st.text(alphabet=st.sampled_from(MIXED), min_size=1, max_size=16))
def test_names_mixing_scripts_joiners_and_marks_render_in_both_formats(name):
    view = make_view(holder_name=name)
    assert Image.open(io.BytesIO(render_png(view))).size == PNG_SIZE
    assert pypdf.PdfReader(io.BytesIO(render_pdf(view))).pages[0].extract_text()
