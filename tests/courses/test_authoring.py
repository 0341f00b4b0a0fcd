"""Authoring in the browser: services (with an explicit clock), uploads, covers, runs, pages."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from learning.core.errors import Conflict, Forbidden, ValidationError
from learning.core.storage import LocalStorage
from learning.courses import authoring, services, tasks
from learning.courses.models import Course, Item, ItemAsset, Module, ModuleRelease
from tests.factories import create_course, create_run, create_user
from tests.helpers import csrf_token, field_value, selected_option

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


# --- real small files, made here -----------------------------------------------------------------


def _ebml(element_id: int, payload: bytes) -> bytes:
    size = len(payload)
    assert size < 127
    return (
        element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
        + bytes([0x80 | size])
        + payload
    )


def webm(seconds: float = 8.0) -> bytes:
    """A minimal WebM: EBML header, a Segment of unknown size and its Info with a Duration."""
    header = _ebml(
        0x1A45DFA3,
        _ebml(0x4286, b"\x01")
        + _ebml(0x42F7, b"\x01")
        + _ebml(0x42F2, b"\x04")
        + _ebml(0x42F3, b"\x08")
        + _ebml(0x4282, b"webm")
        + _ebml(0x4287, b"\x02")
        + _ebml(0x4285, b"\x02"),
    )
    info = _ebml(
        0x1549A966,
        _ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big"))
        + _ebml(0x4489, struct.pack(">d", seconds * 1000)),
    )
    segment = b"\x18\x53\x80\x67\x01\xff\xff\xff\xff\xff\xff\xff"
    void = _ebml(0xEC, b"\x00" * 64)  # what follows Info in a real file (Tracks, Clusters)
    return header + segment + info + void


def mp4(seconds: float = 6.0) -> bytes:
    """A minimal MP4: an ``ftyp`` box and a ``moov`` box holding an ``mvhd`` with the length."""
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 0x200, b"isom", b"mp41")
    mvhd_body = struct.pack(">B3xIIII", 0, 0, 0, 1000, int(seconds * 1000)) + b"\x00" * 80
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    return ftyp + moov


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def vtt(*cues: tuple[str, str, str]) -> bytes:
    lines = ["WEBVTT", ""]
    for start, end, text in cues:
        lines += [f"{start} --> {end}", text, ""]
    return "\n".join(lines).encode()


GOOD_VTT = vtt(
    ("00:00:00.000", "00:00:03.000", "Hello, city."), ("00:00:03.500", "00:00:07.500", "Welcome.")
)


def png(size=(64, 36), color=(20, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def bomb_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""
    data = bytearray(png((1, 1)))
    # The IHDR chunk follows the 8-byte signature: length(4) type(4) width(4) height(4) ...
    data[16:24] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF
    data[29:33] = struct.pack(">I", crc)
    return bytes(data)


def rotated_jpeg() -> bytes:
    """A 1600x900 photo stored sideways: EXIF orientation 6 says "turn 90° clockwise".

    Stored, its left half is red and its right half blue; upright, red is on top.
    """
    image = Image.new("RGB", (1600, 900), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 800, 900))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "Test camera"  # Make
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), quality=90)
    return out.getvalue()


def upload(data: bytes, name: str, limit: int = 10 * 1024 * 1024) -> authoring.Upload:
    return authoring.Upload(io.BytesIO(data), name, limit)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def storage(tmp_path) -> LocalStorage:
    return LocalStorage(tmp_path / "media")


@pytest.fixture
def people(db):
    return {
        "learner": create_user(),
        "instructor": create_user(roles=("instructor",)),
        "other_instructor": create_user(roles=("instructor",)),
        "coordinator": create_user(roles=("coordinator",)),
        "admin": create_user(roles=("admin",)),
    }


@pytest.fixture
def course(db, people):
    course = create_course(modules=[[("reading", False), ("reading", False)], [("reading", False)]])
    services.add_course_instructor(course, people["instructor"])
    other = create_course()
    services.add_course_instructor(other, people["other_instructor"])
    db.session.flush()
    return course


def _video_item(course, instructor, storage, seconds=8.0) -> Item:
    return authoring.add_item(
        instructor,
        course.modules[0],
        kind="video",
        title="Welcome video",
        upload=upload(webm(seconds), "welcome.webm"),
        storage=storage,
        now=NOW,
    )


# --- courses ----------------------------------------------------------------------------------------


def test_instructor_creates_a_course_and_becomes_its_staff(db, people):
    course = authoring.create_course(
        people["instructor"],
        title="Smart Mobility 101",
        summary="Buses and bikes.",
        topics=["mobility", " mobility ", "open data"],
        now=NOW,
    )
    assert course.slug == "smart-mobility-101"
    assert course.topics == ["mobility", "open data"]
    assert not course.is_published and course.content_hash is None
    assert services.can_edit_course(people["instructor"], course)
    assert not services.can_edit_course(people["other_instructor"], course)


@pytest.mark.parametrize("who", ["learner", "coordinator"])
def test_only_instructors_and_admins_create_courses(db, people, who):
    with pytest.raises(Forbidden):
        authoring.create_course(people[who], title="Nope", now=NOW)
    assert authoring.create_course(people["admin"], title="Admin course", now=NOW).id


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Bad Slug", "lowercase"),
        ("bad_slug", "lowercase"),
        ("-bad", "lowercase"),
        ("a" * 81, "at most 80"),
        ("taken", "already uses"),
    ],
)
def test_bad_or_duplicate_slugs_are_refused(db, people, slug, message):
    create_course(slug="taken")
    with pytest.raises(ValidationError) as caught:
        authoring.create_course(people["instructor"], title="A course", slug=slug, now=NOW)
    assert caught.value.field == "slug" and message in caught.value.message


def test_titles_are_required_and_limited(db, people):
    for title in ("", "   ", "x" * 201):
        with pytest.raises(ValidationError) as caught:
            authoring.create_course(people["instructor"], title=title, slug="fine", now=NOW)
        assert caught.value.field == "title"


def test_update_course_checks_the_editor_and_forgets_the_content_hash(db, people, course):
    course.content_hash = "abc"
    with pytest.raises(Forbidden):
        authoring.update_course(people["other_instructor"], course, title="X", slug="x", now=NOW)
    authoring.update_course(
        people["instructor"],
        course,
        title="Renamed",
        slug="renamed-course",
        video_threshold=0.8,
        now=NOW,
    )
    assert (course.title, course.slug, course.video_threshold) == ("Renamed", "renamed-course", 0.8)
    assert course.content_hash is None and course.updated_at == NOW


def test_publishing_needs_items_and_captions_and_shows_in_the_catalogue(
    db, people, course, storage
):
    empty = authoring.create_course(people["instructor"], title="Empty course", now=NOW)
    with pytest.raises(ValidationError, match="at least one module"):
        authoring.set_published(people["instructor"], empty, True, now=NOW)

    course.is_published = False
    video = _video_item(course, people["instructor"], storage)
    with pytest.raises(ValidationError, match="no captions"):
        authoring.set_published(people["instructor"], course, True, now=NOW)
    authoring.add_caption(
        people["instructor"],
        video,
        upload(GOOD_VTT, "en.vtt"),
        language="en",
        storage=storage,
        now=NOW,
    )
    with pytest.raises(Forbidden):
        authoring.set_published(people["other_instructor"], course, True, now=NOW)

    authoring.set_published(people["instructor"], course, True, now=NOW)
    assert course in [e.course for e in services.catalogue(now=NOW)]
    authoring.set_published(people["instructor"], course, False, now=NOW)
    assert course not in [e.course for e in services.catalogue(now=NOW)]


# --- modules and items ------------------------------------------------------------------------------


def test_modules_are_added_renamed_moved_and_archived(db, people, course):
    instructor = people["instructor"]
    third = authoring.add_module(instructor, course, title="Module 1", now=NOW)
    assert third.key == "module-1" and third.position == 2
    duplicate = authoring.add_module(instructor, course, title="Module 1", now=NOW)
    assert duplicate.key == "module-1-2"
    authoring.update_module(
        instructor, third, title="Data", summary="Open data.", release_after_days=7, now=NOW
    )
    assert third.release_after_days == 7

    first = course.modules[0]
    assert authoring.move_module(instructor, third, "up", now=NOW)
    assert [m.id for m in sorted(course.modules, key=lambda m: m.position)][1] == third.id
    assert not authoring.move_module(instructor, first, "up", now=NOW)  # already first
    with pytest.raises(ValidationError):
        authoring.move_module(instructor, first, "sideways", now=NOW)

    authoring.archive_module(instructor, third, now=NOW)
    assert third not in services.visible_modules(course)
    authoring.archive_module(instructor, third, archived=False, now=NOW)
    assert third in services.visible_modules(course)
    with pytest.raises(ValidationError):
        authoring.update_module(instructor, third, title="", now=NOW)


def test_items_of_every_kind_are_added_at_the_end(db, people, course, storage):
    instructor, module = people["instructor"], course.modules[1]
    reading = authoring.add_item(
        instructor,
        module,
        kind="reading",
        title="Read me",
        body="# Heading\n\nSome **bold** text <script>alert(1)</script>",
        now=NOW,
    )
    assert "<h2>Heading</h2>" in reading.body_html and "<strong>bold</strong>" in reading.body_html
    assert "<script>" not in reading.body_html
    assert reading.body_markdown.startswith("# Heading")
    link = authoring.add_item(
        instructor, module, kind="link", title="Portal", url="https://data.example.org/", now=NOW
    )
    document = authoring.add_item(
        instructor,
        module,
        kind="file",
        title="Handout",
        upload=upload(docx(), "handout.docx"),
        storage=storage,
        now=NOW,
    )
    assert document.media_type.endswith("wordprocessingml.document")
    assert document.media_name == "handout.docx"
    mp4_video = authoring.add_item(
        instructor,
        module,
        kind="video",
        title="Short clip",
        upload=upload(mp4(6.0), "clip.mp4"),
        storage=storage,
        now=NOW,
    )
    assert mp4_video.media_type == "video/mp4" and mp4_video.duration_seconds == 6.0
    assert [i.id for i in module.items] == [
        module.items[0].id,
        reading.id,
        link.id,
        document.id,
        mp4_video.id,
    ]
    assert [i.position for i in module.items] == [0, 1, 2, 3, 4]
    assert course.content_hash is None


def test_video_duration_is_read_from_the_file(db, people, course, storage):
    video = _video_item(course, people["instructor"], storage, seconds=8.0)
    assert video.media_type == "video/webm" and video.duration_seconds == pytest.approx(8.0)
    assert video.media_name == "welcome.webm" and video.media_size == len(webm(8.0))
    assert storage.local_path(video.media_key).read_bytes() == webm(8.0)


def test_a_real_video_from_the_content_folder_is_accepted(db, people, course, storage):
    found = sorted(Path(__file__).resolve().parents[2].glob("content/*/media/*.webm"))
    if not found:
        pytest.skip("no video in content/*/media yet")
    video = authoring.add_item(
        people["instructor"],
        course.modules[0],
        kind="video",
        title="Real",
        upload=upload(found[0].read_bytes(), found[0].name, limit=50 * 1024 * 1024),
        storage=storage,
        now=NOW,
    )
    assert video.duration_seconds > 0


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("http://example.org/", "url"),
        ("javascript:alert(1)", "url"),
        ("", "url"),
        ("https://exa mple.org", "url"),
    ],
)
def test_links_must_be_https(db, people, course, url, field):
    with pytest.raises(ValidationError) as caught:
        authoring.add_item(
            people["instructor"], course.modules[0], kind="link", title="L", url=url, now=NOW
        )
    assert caught.value.field == field


def test_a_reading_needs_text(db, people, course):
    with pytest.raises(ValidationError) as caught:
        authoring.add_item(
            people["instructor"], course.modules[0], kind="reading", title="R", now=NOW
        )
    assert caught.value.field == "body"


def test_a_pdf_named_webm_is_refused_and_not_stored(db, people, course, storage):
    before = db.session.scalar(select(func.count(Item.id)))
    with pytest.raises(ValidationError) as caught:
        authoring.add_item(
            people["instructor"],
            course.modules[0],
            kind="video",
            title="Fake",
            upload=upload(PDF, "lecture.webm"),
            storage=storage,
            now=NOW,
        )
    assert caught.value.field == "file" and "a PDF document, not a video" in caught.value.message
    assert stored_files(storage.root) == []
    assert db.session.scalar(select(func.count(Item.id))) == before


def test_a_video_without_a_readable_duration_is_refused(db, people, course, storage):
    from tests.factories import WEBM_HEAD

    with pytest.raises(ValidationError, match="how long this video is"):
        authoring.add_item(
            people["instructor"],
            course.modules[0],
            kind="video",
            title="No length",
            upload=upload(WEBM_HEAD + b"\x00" * 100, "x.webm"),
            storage=storage,
            now=NOW,
        )
    assert stored_files(storage.root) == []


def test_an_oversized_video_is_refused_while_streaming(db, people, course, storage):
    class Stream(io.RawIOBase):
        """A stream that cannot seek: the limit is enforced while it is read."""

        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = webm() + b"\x00" * 5000
    for stream in (io.BytesIO(data), Stream(data)):
        with pytest.raises(ValidationError) as caught:
            authoring.add_item(
                people["instructor"],
                course.modules[0],
                kind="video",
                title="Big",
                upload=authoring.Upload(stream, "big.webm", 1024),
                storage=storage,
                now=NOW,
            )
        assert (
            caught.value.field == "file" and "larger than the limit of 1 KB" in caught.value.message
        )
    assert stored_files(storage.root) == []


def test_file_items_accept_documents_and_images_but_not_other_things(db, people, course, storage):
    instructor, module = people["instructor"], course.modules[0]
    png_item = authoring.add_item(
        instructor,
        module,
        kind="file",
        title="Map",
        upload=upload(png(), "map.pdf"),
        storage=storage,
        now=NOW,
    )
    assert png_item.media_type == "image/png" and png_item.media_name == "map.png"
    for data, name in ((b"just text", "notes.pdf"), (webm(), "video.pdf"), (bomb_png(), "big.png")):
        with pytest.raises(ValidationError) as caught:
            authoring.add_item(
                instructor,
                module,
                kind="file",
                title="Bad",
                upload=upload(data, name),
                storage=storage,
                now=NOW,
            )
        assert caught.value.field == "file"


def test_update_item_keeps_synced_text_unless_replaced(db, people, course):
    instructor = people["instructor"]
    synced = course.modules[0].items[0]  # from the factory: body_html without Markdown source
    authoring.update_item(instructor, synced, title="Renamed", body="", now=NOW)
    assert synced.body_html == "<p>Text</p>" and synced.title == "Renamed"
    assert authoring.editable_markdown(synced) is None
    authoring.update_item(instructor, synced, title="Renamed", body="New *text*", now=NOW)
    assert synced.body_html == "<p>New <em>text</em></p>\n"
    assert authoring.editable_markdown(synced) == "New *text*"
    # A content sync that rewrites the HTML makes the stored Markdown stale: it is not offered.
    synced.body_html = "<p>From the folder</p>"
    assert authoring.editable_markdown(synced) is None


def test_items_move_within_and_between_modules(db, people, course):
    instructor = people["instructor"]
    first, second = course.modules[0].items
    assert authoring.move_item(instructor, second, "up", now=NOW)
    assert [i.id for i in sorted(course.modules[0].items, key=lambda i: i.position)] == [
        second.id,
        first.id,
    ]
    assert not authoring.move_item(instructor, second, "up", now=NOW)
    authoring.update_item(
        instructor, first, title=first.title, body="Moved", module=course.modules[1], now=NOW
    )
    assert first.module_id == course.modules[1].id and first.position == 1
    other = create_course()
    with pytest.raises(ValidationError):
        authoring.update_item(
            instructor, second, title="x", body="y", module=other.modules[0], now=NOW
        )


def test_archived_items_are_hidden_and_can_come_back(db, people, course):
    instructor = people["instructor"]
    first, second = course.modules[0].items
    authoring.archive_item(instructor, first, now=NOW)
    assert services.visible_items(course.modules[0]) == [second]
    with pytest.raises(ValidationError):
        authoring.move_item(instructor, first, "down", now=NOW)
    authoring.archive_item(instructor, first, archived=False, now=NOW)
    assert services.visible_items(course.modules[0]) == [second, first]


def test_other_instructors_and_learners_cannot_touch_items(db, people, course, storage):
    item = course.modules[0].items[0]
    for who in ("other_instructor", "learner", "coordinator"):
        with pytest.raises(Forbidden):
            authoring.update_item(people[who], item, title="x", body="y", now=NOW)
        with pytest.raises(Forbidden):
            authoring.move_item(people[who], item, "down", now=NOW)
        with pytest.raises(Forbidden):
            authoring.add_module(people[who], course, title="x", now=NOW)
    authoring.update_item(people["admin"], item, title="By the admin", body="ok", now=NOW)


# --- captions and attachments ------------------------------------------------------------------


def test_captions_are_checked_stored_and_make_the_transcript(db, people, course, storage):
    instructor = people["instructor"]
    video = _video_item(course, instructor, storage)
    english = authoring.add_caption(
        instructor,
        video,
        upload(GOOD_VTT, "welcome.en.vtt"),
        language="en",
        storage=storage,
        now=NOW,
    )
    assert english.label == "English" and english.media_type == "text/vtt"
    assert video.transcript == "[00:00] Hello, city.\n[00:03] Welcome."
    french = authoring.add_caption(
        instructor,
        video,
        upload(vtt(("00:00:01.000", "00:00:02.000", "Bonjour.")), "fr.vtt"),
        language="fr",
        label="Français",
        storage=storage,
        now=NOW,
    )
    assert video.transcript.startswith("[00:00] Hello")  # still from the first captions
    replacement = vtt(("00:00:00.000", "00:00:02.000", "Hi again."))
    again = authoring.add_caption(
        instructor, video, upload(replacement, "en2.vtt"), language="en", storage=storage, now=NOW
    )
    assert again.id == english.id and video.transcript == "[00:00] Hi again."
    authoring.remove_asset(instructor, english, storage=storage, now=NOW)
    assert video.transcript == "[00:01] Bonjour."
    assert [a.id for a in video.assets] == [french.id]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (png(), "captions.vtt", "a PNG image, not a WebVTT caption file"),
        (vtt(("00:00:01.000", "00:00:20.000", "Too late.")), "late.vtt", "after the video's 8.0s"),
        (b"WEBVTT\n\n00:01.000 -> 00:02.000\nBroken\n", "broken.vtt", "has no cues"),
        (
            b"WEBVTT\n\n00:00:02.000 --> 00:00:01.000\nBackwards\n",
            "back.vtt",
            "end after it starts",
        ),
        (b"WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n\xff\xfe\n", "latin.vtt", "UTF-8"),
    ],
)
def test_bad_captions_are_refused_with_the_reason(db, people, course, storage, data, name, message):
    video = _video_item(course, people["instructor"], storage)
    before = stored_files(storage.root)
    with pytest.raises(ValidationError) as caught:
        authoring.add_caption(
            people["instructor"],
            video,
            upload(data, name),
            language="en",
            storage=storage,
            now=NOW,
        )
    assert caught.value.field == "file" and message in caught.value.message
    assert stored_files(storage.root) == before and video.assets == []


def test_caption_language_must_be_a_code(db, people, course, storage):
    video = _video_item(course, people["instructor"], storage)
    with pytest.raises(ValidationError) as caught:
        authoring.add_caption(
            people["instructor"],
            video,
            upload(GOOD_VTT, "x.vtt"),
            language="English!",
            storage=storage,
            now=NOW,
        )
    assert caught.value.field == "language"


def test_a_shorter_video_cannot_replace_one_whose_captions_run_longer(db, people, course, storage):
    instructor = people["instructor"]
    video = _video_item(course, instructor, storage)
    authoring.add_caption(
        instructor, video, upload(GOOD_VTT, "en.vtt"), language="en", storage=storage, now=NOW
    )
    with pytest.raises(ValidationError, match="run past the end"):
        authoring.attach_item_media(
            instructor, video, upload(webm(3.0), "short.webm"), storage=storage, now=NOW
        )
    authoring.attach_item_media(
        instructor, video, upload(mp4(9.0), "new.mp4"), storage=storage, now=NOW
    )
    assert video.media_type == "video/mp4" and video.duration_seconds == 9.0


def test_published_videos_keep_at_least_one_captions_file(db, people, course, storage):
    instructor = people["instructor"]
    video = _video_item(course, instructor, storage)
    captions = authoring.add_caption(
        instructor, video, upload(GOOD_VTT, "en.vtt"), language="en", storage=storage, now=NOW
    )
    authoring.set_published(instructor, course, True, now=NOW)
    with pytest.raises(Conflict):
        authoring.remove_asset(instructor, captions, storage=storage, now=NOW)


def test_attachments_are_sniffed(db, people, course, storage):
    instructor = people["instructor"]
    item = course.modules[0].items[0]
    slides = authoring.add_attachment(
        instructor, item, upload(PDF, "slides.pptx"), storage=storage, now=NOW
    )
    assert slides.media_type == "application/pdf" and slides.filename == "slides.pdf"
    with pytest.raises(ValidationError, match="WebM video"):
        authoring.add_attachment(
            instructor, item, upload(webm(), "notes.pdf"), storage=storage, now=NOW
        )
    authoring.remove_asset(instructor, slides, storage=storage, now=NOW)
    assert item.assets == []


def test_display_names_drop_folders_and_take_the_real_extension():
    assert authoring.display_name("C:\\Users\\me\\Deck.PPTX", "application/pdf") == "Deck.pdf"
    assert authoring.display_name("../../etc/passwd", "application/pdf") == "passwd.pdf"
    assert authoring.display_name("", "video/webm") == "file.webm"


# --- covers ---------------------------------------------------------------------------------------


def test_a_cover_is_checked_at_once_and_processed_later(db, people, course, storage):
    instructor = people["instructor"]
    authoring.set_cover(
        instructor, course, upload(rotated_jpeg(), "photo.jpg"), storage=storage, now=NOW
    )
    assert course.cover_pending_key and course.cover_key is None

    assert authoring.process_cover(course, storage=storage, now=NOW)
    assert course.cover_pending_key is None
    with Image.open(storage.local_path(course.cover_key)) as cover:
        assert cover.format == "JPEG"
        assert cover.width <= 1280 and cover.height <= 720
        assert cover.height > cover.width  # turned upright: it was a sideways portrait
        assert not cover.getexif() and "exif" not in cover.info
        top = cover.getpixel((cover.width // 2, cover.height // 8))
        bottom = cover.getpixel((cover.width // 2, cover.height * 7 // 8))
        assert top[0] > 200 and top[2] < 60  # red on top
        assert bottom[2] > 200 and bottom[0] < 60  # blue below
    assert b"Test camera" not in storage.local_path(course.cover_key).read_bytes()
    with Image.open(storage.local_path(course.cover_thumb_key)) as thumb:
        assert thumb.width <= 480 and thumb.height <= 270

    keys = (course.cover_key, course.cover_thumb_key)
    assert not authoring.process_cover(course, storage=storage, now=NOW)  # idempotent
    assert (course.cover_key, course.cover_thumb_key) == keys


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (PDF, "not an image"),
        (bomb_png(), "too many pixels"),
        (bomb_png(7000, 7000), "too many pixels"),
    ],
)
def test_non_images_and_bombs_are_refused_before_storing(
    db, people, course, storage, data, message
):
    with pytest.raises(ValidationError) as caught:
        authoring.set_cover(
            people["instructor"], course, upload(data, "cover.png"), storage=storage, now=NOW
        )
    assert caught.value.field == "cover" and message in caught.value.message
    assert stored_files(storage.root) == [] and course.cover_pending_key is None


def test_a_broken_image_clears_the_cover_and_is_logged(db, people, course, storage, caplog):
    course.cover_key = "old/cover.jpg"
    course.cover_pending_key = storage.save(io.BytesIO(b"not an image"), suffix="png").key
    assert not authoring.process_cover(course, storage=storage, now=NOW)
    assert (course.cover_key, course.cover_thumb_key, course.cover_pending_key) == (
        None,
        None,
        None,
    )
    assert "could not be processed" in caplog.text


def test_the_cover_task_takes_an_id_and_commits(app, db, people, course):
    storage = app.extensions["storage"]
    authoring.set_cover(
        people["instructor"], course, upload(png((2000, 1000)), "c.png"), storage=storage, now=NOW
    )
    db.session.commit()
    assert app.extensions["celery"].tasks["courses.process_cover"].apply(args=(course.id,)).get()
    db.session.expire_all()
    assert course.cover_key and course.cover_thumb_key and course.cover_pending_key is None
    assert tasks.process_cover.name == "courses.process_cover"
    assert not app.extensions["celery"].tasks["courses.process_cover"].apply(args=(987654,)).get()


# --- runs ---------------------------------------------------------------------------------------------


def test_run_dates_are_entered_in_a_zone_and_stored_in_utc(db, people, course):
    run = authoring.create_run(
        people["instructor"],
        course,
        title="Seoul spring cohort",
        timezone="Asia/Seoul",
        starts_local=datetime(2026, 4, 1, 9, 0),
        ends_local=datetime(2026, 6, 30, 18, 0),
        enrolment_closes_local=datetime(2026, 4, 8, 0, 0),
        enrolment_mode="code",
        capacity=30,
        is_sequential=True,
        now=NOW,
    )
    db.session.flush()
    db.session.expire(run)
    assert run.slug == "seoul-spring-cohort" and run.timezone == "Asia/Seoul"
    assert run.starts_at == datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    assert run.ends_at == datetime(2026, 6, 30, 9, 0, tzinfo=UTC)
    assert run.enrolment_closes_at == datetime(2026, 4, 7, 15, 0, tzinfo=UTC)
    assert run.invitation_code and run.capacity == 30 and run.is_sequential
    assert {(s.user_id, s.role) for s in run.staff} == {
        (people["instructor"].id, "coordinator"),
        (people["instructor"].id, "instructor"),
    }
    assert authoring.utc_to_local(run.starts_at, run.timezone) == datetime(2026, 4, 1, 9, 0)


def test_daylight_saving_is_respected_and_skipped_times_refused(db, people, course):
    summer = authoring.local_to_utc(datetime(2026, 7, 1, 9, 0), "Europe/Paris", field="starts_at")
    winter = authoring.local_to_utc(datetime(2026, 1, 1, 9, 0), "Europe/Paris", field="starts_at")
    assert (summer.hour, winter.hour) == (7, 8)
    with pytest.raises(ValidationError) as caught:
        authoring.local_to_utc(datetime(2026, 3, 29, 2, 30), "Europe/Paris", field="starts_at")
    assert caught.value.field == "starts_at"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_local": datetime(2026, 3, 1)}, "ends_at"),
        (
            {
                "enrolment_opens_local": datetime(2026, 4, 5),
                "enrolment_closes_local": datetime(2026, 4, 4),
            },
            "enrolment_closes_at",
        ),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"capacity": 0}, "capacity"),
        ({"enrolment_mode": "lottery"}, "enrolment_mode"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"starts_local": None}, "starts_at"),
    ],
)
def test_run_input_is_checked(db, people, course, changes, field):
    values = {
        "title": "Run",
        "timezone": "UTC",
        "starts_local": datetime(2026, 4, 1),
        "ends_local": datetime(2026, 5, 1),
        **changes,
    }
    with pytest.raises(ValidationError) as caught:
        authoring.create_run(people["instructor"], course, **values, now=NOW)
    assert caught.value.field == field


def test_who_may_create_and_change_runs(db, people, course):
    values = {
        "title": "Run",
        "timezone": "UTC",
        "starts_local": datetime(2026, 4, 1),
        "ends_local": datetime(2026, 5, 1),
    }
    for who in ("learner", "other_instructor"):
        with pytest.raises(Forbidden):
            authoring.create_run(people[who], course, **values, now=NOW)
    course.is_published = False
    with pytest.raises(Forbidden):
        authoring.create_run(people["coordinator"], course, **values, now=NOW)
    course.is_published = True
    run = authoring.create_run(people["coordinator"], course, **values, now=NOW)
    assert {(s.user_id, s.role) for s in run.staff} == {(people["coordinator"].id, "coordinator")}

    changed = {**values, "slug": run.slug, "title": "Renamed"}
    for who in ("learner", "other_instructor"):
        with pytest.raises(Forbidden):
            authoring.update_run(people[who], run, **changed, now=NOW)
    other_coordinator = create_user(roles=("coordinator",))
    with pytest.raises(Forbidden):
        authoring.update_run(other_coordinator, run, **changed, now=NOW)
    for who in ("coordinator", "instructor", "admin"):
        authoring.update_run(people[who], run, **changed, now=NOW)
    assert run.title == "Renamed"


def test_update_run_changes_the_code_and_respects_enrolled_learners(db, people, course):
    run = create_run(course, enrolment_mode="code")
    code = run.invitation_code
    values = {
        "title": run.title,
        "slug": run.slug,
        "timezone": "UTC",
        "starts_local": datetime(2026, 4, 1),
        "ends_local": datetime(2026, 5, 1),
        "enrolment_mode": "code",
    }
    authoring.update_run(people["admin"], run, **values, now=NOW)
    assert run.invitation_code == code
    authoring.update_run(people["admin"], run, **values, new_code=True, now=NOW)
    assert run.invitation_code and run.invitation_code != code
    authoring.update_run(people["admin"], run, **{**values, "enrolment_mode": "open"}, now=NOW)
    assert run.invitation_code is None
    for _ in range(2):
        services.enroll(
            create_user(), run, added_by=people["admin"], now=datetime(2026, 4, 2, tzinfo=UTC)
        )
    with pytest.raises(ValidationError) as caught:
        authoring.update_run(people["admin"], run, **values, capacity=1, now=NOW)
    assert caught.value.field == "capacity"
    other = create_run(course)
    with pytest.raises(ValidationError) as caught:
        authoring.update_run(people["admin"], run, **{**values, "slug": other.slug}, now=NOW)
    assert caught.value.field == "slug"


def test_module_release_dates_per_run(db, people, course):
    run = create_run(course, timezone="America/New_York")
    first, second = course.modules
    authoring.set_release_dates(
        people["instructor"], run, {first.id: None, second.id: datetime(2026, 5, 4, 8, 0)}, now=NOW
    )
    assert services.module_release_at(run, second) == datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
    assert services.module_release_at(run, first) is None
    authoring.set_release_dates(people["instructor"], run, {second.id: None}, now=NOW)
    db.session.flush()
    assert db.session.scalar(select(func.count()).select_from(ModuleRelease)) == 0
    with pytest.raises(Forbidden):
        authoring.set_release_dates(people["other_instructor"], run, {}, now=NOW)


def test_run_staff_are_added_by_email_and_removed(db, people, course):
    run = create_run(course)
    manager = people["instructor"]
    entry = authoring.add_staff(
        manager, run, people["coordinator"].email.upper(), "coordinator", now=NOW
    )
    assert entry.user_id == people["coordinator"].id
    with pytest.raises(ValidationError, match="already"):
        authoring.add_staff(manager, run, people["coordinator"].email, "coordinator", now=NOW)
    with pytest.raises(ValidationError, match="No account"):
        authoring.add_staff(manager, run, "ghost@example.org", "instructor", now=NOW)
    with pytest.raises(ValidationError, match="not a instructor"):
        authoring.add_staff(manager, run, people["learner"].email, "instructor", now=NOW)
    authoring.add_staff(manager, run, people["other_instructor"].email, "instructor", now=NOW)
    assert services.is_run_staff(people["other_instructor"], run, "instructor")
    # The new coordinator may now manage the run, and take people off it.
    authoring.remove_staff(
        people["coordinator"], run, people["other_instructor"].id, "instructor", now=NOW
    )
    assert not services.is_run_staff(people["other_instructor"], run)
    with pytest.raises(Forbidden):
        authoring.add_staff(
            people["other_instructor"], run, people["learner"].email, "instructor", now=NOW
        )


# --- pages: permissions ---------------------------------------------------------------------------


@pytest.fixture
def page_setup(db, people, course, app):
    video = _video_item(course, people["instructor"], app.extensions["storage"])
    run = create_run(course)
    db.session.commit()
    module = course.modules[0]
    return {
        "course": f"/teach/courses/{course.slug}",
        "settings": f"/teach/courses/{course.slug}/settings",
        "module": f"/teach/courses/{course.slug}/modules/{module.id}",
        "new_video": f"/teach/courses/{course.slug}/modules/{module.id}/items/new/video",
        "new_reading": f"/teach/courses/{course.slug}/modules/{module.id}/items/new/reading",
        "new_link": f"/teach/courses/{course.slug}/modules/{module.id}/items/new/link",
        "item": f"/teach/courses/{course.slug}/items/{video.id}",
        "reading": f"/teach/courses/{course.slug}/items/{module.items[0].id}",
        "run": f"/teach/courses/{course.slug}/runs/{run.id}",
        "new_run": f"/teach/courses/{course.slug}/runs/new",
    }


@pytest.mark.parametrize(
    "page",
    [
        "course",
        "settings",
        "module",
        "new_video",
        "new_reading",
        "new_link",
        "item",
        "reading",
        "run",
        "new_run",
    ],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [("learner", 403), ("other_instructor", 403), ("instructor", 200), ("admin", 200)],
)
def test_authoring_pages_permissions(client, login_as, people, page_setup, page, who, status):
    login_as(people[who])
    assert client.get(page_setup[page]).status_code == status


def test_signed_out_visitors_are_sent_to_sign_in(client, page_setup):
    response = client.get(page_setup["course"])
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_coordinators_schedule_and_manage_their_runs_only(
    client, db, login_as, people, page_setup, course
):
    login_as(people["coordinator"])
    assert client.get("/teach/").status_code == 200
    assert client.get(page_setup["course"]).status_code == 403
    assert client.get(page_setup["new_run"]).status_code == 200
    assert client.get(page_setup["run"]).status_code == 403
    run = course.runs[0]
    services.add_run_staff(run, people["coordinator"], "coordinator")
    db.session.commit()
    assert client.get(page_setup["run"]).status_code == 200
    login_as(people["learner"])
    assert client.get("/teach/").status_code == 403


def test_the_overview_lists_what_each_person_works_on(client, login_as, people, page_setup, course):
    login_as(people["instructor"])
    page = client.get("/teach/").get_data(as_text=True)
    assert course.title in page and "New course" in page and f"/teach/courses/{course.slug}" in page
    login_as(people["other_instructor"])
    page = client.get("/teach/").get_data(as_text=True)
    assert f'href="/teach/courses/{course.slug}"' not in page


# --- pages: forms and uploads ------------------------------------------------------------------------


def test_create_a_course_through_the_form(client, db, login_as, people):
    login_as(people["instructor"])
    token = csrf_token(client, "/teach/courses/new")
    taken = create_course(slug="taken-slug")
    db.session.commit()
    refused = client.post(
        "/teach/courses/new",
        data={
            "csrf_token": token,
            "title": "Open Data",
            "slug": taken.slug,
            "summary": "Typed summary",
            "language": "fr",
            "topics": "data, maps",
            "estimated_hours": "3",
            "video_threshold": "80",
        },
    )
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Another course already uses this address name." in page
    assert field_value(page, "title") == "Open Data" and selected_option(page, "language") == "fr"
    assert "Typed summary" in page

    created = client.post(
        "/teach/courses/new",
        data={
            "csrf_token": token,
            "title": "Open Data",
            "slug": "",
            "language": "fr",
            "topics": "data, maps",
            "estimated_hours": "3",
            "video_threshold": "80",
        },
    )
    assert created.status_code == 303 and created.headers["Location"].endswith(
        "/teach/courses/open-data"
    )
    course = db.session.scalar(select(Course).where(Course.slug == "open-data"))
    assert course.topics == ["data", "maps"] and course.video_threshold == 0.8
    assert services.can_edit_course(people["instructor"], course)


def test_new_course_without_csrf_is_refused(client, db, login_as, people):
    login_as(people["instructor"])
    response = client.post("/teach/courses/new", data={"title": "No token"})
    assert response.status_code == 400
    assert db.session.scalar(select(Course).where(Course.title == "No token")) is None


def test_upload_a_video_then_captions_through_the_pages(client, db, login_as, people, course):
    login_as(people["instructor"])
    module = course.modules[0]
    path = f"/teach/courses/{course.slug}/modules/{module.id}/items/new/video"
    token = csrf_token(client, path)
    response = client.post(
        path,
        data={
            "csrf_token": token,
            "title": "Intro",
            "body": "Watch *this*.",
            "file": (io.BytesIO(webm(8.0)), "intro.webm"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    video = db.session.scalar(select(Item).where(Item.title == "Intro"))
    assert (
        video.duration_seconds == pytest.approx(8.0)
        and video.body_html == "<p>Watch <em>this</em>.</p>\n"
    )
    item_path = f"/teach/courses/{course.slug}/items/{video.id}"
    assert response.headers["Location"].endswith(item_path)
    assert "no captions yet" in client.get(item_path).get_data(as_text=True)

    late = vtt(("00:00:01.000", "00:00:30.000", "Too long"))
    refused = client.post(
        f"{item_path}/captions",
        data={
            "csrf_token": token,
            "language": "en",
            "label": "English (typed)",
            "file": (io.BytesIO(late), "en.vtt"),
        },
        content_type="multipart/form-data",
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "after the video" in page
    assert field_value(page, "label") == "English (typed)"
    accepted = client.post(
        f"{item_path}/captions",
        data={
            "csrf_token": token,
            "language": "en",
            "label": "",
            "file": (io.BytesIO(GOOD_VTT), "en.vtt"),
        },
        content_type="multipart/form-data",
    )
    assert accepted.status_code == 303
    db.session.expire_all()
    assert [a.label for a in video.assets] == ["English"]
    assert "Hello, city." in video.transcript
    # The learner's page (the preview) shows the track.
    preview = client.get(f"/courses/{course.slug}/items/{video.id}").get_data(as_text=True)
    assert '<track kind="captions"' in preview


def test_wrong_or_oversized_uploads_show_on_the_field(
    client, db, app, login_as, people, course, monkeypatch
):
    login_as(people["instructor"])
    module = course.modules[0]
    path = f"/teach/courses/{course.slug}/modules/{module.id}/items/new/video"
    token = csrf_token(client, path)
    count = db.session.scalar(select(func.count(Item.id)))

    fake = client.post(
        path,
        data={
            "csrf_token": token,
            "title": "Typed title",
            "body": "Typed notes",
            "file": (io.BytesIO(PDF), "lecture.webm"),
        },
        content_type="multipart/form-data",
    )
    page = fake.get_data(as_text=True)
    assert fake.status_code == 422
    assert 'id="file-error"' in page and "a PDF document, not a video" in page
    assert field_value(page, "title") == "Typed title" and "Typed notes" in page

    monkeypatch.setitem(app.config, "MAX_VIDEO_BYTES", 1024)
    big = client.post(
        path,
        data={
            "csrf_token": token,
            "title": "Big",
            "file": (io.BytesIO(webm() + b"\x00" * 4096), "big.webm"),
        },
        content_type="multipart/form-data",
    )
    assert big.status_code == 422 and "larger than the limit of 1 KB" in big.get_data(as_text=True)

    missing = client.post(
        path, data={"csrf_token": token, "title": "No file"}, content_type="multipart/form-data"
    )
    assert missing.status_code == 422 and "Choose the video file." in missing.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Item.id))) == count


def test_a_link_must_be_https_in_the_form(client, db, login_as, people, course):
    login_as(people["instructor"])
    module = course.modules[0]
    path = f"/teach/courses/{course.slug}/modules/{module.id}/items/new/link"
    token = csrf_token(client, path)
    refused = client.post(
        path, data={"csrf_token": token, "title": "Portal", "url": "http://example.org"}
    )
    assert refused.status_code == 422 and "https://" in refused.get_data(as_text=True)
    assert (
        client.post(
            path, data={"csrf_token": token, "title": "Portal", "url": "https://example.org"}
        ).status_code
        == 303
    )


def test_cover_upload_processes_the_image_and_serves_the_thumbnail(
    client, db, login_as, people, course
):
    login_as(people["instructor"])
    settings = f"/teach/courses/{course.slug}/settings"
    token = csrf_token(client, settings)
    refused = client.post(
        f"/teach/courses/{course.slug}/cover",
        data={"csrf_token": token, "cover": (io.BytesIO(bomb_png()), "cover.png")},
        content_type="multipart/form-data",
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "too many pixels" in page
    assert field_value(page, "title") == course.title

    response = client.post(
        f"/teach/courses/{course.slug}/cover",
        data={"csrf_token": token, "cover": (io.BytesIO(rotated_jpeg()), "cover.jpg")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200 and "The cover image is saved." in response.get_data(
        as_text=True
    )
    db.session.expire_all()
    assert course.cover_key and course.cover_thumb_key and not course.cover_pending_key
    with client.get(f"/courses/{course.slug}/cover/thumb") as thumb:
        assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
        with Image.open(io.BytesIO(thumb.data)) as image:
            assert image.width <= 480 and image.height <= 270 and not image.getexif()
    with client.get(f"/courses/{course.slug}/cover") as cover:
        assert cover.status_code == 200


def test_thumbnail_of_a_draft_is_hidden_and_missing_ones_are_404(client, db, login_as, people):
    draft = create_course(published=False, cover_key="ab/abc.jpg")
    plain = create_course()
    db.session.commit()
    assert client.get(f"/courses/{draft.slug}/cover/thumb").status_code == 404
    assert client.get(f"/courses/{plain.slug}/cover/thumb").status_code == 404


def test_reorder_publish_and_archive_through_buttons(client, db, login_as, people, course, app):
    login_as(people["instructor"])
    outline = f"/teach/courses/{course.slug}"
    page = client.get(outline).get_data(as_text=True)
    first, second = course.modules[0].items
    assert f'Move down<span class="visually-hidden">: {first.title}</span>' in page
    token = csrf_token(client, outline)
    moved = client.post(
        f"{outline}/items/{second.id}/move", data={"csrf_token": token, "direction": "up"}
    )
    assert moved.status_code == 303 and moved.headers["Location"].endswith(f"#item-{second.id}")
    db.session.expire_all()
    assert second.position < first.position
    assert (
        client.post(
            f"{outline}/items/{second.id}/move", data={"csrf_token": token, "direction": "left"}
        ).status_code
        == 422
    )

    other_module = course.modules[1]
    client.post(
        f"{outline}/modules/{other_module.id}/move", data={"csrf_token": token, "direction": "up"}
    )
    db.session.expire_all()
    assert course.modules[0].id == other_module.id

    course.is_published = False
    db.session.commit()
    assert course.title not in client.get("/courses").get_data(as_text=True)
    client.post(f"{outline}/publish", data={"csrf_token": token, "publish": "1"})
    assert course.title in client.get("/courses").get_data(as_text=True)
    client.post(f"{outline}/publish", data={"csrf_token": token, "publish": "0"})
    assert course.title not in client.get("/courses").get_data(as_text=True)

    client.post(f"{outline}/items/{first.id}/archive", data={"csrf_token": token, "archived": "1"})
    db.session.expire_all()
    assert first.is_archived
    assert "1 archived item" in client.get(outline).get_data(as_text=True)


def test_add_module_errors_keep_the_outline(client, db, login_as, people, course):
    login_as(people["instructor"])
    outline = f"/teach/courses/{course.slug}"
    token = csrf_token(client, outline)
    refused = client.post(
        f"{outline}/modules", data={"csrf_token": token, "title": "", "summary": "Kept"}
    )
    assert refused.status_code == 422 and "Kept" in refused.get_data(as_text=True)
    added = client.post(
        f"{outline}/modules",
        data={"csrf_token": token, "title": "Budgets", "release_after_days": "3"},
    )
    assert added.status_code == 303
    db.session.expire_all()
    assert course.modules[-1].title == "Budgets" and course.modules[-1].release_after_days == 3


def test_schedule_a_run_in_a_time_zone_through_the_form(client, db, login_as, people, course):
    login_as(people["coordinator"])
    path = f"/teach/courses/{course.slug}/runs/new"
    token = csrf_token(client, path)
    base = {
        "csrf_token": token,
        "title": "Accra cohort",
        "timezone": "America/Sao_Paulo",
        "starts_at": "2026-04-01T09:00",
        "ends_at": "2026-03-01T09:00",
        "enrolment_mode": "code",
        "capacity": "25",
    }
    refused = client.post(path, data=base)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "A run must end after it starts." in page
    assert field_value(page, "starts_at") == "2026-04-01T09:00"
    assert selected_option(page, "timezone") == "America/Sao_Paulo"

    created = client.post(path, data={**base, "ends_at": "2026-06-01T18:30", "is_sequential": "y"})
    assert created.status_code == 303
    run = course.runs[-1] if course.runs else None
    db.session.expire_all()
    run = next(r for r in course.runs if r.title == "Accra cohort")
    assert run.starts_at == datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    assert run.ends_at == datetime(2026, 6, 1, 21, 30, tzinfo=UTC)
    assert run.is_sequential and run.capacity == 25
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert run.invitation_code in page
    assert field_value(page, "starts_at") == "2026-04-01T09:00"


def test_run_releases_and_staff_through_the_run_page(client, db, login_as, people, course):
    run = create_run(course, timezone="Asia/Seoul")
    db.session.commit()
    login_as(people["instructor"])
    path = f"/teach/courses/{course.slug}/runs/{run.id}"
    token = csrf_token(client, path)
    first, second = course.modules
    response = client.post(
        f"{path}/releases",
        data={
            "csrf_token": token,
            f"module_{first.id}": "",
            f"module_{second.id}": "2026-05-04T09:00",
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert services.module_release_at(run, second) == datetime(2026, 5, 4, 0, 0, tzinfo=UTC)
    page = client.get(path).get_data(as_text=True)
    assert field_value(page, f"module_{second.id}") == "2026-05-04T09:00"

    unknown = client.post(
        f"{path}/staff",
        data={"csrf_token": token, "email": "ghost@example.org", "role": "instructor"},
    )
    assert unknown.status_code == 422 and "No account uses this address." in unknown.get_data(
        as_text=True
    )
    added = client.post(
        f"{path}/staff",
        data={"csrf_token": token, "email": people["coordinator"].email, "role": "coordinator"},
    )
    assert added.status_code == 303
    db.session.expire_all()
    assert services.is_run_staff(people["coordinator"], run, "coordinator")
    removed = client.post(
        f"{path}/staff/remove",
        data={"csrf_token": token, "user_id": str(people["coordinator"].id), "role": "coordinator"},
    )
    assert removed.status_code == 303
    db.session.expire_all()
    assert not services.is_run_staff(people["coordinator"], run)


def test_remove_an_attachment_of_another_course_is_404(client, db, login_as, people, course, app):
    other = create_course()
    asset = ItemAsset(
        item_id=other.modules[0].items[0].id,
        kind="attachment",
        storage_key="x/y.pdf",
        filename="y.pdf",
        media_type="application/pdf",
    )
    db.session.add(asset)
    db.session.commit()
    login_as(people["instructor"])
    token = csrf_token(client, f"/teach/courses/{course.slug}")
    response = client.post(
        f"/teach/courses/{course.slug}/assets/{asset.id}/remove", data={"csrf_token": token}
    )
    assert response.status_code == 404


def test_module_of_another_course_is_404(client, db, login_as, people, course):
    other = create_course()
    db.session.commit()
    login_as(people["instructor"])
    assert (
        client.get(f"/teach/courses/{course.slug}/modules/{other.modules[0].id}").status_code == 404
    )
    assert (
        client.get(f"/teach/courses/{course.slug}/items/{other.modules[0].items[0].id}").status_code
        == 404
    )
    assert (
        client.get(
            f"/teach/courses/{course.slug}/modules/{course.modules[0].id}/items/new/podcast"
        ).status_code
        == 404
    )


def test_module_rows_stay_after_failed_uploads(db, people, course, storage):
    """Refused uploads change nothing: no row, no file."""
    before = (
        db.session.scalar(select(func.count(Module.id))),
        db.session.scalar(select(func.count(ItemAsset.id))),
    )
    item = course.modules[0].items[0]
    with pytest.raises(ValidationError):
        authoring.add_attachment(
            people["instructor"],
            item,
            upload(b"MZ\x90\x00binary", "tool.exe"),
            storage=storage,
            now=NOW,
        )
    assert before == (
        db.session.scalar(select(func.count(Module.id))),
        db.session.scalar(select(func.count(ItemAsset.id))),
    )
    assert stored_files(storage.root) == []


def test_services_import_no_flask():
    source = Path(authoring.__file__).read_text()
    assert "from flask " not in source and "import flask" not in source


@pytest.mark.parametrize("page", ["outline", "overview", "run"])
def test_authoring_pages_issue_constant_queries(client, db, login_as, count_queries, page):
    counts = []
    for size in (2, 12):
        instructor = create_user(roles=("instructor",))
        course = create_course(
            modules=[[("reading", False), ("link", True), ("file", False)]] * (size // 2)
        )
        services.add_course_instructor(course, instructor)
        runs = [create_run(course) for _ in range(size)]
        for run in runs:
            services.add_run_staff(run, instructor, "coordinator")
            services.add_run_staff(run, create_user(roles=("coordinator",)), "coordinator")
        for _ in range(size):
            services.add_run_staff(runs[0], create_user(roles=("instructor",)), "instructor")
        db.session.commit()
        login_as(instructor)
        path = {
            "outline": f"/teach/courses/{course.slug}",
            "overview": "/teach/",
            "run": f"/teach/courses/{course.slug}/runs/{runs[0].id}",
        }[page]
        client.get(path)  # warm caches (time zone lists, templates)
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{page}: {counts}"
