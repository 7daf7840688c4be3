"""How a petition filed online enters the workflow (《信访工作条例》 art. 21: petitions from every
channel are entered into the information system): which bureau receives it, under which account,
what counts as the same submission sent twice. Which files are accepted is decided with the staff's
attachments, in xinfang/core/uploads.py."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db.models import Q

from xinfang.core import clock
from xinfang.org.models import Role, Unit, User
from xinfang.petitions.choices import Channel
from xinfang.petitions.models import Matter, Petitioner, id_number_hash, phone_hash


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
