"""Files with personal data at rest, encrypted with the personal-data key (crypto.encrypt_bytes):
the attachments (letters, scans of ID cards), list exports kept for download, the 台账 files being
imported and their refused rows. Every such file is in an encrypted storage (xinfang.core.storage:
the "default" and "files" storages, on local disk or in an object store): ``Encrypted`` seals what is
saved and opens it decrypted.

A file is written whole and read whole: the largest are an attachment (20 MB) and an import
(XINFANG_IMPORT_MAX_MB), which the pages hold in memory anyway. A file written before encryption
came in is read as it is; `xinfang keys reencrypt` seals it (and re-seals files under an old key).
"""

import io

from django.core.files import File
from django.core.files.base import ContentFile

from . import crypto


def plain(data: bytes) -> bytes:
    return crypto.decrypt_bytes(data) if crypto.is_encrypted_bytes(data) else data


class Encrypted:
    """Mixed into a storage class: every file saved sealed, opened decrypted (read whole, "rb")."""

    def _save(self, name, content):
        data = b"".join(content.chunks())  # from the start: chunks() rewinds
        return super()._save(name, ContentFile(crypto.encrypt_bytes(data)))

    def _open(self, name, mode="rb"):
        if mode != "rb":
            raise ValueError("加密存储的文件只能整体读取（rb），不能就地修改。")
        return File(io.BytesIO(plain(self.raw(name))), name=name)

    def raw(self, name) -> bytes:
        """The stored bytes of ``name`` as they are (sealed)."""
        with super()._open(name, "rb") as stored:
            return stored.read()


def walk(storage, folder=""):
    """Every file name in ``storage`` under ``folder``, sorted."""
    folders, files = storage.listdir(folder)
    prefix = f"{folder}/" if folder else ""
    names = [prefix + f for f in files]
    for sub in folders:
        names += walk(storage, prefix + sub)
    return sorted(names)


def key_counts(storage) -> dict[str, int]:
    """{key id: number of files} of an encrypted storage ("（未加密）" for files stored plain)."""
    counts = {}
    for name in walk(storage):
        head = storage.raw(name)[:64]
        kid = crypto.key_id_of_bytes(head) if crypto.is_encrypted_bytes(head) else "（未加密）"
        counts[kid] = counts.get(kid, 0) + 1
    return counts


def reencrypt(storage) -> tuple[int, int]:
    """Seal every file of an encrypted storage with the current key: files under an older key and
    files written unencrypted. Returns (files rewritten, files checked)."""
    current = crypto.keyring().current_id
    rewritten = checked = 0
    for name in walk(storage):
        checked += 1
        stored = storage.raw(name)
        if crypto.is_encrypted_bytes(stored) and crypto.key_id_of_bytes(stored[:64]) == current:
            continue
        storage.replace(name, plain(stored))
        rewritten += 1
    return rewritten, checked
