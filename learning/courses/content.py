"""Course content as files: read and check ``content/<slug>/``, then import it all or nothing.

The format is documented in ``content/README.md``. Reading and checking happen before any
database write, so an error leaves the database as it was; every error names the file and
the line. Media go to storage under content-addressed keys, so re-syncing stores nothing new.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlalchemy import select

from learning.core import files
from learning.core.errors import DomainError
from learning.core.media import video_duration
from learning.core.storage import Storage
from learning.core.text import render_markdown
from learning.courses.models import ITEM_KINDS, Course, Item, ItemAsset, ItemKind, Module
from learning.extensions import db

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
MAX_TITLE = 200
MEDIA_LIMIT = 512 * 1024 * 1024
DURATION_MATCH = 0.5  # seconds of disagreement allowed between course.yaml and the file


@dataclass(frozen=True)
class ContentProblem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class ContentSyncError(DomainError):
    status_code = 422
    code = "content_invalid"

    def __init__(self, problems: list[ContentProblem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# --- YAML with line numbers -------------------------------------------------------------------


class _Mapping(dict):
    line: int = 0
    key_lines: dict[str, int]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Mapping:
    mapping = _Mapping(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {
        str(key_node.value): key_node.start_mark.line + 1 for key_node, _ in node.value
    }
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


# --- what a folder says -----------------------------------------------------------------------


@dataclass
class AssetSpec:
    kind: str
    path: Path
    media_type: str
    language: str | None = None
    label: str | None = None


@dataclass
class ItemSpec:
    key: str
    kind: str
    title: str
    is_optional: bool
    body_html: str = ""
    transcript: str = ""
    url: str | None = None
    media: Path | None = None
    media_type: str | None = None
    duration: float | None = None
    assets: list[AssetSpec] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # what a kind handler read


class KindHandler(Protocol):
    """How another domain reads and imports its own kind of item (quizzes: 'quiz')."""

    def read(self, reader: ContentReader, raw: Any, item: ItemSpec) -> None:
        """Check the item's settings and files, report problems, fill ``item.extra``."""

    def apply(self, item: Item, spec: ItemSpec, *, now: datetime) -> None:
        """Import what ``read`` found for the (flushed) ``item``; flush, never commit."""


#: Item kinds handled by other domains, registered when those domains are imported.
KIND_HANDLERS: dict[str, KindHandler] = {}


class SectionHandler(Protocol):
    """How another domain reads and imports a top-level key of ``course.yaml`` that it owns
    (plans: ``action_plan``, certificates: ``certificate``)."""

    def read(self, reader: ContentReader, raw: Any) -> Any:
        """Check the section (``raw`` is None when the key is absent), report problems with
        ``reader.problem``; return what ``apply`` needs."""

    def apply(self, course: Course, value: Any, *, now: datetime) -> None:
        """Import what ``read`` returned for the (flushed) ``course``; flush, never commit."""


#: Top-level ``course.yaml`` keys owned by other domains, registered when they are imported.
SECTION_HANDLERS: dict[str, SectionHandler] = {}


@dataclass
class ModuleSpec:
    key: str
    title: str
    summary: str
    release_after_days: int | None
    items: list[ItemSpec]


@dataclass
class CourseSpec:
    folder: Path
    slug: str
    title: str
    summary: str
    language: str
    topics: list[str]
    programme: str
    estimated_hours: float
    video_threshold: float
    is_published: bool
    cover: Path | None
    modules: list[ModuleSpec]
    content_hash: str
    sections: dict[str, Any] = field(default_factory=dict)  # what section handlers read


class ContentReader:
    """Collects every problem of one course folder instead of stopping at the first."""

    def __init__(self, folder: Path, root: Path):
        self.folder = folder
        self.root = root
        self.yaml_name = self.display(folder / "course.yaml")
        self.problems: list[ContentProblem] = []

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    def problem(self, message: str, line: int | None = None, file: str | None = None) -> None:
        self.problems.append(ContentProblem(file or self.yaml_name, line, message))

    def text(
        self, mapping: _Mapping, key: str, *, required: bool = True, limit: int = MAX_TITLE
    ) -> str:
        value = mapping.get(key)
        line = mapping.key_lines.get(key, mapping.line)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(f"'{key}' is required", line)
            return ""
        if not isinstance(value, str | int | float):
            self.problem(f"'{key}' must be text", line)
            return ""
        value = str(value).strip()
        if len(value) > limit:
            self.problem(f"'{key}' is longer than {limit} characters", line)
        return value

    def path(self, mapping: _Mapping, key: str, value: Any = None) -> Path | None:
        raw = mapping.get(key) if value is None else value
        line = mapping.key_lines.get(key, mapping.line)
        if not isinstance(raw, str) or not raw.strip():
            self.problem(f"'{key}' must name a file in the course folder", line)
            return None
        candidate = (self.folder / raw).resolve()
        if self.folder.resolve() not in candidate.parents:
            self.problem(f"'{raw}' is outside the course folder", line)
            return None
        if not candidate.is_file():
            self.problem(f"file '{raw}' does not exist", line)
            return None
        return candidate

    def typed_file(self, mapping: _Mapping, key: str, allowed: set[str], value: Any = None):
        path = self.path(mapping, key, value)
        if path is None:
            return None, None
        data = (
            path.read_bytes() if path.suffix.lower() in {".docx", ".pptx", ".xlsx"} else _head(path)
        )
        media_type = files.sniff(data)
        if media_type not in allowed:
            self.problem(
                f"'{path.name}' is {media_type or 'of an unknown type'}, expected one of "
                f"{', '.join(sorted(allowed))}",
                mapping.key_lines.get(key, mapping.line),
            )
            return None, None
        return path, media_type

    def markdown(self, mapping: _Mapping, key: str) -> str:
        path = self.path(mapping, key)
        if path is None:
            return ""
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            self.problem(f"not UTF-8 text ({error.reason})", None, self.display(path))
            return ""
        body = text
        if text.startswith("---"):
            parts = re.split(r"^---[ \t]*$", text, maxsplit=2, flags=re.MULTILINE)
            if len(parts) < 3:
                self.problem("front matter is not closed by '---'", 1, self.display(path))
                return ""
            try:
                front = yaml.safe_load(parts[1]) or {}
            except yaml.YAMLError as error:
                mark = getattr(error, "problem_mark", None)
                self.problem(
                    f"front matter: {getattr(error, 'problem', error)}",
                    mark.line + 2 if mark else 1,
                    self.display(path),
                )
                return ""
            if not isinstance(front, dict):
                self.problem("front matter must be a mapping", 2, self.display(path))
            body = parts[2]
        html = render_markdown(body, shift_headings=1)
        # The page already shows the item's title; a first heading repeating it is dropped.
        title = mapping.get("title")
        if isinstance(title, str):
            repeated = f"<h2>{escape(title.strip())}</h2>"
            if html.lstrip().startswith(repeated):
                html = html.lstrip()[len(repeated) :].lstrip()
        return html


def _head(path: Path, size: int = 8192) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def folder_hash(folder: Path) -> str:
    """SHA-256 over every file's relative path and content: unchanged files, unchanged hash."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        digest.update(str(relative.as_posix()).encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(65536), b""):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def read_course_folder(
    folder: Path, root: Path | None = None
) -> tuple[CourseSpec | None, list[ContentProblem]]:
    """Read and check one course folder; return the spec or the problems found."""
    reader = ContentReader(folder, root or folder.parent)
    yaml_path = folder / "course.yaml"
    if not yaml_path.is_file():
        reader.problem("course.yaml is missing")
        return None, reader.problems
    try:
        data = yaml.load(yaml_path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        reader.problem(
            f"not valid YAML: {getattr(error, 'problem', error)}", mark.line + 1 if mark else None
        )
        return None, reader.problems
    except UnicodeDecodeError:
        reader.problem("course.yaml is not UTF-8 text")
        return None, reader.problems
    if not isinstance(data, _Mapping):
        reader.problem("course.yaml must be a mapping of settings", 1)
        return None, reader.problems

    slug = reader.text(data, "slug", limit=80)
    if slug and slug != folder.name:
        reader.problem(
            f"slug '{slug}' must equal the folder name '{folder.name}'", data.key_lines.get("slug")
        )
    elif slug and not SLUG.match(slug):
        reader.problem(
            "slug may use lowercase letters, digits and '-' only", data.key_lines.get("slug")
        )
    title = reader.text(data, "title")
    summary = reader.text(data, "summary", required=False, limit=2000)
    language = reader.text(data, "language", required=False, limit=10) or "en"
    programme = reader.text(data, "programme", required=False)
    topics = data.get("topics") or []
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        reader.problem("'topics' must be a list of words", data.key_lines.get("topics"))
        topics = []
    hours = data.get("estimated_hours", 0)
    if not isinstance(hours, int | float) or isinstance(hours, bool) or hours < 0:
        reader.problem(
            "'estimated_hours' must be a number ≥ 0", data.key_lines.get("estimated_hours")
        )
        hours = 0
    completion = data.get("completion") or _Mapping()
    threshold = completion.get("video_threshold", 0.9) if isinstance(completion, dict) else 0.9
    if not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        reader.problem(
            "'video_threshold' must be a number above 0 and at most 1",
            getattr(completion, "line", None),
        )
        threshold = 0.9
    published = data.get("published", True)
    cover = None
    if data.get("cover"):
        cover, _ = reader.typed_file(data, "cover", files.IMAGE_TYPES)

    modules: list[ModuleSpec] = []
    module_keys: set[str] = set()
    item_keys: set[str] = set()
    raw_modules = data.get("modules")
    if not isinstance(raw_modules, list) or not raw_modules:
        reader.problem(
            "'modules' must list at least one module", data.key_lines.get("modules", data.line)
        )
        raw_modules = []
    for raw_module in raw_modules:
        if not isinstance(raw_module, _Mapping):
            reader.problem("each module must be a mapping", data.key_lines.get("modules"))
            continue
        key = reader.text(raw_module, "key", limit=80)
        if key in module_keys:
            reader.problem(f"module key '{key}' is used twice", raw_module.key_lines.get("key"))
        module_keys.add(key)
        release = raw_module.get("release_after_days")
        if release is not None and (
            not isinstance(release, int) or isinstance(release, bool) or release < 0
        ):
            reader.problem(
                "'release_after_days' must be a whole number ≥ 0",
                raw_module.key_lines.get("release_after_days"),
            )
            release = None
        items = []
        raw_items = raw_module.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            reader.problem(
                "a module must list at least one item",
                raw_module.key_lines.get("items", raw_module.line),
            )
            raw_items = []
        for raw_item in raw_items:
            item = _read_item(reader, raw_item, item_keys)
            if item is not None:
                items.append(item)
        modules.append(
            ModuleSpec(
                key=key,
                title=reader.text(raw_module, "title"),
                summary=reader.text(raw_module, "summary", required=False, limit=2000),
                release_after_days=release,
                items=items,
            )
        )
    sections = {
        key: handler.read(reader, data.get(key)) for key, handler in SECTION_HANDLERS.items()
    }
    if reader.problems:
        return None, reader.problems
    return (
        CourseSpec(
            folder=folder,
            slug=slug,
            title=title,
            summary=summary,
            language=language,
            topics=list(topics),
            programme=programme,
            estimated_hours=float(hours),
            video_threshold=float(threshold),
            is_published=bool(published),
            cover=cover,
            modules=modules,
            content_hash=folder_hash(folder),
            sections=sections,
        ),
        [],
    )


def _read_item(reader: ContentReader, raw: Any, keys: set[str]) -> ItemSpec | None:
    if not isinstance(raw, _Mapping):
        reader.problem("each item must be a mapping")
        return None
    line = raw.line
    key = reader.text(raw, "key", limit=80)
    if key in keys:
        reader.problem(f"item key '{key}' is used twice in the course", raw.key_lines.get("key"))
    keys.add(key)
    kind = raw.get("type")
    if kind not in ITEM_KINDS:
        reader.problem(
            f"'type' must be one of {', '.join(ITEM_KINDS)}", raw.key_lines.get("type", line)
        )
        return None
    optional = raw.get("optional", False)
    if not isinstance(optional, bool):
        reader.problem("'optional' must be true or false", raw.key_lines.get("optional"))
        optional = False
    item = ItemSpec(key=key, kind=kind, title=reader.text(raw, "title"), is_optional=optional)
    if kind == ItemKind.VIDEO:
        item.media, item.media_type = reader.typed_file(raw, "video", files.VIDEO_TYPES)
        measured = None
        if item.media is not None:
            with item.media.open("rb") as handle:
                measured = video_duration(handle, item.media_type)
        duration = raw.get("duration", measured)
        if not isinstance(duration, int | float) or isinstance(duration, bool) or duration <= 0:
            reader.problem(
                "'duration' must be the video's length in seconds (> 0)",
                raw.key_lines.get("duration", line),
            )
        elif measured is not None and abs(measured - duration) > DURATION_MATCH:
            reader.problem(
                f"'duration' is {duration} s but the video lasts {measured:.1f} s",
                raw.key_lines.get("duration", line),
            )
        else:
            item.duration = float(duration)
        captions = raw.get("captions") or []
        if not isinstance(captions, list) or not captions:
            reader.problem(
                "a video needs 'captions': at least one WebVTT file",
                raw.key_lines.get("captions", line),
            )
            captions = []
        for position, caption in enumerate(captions):
            if not isinstance(caption, _Mapping):
                reader.problem(
                    "each caption must name 'file', 'language' and 'label'",
                    raw.key_lines.get("captions"),
                )
                continue
            path, media_type = reader.typed_file(caption, "file", files.CAPTION_TYPES)
            if path is None:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                files.validate_vtt(text, duration=item.duration)
            except files.FileCheckError as error:
                reader.problem(str(error), None, reader.display(path))
                continue
            if position == 0:
                item.transcript = "\n".join(
                    f"[{int(start // 60):02d}:{int(start % 60):02d}] {words}"
                    for start, words in files.transcript_from_vtt(text)
                )
            item.assets.append(
                AssetSpec(
                    "captions",
                    path,
                    media_type,
                    language=reader.text(caption, "language", limit=10) or "en",
                    label=reader.text(caption, "label", required=False, limit=100) or "Captions",
                )
            )
        if raw.get("notes"):
            item.body_html = reader.markdown(raw, "notes")
    elif kind == ItemKind.READING:
        item.body_html = reader.markdown(raw, "file")
    elif kind == ItemKind.FILE:
        item.media, item.media_type = reader.typed_file(
            raw, "file", files.DOCUMENT_TYPES | files.IMAGE_TYPES
        )
        if raw.get("notes"):
            item.body_html = reader.markdown(raw, "notes")
    elif kind == ItemKind.LINK:
        url = raw.get("url")
        if (
            not isinstance(url, str)
            or not url.startswith("https://")
            or len(url) > 2000
            or any(c.isspace() for c in url)
        ):
            reader.problem("'url' must be an https:// address", raw.key_lines.get("url", line))
        else:
            item.url = url
        if raw.get("notes"):
            item.body_html = reader.markdown(raw, "notes")
    elif kind in KIND_HANDLERS:
        KIND_HANDLERS[kind].read(reader, raw, item)
        if raw.get("notes"):
            item.body_html = reader.markdown(raw, "notes")
    else:
        reader.problem(
            f"items of type '{kind}' are not supported here", raw.key_lines.get("type", line)
        )
    attachments = raw.get("attachments") or []
    if not isinstance(attachments, list):
        reader.problem("'attachments' must be a list of files", raw.key_lines.get("attachments"))
        attachments = []
    for name in attachments:
        path, media_type = reader.typed_file(
            raw, "attachments", files.DOCUMENT_TYPES | files.IMAGE_TYPES, value=name
        )
        if path is not None:
            item.assets.append(AssetSpec("attachment", path, media_type))
    return item


# --- applying a spec --------------------------------------------------------------------------


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    archived_items: list[str] = field(default_factory=list)


def course_folders(path: Path) -> list[Path]:
    """The course folder ``path`` names, or every course folder under it."""
    if (path / "course.yaml").is_file():
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and (p / "course.yaml").is_file())


def sync_content(path: Path, *, storage: Storage, now: datetime) -> SyncReport:
    """Import or update every course under ``path``; all or nothing (the caller commits)."""
    path = Path(path)
    if not path.is_dir():
        raise ContentSyncError([ContentProblem(str(path), None, "not a folder")])
    specs, problems = [], []
    folders = course_folders(path)
    if not folders:
        raise ContentSyncError(
            [ContentProblem(str(path), None, "no course folder (with course.yaml) found")]
        )
    for folder in folders:
        spec, found = read_course_folder(folder, root=path if folder != path else path.parent)
        problems.extend(found)
        if spec is not None:
            specs.append(spec)
    if problems:
        raise ContentSyncError(problems)
    report = SyncReport()
    for spec in specs:
        _apply(spec, storage=storage, now=now, report=report)
    db.session.flush()
    return report


def _store(storage: Storage, path: Path, media_type: str) -> tuple[str, int]:
    with path.open("rb") as handle:
        stored = storage.save(
            handle, suffix=files.EXTENSIONS.get(media_type, ""), max_bytes=MEDIA_LIMIT
        )
    return stored.key, stored.size


def _apply(spec: CourseSpec, *, storage: Storage, now: datetime, report: SyncReport) -> None:
    session = db.session
    course = session.scalar(select(Course).where(Course.slug == spec.slug))
    if course is not None and course.content_hash == spec.content_hash:
        report.unchanged.append(spec.slug)
        return
    if course is None:
        course = Course(slug=spec.slug, created_at=now)
        session.add(course)
        report.created.append(spec.slug)
    else:
        report.updated.append(spec.slug)
    course.title = spec.title
    course.summary = spec.summary
    course.language = spec.language
    course.topics = spec.topics
    course.programme = spec.programme
    course.estimated_hours = spec.estimated_hours
    course.video_threshold = spec.video_threshold
    course.is_published = spec.is_published
    course.content_hash = spec.content_hash
    course.updated_at = now
    # Files win over edits made in the browser: their derived fields go too.
    course.cover_thumb_key = None
    course.cover_pending_key = None
    course.cover_key = (
        _store(storage, spec.cover, files.sniff(_head(spec.cover)) or "")[0] if spec.cover else None
    )
    session.flush()

    modules = {
        m.key: m for m in session.scalars(select(Module).where(Module.course_id == course.id))
    }
    items = {i.key: i for i in session.scalars(select(Item).where(Item.course_id == course.id))}
    seen_modules, seen_items = set(), set()
    for position, module_spec in enumerate(spec.modules):
        module = modules.get(module_spec.key)
        if module is None:
            module = Module(course_id=course.id, key=module_spec.key)
            session.add(module)
            modules[module.key] = module
        module.position = position
        module.title = module_spec.title
        module.summary = module_spec.summary
        module.release_after_days = module_spec.release_after_days
        module.is_archived = False
        module.is_from_content = True
        session.flush()
        seen_modules.add(module.key)
        for item_position, item_spec in enumerate(module_spec.items):
            item = items.get(item_spec.key)
            if item is None:
                item = Item(course_id=course.id, key=item_spec.key)
                session.add(item)
                items[item.key] = item
            _apply_item(item, item_spec, module, item_position, storage=storage, now=now)
            seen_items.add(item.key)
    # What the files no longer name is archived; what was added in the browser is kept, after
    # the files' items of its module and in its own order.
    extra_modules = sorted(
        (m for key, m in modules.items() if key not in seen_modules),
        key=lambda m: (m.position, m.id),
    )
    for position, module in enumerate(extra_modules, start=len(spec.modules)):
        if module.is_from_content:
            module.is_archived = True
        else:
            module.position = position
    next_position = {modules[ms.key].id: len(ms.items) for ms in spec.modules}
    for key, item in sorted(items.items(), key=lambda pair: (pair[1].position, pair[1].id or 0)):
        if key in seen_items:
            continue
        if item.is_from_content:
            if not item.is_archived:
                # Archived, never deleted: learners' progress may point at it.
                item.is_archived = True
                report.archived_items.append(f"{spec.slug}/{key}")
        elif item.module_id in next_position:
            item.position = next_position[item.module_id]
            next_position[item.module_id] += 1
    session.flush()
    for key, value in spec.sections.items():
        SECTION_HANDLERS[key].apply(course, value, now=now)


def _apply_item(item: Item, spec: ItemSpec, module: Module, position: int, *, storage, now) -> None:
    item.module_id = module.id
    item.position = position
    item.is_from_content = True
    item.kind = spec.kind
    item.title = spec.title
    item.is_optional = spec.is_optional
    item.is_archived = False
    item.body_html = spec.body_html
    item.body_markdown = None
    item.transcript = spec.transcript
    item.url = spec.url
    item.duration_seconds = spec.duration
    if spec.media is not None:
        item.media_key, item.media_size = _store(storage, spec.media, spec.media_type or "")
        item.media_type = spec.media_type
        item.media_name = spec.media.name
    else:
        item.media_key = item.media_type = item.media_name = None
        item.media_size = None
    item.updated_at = now
    assets = []
    for position_index, asset_spec in enumerate(spec.assets):
        key, size = _store(storage, asset_spec.path, asset_spec.media_type)
        assets.append(
            ItemAsset(
                kind=asset_spec.kind,
                position=position_index,
                storage_key=key,
                filename=asset_spec.path.name,
                media_type=asset_spec.media_type,
                size=size,
                language=asset_spec.language,
                label=asset_spec.label,
            )
        )
    item.assets = assets
    if spec.kind in KIND_HANDLERS:
        db.session.flush()
        KIND_HANDLERS[spec.kind].apply(item, spec, now=now)
