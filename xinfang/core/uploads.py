"""Attachments people upload (citizens on the portal, staff on matters): what a file is, judged by
its first bytes and never by its name or the browser's word, and how a stored one is sent back.

Only images and PDF files are accepted. A stored file is sniffed again when it is sent: an image or a
PDF opens in the browser with the type found, anything else (files stored before this check) is a
download. Either way the response forbids the browser to guess another type (nosniff) and puts the
document in a CSP sandbox: a file that is also valid HTML or SVG cannot run scripts in the
application's origin.
"""

from django.core.exceptions import ValidationError
from django.http import FileResponse

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
