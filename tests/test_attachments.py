"""Staff attachments are checked by content as the portal's are: images and PDF files only, whatever
the name says. A stored attachment opens in the browser only as the image or PDF it is, sandboxed
and never re-sniffed by the browser; anything else is a download."""

import io

import pytest
from conftest import Driver, sign_in
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from test_pages import _registration_post

from xinfang.petitions.models import Attachment, Matter
from xinfang.petitions.services import save_attachment


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return out.getvalue()


def pdf() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "white").save(out, format="PDF")
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(200)  # a Windows executable
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>'
)
HTML = b"<!doctype html><html><body><script>fetch('/matters/export/')</script></body></html>"
REFUSED = [("report.pdf", EXE), ("图.svg", SVG), ("说明.html", HTML)]
REFUSED_IDS = ["exe", "svg", "html"]


def upload(name, content, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.parametrize("name, content", REFUSED, ids=REFUSED_IDS)
def test_registration_refuses_a_file_that_is_not_an_image_or_pdf(client, world, name, content):
    sign_in(client, "alice")
    response = client.post(
        "/matters/register/", {**_registration_post(world), "files": [upload(name, content)]}
    )
    assert f"附件「{name}」不是图片或PDF文件（按文件内容判断），请重新选择。" in response.content.decode()
    assert not Matter.objects.exists() and not Attachment.objects.exists()


def test_registration_keeps_real_images_and_pdfs_with_the_type_found(client, world):
    sign_in(client, "alice")
    files = [upload("照片.jpg", png(), "image/jpeg"), upload("来信.pdf", pdf(), "text/html")]
    response = client.post("/matters/register/", {**_registration_post(world), "files": files})
    assert response.status_code == 302, response.content.decode()[:2000]
    stored = {a.name: a.content_type for a in Attachment.objects.all()}
    assert stored == {"照片.jpg": "image/png", "来信.pdf": "application/pdf"}  # not the browser's word


@pytest.mark.parametrize("name, content", REFUSED, ids=REFUSED_IDS)
def test_an_action_form_refuses_it_too(client, world, name, content):
    d = Driver(world)
    matter = d.do(d.register(), "assign")
    sign_in(client, "hank")
    response = client.post(
        f"/matters/{matter.pk}/act/accept/",
        {"version": matter.version, "note": "受理", "files": [upload(name, content)]},
    )
    assert "不是图片或PDF文件" in response.content.decode()
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("name, content", REFUSED, ids=REFUSED_IDS)
def test_the_one_place_attachments_are_saved_refuses_it(world, name, content):
    matter = Driver(world).register()
    with pytest.raises(ValidationError, match="不是图片或PDF文件"):
        save_attachment(matter, upload(name, content), world.alice)
    assert not Attachment.objects.exists()


def stored(world, name, content, content_type):
    """An attachment as it may have been stored before files were checked."""
    return Attachment.objects.create(
        matter=Driver(world).register(),
        file=SimpleUploadedFile(name, content),
        name=name,
        size=len(content),
        content_type=content_type,
        uploaded_by=world.alice,
    )


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("照片.png", png(), "image/png"),
        ("来信.pdf", pdf(), "application/pdf"),
        ("扫描.pdf", png(), "image/png"),
    ],
    ids=["png", "pdf", "png-named-pdf"],
)
def test_images_and_pdfs_open_in_the_browser_sandboxed(client, world, name, content, content_type):
    att = stored(world, name, content, "application/octet-stream")
    sign_in(client, "alice")
    response = client.get(f"/matters/attachments/{att.pk}/")
    assert response["Content-Type"] == content_type  # what the file is, not what its name says
    assert response["Content-Disposition"].startswith("inline")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == content


@pytest.mark.parametrize("name, content", REFUSED, ids=REFUSED_IDS)
def test_anything_else_stored_earlier_is_a_sandboxed_download(client, world, name, content):
    att = stored(world, name, content, "application/pdf" if name.endswith(".pdf") else "text/html")
    sign_in(client, "alice")
    response = client.get(f"/matters/attachments/{att.pk}/")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
