"""The hazard lists of the staff pages and their exports: 待办 and 全部 with filters."""

from django.db.models import Q

from xinfang.core import clock
from xinfang.org.models import Role

from .choices import OPEN_STATUSES, Status
from .forms import HazardFilterForm
from .models import Hazard
from .workflow import RECTIFY_STEPS, TRANSITIONS

RELATED = ("enterprise", "hazard_type", "holder_unit", "division")


def light(hazard, today):
    """('overdue'|'warning'|'normal'|'', label) of the hazard's current deadline."""
    if not hazard.due_date:
        return "", ""
    if today > hazard.due_date:
        return "overdue", f"超期{(today - hazard.due_date).days}天"
    if hazard.warn_date and today >= hazard.warn_date:
        return "warning", f"临期，{(hazard.due_date - today).days}天后届满"
    return "normal", f"{hazard.due_date:%m月%d日}届满"


def todo_filter(user) -> Q:
    """What waits on this user: hazards their unit holds in a status their role acts on; for
    supervisors and leaders, open hazards near or past their deadline."""
    if user.role in {Role.SUPERVISOR, Role.LEADER}:
        return Q(warn_date__lte=clock.today(), status__in=OPEN_STATUSES)
    statuses = {s for t in TRANSITIONS.values() if user.role in t.roles for s in t.sources}
    units = list(user.unit.subtree().values_list("pk", flat=True))
    return Q(holder_unit__in=units, status__in=statuses)


def apply_filters(qs, form):
    d = form.cleaned_data
    today = clock.today()
    if d.get("q"):
        text = d["q"].strip()
        pk = Hazard.pk_from_code(text)
        qs = (
            qs.filter(pk=pk)
            if pk is not None
            else qs.filter(
                Q(title__contains=text) | Q(enterprise__name__contains=text) | Q(location__contains=text)
            )
        )
    for name in ("status", "level", "industry", "source", "hazard_type"):
        if d.get(name):
            qs = qs.filter(**{name: d[name]})
    if d.get("division"):
        qs = qs.filter(division__path__startswith=d["division"].path)
    if d.get("unit"):
        qs = qs.filter(holder_unit__path__startswith=d["unit"].path)
    if d.get("enterprise"):
        qs = qs.filter(enterprise=d["enterprise"])
    if d.get("found_from"):
        qs = qs.filter(found_on__gte=d["found_from"])
    if d.get("found_to"):
        qs = qs.filter(found_on__lte=d["found_to"])
    if d.get("open"):
        qs = qs.filter(status__in=OPEN_STATUSES)
    if d.get("listed"):
        qs = qs.exclude(listed_level="")
    if d.get("rectified"):
        qs = qs.filter(status__in=[Status.ACCEPTED, Status.CLOSED])
    if d.get("light") == "overdue":
        qs = qs.filter(due_date__lt=today)
    elif d.get("light") == "overdue_rectify":
        qs = qs.filter(due_date__lt=today, due_step__in=RECTIFY_STEPS)
    elif d.get("light") == "warning":
        qs = qs.filter(due_date__gte=today, warn_date__lte=today)
    return qs


def listed_hazards(user, params):
    """(queryset, form, tab) of the list the query string asks for: the page and its export."""
    tab = params.get("tab", "todo")
    qs = Hazard.objects.visible_to(user)
    if tab == "todo":
        qs = qs.filter(todo_filter(user))
    form = HazardFilterForm(params or None)
    if form.is_valid():
        qs = apply_filters(qs, form)
    order = ("due_date", "-id") if tab == "todo" else ("-found_on", "-id")
    return qs.order_by(*order), form, tab
