"""Where files live: Django storages, on this server's disk (or a shared mount) by default, or in
an S3-compatible object store for several servers (settings.STORAGES, docs/deployment.md).

* "default": attachments (MEDIA_ROOT): of matters, scanned letters, 督办 answers, photos of disputes,
  hazards and grid events, hearing records; encrypted;
* "imports": the uploads and error workbooks of every kind of 台账 (ledger/kinds.py), encrypted;
* "exports": list exports written by the worker, encrypted;
* "analytics" and "similar": the published column store and similar-matter index (xinfang.core.published).

Every storage here has ``replace(name, data)`` (a name written again replaces the file whole: readers
see the old bytes or the new, never half) and ``local_path(name)`` (the file on this server's disk, or
None when it is in an object store and must be fetched).
"""

import os
import secrets

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage as _S3Storage

from .encrypted_files import Encrypted


class LocalStorage(FileSystemStorage):
    """A folder: the one a setting names (the data directory when that setting is empty), or a
    ``subfolder`` of it; read when used, so a changed setting takes effect."""

    def __init__(self, setting="MEDIA_ROOT", subfolder="", **kwargs):
        self.setting, self.subfolder = setting, subfolder
        super().__init__(**kwargs)

    @property
    def base_location(self):
        folder = getattr(settings, self.setting) or settings.DATA_DIR
        return self._value_or_setting(self._location, os.path.join(folder, self.subfolder))

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def listdir(self, path):
        """As FileSystemStorage's, and a folder not created yet is empty."""
        if not os.path.isdir(self.path(path)):
            return [], []
        return super().listdir(path)

    def replace(self, name, data: bytes) -> None:
        """Write ``name`` whole through the storage (sealed if it encrypts), then move it in place."""
        folder, base = os.path.split(name)
        temporary = self.save(os.path.join(folder, f".{base}.{secrets.token_hex(4)}.tmp"), ContentFile(data))
        os.replace(self.path(temporary), self.path(name))

    def local_path(self, name):
        return self.path(name)


class EncryptedLocalStorage(Encrypted, LocalStorage):
    """A folder whose files are encrypted; readable only by the service's user (0600)."""

    def __init__(self, setting="MEDIA_ROOT", subfolder="", **kwargs):
        kwargs.setdefault("file_permissions_mode", 0o600)
        super().__init__(setting, subfolder, **kwargs)


class S3Storage(_S3Storage):
    """A prefix (``location``) of an S3-compatible bucket; a PUT replaces an object whole."""

    def replace(self, name, data: bytes) -> None:
        saved = self.save(name, ContentFile(data))  # file_overwrite: the same key
        if saved != name:
            raise ValueError(f"对象存储未覆盖 {name}（file_overwrite 须为 True）")

    def local_path(self, name):
        return None


class EncryptedS3Storage(Encrypted, S3Storage):
    """A prefix of an S3-compatible bucket whose objects are encrypted before they leave the server."""


def read(storage, name) -> bytes:
    with storage.open(name, "rb") as stored:
        return stored.read()
