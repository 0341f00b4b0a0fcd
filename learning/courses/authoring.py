"""Authoring in the browser: courses, modules, items, their files and covers, and runs.

Every function takes the actor and the clock, checks the actor's permission itself, raises
``core.errors`` (with ``field`` naming the form field at fault) and flushes; the entry point
commits. An upload is judged by its content (its first bytes, a video's own duration, a
caption file's cues, an image's header) *before* it is stored, so a refused file never lands
in storage; files stream to storage in chunks and are never read whole into memory.

What is edited here sets the course's ``content_hash`` to None: a later ``flask content
sync`` of a folder with the same slug replaces these edits with the folder's content.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from learning.accounts import services as accounts
from learning.accounts.models import Role, User
from learning.core import files, images
from learning.core.errors import Conflict, Forbidden, NotFound, ValidationError
from learning.core.locales import is_valid_timezone, language_name
from learning.core.media import video_duration
from learning.core.storage import CHUNK, Storage, StoredFile, TooLarge
from learning.core.text import render_markdown
from learning.courses import services as courses
from learning.courses.models import (
    Course,
    CourseRun,
    CourseStaff,
    Enrolment,
    EnrolmentMode,
    Item,
    ItemAsset,
    ItemKind,
    Module,
    RunRole,
    RunStaff,
)
from learning.extensions import db

log = logging.getLogger(__name__)

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
MAX_SLUG = 80
MAX_TITLE = 200
MAX_SUMMARY = 2000
MAX_BODY = 100_000
MAX_TOPICS = 10
MAX_TOPIC = 40
MAX_URL = 2000
MAX_ATTACHMENTS = 20
# Caption files are read whole to check every cue; an hour of captions is about 100 KB.
MAX_CAPTION_BYTES = 1024 * 1024
COVER_SIZE = (1280, 720)
THUMB_SIZE = (480, 270)
FILE_ITEM_TYPES = files.DOCUMENT_TYPES | files.IMAGE_TYPES
MOVES = ("up", "down")

TYPE_NAMES = {
    "video/webm": "a WebM video",
    "video/mp4": "an MP4 video",
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/webp": "a WebP image",
    "application/pdf": "a PDF document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "a Word document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        "a PowerPoint presentation"
    ),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "an Excel workbook",
    "text/vtt": "a WebVTT caption file",
}


def _session() -> Session:
    return db.session


# --- permissions ----------------------------------------------------------------------------------


def can_create_course(user: User | None) -> bool:
    """Instructors and administrators start courses."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.has_any_role(Role.INSTRUCTOR, Role.ADMIN)
    )


def can_create_run(user: User | None, course: Course) -> bool:
    """The course's editors, and coordinators for any published course, schedule runs."""
    if courses.can_edit_course(user, course):
        return True
    return bool(
        user is not None
        and user.is_authenticated
        and user.has_role(Role.COORDINATOR)
        and course.is_published
    )


def can_manage_run(user: User | None, run: CourseRun) -> bool:
    """Administrators, the run's coordinators and the course's editors change a run."""
    return courses.is_run_staff(user, run, RunRole.COORDINATOR) or courses.can_edit_course(
        user, run.course
    )


def _require_editor(actor: User | None, course: Course) -> None:
    if not courses.can_edit_course(actor, course):
        raise Forbidden("Only this course's instructors and administrators may change it.")


def _require_run_manager(actor: User | None, run: CourseRun) -> None:
    if not can_manage_run(actor, run):
        raise Forbidden(
            "Only this run's coordinators, the course's instructors and administrators may change it."
        )


# --- what a person may work on --------------------------------------------------------------------


def schedulable_courses(user: User) -> list[Course]:
    """Courses ``user`` may schedule runs of, by title."""
    stmt = select(Course).options(selectinload(Course.staff)).order_by(func.lower(Course.title))
    return [c for c in _session().scalars(stmt) if can_create_run(user, c)]


def managed_runs(user: User) -> list[CourseRun]:
    """Runs ``user`` may change, latest first."""
    stmt = (
        select(CourseRun)
        .options(
            selectinload(CourseRun.course).selectinload(Course.staff),
            selectinload(CourseRun.staff),
        )
        .order_by(CourseRun.starts_at.desc())
    )
    if not user.has_role(Role.ADMIN):
        taught = select(CourseStaff.course_id).where(CourseStaff.user_id == user.id)
        coordinated = select(RunStaff.run_id).where(
            RunStaff.user_id == user.id, RunStaff.role == RunRole.COORDINATOR.value
        )
        stmt = stmt.where(CourseRun.id.in_(coordinated) | CourseRun.course_id.in_(taught))
    return [run for run in _session().scalars(stmt) if can_manage_run(user, run)]


def course_for_cover(slug: str, *, viewer: User | None) -> Course:
    """The course whose cover is asked for (without its outline): published, or the viewer's."""
    course = _session().scalar(
        select(Course).where(Course.slug == slug).options(selectinload(Course.staff))
    )
    if course is None or not (course.is_published or courses.can_edit_course(viewer, course)):
        raise NotFound("No such course.")
    return course


# --- small checks ---------------------------------------------------------------------------------


def slugify(text: str, *, limit: int = 60) -> str:
    """Lowercase ASCII words joined by dashes (``"Smart Mobility 101"`` -> ``smart-mobility-101``)."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def _slug(value: str | None, *, field: str = "slug") -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("Choose an address name.", field=field)
    if len(value) > MAX_SLUG:
        raise ValidationError(f"Use at most {MAX_SLUG} characters.", field=field)
    if not SLUG.match(value):
        raise ValidationError(
            "Use lowercase letters, digits and single dashes only (for example smart-mobility).",
            field=field,
        )
    return value


def _text(value: str | None, *, field: str, limit: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError("This field is required.", field=field)
    if len(value) > limit:
        raise ValidationError(f"Use at most {limit} characters.", field=field)
    return value


def _https_url(value: str | None, *, field: str = "url") -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("Give the address of the page.", field=field)
    if not value.lower().startswith("https://") or len(value) <= len("https://"):
        raise ValidationError("Links must be secure addresses starting with https://.", field=field)
    if len(value) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise ValidationError("This is not a valid web address.", field=field)
    return value


def _touch(course: Course, now: datetime) -> None:
    # Edited in the browser: the course no longer matches any content folder.
    course.content_hash = None
    course.updated_at = now


def _size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    if size >= 1024:
        return f"{size / 1024:g} KB"
    return f"{size} bytes"


# --- courses ------------------------------------------------------------------------------------


def _course_fields(
    course: Course,
    *,
    title: str,
    slug: str,
    summary: str,
    language: str,
    topics: Iterable[str],
    programme: str,
    estimated_hours: float,
    video_threshold: float,
) -> None:
    title = _text(title, field="title", limit=MAX_TITLE, required=True)
    slug = _slug(slug)
    clash = _session().scalar(select(Course.id).where(Course.slug == slug, Course.id != course.id))
    if clash is not None:
        raise ValidationError("Another course already uses this address name.", field="slug")
    language = (language or "").strip()
    if not LANGUAGE_CODE.match(language) or len(language) > 10:
        raise ValidationError("Choose the course's language.", field="language")
    clean_topics = []
    for topic in topics:
        topic = " ".join(topic.split())
        if topic and topic not in clean_topics:
            if len(topic) > MAX_TOPIC:
                raise ValidationError(
                    f"Keep each topic under {MAX_TOPIC} characters.", field="topics"
                )
            clean_topics.append(topic)
    if len(clean_topics) > MAX_TOPICS:
        raise ValidationError(f"List at most {MAX_TOPICS} topics.", field="topics")
    if estimated_hours is None or not 0 <= estimated_hours <= 1000:
        raise ValidationError("Give a number of hours between 0 and 1000.", field="estimated_hours")
    if video_threshold is None or not 0.1 <= video_threshold <= 1:
        raise ValidationError("Choose a share between 10% and 100%.", field="video_threshold")
    course.title = title
    course.slug = slug
    course.summary = _text(summary, field="summary", limit=MAX_SUMMARY)
    course.language = language
    course.topics = clean_topics
    course.programme = _text(programme, field="programme", limit=MAX_TITLE)
    course.estimated_hours = float(estimated_hours)
    course.video_threshold = float(video_threshold)


def create_course(
    actor: User,
    *,
    title: str,
    slug: str | None = None,
    summary: str = "",
    language: str = "en",
    topics: Iterable[str] = (),
    programme: str = "",
    estimated_hours: float = 0,
    video_threshold: float = 0.9,
    now: datetime,
) -> Course:
    """Start an unpublished course; its creator becomes one of its instructors.

    Without ``slug`` the address name is made from the title.
    """
    if not can_create_course(actor):
        raise Forbidden("Only instructors and administrators create courses.")
    course = Course(is_published=False, created_at=now)
    _course_fields(
        course,
        title=title,
        slug=slug if (slug or "").strip() else slugify(title),
        summary=summary,
        language=language,
        topics=topics,
        programme=programme,
        estimated_hours=estimated_hours,
        video_threshold=video_threshold,
    )
    _touch(course, now)
    course.staff.append(CourseStaff(user=actor))
    _session().add(course)
    _session().flush()
    accounts.record_audit(actor, "course.create", course, {"slug": course.slug}, now=now)
    return course


def update_course(
    actor: User,
    course: Course,
    *,
    title: str,
    slug: str,
    summary: str = "",
    language: str = "en",
    topics: Iterable[str] = (),
    programme: str = "",
    estimated_hours: float = 0,
    video_threshold: float = 0.9,
    now: datetime,
) -> Course:
    """Change a course's description and settings (the address name too)."""
    _require_editor(actor, course)
    _course_fields(
        course,
        title=title,
        slug=slug,
        summary=summary,
        language=language,
        topics=topics,
        programme=programme,
        estimated_hours=estimated_hours,
        video_threshold=video_threshold,
    )
    _touch(course, now)
    _session().flush()
    return course


def publishing_problems(course: Course) -> list[str]:
    """What stops ``course`` from being published (nothing: it may be)."""
    visible = [i for m in courses.visible_modules(course) for i in courses.visible_items(m)]
    if not visible:
        return ["Add at least one module with an item before publishing."]
    return [
        f"The video “{item.title}” has no captions: add a WebVTT file first."
        for item in visible
        if item.kind == ItemKind.VIDEO and not any(a.kind == "captions" for a in item.assets)
    ]


def set_published(actor: User, course: Course, published: bool, *, now: datetime) -> None:
    """Show ``course`` in the catalogue, or take it out (enrolments and progress stay)."""
    _require_editor(actor, course)
    if published == course.is_published:
        return
    if published:
        problems = publishing_problems(course)
        if problems:
            raise ValidationError(" ".join(problems))
    course.is_published = published
    _touch(course, now)
    accounts.record_audit(
        actor, "course.publish" if published else "course.unpublish", course, None, now=now
    )


# --- modules --------------------------------------------------------------------------------------


def _unique_key(existing: set[str], title: str, fallback: str) -> str:
    base = slugify(title, limit=60) or fallback
    key, number = base, 1
    while key in existing:
        number += 1
        key = f"{base}-{number}"
    return key


def _module_fields(module: Module, *, title: str, summary: str, release_after_days) -> None:
    title = _text(title, field="title", limit=MAX_TITLE, required=True)
    summary = _text(summary, field="summary", limit=MAX_SUMMARY)
    if release_after_days is not None and not 0 <= release_after_days <= 3650:
        raise ValidationError(
            "Give a number of days between 0 and 3650.", field="release_after_days"
        )
    module.title = title
    module.summary = summary
    module.release_after_days = release_after_days


def add_module(
    actor: User,
    course: Course,
    *,
    title: str,
    summary: str = "",
    release_after_days: int | None = None,
    now: datetime,
) -> Module:
    """Add a module at the end of ``course``."""
    _require_editor(actor, course)
    rows = (
        _session()
        .execute(select(Module.key, Module.position).where(Module.course_id == course.id))
        .all()
    )
    module = Module(
        course_id=course.id,
        key=_unique_key({key for key, _ in rows}, title, "module"),
        position=max((position for _, position in rows), default=-1) + 1,
    )
    _module_fields(module, title=title, summary=summary, release_after_days=release_after_days)
    _session().add(module)
    _touch(course, now)
    _session().flush()
    return module


def update_module(
    actor: User,
    module: Module,
    *,
    title: str,
    summary: str = "",
    release_after_days: int | None = None,
    now: datetime,
) -> Module:
    """Rename a module, change its summary or its default release (days after a run starts)."""
    _require_editor(actor, module.course)
    _module_fields(module, title=title, summary=summary, release_after_days=release_after_days)
    _touch(module.course, now)
    _session().flush()
    return module


def _move(siblings: list, target, direction: str) -> bool:
    """Swap ``target`` with its visible neighbour and number every sibling 0, 1, 2 ..."""
    if direction not in MOVES:
        raise ValidationError("Move up or down.", field="direction")
    ordered = sorted(siblings, key=lambda s: (s.position, s.id))
    visible = [s for s in ordered if not s.is_archived]
    if target not in visible:
        raise ValidationError("Restore it before moving it.", field="direction")
    index = visible.index(target)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(visible):
        return False
    visible[index], visible[other] = visible[other], visible[index]
    for position, sibling in enumerate(visible + [s for s in ordered if s.is_archived]):
        if sibling.position != position:
            sibling.position = position
    _keep_ordered(siblings)
    return True


def _keep_ordered(collection: list) -> None:
    # The loaded collection follows the new positions, for the rest of this unit of work
    # (membership is unchanged, so the ORM has nothing to record).
    collection.sort(key=lambda s: (s.position, s.id or 0))


def move_module(actor: User, module: Module, direction: str, *, now: datetime) -> bool:
    """Move a module one place up or down; False if it is already first or last."""
    course = module.course
    _require_editor(actor, course)
    moved = _move(course.modules, module, direction)
    if moved:
        _touch(course, now)
        _session().flush()
    return moved


def archive_module(actor: User, module: Module, *, archived: bool = True, now: datetime) -> None:
    """Hide a module and its items from learners (``archived=False`` restores it).

    Archived, never deleted: learners' progress may point at its items.
    """
    _require_editor(actor, module.course)
    if module.is_archived != archived:
        module.is_archived = archived
        if not archived:
            module.position = max((m.position for m in module.course.modules), default=0) + 1
            _keep_ordered(module.course.modules)
        _touch(module.course, now)
        _session().flush()


# --- items ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """A file sent with a form: its stream (read in chunks), its name and the size allowed."""

    stream: BinaryIO
    filename: str
    max_bytes: int


def editable_markdown(item: Item) -> str | None:
    """The Markdown the item's text was written in, if it still produces that text.

    Items synced from a content folder have their source there (None here).
    """
    if item.body_markdown is None:
        return None
    if render_markdown(item.body_markdown, shift_headings=1) != item.body_html:
        return None
    return item.body_markdown


def _set_body(item: Item, body: str | None, *, required: bool) -> None:
    body = (body or "").replace("\r\n", "\n")
    if len(body) > MAX_BODY:
        raise ValidationError(f"Use at most {MAX_BODY} characters.", field="body")
    if not body.strip():
        if item.body_html and item.id is not None and editable_markdown(item) is None:
            return  # text from a content folder: an empty box keeps it
        if required:
            raise ValidationError("Write the text of the reading.", field="body")
        item.body_markdown = None
        item.body_html = ""
        return
    item.body_markdown = body
    item.body_html = render_markdown(body, shift_headings=1)


def add_item(
    actor: User,
    module: Module,
    *,
    kind: str,
    title: str,
    body: str = "",
    url: str | None = None,
    is_optional: bool = False,
    upload: Upload | None = None,
    storage: Storage | None = None,
    now: datetime,
) -> Item:
    """Add an item at the end of ``module``.

    A reading needs its Markdown text, a link its https address, a video or a file its
    upload (checked, then stored); every kind may carry Markdown notes in ``body``.
    """
    course = module.course
    _require_editor(actor, course)
    if kind not in {k.value for k in ItemKind}:
        raise ValidationError("Unknown kind of item.", field="kind")
    title = _text(title, field="title", limit=MAX_TITLE, required=True)
    keys = set(_session().scalars(select(Item.key).where(Item.course_id == course.id)))
    last = _session().scalar(select(func.max(Item.position)).where(Item.module_id == module.id))
    # Joins the session only once complete: a video row cannot exist without its duration.
    item = Item(
        course_id=course.id,
        module_id=module.id,
        key=_unique_key(keys, title, "item"),
        position=(last if last is not None else -1) + 1,
        kind=kind,
        title=title,
        is_optional=bool(is_optional),
        is_archived=False,
        body_html="",
        transcript="",
        updated_at=now,
    )
    _set_body(item, body, required=kind == ItemKind.READING)
    if kind == ItemKind.LINK:
        item.url = _https_url(url)
    if kind in (ItemKind.VIDEO, ItemKind.FILE):
        if upload is None or storage is None:
            raise ValidationError("Choose a file to upload.", field="file")
        _store_item_media(item, upload, storage)
    module.items.append(item)
    _touch(course, now)
    _session().flush()
    return item


def update_item(
    actor: User,
    item: Item,
    *,
    title: str,
    body: str = "",
    url: str | None = None,
    is_optional: bool = False,
    module: Module | None = None,
    now: datetime,
) -> Item:
    """Change an item's title, text, address or optional flag, or move it to another module
    of the same course (at its end). Its kind stays what it is."""
    course = item.module.course
    _require_editor(actor, course)
    item.title = _text(title, field="title", limit=MAX_TITLE, required=True)
    _set_body(item, body, required=item.kind == ItemKind.READING)
    if item.kind == ItemKind.LINK:
        item.url = _https_url(url)
    item.is_optional = bool(is_optional)
    if module is not None and module.id != item.module_id:
        if module.course_id != course.id:
            raise ValidationError("Choose a module of this course.", field="module_id")
        last = _session().scalar(select(func.max(Item.position)).where(Item.module_id == module.id))
        item.module = module
        item.position = (last if last is not None else -1) + 1
    item.updated_at = now
    _touch(course, now)
    _session().flush()
    return item


def move_item(actor: User, item: Item, direction: str, *, now: datetime) -> bool:
    """Move an item one place up or down in its module; False if already first or last."""
    course = item.module.course
    _require_editor(actor, course)
    moved = _move(item.module.items, item, direction)
    if moved:
        _touch(course, now)
        _session().flush()
    return moved


def archive_item(actor: User, item: Item, *, archived: bool = True, now: datetime) -> None:
    """Hide an item from learners (``archived=False`` restores it at the end of its module).

    Archived, never deleted: learners' progress points at it.
    """
    course = item.module.course
    _require_editor(actor, course)
    if item.is_archived != archived:
        item.is_archived = archived
        if not archived:
            item.position = max((i.position for i in item.module.items), default=0) + 1
            _keep_ordered(item.module.items)
        item.updated_at = now
        _touch(course, now)
        _session().flush()


# --- uploads --------------------------------------------------------------------------------------


def _seekable(upload: Upload, field: str) -> BinaryIO:
    """The upload as a stream that can be rewound (Werkzeug's already is; others are spooled
    to a temporary file in chunks, stopping at the size limit)."""
    stream = upload.stream
    if getattr(stream, "seekable", None) and stream.seekable():
        return stream
    spool = tempfile.SpooledTemporaryFile(max_size=CHUNK * 16)  # noqa: SIM115 - returned
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > upload.max_bytes:
            spool.close()
            raise ValidationError(_too_large(upload.max_bytes), field=field)
        spool.write(chunk)
    spool.seek(0)
    return spool


def _too_large(limit: int) -> str:
    return f"The file is larger than the limit of {_size_label(limit)}."


def _remaining_size(stream: BinaryIO) -> int:
    start = stream.tell()
    end = stream.seek(0, io.SEEK_END)
    stream.seek(start)
    return end - start


def _type_name(media_type: str | None) -> str:
    if media_type is None:
        return "of a type we cannot recognise"
    return TYPE_NAMES.get(media_type, media_type)


def _check_type(stream: BinaryIO, allowed: set[str], *, expected: str, field: str) -> str:
    media_type = files.sniff_stream(stream)
    if media_type not in allowed:
        raise ValidationError(
            f"This file is {_type_name(media_type)}, not {expected}. "
            "The type is read from the file itself, not from its name.",
            field=field,
        )
    return media_type


def _store(stream: BinaryIO, media_type: str, *, max_bytes: int, storage: Storage, field: str):
    if _remaining_size(stream) > max_bytes:
        raise ValidationError(_too_large(max_bytes), field=field)
    try:
        return storage.save(stream, suffix=files.EXTENSIONS[media_type], max_bytes=max_bytes)
    except TooLarge:
        raise ValidationError(_too_large(max_bytes), field=field) from None


def display_name(filename: str, media_type: str) -> str:
    """A safe name for downloads: the sent name without folders, with the real extension."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".")
    stem = name.rsplit(".", 1)[0].strip() if "." in name else name
    return f"{(stem or 'file')[:200]}.{files.EXTENSIONS[media_type]}"


def _check_image(stream: BinaryIO, field: str) -> images.ImageInfo:
    try:
        return images.inspect_image(stream)
    except files.FileCheckError as error:
        raise ValidationError(str(error), field=field) from None


def _read_captions(storage: Storage, asset: ItemAsset) -> str:
    with storage.open(asset.storage_key) as handle:
        return handle.read(MAX_CAPTION_BYTES + 1).decode("utf-8-sig", errors="replace")


def _store_item_media(item: Item, upload: Upload, storage: Storage) -> None:
    field = "file"
    stream = _seekable(upload, field)
    if item.kind == ItemKind.VIDEO:
        media_type = _check_type(
            stream, files.VIDEO_TYPES, expected="a video (MP4 or WebM)", field=field
        )
        duration = video_duration(stream, media_type)
        if not duration or duration <= 0:
            raise ValidationError(
                "We could not read how long this video is. Export it again as MP4 (H.264, "
                "with “fast start”) or WebM with its duration written in the file.",
                field=field,
            )
        for asset in item.assets:
            if asset.kind == "captions":
                try:
                    files.validate_vtt(_read_captions(storage, asset), duration=duration)
                except files.FileCheckError:
                    raise ValidationError(
                        f"The captions “{asset.label}” run past the end of this video "
                        f"({duration:.0f} s). Remove them first, or upload a longer video.",
                        field=field,
                    ) from None
    else:
        media_type = _check_type(
            stream,
            FILE_ITEM_TYPES,
            expected="a PDF, Word, PowerPoint or Excel document or an image",
            field=field,
        )
        if media_type in files.IMAGE_TYPES:
            _check_image(stream, field)
        duration = None
    stored = _store(stream, media_type, max_bytes=upload.max_bytes, storage=storage, field=field)
    item.media_key = stored.key
    item.media_type = media_type
    item.media_name = display_name(upload.filename, media_type)
    item.media_size = stored.size
    item.duration_seconds = duration


def attach_item_media(
    actor: User, item: Item, upload: Upload, *, storage: Storage, now: datetime
) -> Item:
    """Replace the video of a video item (MP4/WebM; its duration read from the file) or the
    document of a file item (PDF, Word, PowerPoint, Excel or an image).

    The real type is sniffed from the content; a refused file is not stored.
    """
    course = item.module.course
    _require_editor(actor, course)
    if item.kind not in (ItemKind.VIDEO, ItemKind.FILE):
        raise ValidationError("Only video and file items have a file.", field="file")
    _store_item_media(item, upload, storage)
    item.updated_at = now
    _touch(course, now)
    _session().flush()
    return item


def _transcript(text: str) -> str:
    return "\n".join(
        f"[{int(start // 60):02d}:{int(start % 60):02d}] {words}"
        for start, words in files.transcript_from_vtt(text)
    )


def _refresh_transcript(item: Item, storage: Storage, known: dict[int, str] | None = None) -> None:
    """The transcript comes from the item's first captions (as content sync does)."""
    captions = sorted((a for a in item.assets if a.kind == "captions"), key=lambda a: a.position)
    if not captions:
        item.transcript = ""
        return
    first = captions[0]
    text = (known or {}).get(id(first))
    item.transcript = _transcript(text if text is not None else _read_captions(storage, first))


def add_caption(
    actor: User,
    item: Item,
    upload: Upload,
    *,
    language: str,
    label: str = "",
    storage: Storage,
    now: datetime,
) -> ItemAsset:
    """Add WebVTT captions to a video, checked line by line and against the video's length.

    Captions in a language the video already has replace those.
    """
    course = item.module.course
    _require_editor(actor, course)
    if item.kind != ItemKind.VIDEO:
        raise ValidationError("Only videos have captions.", field="file")
    language = (language or "").strip()
    if not LANGUAGE_CODE.match(language) or len(language) > 10:
        raise ValidationError("Give a language code such as en, fr or es-MX.", field="language")
    label = _text(label, field="label", limit=100) or language_name(language)
    limit = min(upload.max_bytes, MAX_CAPTION_BYTES)
    stream = _seekable(Upload(upload.stream, upload.filename, limit), "file")
    _check_type(stream, files.CAPTION_TYPES, expected="a WebVTT caption file (.vtt)", field="file")
    if _remaining_size(stream) > limit:
        raise ValidationError(_too_large(limit), field="file")
    start = stream.tell()
    try:
        text = stream.read(limit + 1).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("Caption files must be UTF-8 text.", field="file") from None
    finally:
        stream.seek(start)
    try:
        files.validate_vtt(text, duration=item.duration_seconds)
    except files.FileCheckError as error:
        raise ValidationError(f"These captions cannot be used: {error}.", field="file") from None
    stored = _store(stream, "text/vtt", max_bytes=limit, storage=storage, field="file")
    replaced = next(
        (a for a in item.assets if a.kind == "captions" and a.language == language), None
    )
    asset = replaced or ItemAsset(
        kind="captions",
        position=max((a.position for a in item.assets), default=-1) + 1,
        language=language,
    )
    asset.storage_key = stored.key
    asset.filename = display_name(upload.filename, "text/vtt")
    asset.media_type = "text/vtt"
    asset.size = stored.size
    asset.label = label
    if replaced is None:
        item.assets.append(asset)
    _refresh_transcript(item, storage, {id(asset): text})
    item.updated_at = now
    _touch(course, now)
    _session().flush()
    return asset


def add_attachment(
    actor: User, item: Item, upload: Upload, *, storage: Storage, now: datetime
) -> ItemAsset:
    """Attach a document (PDF, Word, PowerPoint, Excel) or an image to an item."""
    course = item.module.course
    _require_editor(actor, course)
    attachments = [a for a in item.assets if a.kind == "attachment"]
    if len(attachments) >= MAX_ATTACHMENTS:
        raise ValidationError(f"An item holds at most {MAX_ATTACHMENTS} attachments.", field="file")
    stream = _seekable(upload, "file")
    media_type = _check_type(
        stream,
        FILE_ITEM_TYPES,
        expected="a PDF, Word, PowerPoint or Excel document or an image",
        field="file",
    )
    if media_type in files.IMAGE_TYPES:
        _check_image(stream, "file")
    stored = _store(stream, media_type, max_bytes=upload.max_bytes, storage=storage, field="file")
    asset = ItemAsset(
        kind="attachment",
        position=max((a.position for a in item.assets), default=-1) + 1,
        storage_key=stored.key,
        filename=display_name(upload.filename, media_type),
        media_type=media_type,
        size=stored.size,
    )
    item.assets.append(asset)
    item.updated_at = now
    _touch(course, now)
    _session().flush()
    return asset


def remove_asset(actor: User, asset: ItemAsset, *, storage: Storage, now: datetime) -> None:
    """Remove captions or an attachment from an item.

    The stored file stays: storage is content-addressed, so the same file may serve others.
    A published course's video keeps at least one captions file.
    """
    item = asset.item
    course = item.module.course
    _require_editor(actor, course)
    if asset.kind == "captions":
        others = [a for a in item.assets if a.kind == "captions" and a is not asset]
        if not others and course.is_published and not item.is_archived:
            raise Conflict(
                "The videos of a published course need captions. Upload new captions in the "
                "same language to replace these, or unpublish the course first."
            )
    item.assets.remove(asset)
    if asset.kind == "captions":
        _refresh_transcript(item, storage)
    item.updated_at = now
    _touch(course, now)
    _session().flush()


# --- covers ---------------------------------------------------------------------------------------


def set_cover(
    actor: User, course: Course, upload: Upload, *, storage: Storage, now: datetime
) -> StoredFile:
    """Keep an uploaded cover image for the worker to process (``process_cover``).

    Only its header is read here, enough to refuse what is not a PNG, JPEG or WebP image or
    has too many pixels to decode safely. The original is never shown: it may carry EXIF.
    """
    _require_editor(actor, course)
    stream = _seekable(upload, "cover")
    info = _check_image(stream, "cover")
    stored = _store(
        stream, info.media_type, max_bytes=upload.max_bytes, storage=storage, field="cover"
    )
    course.cover_pending_key = stored.key
    _touch(course, now)
    _session().flush()
    return stored


def remove_cover(actor: User, course: Course, *, now: datetime) -> None:
    """Show the course without a cover image."""
    _require_editor(actor, course)
    course.cover_key = course.cover_thumb_key = course.cover_pending_key = None
    _touch(course, now)
    _session().flush()


def process_cover(course: Course, *, storage: Storage, now: datetime) -> bool:
    """Turn the pending cover into the cover (at most 1280x720) and its thumbnail (480x270):
    decoded, upright, without EXIF or other metadata.

    Idempotent: without a pending cover it does nothing. An image that cannot be processed
    leaves the course without a cover, and is logged.
    """
    key = course.cover_pending_key
    if not key:
        return False
    try:
        with storage.open(key) as handle:
            cover = images.process_image(handle, max_size=COVER_SIZE)
        thumb = images.process_image(io.BytesIO(cover), max_size=THUMB_SIZE)
    except Exception as error:  # Pillow fails in many ways on broken files; none may crash
        log.warning("Cover of course %s (%s) could not be processed: %s", course.slug, key, error)
        course.cover_key = course.cover_thumb_key = course.cover_pending_key = None
        course.updated_at = now
        return False
    suffix = "png" if cover.startswith(b"\x89PNG") else "jpg"
    course.cover_key = storage.save(io.BytesIO(cover), suffix=suffix).key
    course.cover_thumb_key = storage.save(io.BytesIO(thumb), suffix=suffix).key
    course.cover_pending_key = None
    course.updated_at = now
    return True


# --- runs -----------------------------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    if not is_valid_timezone(name):
        raise ValidationError("Choose a time zone from the list.", field="timezone")
    return ZoneInfo(name)


def local_to_utc(value: datetime | None, zone: str, *, field: str) -> datetime | None:
    """A wall-clock time in ``zone`` as a UTC instant; refuses times a clock change skips."""
    if value is None:
        return None
    if value.tzinfo is not None:
        return value.astimezone(UTC)
    tz = _zone(zone)
    instant = value.replace(tzinfo=tz).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != value:
        raise ValidationError(
            f"This time does not exist in {zone}: the clocks change then.", field=field
        )
    return instant


def utc_to_local(value: datetime | None, zone: str) -> datetime | None:
    """A UTC instant as a wall-clock time (naive) in ``zone``, for a form."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(zone) if is_valid_timezone(zone) else UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class RunTimes:
    starts_at: datetime
    ends_at: datetime
    enrolment_opens_at: datetime | None
    enrolment_closes_at: datetime | None


def _run_times(
    timezone: str,
    starts_local: datetime | None,
    ends_local: datetime | None,
    opens_local: datetime | None,
    closes_local: datetime | None,
) -> RunTimes:
    _zone(timezone)
    if starts_local is None:
        raise ValidationError("Give the date the run starts.", field="starts_at")
    if ends_local is None:
        raise ValidationError("Give the date the run ends.", field="ends_at")
    times = RunTimes(
        starts_at=local_to_utc(starts_local, timezone, field="starts_at"),
        ends_at=local_to_utc(ends_local, timezone, field="ends_at"),
        enrolment_opens_at=local_to_utc(opens_local, timezone, field="enrolment_opens_at"),
        enrolment_closes_at=local_to_utc(closes_local, timezone, field="enrolment_closes_at"),
    )
    if times.ends_at <= times.starts_at:
        raise ValidationError("A run must end after it starts.", field="ends_at")
    if (
        times.enrolment_opens_at
        and times.enrolment_closes_at
        and times.enrolment_closes_at <= times.enrolment_opens_at
    ):
        raise ValidationError("Enrolment must close after it opens.", field="enrolment_closes_at")
    return times


def _run_slug(course: Course, slug: str | None, title: str, run: CourseRun | None) -> str:
    slug = _slug(slug if (slug or "").strip() else slugify(title))
    stmt = select(CourseRun.id).where(CourseRun.course_id == course.id, CourseRun.slug == slug)
    if run is not None:
        stmt = stmt.where(CourseRun.id != run.id)
    if _session().scalar(stmt) is not None:
        raise ValidationError("This course already has a run with that address name.", field="slug")
    return slug


def _check_mode_and_capacity(enrolment_mode: str, capacity: int | None) -> None:
    if enrolment_mode not in {m.value for m in EnrolmentMode}:
        raise ValidationError("Choose how learners enrol.", field="enrolment_mode")
    if capacity is not None and capacity < 1:
        raise ValidationError("Capacity must be at least 1.", field="capacity")


def create_run(
    actor: User,
    course: Course,
    *,
    title: str,
    slug: str | None = None,
    timezone: str,
    starts_local: datetime | None,
    ends_local: datetime | None,
    enrolment_opens_local: datetime | None = None,
    enrolment_closes_local: datetime | None = None,
    enrolment_mode: str = EnrolmentMode.OPEN.value,
    capacity: int | None = None,
    is_sequential: bool = False,
    now: datetime,
) -> CourseRun:
    """Schedule a run of ``course`` with dates given as wall-clock times in ``timezone``
    (stored in UTC). Its creator becomes its coordinator (and instructor, if one)."""
    if not can_create_run(actor, course):
        raise Forbidden(
            "Only the course's instructors, coordinators and administrators schedule runs."
        )
    title = _text(title, field="title", limit=MAX_TITLE, required=True)
    slug = _run_slug(course, slug, title, None)
    _check_mode_and_capacity(enrolment_mode, capacity)
    times = _run_times(
        timezone, starts_local, ends_local, enrolment_opens_local, enrolment_closes_local
    )
    run = courses.create_run(
        actor,
        course,
        slug=slug,
        title=title,
        starts_at=times.starts_at,
        ends_at=times.ends_at,
        enrolment_opens_at=times.enrolment_opens_at,
        enrolment_closes_at=times.enrolment_closes_at,
        enrolment_mode=enrolment_mode,
        capacity=capacity,
        is_sequential=is_sequential,
        timezone=timezone,
        now=now,
    )
    courses.add_run_staff(run, actor, RunRole.COORDINATOR.value)
    if actor.has_role(Role.INSTRUCTOR):
        courses.add_run_staff(run, actor, RunRole.INSTRUCTOR.value)
    _session().flush()
    return run


def update_run(
    actor: User,
    run: CourseRun,
    *,
    title: str,
    slug: str,
    timezone: str,
    starts_local: datetime | None,
    ends_local: datetime | None,
    enrolment_opens_local: datetime | None = None,
    enrolment_closes_local: datetime | None = None,
    enrolment_mode: str = EnrolmentMode.OPEN.value,
    capacity: int | None = None,
    is_sequential: bool = False,
    new_code: bool = False,
    now: datetime,
) -> CourseRun:
    """Change a run's name, dates (wall-clock times in ``timezone``), enrolment and order.

    The 'code' mode keeps its invitation code unless ``new_code`` asks for another one.
    """
    _require_run_manager(actor, run)
    title = _text(title, field="title", limit=MAX_TITLE, required=True)
    slug = _run_slug(run.course, slug, title, run)
    _check_mode_and_capacity(enrolment_mode, capacity)
    times = _run_times(
        timezone, starts_local, ends_local, enrolment_opens_local, enrolment_closes_local
    )
    if capacity is not None:
        enrolled = _session().scalar(
            select(func.count(Enrolment.id)).where(
                Enrolment.run_id == run.id, Enrolment.left_at.is_(None)
            )
        )
        if enrolled and capacity < enrolled:
            raise ValidationError(
                f"{enrolled} learners are already enrolled: the capacity cannot be lower.",
                field="capacity",
            )
    run.title = title
    run.slug = slug
    run.timezone = timezone
    run.starts_at = times.starts_at
    run.ends_at = times.ends_at
    run.enrolment_opens_at = times.enrolment_opens_at
    run.enrolment_closes_at = times.enrolment_closes_at
    run.enrolment_mode = enrolment_mode
    if enrolment_mode == EnrolmentMode.CODE:
        if new_code or not run.invitation_code:
            run.invitation_code = secrets.token_urlsafe(9)
    else:
        run.invitation_code = None
    run.capacity = capacity
    run.is_sequential = bool(is_sequential)
    run.updated_at = now
    _session().flush()
    accounts.record_audit(actor, "run.update", run, {"course": run.course.slug}, now=now)
    return run


def set_release_dates(
    actor: User, run: CourseRun, releases: dict[int, datetime | None], *, now: datetime
) -> None:
    """Give modules their own release date in ``run`` (wall-clock times in the run's zone,
    keyed by module id); None returns a module to the course's default."""
    _require_run_manager(actor, run)
    modules = {m.id: m for m in run.course.modules}
    for module_id, local in releases.items():
        module = modules.get(module_id)
        if module is None:
            raise NotFound("No such module in this course.")
        releases_at = local_to_utc(local, run.timezone, field=f"module_{module_id}")
        courses.set_module_release(run, module, releases_at)
    run.updated_at = now
    _session().flush()


def run_staff(run: CourseRun) -> list[RunStaff]:
    """The run's coordinators and instructors with their accounts, by role and name."""
    return list(
        _session().scalars(
            select(RunStaff)
            .join(User, User.id == RunStaff.user_id)
            .where(RunStaff.run_id == run.id)
            .options(selectinload(RunStaff.user))
            .order_by(RunStaff.role, func.lower(User.display_name))
        )
    )


def add_staff(actor: User, run: CourseRun, email: str, role: str, *, now: datetime) -> RunStaff:
    """Name the person with this e-mail coordinator or instructor of ``run``.

    They must hold that role on the platform (administrators give roles).
    """
    _require_run_manager(actor, run)
    if role not in {r.value for r in RunRole}:
        raise ValidationError("Choose coordinator or instructor.", field="role")
    user = accounts.find_user_by_email(email or "")
    if user is None:
        raise ValidationError("No account uses this address.", field="email")
    if not user.is_active:
        raise ValidationError("This account is deactivated.", field="email")
    if not user.has_any_role(role, Role.ADMIN):
        raise ValidationError(
            f"{user.display_name} is not a {role} on this platform; an administrator can give "
            "them the role.",
            field="email",
        )
    existing = next((s for s in run.staff if s.user_id == user.id and s.role == role), None)
    if existing is not None:
        raise ValidationError(
            f"{user.display_name} is already a {role} of this run.", field="email"
        )
    courses.add_run_staff(run, user, role)
    _session().flush()
    accounts.record_audit(actor, "run.add_staff", run, {"user": user.email, "role": role}, now=now)
    return next(s for s in run.staff if s.user_id == user.id and s.role == role)


def remove_staff(actor: User, run: CourseRun, user_id: int, role: str, *, now: datetime) -> None:
    """Take a coordinator or instructor off ``run``."""
    _require_run_manager(actor, run)
    entry = next((s for s in run.staff if s.user_id == user_id and s.role == role), None)
    if entry is None:
        raise NotFound("This person is not on the run's staff.")
    run.staff.remove(entry)
    _session().flush()
    accounts.record_audit(
        actor, "run.remove_staff", run, {"user": entry.user.email, "role": role}, now=now
    )
