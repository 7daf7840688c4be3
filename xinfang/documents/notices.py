"""The written notices of a single matter, rendered from its records in the 公文 layout: what the
regulation requires the petitioner to receive in writing (告知, 处理意见书, 复查/复核意见书).

Each notice is built from the event that decided it (its data and note, as recorded then), so a
later change to the matter (a redo after review) does not rewrite an earlier notice."""

import copy
from datetime import date
from types import SimpleNamespace

from django.utils import timezone

from xinfang.core import crypto
from xinfang.deadlines.service import policy
from xinfang.petitions.choices import Channel, ReferralChannel, ReplyOutcome, ReviewDecision
from xinfang.petitions.models import format_tracking_code
from xinfang.supervision.case_refs import label_of

from .gongwen import Gongwen

# kind -> (title, the actions whose event decides it)
KINDS = {
    "acceptance": ("信访事项受理告知书", ("accept", "handle_directly")),
    "not_accepted": ("信访事项不予受理告知书", ("not_accept",)),
    "referral": ("信访事项依法通过其他途径解决告知书", ("refer",)),
    "extension": ("信访事项延期办理告知书", ("extend",)),
    "reply": ("信访事项处理意见书", ("approve_reply",)),
    "review": ("信访事项复查意见书", ("decide_review",)),
    "rereview": ("信访事项复核意见书", ("decide_rereview",)),
}


def available(matter, events=None) -> list[tuple[str, str]]:
    """(kind, title) of the notices this matter's history has decided so far (`events`: the
    matter's events when the caller has them already)."""
    source = events if events is not None else matter.events.only("action")
    actions = {e.action for e in source}
    return [(kind, title) for kind, (title, decided_by) in KINDS.items() if actions & set(decided_by)]


def _cn(day):
    return f"{day.year}年{day.month}月{day.day}日"


def _addressee(matter, full: bool) -> str:
    if matter.anonymous:
        return "信访人："
    names = [p.name if full else crypto.mask_name(p.name) for p in matter.petitioners.all()]
    return ("、".join(names) or "信访人") + "："


def render(matter, kind: str, *, full_names: bool) -> bytes:
    """The notice `kind` of `matter` as .docx bytes; KeyError if the history has not decided it."""
    decided_by = KINDS[kind][1]
    event = matter.events.filter(action__in=decided_by).order_by("-at", "-id").first()
    if event is None:
        raise KeyError(kind)
    doc = Gongwen()
    _compose(
        doc,
        matter,
        kind,
        event,
        event.actor_unit or matter.holder_unit,
        timezone.localdate(event.at),
        full_names,
    )
    return doc.to_bytes()


def _compose(doc, matter, kind, event, unit, day, full_names):
    doc.title(KINDS[kind][0])
    doc.subtitle(f"（查询码：{format_tracking_code(matter.code)}）")
    doc.salutation(_addressee(matter, full_names))
    received = f"于{_cn(timezone.localdate(matter.received_at))}通过{Channel(matter.channel).label}反映的“{matter.title}”一事"
    BODY[kind](doc, matter, event, received, day)
    doc.signature(str(unit), day)


class Outline:
    """The calls a notice makes on Gongwen, kept as (part, text) pairs: a notice shown in a page."""

    def __init__(self):
        self.parts = []

    def __getattr__(self, part):
        if part not in {"title", "subtitle", "salutation", "heading1", "paragraph"}:
            raise AttributeError(part)
        return lambda text: self.parts.append((part, text))

    def signature(self, unit, day):
        self.parts.append(("signature", f"{unit}\n{_cn(day)}"))


def reply_preview(matter, unit, day) -> list[tuple[str, str]]:
    """The 处理意见书 the unit head is about to sign: the draft now waiting for 审签, as the notice
    will read if it is approved by `unit` on `day` (names masked: a preview is no delivery)."""
    signed = copy.copy(matter)
    signed.review_unit = matter.handling_unit.parent if matter.handling_unit_id else None
    draft = SimpleNamespace(
        data={"outcome": matter.reply_outcome, "text": matter.reply_text, "basis": matter.reply_basis},
        note="",
    )
    outline = Outline()
    _compose(outline, signed, "reply", draft, unit, day, full_names=False)
    return outline.parts


def _due(event) -> date | None:
    """The deadline the deciding act set, as recorded with it."""
    return date.fromisoformat(event.data["due"]) if event.data.get("due") else None


def _acceptance(doc, matter, event, received, day):
    due = _due(event)
    by = f"于{_cn(due)}前" if due else f"自受理之日起{policy(matter.policy_set)['handling'].label()}内"
    doc.paragraph(
        f"你（们）{received}，本机关已于{_cn(day)}受理。根据《信访工作条例》第三十四条规定，本机关将{by}"
        "办结，并向你（们）出具书面处理意见；情况复杂的，经本机关负责人批准可以适当延长办理期限，"
        "并告知延期理由。"
    )
    doc.paragraph(f"你（们）可以凭查询码{format_tracking_code(matter.code)}在网上信访平台查询办理进展。")
    doc.paragraph("特此告知。")


def _not_accepted(doc, matter, event, received, day):
    doc.paragraph(f"你（们）{received}收悉。经审查，{event.note.rstrip('。')}。本机关决定不予受理。")
    doc.paragraph("特此告知。")


def _extension(doc, matter, event, received, day):
    days = event.data.get("days", "")
    doc.paragraph(
        f"你（们）{received}，本机关已于{_cn(matter.accepted_on)}受理。因{event.note.rstrip('。')}，经本机关负责人批准，"
        f"根据《信访工作条例》第三十四条规定，办理期限延长{days}日"
        + (f"，本机关将于{_cn(_due(event))}前办结并向你（们）出具书面处理意见。" if _due(event) else "。")
    )
    doc.paragraph("特此告知。")


def _referral(doc, matter, event, received, day):
    channel = event.data.get("channel") or ReferralChannel(matter.referral_channel).label
    doc.paragraph(
        f"你（们）{received}收悉。经审查，你（们）反映的事项依法应当通过{channel}途径解决，"
        "根据《信访工作条例》第三十一条规定，信访部门不予受理，现书面告知如下："
    )
    for line in event.note.splitlines():
        if line.strip():
            doc.paragraph(line.strip())
    doc.paragraph(f"请你（们）依照有关法律、行政法规规定的程序，通过{channel}途径向有关机关提出。")
    doc.paragraph("特此告知。")


def _reply(doc, matter, event, received, day):
    data = event.data
    doc.paragraph(f"你（们）{received}收悉。本机关依法进行了调查核实，现将处理意见告知如下：")
    doc.heading1("一、信访事项")
    doc.paragraph(matter.request or matter.content)
    doc.heading1("二、调查核实情况和处理意见")
    for line in (data.get("text") or matter.reply_text).splitlines():
        if line.strip():
            doc.paragraph(line.strip())
    doc.heading1("三、依据")
    doc.paragraph(data.get("basis") or matter.reply_basis)
    outcome = data.get("outcome") or matter.reply_outcome
    doc.heading1("四、处理结论")
    doc.paragraph(f"对你（们）的诉求，本机关{ReplyOutcome(outcome).label}。")
    review = matter.review_unit
    if review is not None:
        by = f"（即{_cn(_due(event))}前）" if _due(event) else ""
        doc.paragraph(
            f"如不服本处理意见，可以自收到本意见书之日起30日内{by}向{review}书面申请复查（《信访工作条例》第三十五条）。"
        )


def _decision(prefix, next_step):
    def body(doc, matter, event, received, day):
        decision = ReviewDecision(event.data.get("decision")).label
        label = "复查" if prefix == "review" else "复核"
        doc.paragraph(
            f"你（们）对{received}的处理意见不服，提出{label}申请。本机关依法进行了{label}，现提出{label}意见如下："
        )
        for line in event.note.splitlines():
            if line.strip():
                doc.paragraph(line.strip())
        doc.paragraph(f"{label}结论：{decision}。")
        # After 责令重新办理 the recorded deadline is the new handling's, not a window for the petitioner.
        window = _due(event) if event.data.get("decision") != ReviewDecision.REDO else None
        doc.paragraph(next_step(matter, window))

    return body


BODY = {
    "acceptance": _acceptance,
    "not_accepted": _not_accepted,
    "referral": _referral,
    "extension": _extension,
    "reply": _reply,
    "review": _decision(
        "review",
        lambda m, due: (
            f"如不服本复查意见，可以自收到本意见书之日起30日内{f'（即{_cn(due)}前）' if due else ''}"
            f"向{m.rereview_unit}请求复核（《信访工作条例》第三十六条）。"
            if m.rereview_unit
            else "本复查意见为终结意见。"
        ),
    ),
    "rereview": _decision(
        "rereview",
        lambda m, due: (
            "本复核意见为终结意见。信访人对复核意见不服，仍以同一事实和理由提出投诉请求的，不再受理（《信访工作条例》第三十六条）。"
        ),
    ),
}
assert set(BODY) == set(KINDS)


def supervision_sheet(sup, cases) -> bytes:
    """督办单 / 批示交办单 of a supervision on cases of any type, in the same layout."""
    doc = Gongwen()
    doc.title(sup.sheet_title)
    doc.subtitle(sup.number)
    doc.salutation("、".join(t.unit.name for t in sup.tasks.select_related("unit")) + "：")
    if sup.kind == "supervise":
        reasons = "、".join(sup.reason_labels())
        doc.paragraph(f"现对下列{sup.cases_label}{sup.get_level_display()}（督办事由：{reasons}）。")
    else:
        doc.paragraph("现将领导批示转交你单位办理。")
    doc.table(
        ["编号", "事项", "类别", "属地"],
        [(c.display_code, c.title, label_of(c), c.division.full_name()) for c in cases],
    )
    doc.heading1("一、督办要求" if sup.kind == "supervise" else "一、批示内容")
    doc.paragraph(sup.text)
    doc.heading1("二、反馈要求")
    doc.paragraph(sup.report_required or "书面反馈办理结果。")
    doc.paragraph(f"请于{_cn(sup.due_on)}前书面反馈。")
    doc.signature(str(sup.issuing_unit), timezone.localdate(sup.issued_at))
    return doc.to_bytes()
