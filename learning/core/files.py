"""What a file really is: types sniffed from content, WebVTT validation, image checks.

The name and the browser's Content-Type are never trusted; the first bytes decide.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

import filetype

# Families of types accepted for each use.
VIDEO_TYPES = {"video/webm", "video/mp4"}
IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp"}
DOCUMENT_TYPES = {
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CAPTION_TYPES = {"text/vtt"}

EXTENSIONS = {
    "video/webm": "webm",
    "video/mp4": "mp4",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/vtt": "vtt",
}

_OOXML_PARTS = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class FileCheckError(ValueError):
    """The file is not what it must be; the message is safe to show."""


def sniff(data: bytes) -> str | None:
    """The media type of ``data`` judged from its content (the first few KB are enough,
    except for Office documents, which need the whole ZIP directory)."""
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if data.startswith(b"WEBVTT") and (len(data) == 6 or data[6:7] in (b"\n", b"\r", b" ", b"\t")):
        return "text/vtt"
    if data.startswith(b"PK\x03\x04"):
        return _sniff_ooxml(data)
    kind = filetype.guess(data)
    if kind is None:
        return None
    mime = kind.mime
    # filetype calls some MP4 brands video/quicktime or video/x-m4v; browsers play them as MP4.
    if mime in {"video/x-m4v", "video/quicktime"} and data[4:8] == b"ftyp":
        return "video/mp4"
    return mime


def _sniff_ooxml(data: bytes) -> str | None:
    return _ooxml_type(io.BytesIO(data))


def _ooxml_type(stream: BinaryIO) -> str | None:
    """Word, PowerPoint or Excel, from the names in a ZIP's directory (read, not unpacked)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, mime in _OOXML_PARTS.items():
        if any(name.startswith(prefix) for name in names):
            return mime
    return None


def sniff_stream(stream: BinaryIO, head_bytes: int = 8192) -> str | None:
    """Like ``sniff`` for a seekable stream (an upload, an open file), which is rewound.

    Only the first bytes are read, or a ZIP's directory for Office documents: never the
    whole file.
    """
    start = stream.tell()
    try:
        head = stream.read(head_bytes)
        if not head.startswith(b"PK\x03\x04"):
            return sniff(head)
        stream.seek(start)
        return _ooxml_type(stream)
    finally:
        stream.seek(start)


_TIMESTAMP = r"(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_CUE_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t].*)?$")


def _seconds(hours, minutes, seconds, millis) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


@dataclass(frozen=True)
class CaptionCheck:
    cues: int
    last_end: float


def validate_vtt(text: str, *, duration: float | None = None) -> CaptionCheck:
    """Check WebVTT structure and cue timings; raise FileCheckError naming the line."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not re.match(r"^WEBVTT([ \t].*)?$", lines[0]):
        raise FileCheckError("line 1: a WebVTT file must start with 'WEBVTT'")
    cues = 0
    last_end = 0.0
    for number, line in enumerate(lines[1:], start=2):
        if "-->" not in line:
            continue
        match = _CUE_TIMING.match(line.strip())
        if not match:
            raise FileCheckError(
                f"line {number}: cue timing is not 'HH:MM:SS.mmm --> HH:MM:SS.mmm'"
            )
        start = _seconds(*match.groups()[:4])
        end = _seconds(*match.groups()[4:])
        if end <= start:
            raise FileCheckError(f"line {number}: a cue must end after it starts")
        if duration is not None and end > duration + 1.0:
            raise FileCheckError(
                f"line {number}: cue ends at {end:.3f}s, after the video's {duration:.1f}s"
            )
        cues += 1
        last_end = max(last_end, end)
    if cues == 0:
        raise FileCheckError("the WebVTT file has no cues")
    return CaptionCheck(cues=cues, last_end=last_end)


def transcript_from_vtt(text: str) -> list[tuple[float, str]]:
    """The cues' text with their start times: a readable transcript of the captions."""
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").split("\n")
    result: list[tuple[float, str]] = []
    index = 0
    while index < len(lines):
        match = _CUE_TIMING.match(lines[index].strip())
        index += 1
        if not match:
            continue
        start = _seconds(*match.groups()[:4])
        words = []
        while index < len(lines) and lines[index].strip():
            words.append(re.sub(r"<[^>]+>", "", lines[index]).strip())
            index += 1
        if words:
            result.append((start, " ".join(words)))
    return result
