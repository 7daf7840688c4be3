"""Data that the worker builds and every web process loads: the analytics column store and the
similar-matter index. One place decides how a built folder is published and found again.

The worker writes the files of a new version into a staging folder (`staging`) and `publish`es it:
the files go to the storage under the version's name (gen-<UTC time>), then the pointer
``current.json`` is replaced whole, naming the version and what was published with it. A reader
follows the pointer (`pointer`) and opens the version's folder (`folder`): in a local storage (the
embedded set-up, or a shared mount) the folder itself; from an object store, a copy this server
downloads once into XINFANG_CACHE_DIR and keeps while it is current. Either way the files are then
memory-mapped, so the processes of one server share one copy in the page cache. The version before
the current one is kept, for a process still opening it; older ones are deleted.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages

from .encrypted_files import walk

POINTER = "current.json"
KEEP = 2  # the current version and the one before it


class Published:
    def __init__(self, alias: str):
        self.alias = alias
        self._lock = threading.Lock()
        self._seen: tuple[float, dict | None] = (0.0, None)  # (when the pointer was read, pointer)

    @property
    def storage(self):
        return storages[self.alias]

    def is_local(self) -> bool:
        return self.storage.local_path(POINTER) is not None

    # ---------------------------------------------------------------- writing (the worker)

    @contextmanager
    def staging(self):
        """A new empty local folder to write a version into; removed unless it was published."""
        if self.is_local():
            parent = Path(self.storage.location)
        else:
            parent = Path(settings.XINFANG_CACHE_DIR) / self.alias
        parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=parent))
        try:
            yield folder
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def publish(self, folder: Path, info: dict) -> str:
        """Publish the files of ``folder`` as a new version and make it current; returns its name."""
        version = datetime.now(UTC).strftime("gen-%Y%m%d-%H%M%S-%f")
        names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        storage = self.storage
        if self.is_local():
            Path(folder).rename(storage.path(version))
        else:
            for name in names:
                with open(folder / name, "rb") as source:
                    storage.save(f"{version}/{name}", File(source))
        pointer = {"generation": version, "files": names, "published_at": time.time(), **info}
        storage.replace(POINTER, json.dumps(pointer, ensure_ascii=False).encode())
        self._prune(version)
        with self._lock:
            self._seen = (time.monotonic(), pointer)
        return version

    def _prune(self, keep: str) -> None:
        storage = self.storage
        versions = sorted(d for d in storage.listdir("")[0] if d.startswith("gen-"))
        if keep not in versions:
            return
        for old in versions[: max(0, versions.index(keep) - (KEEP - 1))]:
            if self.is_local():
                shutil.rmtree(storage.path(old), ignore_errors=True)
            else:
                for name in walk(storage, old):
                    storage.delete(name)

    def remove(self) -> None:
        """Forget what was published (the next build starts afresh)."""
        if self.storage.exists(POINTER):
            self.storage.delete(POINTER)
        with self._lock:
            self._seen = (0.0, None)

    # ---------------------------------------------------------------- reading (every process)

    def pointer(self) -> dict | None:
        """The current version's pointer, None before the first publication. A local pointer is read
        every time (a file read); a remote one at most every XINFANG_PUBLISHED_CHECK_SECONDS."""
        local = self.is_local()
        with self._lock:
            seen_at, seen = self._seen
            if (
                not local
                and seen is not None
                and time.monotonic() - seen_at < settings.XINFANG_PUBLISHED_CHECK_SECONDS
            ):
                return seen
        storage = self.storage
        if not storage.exists(POINTER):
            found = None
        else:
            with storage.open(POINTER, "rb") as stored:
                found = json.loads(stored.read())
        with self._lock:
            self._seen = (time.monotonic(), found)
        return found

    def folder(self, pointer: dict) -> Path:
        """A local folder holding the files of the version ``pointer`` names."""
        version = pointer["generation"]
        storage = self.storage
        if self.is_local():
            return Path(storage.path(version))
        cache = Path(settings.XINFANG_CACHE_DIR) / self.alias
        target = cache / version
        if target.is_dir():
            return target
        cache.mkdir(parents=True, exist_ok=True)
        download = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=cache))
        try:
            for name in pointer["files"]:
                path = download / name
                path.parent.mkdir(parents=True, exist_ok=True)
                with storage.open(f"{version}/{name}", "rb") as stored, open(path, "wb") as out:
                    shutil.copyfileobj(stored, out, 1 << 20)
            try:
                download.rename(target)
            except OSError:
                if not target.is_dir():  # another process of this server got there first otherwise
                    raise
        finally:
            shutil.rmtree(download, ignore_errors=True)
        for old in sorted(p for p in cache.glob("gen-*") if p.is_dir())[:-KEEP]:
            shutil.rmtree(old, ignore_errors=True)
        return target
