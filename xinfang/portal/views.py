"""网上信访: the citizen's side. File a petition, track it with the 查询码 and the phone's last four
digits, read the written reply, rate it, ask for 复查/复核 inside the windows, withdraw.

No account and no sign-in: a successful tracking check puts the matter into the browser session.
Every form posts with CSRF; filing and tracking are rate limited per address, filing also per
identity, and an optional challenge (XINFANG_PORTAL_CHALLENGE) can be plugged in.
"""

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.http import require_POST

from xinfang.audit.api import client_ip
from xinfang.core import clock, ratelimit
from xinfang.documents import notices
from xinfang.documents.views import matter_notice
from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Matter, id_number_hash
from xinfang.petitions.services import TransitionError, perform, register_matter, window_end
from xinfang.petitions.workflow import TRANSITIONS

from . import timeline
from .forms import FilingForm, RateForm, TrackForm, WithdrawForm
from .intake import portal_account, receiving_bureau, recent_duplicate

SESSION_KEY = "portal_matters"


def index(request):
    return render(request, "portal/index.html")


def challenge():
    path = settings.XINFANG_PORTAL_CHALLENGE
    return import_string(path)() if path else None


def too_many(request, retry_after):
    minutes = max(1, retry_after // 60)
    return render(request, "portal/too_many.html", {"minutes": minutes}, status=429)


def file(request):
    form = FilingForm(request.POST or None, request.FILES or None)
    check = challenge()
    if request.method == "POST":
        allowed, retry = ratelimit.hit(
            f"portal-file-ip:{client_ip(request)}", settings.XINFANG_PORTAL_FILE_RATE
        )
        if not allowed:
            return too_many(request, retry)
        if check is not None and not check.verify(request):
            form.add_error(None, "验证未通过，请重试。")
        elif form.is_valid():
            return _register(request, form)
    context = {"form": form, "challenge": check.render(request) if check else ""}
    return render(request, "portal/file.html", context)


def _register(request, form):
    d = form.cleaned_data
    allowed, retry = ratelimit.hit(
        f"portal-file-id:{id_number_hash(d['id_number'])}", settings.XINFANG_PORTAL_IDENTITY_RATE
    )
    if not allowed:
        return too_many(request, retry)
    person = {"name": d["name"], "id_number": d["id_number"], "phone": d["phone"], "address": d["address"]}
    matter = recent_duplicate(person, d["title"], d["content"])
    merged = matter is not None
    if not merged:
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
    request.session["portal_filed"] = {"pk": matter.pk, "merged": merged}
    return redirect("portal:filed")


def filed(request):
    info = request.session.get("portal_filed")
    if not info:
        return redirect("portal:index")
    matter = Matter.objects.filter(pk=info["pk"]).first()
    if matter is None:
        raise Http404("没有找到该信访事项。")
    return render(request, "portal/filed.html", {"matter": matter, "merged": info["merged"]})


def _authorise(request, matter):
    known = set(request.session.get(SESSION_KEY, []))
    known.add(matter.pk)
    request.session[SESSION_KEY] = sorted(known)


def track(request):
    form = TrackForm(request.POST or None)
    if request.method == "POST":
        allowed, retry = ratelimit.hit(
            f"portal-track-ip:{client_ip(request)}", settings.XINFANG_PORTAL_TRACK_RATE
        )
        if not allowed:
            return too_many(request, retry)
        if form.is_valid():
            matter = Matter.objects.filter(code=form.cleaned_data["code"]).first()
            tail = form.cleaned_data["phone_tail"]
            if matter is not None and any(
                p.phone.endswith(tail) for p in matter.petitioners.all() if p.phone
            ):
                _authorise(request, matter)
                return redirect("portal:matter", code=matter.code)
            form.add_error(None, "查询码或手机号码后4位不正确。")
    return render(request, "portal/track.html", {"form": form})


def _own_matter(request, code) -> Matter:
    matter = Matter.objects.filter(code=code).select_related("handling_unit", "holder_unit").first()
    if matter is None or matter.pk not in request.session.get(SESSION_KEY, []):
        raise Http404("请先用查询码和手机号码后4位查询。")
    return matter


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


def matter_page(request, code):
    matter = _own_matter(request, code)
    context = {
        "matter": matter,
        "entries": timeline.entries(matter),
        "windows": windows(matter),
        "can_withdraw": matter.status in TRANSITIONS["withdraw"].sources,
        "rate_form": RateForm(),
        "withdraw_form": WithdrawForm(),
        "documents": notices.available(matter),
    }
    return render(request, "portal/matter.html", context)


def document(request, code, kind):
    """A written notice of the petitioner's own matter (the same document staff send)."""
    return matter_notice(_own_matter(request, code), kind, full_names=True)


@require_POST
def act(request, code, action):
    """The petitioner's own acts, recorded by the system on their behalf through the write path."""
    matter = _own_matter(request, code)
    forms_by_action = {
        "rate": RateForm,
        "withdraw": WithdrawForm,
        "request_review": None,
        "request_rereview": None,
    }
    if action not in forms_by_action:
        raise Http404("未知的操作。")
    params, note = {}, "信访人通过网上信访提出。"
    form_class = forms_by_action[action]
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
            return redirect("portal:matter", code=code)
        params = dict(form.cleaned_data)
        note = params.pop("note", note)
    version = request.POST.get("version", "")
    try:
        perform(
            matter.pk,
            None,
            action,
            system=True,
            note=note,
            expected_version=int(version) if version.isdigit() else None,
            **params,
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            {
                "rate": "感谢您的评价。",
                "request_review": "复查申请已提交，复查机关将在30日内作出复查意见。",
                "request_rereview": "复核申请已提交，复核机关将在30日内作出复核意见。",
                "withdraw": "您的信访事项已撤回。",
            }[action],
        )
    return redirect("portal:matter", code=code)
