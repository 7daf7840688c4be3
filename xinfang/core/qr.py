"""QR codes as SVG data: URIs (the CSP allows data: images; no files, no inline markup tricks)."""

import base64
from io import BytesIO

import qrcode
import qrcode.image.svg
from django.conf import settings


def qr_data_uri(text: str, box_size: int = 8) -> str:
    buffer = BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size).save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def public_url(request, path: str) -> str:
    """The address citizens open `path` at: settings.PUBLIC_URL, or else this request's own."""
    return settings.PUBLIC_URL + path if settings.PUBLIC_URL else request.build_absolute_uri(path)
