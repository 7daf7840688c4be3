"""息诉罢访 (petition matters): once the follow-up period after a reply has run out, whether the
petitioner stopped petitioning, decided from the records (no review request, no repeat petition
since the reply)."""

from datetime import date, timedelta

from django.conf import settings

from xinfang.core import clock
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter

from .models import FollowUp


def follow_up_days() -> int:
    return int(getattr(settings, "XINFANG_FOLLOW_UP_DAYS", 90))


def sweep_follow_ups(today: date | None = None, limit=5000) -> int:
    """Decide 息诉罢访 for replies whose follow-up period has run out: the petitioner stopped if they
    asked for no review and filed no repeat petition since the reply."""
    today = today or clock.today()
    cutoff = today - timedelta(days=follow_up_days())
    due = (
        Matter.objects.filter(reply_delivered_on__lte=cutoff, follow_up__isnull=True)
        .exclude(status=Status.WITHDRAWN)
        .values_list("pk", "reply_delivered_on", "review_requested_on")[:limit]
    )
    rows = []
    for pk, delivered, review_on in due:
        repeats = Matter.objects.filter(repeat_of_id=pk, received_at__date__gt=delivered).count()
        reviewed = bool(review_on and review_on >= delivered)
        stopped = not repeats and not reviewed
        basis = (
            f"答复送达后{follow_up_days()}日内未申请复查、未重复信访"
            if stopped
            else "；".join(
                x
                for x in [
                    "答复后申请了复查" if reviewed else "",
                    f"答复后重复信访{repeats}次" if repeats else "",
                ]
                if x
            )
        )
        rows.append(
            FollowUp(
                matter_id=pk,
                due_on=delivered + timedelta(days=follow_up_days()),
                checked_on=today,
                stopped=stopped,
                basis=basis,
            )
        )
    FollowUp.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
