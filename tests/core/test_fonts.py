"""The shipped fonts: present, licensed, small, and covering the scripts people's names use."""

from __future__ import annotations

import pytest

from learning.core import fonts


@pytest.fixture(autouse=True)
def _reset_rate_limits():
    """Pure tests: no app (overrides the suite-wide fixture that builds one)."""
    yield


NAMES = {
    "latin": ("Zoë Ångström-Núñez", "serif"),
    "vietnamese": ("Nguyễn Thị Phương", "serif"),
    "cyrillic": ("Алексей Щукин", "serif"),
    "greek": ("Αλέξανδρος Παπαδόπουλος", "serif"),
    "hangul": ("김민준", "cjk"),
    "arabic": ("محمد عبد الله", "arabic"),
    "persian": ("پرویز گلچین", "arabic"),
    "devanagari": ("प्रियंका श्रीवास्तव", "devanagari"),
    "japanese": ("やまだ はなこ 山田花子", "cjk"),
    "chinese": ("王小明", "cjk"),
}


def test_every_face_ships_in_the_package_with_its_licence():
    assert fonts.FONT_DIR.name == "fonts"
    assert fonts.FONT_DIR.parent.name == "core"
    for face in fonts.FACES.values():
        assert face.path.is_file(), face.filename
        assert face.path.parent == fonts.FONT_DIR
    assert (fonts.FONT_DIR / "OFL-Noto.txt").is_file()
    assert (fonts.FONT_DIR / "OFL-NotoSansCJK.txt").is_file()
    assert "SIL OPEN FONT LICENSE" in (fonts.FONT_DIR / "OFL-Noto.txt").read_text()
    readme = (fonts.FONT_DIR / "README.md").read_text()
    for face in fonts.FACES.values():
        assert face.filename in readme
    total = sum(p.stat().st_size for p in fonts.FONT_DIR.iterdir())
    assert total < 8 * 1024 * 1024


def test_font_path_knows_the_faces_and_refuses_others():
    assert fonts.font_path("serif").name == "NotoSerif-Regular.ttf"
    with pytest.raises(KeyError, match="unknown font face"):
        fonts.font_path("comic-sans")
    with pytest.raises(ValueError, match="unknown font style"):
        fonts.fallback_chain("monospace")


@pytest.mark.parametrize(("script", "name", "face"), [(k, *v) for k, v in NAMES.items()])
def test_each_script_is_drawn_whole_by_its_face(script, name, face):
    assert fonts.missing_characters(name) == []
    assert fonts.split_runs(name) == [(name, face)], script
    assert fonts.fonts_for_text(name) == [fonts.font_path(face)]


def test_bold_asks_for_bold_faces_and_cjk_has_one_weight():
    assert fonts.split_runs("Алексей", bold=True) == [("Алексей", "serif-bold")]
    assert fonts.split_runs("محمد", bold=True) == [("محمد", "arabic-bold")]
    assert fonts.split_runs("김민준", bold=True) == [("김민준", "cjk")]
    assert fonts.split_runs("Ana", style="sans") == [("Ana", "sans")]


def test_mixed_scripts_are_cut_into_runs_and_spaces_stay_inside_runs():
    assert fonts.split_runs("Zoë 김민준 (Seoul)") == [
        ("Zoë ", "serif"),
        ("김민준 (", "cjk"),
        ("Seoul)", "serif"),
    ]
    assert fonts.split_runs(" محمد علي") == [(" محمد علي", "arabic")]
    assert fonts.split_runs("") == []
    assert fonts.split_runs("  ") == [("  ", "serif")]


def test_characters_no_font_has_are_reported():
    assert fonts.missing_characters("Ana 𓀀 \u200d") == ["𓀀"]
    assert fonts.split_runs("𓀀") == [("𓀀", "serif")]
