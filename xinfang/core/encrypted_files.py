"""Files with personal data at rest, encrypted with the personal-data key (crypto.encrypt_bytes):
the attachments under MEDIA_ROOT (letters, scans of ID cards), list exports kept for download, the
台账 files being imported and their refused rows.

A file is written whole and read whole: the largest are an attachment (20 MB) and an import
(XINFANG_IMPORT_MAX_MB), which the pages hold in memory anyway. A file written before encryption
came in is read as it is; `xinfang keys reencrypt` seals it (and re-seals files under an old key).
"""

import io
import os
import secrets
from pathlib import Path

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from . import crypto


def write(path: Path, data: bytes):
    """Encrypt ``data`` into ``path``, replacing it whole (never a half-written file)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(crypto.encrypt_bytes(data))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def read(path: Path) -> bytes:
    """The content of ``path``, decrypted (as it is, if it was written unencrypted)."""
    return plain(Path(path).read_bytes())


def plain(data: bytes) -> bytes:
    return crypto.decrypt_bytes(data) if crypto.is_encrypted_bytes(data) else data


class EncryptedStorage(FileSystemStorage):
    """MEDIA_ROOT with every file encrypted (STORAGES["default"]): saved sealed, opened decrypted."""

    def _save(self, name, content):
        data = b"".join(content.chunks())  # from the start: chunks() rewinds
        return super()._save(name, ContentFile(crypto.encrypt_bytes(data)))

    def _open(self, name, mode="rb"):
        if mode != "rb":
            raise ValueError("加密存储的文件只能整体读取（rb），不能就地修改。")
        with super()._open(name, "rb") as stored:
            data = stored.read()
        return File(io.BytesIO(plain(data)), name=name)


def reencrypt_tree(root: Path) -> tuple[int, int]:
    """Seal every file under ``root`` with the current key: files under an older key and files
    written unencrypted. Returns (files rewritten, files checked)."""
    current = crypto.keyring().current_id
    rewritten = checked = 0
    for path in sorted(p for p in Path(root).rglob("*") if p.is_file()):
        checked += 1
        with path.open("rb") as stored:
            head = stored.read(64)
        if crypto.is_encrypted_bytes(head) and crypto.key_id_of_bytes(head) == current:
            continue
        write(path, read(path))
        rewritten += 1
    return rewritten, checked
