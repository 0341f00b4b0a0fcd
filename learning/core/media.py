"""The length of a video, read from the file itself (MP4 ``mvhd`` box, WebM ``Duration``).

Progress is measured against this length, so it must come from the server's own reading of
the file, never from the browser that reports the progress.
"""

from __future__ import annotations

import struct
from typing import BinaryIO

# EBML element ids (Matroska/WebM)
_SEGMENT, _INFO, _TIMECODE_SCALE, _DURATION = 0x18538067, 0x1549A966, 0x2AD7B1, 0x4489
_CONTAINERS = {0x1A45DFA3, _SEGMENT}
_SCAN_LIMIT = 4 * 1024 * 1024  # metadata sits at the start of a file made for the web


def video_duration(stream: BinaryIO, media_type: str) -> float | None:
    """Seconds of video in ``stream`` (rewound afterwards), or None if it cannot be read."""
    start = stream.tell()
    try:
        if media_type == "video/mp4":
            return _mp4_duration(stream)
        if media_type == "video/webm":
            return _webm_duration(stream.read(_SCAN_LIMIT))
        return None
    except (struct.error, ValueError, IndexError):
        return None
    finally:
        stream.seek(start)


def _mp4_duration(stream: BinaryIO) -> float | None:
    def boxes(end: int | None):
        while end is None or stream.tell() < end:
            header = stream.read(8)
            if len(header) < 8:
                return
            size, kind = struct.unpack(">I4s", header)
            offset = 8
            if size == 1:
                size = struct.unpack(">Q", stream.read(8))[0]
                offset = 16
            elif size == 0:
                size = None
            begin = stream.tell() - offset
            yield kind, begin, offset, size
            if size is None:
                return
            stream.seek(begin + size)

    for kind, begin, offset, size in boxes(None):
        if kind != b"moov":
            continue
        stream.seek(begin + offset)
        for inner, inner_begin, inner_offset, _ in boxes(begin + size if size else None):
            if inner != b"mvhd":
                continue
            stream.seek(inner_begin + inner_offset)
            version = stream.read(4)[0]
            if version == 1:
                _, _, timescale, duration = struct.unpack(">QQIQ", stream.read(28))
            else:
                _, _, timescale, duration = struct.unpack(">IIII", stream.read(16))
            return duration / timescale if timescale else None
        return None
    return None


def _vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    first = data[pos]
    length = 1
    mask = 0x80
    while length <= 8 and not first & mask:
        mask >>= 1
        length += 1
    if length > 8:
        raise ValueError("bad EBML variable-length integer")
    value = first if keep_marker else first & (mask - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _webm_duration(data: bytes) -> float | None:
    pos, scale, duration = 0, 1_000_000, None
    try:
        while pos < len(data):
            element, pos = _vint(data, pos, keep_marker=True)
            size, pos = _vint(data, pos, keep_marker=False)
            if element in _CONTAINERS or element == _INFO:
                continue  # step into the container: its children follow
            payload = data[pos : pos + size]
            if element == _TIMECODE_SCALE:
                scale = int.from_bytes(payload, "big")
            elif element == _DURATION:
                duration = struct.unpack(">f" if size == 4 else ">d", payload)[0]
            elif duration is not None:
                break  # past the Info element's fields
            pos += size
    except (ValueError, IndexError, struct.error):
        if duration is None:
            raise
    return duration * scale / 1e9 if duration is not None else None
