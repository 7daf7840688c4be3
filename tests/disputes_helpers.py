"""Shared builders of the dispute and grid event tests."""

from datetime import date
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from xinfang.disputes import services
from xinfang.disputes.models import DisputeType
from xinfang.grid.models import Grid

PDF = b"%PDF-1.4 mediation agreement"


def image_bytes(fmt="PNG", size=(4, 3), exif=None) -> bytes:
    """A real image (stored photos are decoded and re-encoded)."""
    out = BytesIO()
    Image.new("RGB", size, "gray").save(out, fmt, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


PNG = image_bytes()


def png(name="现场.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def phone_photo(name="现场.jpg", size=(40, 20)):
    """A JPEG as a phone's camera writes it: the GPS position where it was taken, the phone's make,
    the time, and an orientation (turned a quarter: the picture is upright when rotated)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "演示手机"
    exif[ExifTags.Base.DateTime] = "2026:11:23 09:15:00"
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.GPSInfo] = {1: "N", 2: (30.0, 15.0, 1.5), 3: "E", 4: (120.0, 10.0, 2.0)}
    return SimpleUploadedFile(name, image_bytes("JPEG", size, exif), content_type="image/jpeg")


def pdf(name="调解协议.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def wage_type():
    return DisputeType.objects.get(parent__name="劳资/欠薪", name="拖欠工资")


def dispute_fields(world, **overrides):
    fields = {
        "screened_on": date(2026, 11, 20),
        "source": "routine",
        "dispute_type": wage_type(),
        "division": world.divisions.village,
        "title": "湖滨路工地拖欠工人工资",
        "summary": "某建筑公司拖欠12名工人10月工资共18万元，工人多次讨要未果。",
        "claims": "工人要求年底前结清工资。",
        "headcount": 12,
        "amount": 180000,
    }
    fields.update(overrides)
    return fields


PARTIES = [
    {"kind": "person", "side": "applicant", "name": "张建国", "id_number": "110101199003077774",
     "phone": "13800138000", "address": "湖滨社区5栋"},
    {"kind": "organisation", "side": "respondent", "name": "青溪宏达建筑有限公司"},
]  # fmt: skip


def register(world, actor=None, now=None, **overrides):
    return services.register_dispute(
        actor or world.tom,
        fields=dispute_fields(world, **overrides),
        parties=[dict(p) for p in PARTIES],
        now=now,
    )


def assess(world, dispute, actor=None, now=None, **overrides):
    params = {"risk": "general", "reasons": [], "leaders": [world.tina], "resolver": world.tom,
              "method": "people", "unit": world.units.t1}  # fmt: skip
    params.update(overrides)
    return services.perform(dispute.pk, actor or world.tina, "assess", now=now, **params)


def attempt(world, dispute, actor=None, now=None, **overrides):
    params = {"method": "people", "participants": "双方当事人、社区调解员", "result": "progress",
              "mediator": "王调解"}  # fmt: skip
    params.update(overrides)
    return services.perform(dispute.pk, actor or world.tom, "attempt", now=now, note="第一次调解", **params)


def grid(world):
    g, _ = Grid.objects.get_or_create(
        code="990101001001001",
        defaults={"name": "湖滨社区第1网格", "division": world.divisions.village, "unit": world.units.t1},
    )
    g.workers.add(world.gwen, world.ivy)
    return g
