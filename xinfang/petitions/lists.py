"""Which matters a list shows: the to-do queue of a user and the filters of the list pages. The
pages and the background export of a long list read them here."""

from datetime import timedelta

from django.db.models import Case, IntegerField, Q, Value, When

from xinfang.cases.scoping import scope_keys
from xinfang.core import clock
from xinfang.org.models import Role

from . import screening, search
from .choices import TERMINAL_STATUSES, Nature, Status
from .forms import QueueFilterForm, normalize_tracking_code
from .models import CODE_ALPHABET, Matter
from .workflow import PETITIONER_WINDOWS, TRANSITIONS


def actionable_statuses(role):
    return {s for t in TRANSITIONS.values() if role in t.roles and t.actor != "scope" for s in t.sources}


def todo_filter(user):
    """What waits on this user: matters held by their unit in a status their role acts on."""
    if user.role in {Role.SUPERVISOR, Role.LEADER}:
        today = clock.today()
        return (
            Q(warn_date__lte=today) & ~Q(due_step__in=PETITIONER_WINDOWS) & ~Q(status__in=TERMINAL_STATUSES)
        )
    statuses = actionable_statuses(user.role)
    if user.role in {Role.REGISTRAR, Role.DISPATCHER}:
        statuses |= {Status.REPLIED, Status.REVIEWED}
    # The unit's subtree as a list of ids, not a join on the unit path: the database can then read
    # the (holder_unit, status, due_date) index instead of every matter in those statuses.
    units = list(user.unit.subtree().values_list("pk", flat=True))
    waiting = Q(holder_unit__in=units, status__in=statuses)
    if user.role in screening.SCREENING_ROLES:  # accusations whose named parties they resolve
        waiting |= Q(screening_unit__in=units, screened_at__isnull=True, nature=Nature.ACCUSATION)
    return waiting


PARTIAL_CODE_MIN = 4  # characters of a 查询码 that find a matter (as read out over the phone)


def partial_code(text: str) -> str | None:
    """A run of 查询码 characters (separators and case ignored), long enough to search by, or None."""
    chars = "".join(c for c in text.upper() if c not in "- 　")
    if len(chars) >= PARTIAL_CODE_MIN and all(c in CODE_ALPHABET for c in chars):
        return chars
    return None


def todo_order(user):
    """我的待办 by deadline; a unit head's 待审签 first (the drafts wait on their signature alone)."""
    if user.role == Role.UNIT_HEAD:
        first = Case(
            When(status=Status.REPLY_PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return (first.asc(), "due_date", "-id")
    return ("due_date", "-id")


def apply_filters(qs, form):
    d = form.cleaned_data
    today = clock.today()
    code = normalize_tracking_code(d.get("q") or "")
    if code:
        qs = qs.filter(code=code)
    elif part := partial_code(d.get("q") or ""):
        qs = qs.filter(code__contains=part)
    # Words are searched (and ranked) by listed_matters through search.ranked.
    for field in ("status", "channel", "nature"):
        if d.get(field):
            qs = qs.filter(**{field: d[field]})
    if d.get("category"):
        qs = qs.filter(Q(category=d["category"]) | Q(category__parent=d["category"]))
    if d.get("division"):
        qs = qs.filter(division__path__startswith=d["division"].path)
    if d.get("unit"):
        # as the dashboard counts: the handling unit, or the unit holding a matter not yet dispatched
        qs = qs.filter(Q(handling_unit=d["unit"]) | Q(handling_unit__isnull=True, holder_unit=d["unit"]))
    if d.get("holder"):
        qs = qs.filter(holder_unit=d["holder"])
    if d.get("repeat"):
        qs = qs.filter(repeat_of__isnull=False)
    if d.get("collective"):
        qs = qs.filter(is_collective=True)
    if d.get("open"):
        qs = qs.exclude(status__in=TERMINAL_STATUSES)
    # Ranges on received_at itself (the same days as received_at__date, in the current time zone),
    # so that the received_at index serves them.
    if d.get("received_from"):
        qs = qs.filter(received_at__gte=clock.local_datetime(d["received_from"]))
    if d.get("received_to"):
        qs = qs.filter(received_at__lt=clock.local_datetime(d["received_to"] + timedelta(days=1)))
    staff_deadline = Q(due_date__isnull=False) & ~Q(due_step__in=PETITIONER_WINDOWS)
    if d.get("light") == "overdue":
        qs = qs.filter(staff_deadline, due_date__lt=today)
    elif d.get("light") == "warning":
        qs = qs.filter(staff_deadline, due_date__gte=today, warn_date__lte=today)
    elif d.get("light") == "normal":
        qs = qs.filter(staff_deadline, warn_date__gt=today)
    return qs


def listed_matters(user, params, *, whole=False):
    """The matters of a list view (tab and filters from the query string). A search lists its
    newest matches by relevance on the page; `whole` (the export) gives every match in the list's order."""
    tab = params.get("tab", "todo")
    qs = Matter.objects.visible_to(user)
    if tab == "todo":
        qs = qs.filter(todo_filter(user))
    form = QueueFilterForm(params or None)
    query = search_query(form)
    if form.is_valid():
        qs = apply_filters(qs, form)
    if query and not whole:
        return search.ranked(qs, query, scope_keys(user)), form, tab
    if query:
        qs = search.matching(qs, query, scope_keys(user))
    order = todo_order(user) if tab == "todo" else ("-received_at", "-id")
    return qs.order_by(*order), form, tab


def search_query(form):
    """The words of the list's search box (words.Query), or None when it is empty or a 查询码 (whole
    or a part of one)."""
    if not form.is_valid() or not form.cleaned_data.get("q"):
        return None
    text = form.cleaned_data["q"]
    return None if normalize_tracking_code(text) or partial_code(text) else search.parse(text) or None


def mark_words(matters, query):
    """The title and a piece of the content of each listed matter with the searched words marked."""
    for m in matters:
        m.title_pieces = search.highlight(m.title, query)
        m.snippet = search.highlight(m.content, query, around=30)
