"""网上信访: the citizen's side. File a petition, track it with the 查询码 and the phone's last four
digits, read the written reply, rate it, ask for 复查/复核 inside the windows, withdraw.

No account and no sign-in: a successful tracking check puts the matter into the browser session;
without it (never checked, or the session expired) a matter's pages lead back to the tracking form.
Every form posts with CSRF; filing is rate limited per address and per identity, wrong tracking tries
per (code, address) and per address, and an optional challenge (XINFANG_PORTAL_CHALLENGE) can be
plugged in. A petition sent again is not registered twice, and the resubmission never shows or opens
the first filing.
"""

from datetime import UTC, datetime
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from xinfang.audit.api import client_ip
from xinfang.core import clock, ratelimit
from xinfang.core.params import whole_number
from xinfang.documents import notices
from xinfang.documents.views import audit_notice_read, matter_notice
from xinfang.petitions import promises
from xinfang.petitions.choices import Channel, Rating, Status
from xinfang.petitions.models import Matter, id_number_hash
from xinfang.petitions.services import TransitionError, perform, register_matter, window_end
from xinfang.petitions.workflow import TRANSITIONS
from xinfang.supervision.models import Reminder

from . import openness, timeline
from .forms import FilingForm, RateForm, ReviewRequestForm, TrackForm, WithdrawForm
from .intake import bureau_phones, portal_account, receiving_bureau, recent_duplicate

SESSION_KEY = "portal_matters"
# The 适老化 display (large text, high contrast), remembered by the browser for a year.
LARGE_COOKIE = "portal_large"
# From this many wrong tracking tries left, the form says how many remain.
TRACK_WARN_FROM = 3
LOST_CODE = "如情况紧急或查询码遗失"


def index(request):
    return render(request, "portal/index.html")


@require_POST
def display(request):
    """Switch the large-text, high-contrast display on or off, and go back to the page."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}) or not back.startswith("/portal/"):
        back = "/portal/"
    response = redirect(back)
    if request.POST.get("large") == "1":
        response.set_cookie(LARGE_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    else:
        response.delete_cookie(LARGE_COOKIE)
    return response


def challenge():
    path = settings.XINFANG_PORTAL_CHALLENGE
    return import_string(path)() if path else None


def address(request) -> str:
    return ratelimit.address(client_ip(request))


def waiting(limited, why_call="如情况紧急") -> dict:
    """Until when a limit holds (``limited`` is a ratelimit.Hit or Attempt), and whom to call."""
    return {
        "until": datetime.fromtimestamp(limited.until, tz=UTC),
        "minutes": max(1, -(-limited.retry_after // 60)),
        "phones": bureau_phones(),
        "why_call": why_call,
    }


def too_many(request, limited, why_call="如情况紧急"):
    return render(request, "portal/too_many.html", {"wait": waiting(limited, why_call)}, status=429)


def file(request):
    form = FilingForm(request.POST or None, request.FILES or None)
    check = challenge()
    if request.method == "POST":
        sent = ratelimit.hit(f"portal-file-ip:{address(request)}", settings.XINFANG_PORTAL_FILE_RATE)
        if not sent.allowed:
            return too_many(request, sent)
        if check is not None and not check.verify(request):
            form.add_error(None, "验证未通过，请重试。")
        elif form.is_valid():
            return _register(request, form)
    context = {"form": form, "challenge": check.render(request) if check else ""}
    return render(request, "portal/file.html", context)


def _register(request, form):
    d = form.cleaned_data
    sent = ratelimit.hit(
        f"portal-file-id:{id_number_hash(d['id_number'])}", settings.XINFANG_PORTAL_IDENTITY_RATE
    )
    if not sent.allowed:
        return too_many(request, sent)
    person = {"name": d["name"], "id_number": d["id_number"], "phone": d["phone"], "address": d["address"]}
    earlier = recent_duplicate(person, d["title"], d["content"])
    if earlier is not None:
        # Whoever sends the same phone, title and content is not necessarily who filed it: only a
        # browser that already holds the earlier filing is shown it again.
        known = earlier.pk in request.session.get(SESSION_KEY, [])
        request.session["portal_filed"] = {"pk": earlier.pk if known else None, "merged": True}
        return redirect("portal:filed")
    bureau = receiving_bureau(d["division"])
    if bureau is None:
        form.add_error("division", "该地区尚未开通网上信访，请通过来信、来访或电话反映。")
        return render(request, "portal/file.html", {"form": form})
    fields = {
        "channel": Channel.ONLINE,
        "received_at": clock.now(),
        "title": d["title"],
        "content": d["content"],
        "request": d["request"],
        "nature": d["nature"],
        "request_type": d["request_type"],
        "division": d["division"],
        "category": d["category"],
        "complained_person": d["complained"],
    }
    try:
        matter = register_matter(
            portal_account(bureau), fields=fields, petitioners=[person], files=d["files"]
        )
    except TransitionError as exc:
        form.add_error(None, str(exc))
        return render(request, "portal/file.html", {"form": form})
    _authorise(request, matter)
    request.session["portal_filed"] = {"pk": matter.pk, "merged": False}
    return redirect("portal:filed")


def filed(request):
    """After filing: the new matter's code; for a petition sent again, its code only to the browser
    that filed it, otherwise a page saying it was received before, without code or link."""
    info = request.session.get("portal_filed")
    if not info:
        return redirect("portal:index")
    matter = None
    if info["pk"] is not None and info["pk"] in request.session.get(SESSION_KEY, []):
        matter = Matter.objects.filter(pk=info["pk"]).first()
        if matter is None:
            raise Http404("没有找到该信访事项。")
    context = {
        "matter": matter,
        "merged": info["merged"],
        "phones": bureau_phones(),
        "next": promises.next_step(matter) if matter else "",
    }
    return render(request, "portal/filed.html", context)


def _authorise(request, matter):
    known = set(request.session.get(SESSION_KEY, []))
    known.add(matter.pk)
    request.session[SESSION_KEY] = sorted(known)


def track(request):
    """The 查询码 and the phone's last four digits put the matter into this browser's session.

    Wrong tries are counted per (code, address) and, with a higher ceiling, per address, so that one
    mistyped code does not lock the address out of another petition; the last tries are announced,
    and a lockout says until when and whom to call."""
    form = TrackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code, tail = form.cleaned_data["code"], form.cleaned_data["phone_tail"]
        where = address(request)
        attempt = ratelimit.Attempt(
            [
                (f"portal-track:{code}:{where}", settings.XINFANG_PORTAL_TRACK_CODE_RATE),
                (f"portal-track:{where}", settings.XINFANG_PORTAL_TRACK_RATE),
            ]
        )
        if not attempt.allowed:
            return too_many(request, attempt, LOST_CODE)
        matter = Matter.objects.filter(code=code).first()
        if matter is not None and any(p.phone.endswith(tail) for p in matter.petitioners.all() if p.phone):
            attempt.succeeded()
            _authorise(request, matter)
            return redirect("portal:matter", code=matter.code)
        error = "查询码或手机号码后4位不正确。"
        if attempt.remaining == 0:
            form.add_error(None, error + "尝试次数已用完，查询暂停。")
            return render(request, "portal/track.html", {"form": form, "wait": waiting(attempt, LOST_CODE)})
        context = {"form": form}
        if attempt.remaining <= TRACK_WARN_FROM:
            error += f"还可尝试{attempt.remaining}次，用完后查询将暂停。"
            context["phones"] = bureau_phones()
        form.add_error(None, error)
        return render(request, "portal/track.html", context)
    return render(request, "portal/track.html", {"form": form})


def tracked(view):
    """Gives the view the matter of the URL once this browser has checked its code and phone tail;
    otherwise (never checked, or the session expired) leads back to the tracking form."""

    @wraps(view)
    def wrapper(request, code, *args, **kwargs):
        matter = Matter.objects.filter(code=code).select_related("handling_unit", "holder_unit").first()
        if matter is None or matter.pk not in request.session.get(SESSION_KEY, []):
            messages.info(request, "请输入查询码和手机号码后4位查询（长时间未操作需要重新查询）。")
            return redirect("portal:track")
        return view(request, matter, *args, **kwargs)

    return wrapper


def windows(matter) -> list[dict]:
    """The petitioner's open choices, each with its last day, or why it is closed."""
    today = clock.today()
    rows = []
    if matter.status == Status.REPLIED and matter.reply_delivered_on:
        for step, action, label, article in [
            ("rating", "rate", "评价", ""),
            ("review_request", "request_review", "申请复查", "第三十五条"),
        ]:
            if action == "rate" and matter.rating:
                continue
            end = window_end(matter, step, matter.reply_delivered_on)
            rows.append(
                {"action": action, "label": label, "end": end, "open": today <= end, "article": article}
            )
    if matter.status == Status.REVIEWED and matter.review_decided_on:
        end = window_end(matter, "rereview_request", matter.review_decided_on)
        rows.append(
            {
                "action": "request_rereview",
                "label": "申请复核",
                "end": end,
                "open": today <= end,
                "article": "第三十六条",
            }
        )
    return rows


def progress(matter) -> dict:
    """What the petitioner is owed next and by when; whether it is late, and the 催办 since."""
    overdue = promises.is_overdue(matter)
    reminders = []
    if overdue:
        reminders = list(
            Reminder.objects.about(matter)
            .filter(step=matter.due_step, at__date__gte=matter.step_started_on)
            .order_by("at")
            .values_list("at", flat=True)
        )
    return {
        "next": promises.next_step(matter),
        "extension": promises.extension(matter),
        "paused": matter.clock_paused,
        "overdue": overdue,
        "due": matter.due_date,
        "reminded": len(reminders),
        "last_reminded": reminders[-1] if reminders else None,
    }


@tracked
def matter_page(request, matter):
    context = {
        "matter": matter,
        "progress": progress(matter),
        "entries": timeline.entries(matter),
        "windows": windows(matter),
        "can_withdraw": matter.status in TRANSITIONS["withdraw"].sources,
        "rate_form": RateForm(),
        "withdraw_form": WithdrawForm(),
        "documents": notices.available(matter),
    }
    return render(request, "portal/matter.html", context)


@tracked
def document(request, matter, kind):
    """A written notice of the petitioner's own matter (the same document staff send). It names
    the petitioners in full, so it is audited like a staff read (no user; the client address)."""
    response = matter_notice(matter, kind, full_names=True)
    audit_notice_read(request, matter, kind, "portal")
    return response


@require_POST
@tracked
def act(request, matter, action):
    """The petitioner's own acts, recorded by the system on their behalf through the write path."""
    code = matter.code
    forms_by_action = {"rate": RateForm, "withdraw": WithdrawForm}
    if action not in forms_by_action:
        raise Http404("未知的操作。")
    form = forms_by_action[action](request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("portal:matter", code=code)
    params = dict(form.cleaned_data)
    note = params.pop("note", None) or params.pop("reason", "").strip() or "信访人通过网上信访提出。"
    params.pop("reason", None)
    version = request.POST.get("version", "")
    try:
        perform(
            matter.pk,
            None,
            action,
            system=True,
            note=note,
            expected_version=whole_number(version),
            **params,
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            {
                "rate": "感谢您的评价。"
                + (
                    "有关机关将就您不满意的原因回访您。" if params.get("rating") == Rating.UNSATISFIED else ""
                ),
                "withdraw": "您的信访事项已撤回。",
            }[action],
        )
    return redirect("portal:matter", code=code)


REQUESTS = {
    # action: (what, the status it needs, the deciding step, the body, its unit's field, article)
    "request_review": ("复查", Status.REPLIED, "review_decision", "review_unit", "第三十五条"),
    "request_rereview": ("复核", Status.REVIEWED, "rereview_decision", "rereview_unit", "第三十六条"),
}


@tracked
def review_request(request, matter, action):
    """Ask for 复查 or 复核: the reasons (required), materials, a confirmation, and before sending,
    who decides and by when."""
    if action not in REQUESTS:
        raise Http404("未知的操作。")
    what, status, step, unit_field, article = REQUESTS[action]
    window = next((w for w in windows(matter) if w["action"] == action), None)
    if matter.status != status or window is None:
        messages.error(request, f"该事项目前不能申请{what}。")
        return redirect("portal:matter", code=matter.code)
    if not window["open"]:
        messages.error(
            request,
            f"{what}申请应当自收到之日起30日内提出（截至{promises.cn_date(window['end'])}），已超过期限（{article}）。",
        )
        return redirect("portal:matter", code=matter.code)
    form = ReviewRequestForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            perform(
                matter.pk,
                None,
                action,
                system=True,
                note=form.cleaned_data["reasons"],
                files=form.cleaned_data["files"],
                uploaded_by=portal_account(matter.registering_unit),
                expected_version=whole_number(request.POST.get("version", "")),
            )
        except TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            matter.refresh_from_db()
            messages.success(request, f"{what}申请已提交。{promises.next_step(matter)}。")
            return redirect("portal:matter", code=matter.code)
    context = {
        "matter": matter,
        "form": form,
        "what": what,
        "article": article,
        "window": window,
        "unit": getattr(matter, unit_field),
        "decide_by": window_end(matter, step, clock.today()),
    }
    return render(request, "portal/request.html", context)


def public(request):
    """信访公开: counts per handling unit for a month chosen among the last complete ones."""
    choices = openness.months()
    chosen = choices[0]
    wanted = request.GET.get("month", "")
    for first in choices:
        if wanted == f"{first:%Y-%m}":
            chosen = first
    context = {"months": choices, "month": chosen, **openness.figures(chosen)}
    return render(request, "portal/public.html", context)
