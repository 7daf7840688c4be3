"""The 办结报告 of a matter that came from the level above (转送/交办 with the upper level's number):
what this level reports back once the matter is answered, as a .docx in the 公文 layout for people
and as data (JSON, .xlsx) for the upper level's system.

It exists from the moment the 处理意见书 is signed and delivered (the approve_reply event, whose
recorded data it is built from, so later acts do not rewrite it). Personal data stays out of the
data forms: the upper level already holds the petitioner's details under its own number.
"""

import io

from django.utils import timezone

from xinfang.core import crypto
from xinfang.core.workbook import Book
from xinfang.petitions.choices import Channel, ReplyOutcome, Resolution
from xinfang.petitions.models import format_tracking_code

from .gongwen import Gongwen

TITLE = "信访事项办结报告"
FROM_ABOVE = {Channel.UPPER_FORWARDED, Channel.UPPER_ASSIGNED}
# (key, label) of the data form, in order
FIELDS = [
    ("upper_reference", "上级编号"),
    ("upper_due_date", "上级要求办结日期"),
    ("code", "本级查询码"),
    ("title", "事项标题"),
    ("received_on", "收到日期"),
    ("channel", "来源"),
    ("division", "问题属地"),
    ("category", "内容分类"),
    ("handling_unit", "承办单位"),
    ("accepted_on", "受理日期"),
    ("answered_on", "答复送达日期"),
    ("on_time", "是否按上级要求期限办结"),
    ("outcome", "处理意见"),
    ("resolution", "化解方式"),
    ("reply_text", "处理意见书正文"),
    ("basis", "法律政策依据"),
    ("reporting_unit", "报告单位"),
]


def applies(matter) -> bool:
    """Whether the matter came from above (a number or a channel says so)."""
    return bool(matter.upper_reference) or matter.channel in FROM_ABOVE


def answer_event(matter):
    return matter.events.filter(action="approve_reply").order_by("-at", "-id").first()


def data(matter) -> dict:
    """The report as data for the upper level's system; KeyError before the matter is answered."""
    event = answer_event(matter) if applies(matter) else None
    if event is None:
        raise KeyError("completion")
    recorded = event.data
    answered = recorded.get("delivered_on") or str(timezone.localdate(event.at))
    due = matter.upper_due_date
    return {
        "upper_reference": matter.upper_reference,
        "upper_due_date": due.isoformat() if due else None,
        "code": matter.code,
        "title": matter.title,
        "received_on": timezone.localdate(matter.received_at).isoformat(),
        "channel": Channel(matter.channel).label,
        "division": matter.division.full_name(),
        "category": str(matter.category),
        "handling_unit": str(matter.handling_unit or event.actor_unit or ""),
        "accepted_on": matter.accepted_on.isoformat() if matter.accepted_on else None,
        "answered_on": answered,
        "on_time": None if due is None else answered <= due.isoformat(),
        "outcome": ReplyOutcome(recorded.get("outcome") or matter.reply_outcome).label,
        "resolution": Resolution(recorded.get("resolution") or matter.resolution).label,
        "reply_text": recorded.get("text") or matter.reply_text,
        "basis": recorded.get("basis") or matter.reply_basis,
        "reporting_unit": str(matter.registering_unit),
    }


def _shown(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否（已超过上级要求的期限）"
    return str(value)


def xlsx(matter) -> bytes:
    """The data form as a one-row workbook (a column per field)."""
    row = data(matter)
    book = Book()
    sheet = book.sheet(TITLE, [label for _, label in FIELDS], widths=[18] * len(FIELDS), freeze=True)
    sheet.append([_shown(row[key]) for key, _ in FIELDS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cn(iso: str) -> str:
    y, m, d = iso.split("-")
    return f"{int(y)}年{int(m)}月{int(d)}日"


def docx(matter, *, full_names: bool) -> bytes:
    """The report in the 公文 layout, to the level above."""
    row = data(matter)
    doc = Gongwen()
    doc.title(TITLE)
    reference = f"上级编号：{row['upper_reference']}；" if row["upper_reference"] else ""
    doc.subtitle(f"（{reference}查询码：{format_tracking_code(matter.code)}）")
    doc.salutation("上级信访工作机构：")
    names = [p.name if full_names else crypto.mask_name(p.name) for p in matter.petitioners.all()]
    who = "匿名信访人" if matter.anonymous or not names else "、".join(names)
    due = f"要求于{_cn(row['upper_due_date'])}前办结" if row["upper_due_date"] else "要求办理"
    doc.paragraph(
        f"{_cn(row['received_on'])}{row['channel']}{who}反映的“{matter.title}”一事（{due}），"
        f"本机关已办理完毕，现将办理情况报告如下："
    )
    doc.heading1("一、基本情况")
    doc.paragraph(f"问题属地：{row['division']}；内容分类：{row['category']}。")
    doc.paragraph(matter.request or matter.content)
    doc.heading1("二、办理情况")
    accepted = f"于{_cn(row['accepted_on'])}受理，" if row["accepted_on"] else ""
    doc.paragraph(f"承办单位{row['handling_unit']}{accepted}经调查核实，出具处理意见如下：")
    for line in row["reply_text"].splitlines():
        if line.strip():
            doc.paragraph(line.strip())
    doc.paragraph(f"依据：{row['basis']}")
    doc.heading1("三、办理结果")
    doc.paragraph(
        f"处理意见为“{row['outcome']}”，化解方式为“{row['resolution']}”，"
        f"处理意见书已于{_cn(row['answered_on'])}送达信访人。"
    )
    if row["on_time"] is not None:
        doc.paragraph("已在上级要求的期限内办结。" if row["on_time"] else "超过了上级要求的办结期限。")
    doc.paragraph("特此报告。")
    doc.signature(row["reporting_unit"], timezone.localdate(answer_event(matter).at))
    return doc.to_bytes()
