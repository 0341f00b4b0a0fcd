from pathlib import Path

import pytest
from sqlalchemy import func, select

from learning.core.db import utcnow
from learning.core.storage import LocalStorage
from learning.courses import authoring, services
from learning.courses.content import ContentSyncError, folder_hash, sync_content
from learning.courses.models import Course, Item, ItemProgress, Module
from tests.factories import WEBM_HEAD, create_run, create_user, enrol

VTT = "WEBVTT\n\n00:00.000 --> 00:03.000\nHello, cities.\n\n00:03.000 --> 00:07.500\nWelcome to the course.\n"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

COURSE_YAML = """\
slug: {slug}
title: A test course
summary: Short.
language: en
topics: [tests]
estimated_hours: 2
modules:
  - key: one
    title: Module one
    items:
      - key: intro
        type: video
        title: Intro
        video: media/intro.webm
        duration: 8
        captions:
          - file: media/intro.vtt
            language: en
            label: English
        notes: lectures/intro.md
        attachments: [media/slides.pdf]
      - key: read
        type: reading
        title: Read this
        file: readings/read.md
{extra}
"""


def make_course(root: Path, slug: str = "test-course", extra: str = "") -> Path:
    folder = root / slug
    (folder / "media").mkdir(parents=True)
    (folder / "lectures").mkdir()
    (folder / "readings").mkdir()
    (folder / "course.yaml").write_text(COURSE_YAML.format(slug=slug, extra=extra))
    (folder / "media" / "intro.webm").write_bytes(WEBM_HEAD + b"\0" * 64)
    (folder / "media" / "intro.vtt").write_text(VTT)
    (folder / "media" / "slides.pdf").write_bytes(PDF)
    (folder / "lectures" / "intro.md").write_text(
        "---\ntitle: Intro\n---\n# Notes\n\nHello <script>x</script>"
    )
    (folder / "readings" / "read.md").write_text("# Reading\n\nSome **text**.")
    return folder


@pytest.fixture
def storage(tmp_path):
    return LocalStorage(tmp_path / "media")


def course_count(db):
    return db.session.scalar(select(func.count(Course.id)))


def test_sync_imports_a_course_with_media_and_safe_text(db, tmp_path, storage):
    folder = make_course(tmp_path / "content")
    report = sync_content(folder.parent, storage=storage, now=utcnow())
    assert report.created == ["test-course"]
    course = services.get_course("test-course")
    video, reading = course.modules[0].items
    assert video.duration_seconds == 8 and video.media_type == "video/webm"
    assert [a.kind for a in video.assets] == ["captions", "attachment"]
    assert "[00:00] Hello, cities." in video.transcript
    assert "<script>" not in video.body_html and "<h2>Notes</h2>" in video.body_html
    assert "<strong>text</strong>" in reading.body_html
    assert storage.local_path(video.media_key).read_bytes().startswith(WEBM_HEAD)


def test_second_sync_changes_nothing(db, tmp_path, storage):
    folder = make_course(tmp_path / "content")
    sync_content(folder, storage=storage, now=utcnow())
    before = services.get_course("test-course").updated_at
    report = sync_content(folder, storage=storage, now=utcnow())
    assert report.unchanged == ["test-course"] and not report.updated
    assert services.get_course("test-course").updated_at == before


def test_removed_items_are_archived_with_their_progress(db, tmp_path, storage):
    folder = make_course(tmp_path / "content")
    sync_content(folder, storage=storage, now=utcnow())
    course = services.get_course("test-course")
    reading = course.modules[0].items[1]
    enrolment = enrol(create_user(), create_run(course))
    services.set_item_done(enrolment, reading, True, now=utcnow())
    yaml_path = folder / "course.yaml"
    yaml_path.write_text(yaml_path.read_text().split("      - key: read")[0])
    report = sync_content(folder, storage=storage, now=utcnow())
    assert report.updated == ["test-course"] and report.archived_items == ["test-course/read"]
    item = db.session.get(Item, reading.id)
    assert item.is_archived
    assert (
        db.session.scalar(
            select(func.count(ItemProgress.id)).where(ItemProgress.item_id == item.id)
        )
        == 1
    )


def test_what_staff_added_in_the_browser_survives_a_sync(db, tmp_path, storage):
    folder = make_course(tmp_path / "content")
    sync_content(folder, storage=storage, now=utcnow())
    course = services.get_course("test-course")
    instructor = create_user(roles=("admin",))
    module = course.modules[0]
    recording = authoring.add_item(
        instructor,
        module,
        kind="link",
        title="Recording",
        url="https://video.example.org/1",
        now=utcnow(),
    )
    extra = authoring.add_module(instructor, course, title="Live sessions", now=utcnow())
    db.session.flush()
    yaml_path = folder / "course.yaml"
    yaml_path.write_text(yaml_path.read_text().split("      - key: read")[0])

    report = sync_content(folder, storage=storage, now=utcnow())

    assert report.archived_items == ["test-course/read"]
    db.session.refresh(recording)
    db.session.refresh(extra)
    assert not recording.is_archived and not extra.is_archived
    visible = [item.key for item in services.visible_items(db.session.get(Module, module.id))]
    assert visible[-1] == recording.key, "kept after the files' items of its module"
    db.session.expire(course)
    assert [m.key for m in services.visible_modules(course)][-1] == extra.key


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda f: (f / "course.yaml").write_text(
                (f / "course.yaml").read_text().replace("type: reading", "type: podcast")
            ),
            "course.yaml:23: 'type' must be one of",
        ),
        (
            lambda f: (f / "media" / "intro.vtt").write_text(
                "WEBVTT\n\n00:05.000 --> 00:01.000\nBackwards\n"
            ),
            "intro.vtt: line 3: a cue must end after it starts",
        ),
        (
            lambda f: (f / "media" / "intro.webm").write_bytes(b"not a video"),
            "course.yaml:14: 'intro.webm' is of an unknown type",
        ),
        (
            lambda f: (f / "readings" / "read.md").unlink(),
            "course.yaml:25: file 'readings/read.md' does not exist",
        ),
        (
            lambda f: (f / "course.yaml").write_text(
                (f / "course.yaml").read_text().replace("duration: 8", "duration: -3")
            ),
            "course.yaml:15: 'duration' must be",
        ),
        (
            lambda f: (f / "course.yaml").write_text(
                (f / "course.yaml")
                .read_text()
                .replace("file: readings/read.md", "file: ../../etc/passwd")
            ),
            "is outside the course folder",
        ),
        (
            lambda f: (f / "course.yaml").write_text(
                (f / "course.yaml").read_text().replace("slug: test-course", "slug: other")
            ),
            "course.yaml:1: slug 'other' must equal the folder name",
        ),
        (
            lambda f: (f / "course.yaml").write_text("slug: [unclosed\n"),
            "course.yaml:2: not valid YAML",
        ),
    ],
)
def test_errors_name_file_and_line_and_import_nothing(db, tmp_path, storage, change, expected):
    good = make_course(tmp_path / "content", slug="good-course")
    bad = make_course(tmp_path / "content")
    change(bad)
    with pytest.raises(ContentSyncError) as error:
        sync_content(tmp_path / "content", storage=storage, now=utcnow())
    assert any(expected in str(problem) for problem in error.value.problems), error.value.problems
    assert course_count(db) == 0, "a failed sync must not import the good course either"
    assert good.exists()


def test_link_items_need_https(db, tmp_path, storage):
    folder = make_course(
        tmp_path / "content",
        extra="      - key: link\n        type: link\n        title: Elsewhere\n        url: javascript:alert(1)\n",
    )
    with pytest.raises(ContentSyncError) as error:
        sync_content(folder, storage=storage, now=utcnow())
    assert "must be an https:// address" in str(error.value)


def test_folder_hash_follows_content(tmp_path):
    folder = make_course(tmp_path / "content")
    first = folder_hash(folder)
    assert folder_hash(folder) == first
    (folder / "readings" / "read.md").write_text("changed")
    assert folder_hash(folder) != first


def test_the_shipped_demo_content_is_valid(db, tmp_path, storage):
    content = Path(__file__).resolve().parents[2] / "content"
    report = sync_content(content, storage=storage, now=utcnow())
    slugs = set(report.created)
    assert {"smart-city-officials", "youth-champions", "digital-platform-training"} <= slugs
    champions = services.get_course("youth-champions")
    modules = services.visible_modules(champions)
    # Eight lectures, each with its video, an optional reading and a quiz; then the final.
    assert len(modules) == 9 and modules[-1].key == "final"
    for module in modules[:8]:
        kinds = [(i.kind, i.is_optional) for i in module.items]
        assert ("video", False) in kinds and any(optional for _, optional in kinds)
        assert kinds[-1] == ("quiz", False)
    assert [(i.kind, i.is_optional) for i in modules[8].items] == [("quiz", False)]


class _Badge:
    """A stand-in for a domain that owns a top-level key of course.yaml."""

    def __init__(self):
        self.applied: list[tuple[str, object]] = []

    def read(self, reader, raw):
        if raw is not None and not isinstance(raw, str):
            reader.problem("'badge' must be text", getattr(raw, "line", None))
        return raw

    def apply(self, course, value, *, now):
        self.applied.append((course.slug, value))


@pytest.fixture
def badge_section(monkeypatch):
    from learning.courses import content

    handler = _Badge()
    monkeypatch.setitem(content.SECTION_HANDLERS, "badge", handler)
    return handler


def test_other_domains_read_and_apply_their_own_top_level_keys(
    db, tmp_path, storage, badge_section
):
    folder = make_course(tmp_path / "content")
    with (folder / "course.yaml").open("a") as handle:
        handle.write("badge: gold\n")
    sync_content(folder, storage=storage, now=utcnow())
    assert badge_section.applied == [("test-course", "gold")]


def test_a_section_problem_names_the_file_and_imports_nothing(db, tmp_path, storage, badge_section):
    folder = make_course(tmp_path / "content")
    with (folder / "course.yaml").open("a") as handle:
        handle.write("badge:\n  colour: gold\n")
    with pytest.raises(ContentSyncError) as error:
        sync_content(folder, storage=storage, now=utcnow())
    assert "course.yaml" in str(error.value) and "'badge' must be text" in str(error.value)
    assert course_count(db) == 0 and badge_section.applied == []
