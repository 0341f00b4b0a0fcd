"""Where uploaded and synced files live.

``Storage`` is the interface; ``LocalStorage`` keeps files in a folder (the default), and an
object store can implement the same four methods. Files are written by streaming in chunks,
never read whole into memory, and the size limit is enforced while writing.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 64 * 1024
HEAD_BYTES = 8 * 1024


class TooLarge(ValueError):
    def __init__(self, limit: int):
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredFile:
    key: str
    size: int
    sha256: str
    head: bytes  # the first bytes, for sniffing the real type


class Storage(Protocol):
    def save(
        self, stream: BinaryIO, *, suffix: str, max_bytes: int | None = None
    ) -> StoredFile: ...
    def open(self, key: str) -> BinaryIO: ...
    def local_path(self, key: str) -> Path | None: ...
    def delete(self, key: str) -> None: ...


class LocalStorage:
    """Files under ``root``, named by their SHA-256: the same content is stored once."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def save(self, stream: BinaryIO, *, suffix: str, max_bytes: int | None = None) -> StoredFile:
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLarge(max_bytes)
                    if len(head) < HEAD_BYTES:
                        head += chunk[: HEAD_BYTES - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            key = f"{sha[:2]}/{sha}.{suffix.lstrip('.')}" if suffix else f"{sha[:2]}/{sha}"
            target = self.root / key
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=sha, head=head)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("storage key escapes the storage folder")
        return path

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.exists() else None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
