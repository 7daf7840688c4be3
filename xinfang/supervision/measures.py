"""化解措施 (petition matters): the methods used to resolve a matter — 集体会商, 调解, 仲裁, 公开听证
(which pauses the matter's deadline through its write path), 困难救助 with the amount, 律师参与,
回访 — with their documents."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from xinfang.cases.scoping import can_see
from xinfang.core import clock
from xinfang.petitions import services as matter_services
from xinfang.petitions.models import Pause
from xinfang.petitions.services import save_attachment

from .common import SupervisionError, require_casework
from .models import Measure


@transaction.atomic
def record_measure(actor, matter, *, kind, held_on, note, participants="", amount=None, files=(), now=None):
    """Record a method used on a matter. A 公开听证 starts the hearing pause through the matter's
    write path (its deadline stops until the hearing is recorded as ended)."""
    now = now or clock.now()
    require_casework(actor)
    if not can_see(actor, matter):
        raise SupervisionError("该事项不在您的工作范围内。")
    if kind not in Measure.Kind.values:
        raise SupervisionError("请选择化解措施。")
    if not (note or "").strip():
        raise SupervisionError("请填写措施的情况。")
    if held_on is None or held_on > timezone.localdate(now):
        raise SupervisionError("措施日期不能晚于今天。")
    if kind == Measure.Kind.ASSISTANCE:
        try:
            amount = Decimal(str(amount)) if amount not in (None, "") else None
        except InvalidOperation as exc:
            raise SupervisionError("救助金额应当是数字。") from exc
        if amount is None or amount <= 0:
            raise SupervisionError("请填写大于零的救助金额。")
    else:
        amount = None
    pause = None
    if kind == Measure.Kind.HEARING:
        if held_on != timezone.localdate(now):
            raise SupervisionError("公开听证在举行当天登记，听证期间暂停计时。")
        matter_services.perform(matter.pk, actor, "start_hearing", now=now, note=f"公开听证：{note.strip()}")
        pause = Pause.objects.filter(matter=matter, last__isnull=True).order_by("-id").first()
    measure = Measure.objects.create(
        matter=matter,
        kind=kind,
        held_on=held_on,
        participants=(participants or "").strip(),
        amount=amount,
        note=note.strip(),
        pause=pause,
        recorded_by=actor,
    )
    measure.files.add(*[save_attachment(matter, f, actor) for f in files])
    return measure
