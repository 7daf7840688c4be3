"""How a petition filed online enters the workflow (DESIGN §3, art. 21): which bureau receives it,
under which account, what counts as the same submission sent twice, which files are accepted."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db.models import Q

from xinfang.core import clock
from xinfang.org.models import Role, Unit, User
from xinfang.petitions.choices import Channel
from xinfang.petitions.models import Matter, Petitioner, id_number_hash, phone_hash

# What the first bytes of a file must be: images and PDF only, whatever the name says.
SIGNATURES = [
    (b"%PDF-", "application/pdf", "PDF"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"GIF87a", "image/gif", "GIF"),
    (b"GIF89a", "image/gif", "GIF"),
]


def sniff(upload) -> str:
    """The content type read from the file's first bytes; raises ValidationError for anything else."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for magic, content_type, _ in SIGNATURES:
        if head.startswith(magic):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    raise ValidationError(f"附件「{upload.name}」不是图片或PDF文件（按文件内容判断），请重新选择。")


def receiving_bureau(division) -> Unit | None:
    """The petition bureau closest to the place: the one covering the deepest ancestor division."""
    best, best_depth = None, -1
    bureaus = Unit.objects.filter(kind=Unit.Kind.PETITION_BUREAU, active=True).prefetch_related("divisions")
    for bureau in bureaus:
        for covered in bureau.divisions.all():
            if division.path.startswith(covered.path) and len(covered.path) > best_depth:
                best, best_depth = bureau, len(covered.path)
    return best


def bureau_phones() -> list[tuple[str, str]]:
    """(name, number) of the petition bureaus that publish a phone number, the higher ones first:
    whom a citizen can call when the portal asks them to wait. Not chosen by the 查询码 typed, which
    would tell whether that code exists."""
    bureaus = Unit.objects.filter(kind=Unit.Kind.PETITION_BUREAU, active=True).exclude(phone="")
    return list(bureaus.order_by("path").values_list("name", "phone"))


def portal_account(bureau: Unit) -> User:
    """The registering account of online petitions at a bureau. It cannot sign in (no password)."""
    user, _ = User.objects.get_or_create(
        username=f"portal-{bureau.pk}",
        defaults={
            "unit": bureau,
            "role": Role.REGISTRAR,
            "full_name": "网上信访平台",
            "password": make_password(None),
        },
    )
    return user


def recent_duplicate(petitioner: dict, title: str, content: str) -> Matter | None:
    """The same person sending the same petition again within the window: a double click, a resent
    form. Returned so that no second matter is registered; the sender is not shown this one (the
    same phone, title and content do not prove who filed it)."""
    since = clock.now() - timedelta(minutes=settings.XINFANG_PORTAL_DUPLICATE_MINUTES)
    who = Q(pk__in=[])
    if petitioner.get("id_number"):
        who |= Q(id_number_hash=id_number_hash(petitioner["id_number"]))
    if petitioner.get("phone"):
        who |= Q(phone_hash=phone_hash(petitioner["phone"]))
    # The person's matters from the hash indexes first: an OR across the joined petitioners made
    # SQLite read every matter (400 ms at a million).
    theirs = Petitioner.objects.filter(who).values("matter_id")
    return (
        Matter.objects.filter(
            pk__in=theirs, channel=Channel.ONLINE, received_at__gte=since, title=title, content=content
        )
        .order_by("pk")
        .first()
    )
