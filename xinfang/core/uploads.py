"""Attachments people upload (citizens on the portal, staff on matters): what a file is, judged by
its first bytes and never by its name or the browser's word, and how a stored one is sent back.

Only images and PDF files are accepted. A stored file is sniffed again when it is sent: an image or a
PDF opens in the browser with the type found, anything else (files stored before this check) is a
download. Either way the response forbids the browser to guess another type (nosniff) and puts the
document in a CSP sandbox: a file that is also valid HTML or SVG cannot run scripts in the
application's origin.
"""

from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from PIL import Image, ImageOps

# What the first bytes of a file must be: images and PDF only, whatever the name says.
SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]
HEAD = 16


def content_type_of(head: bytes) -> str | None:
    """The content type of a file from its first bytes, when it is an image or a PDF."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def sniff(upload) -> str:
    """The content type read from an uploaded file's first bytes; raises ValidationError (in
    Chinese) for anything but an image or a PDF."""
    upload.seek(0)
    head = upload.read(HEAD)
    upload.seek(0)
    content_type = content_type_of(head)
    if content_type is None:
        raise ValidationError(f"附件「{upload.name}」不是图片或PDF文件（按文件内容判断），请重新选择。")
    return content_type


def serve(stored_file, filename: str) -> FileResponse:
    """A stored attachment for the browser: inline with its sniffed type when it is an image or a
    PDF, otherwise a download; sandboxed and never sniffed by the browser."""
    handle = stored_file.open("rb")
    head = handle.read(HEAD)
    handle.seek(0)
    content_type = content_type_of(head)
    if content_type:
        response = FileResponse(handle, filename=filename, content_type=content_type)
    else:
        response = FileResponse(
            handle, as_attachment=True, filename=filename, content_type="application/octet-stream"
        )
    response["Content-Security-Policy"] = "sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Photos are kept at most this many pixels on their longer side (a phone's 12-megapixel photo is
# 4032 pixels wide; this size still shows a licence plate or a crack in a wall).
PHOTO_MAX_SIDE = 2560
PHOTO_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}


def clean_photo(upload, content_type: str):
    """A photo as it is stored: turned upright, at most PHOTO_MAX_SIDE pixels on its longer side, and
    re-encoded without its metadata — the EXIF of a phone's photo holds the GPS position where it was
    taken, the time and the phone, and nothing in the product may record where a person was. Other
    files (PDF, GIF) are returned unchanged. Raises ValidationError (in Chinese) for an image that
    cannot be read."""
    fmt = PHOTO_FORMATS.get(content_type)
    if fmt is None:
        return upload
    upload.seek(0)
    try:
        with Image.open(upload) as im:
            im.draft("RGB", (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))  # JPEG: decode at a reduced scale
            photo = ImageOps.exif_transpose(im)
            photo.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    except (OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(f"照片「{upload.name}」无法读取（文件损坏或尺寸过大），请重新拍摄。") from exc
    finally:
        upload.seek(0)
    photo.info = {}
    if fmt == "JPEG" and photo.mode not in ("RGB", "L"):
        photo = photo.convert("RGB")
    out = BytesIO()
    photo.save(out, fmt, **({"quality": 85} if fmt != "PNG" else {"optimize": True}))
    return ContentFile(out.getvalue(), name=PurePath(upload.name or "photo").name)


@dataclass(frozen=True)
class Prepared:
    """An upload checked and made ready to store (`prepare`)."""

    file: object
    name: str
    content_type: str

    @property
    def size(self) -> int:
        return self.file.size


def prepare(upload, *, photos_only=False) -> Prepared:
    """An upload judged by its content and, when it is a photo, cleaned (clean_photo). Called before
    the database transaction that stores it: re-encoding a large photo while holding the database's
    write lock would keep every other writer waiting."""
    content_type = sniff(upload)
    if photos_only and not content_type.startswith("image/"):
        raise ValidationError(f"「{upload.name}」不是照片，请拍照或选择图片。")
    return Prepared(clean_photo(upload, content_type), upload.name[:200], content_type)
