"""What the petitioner may read of a matter (art. 21: the registration, each forwarding, acceptance,
non-acceptance and extension notices with their reasons, the written replies and their dates).

Only events marked public in the transition table, and of those only the words addressed to the
petitioner: staff notes, handler names and internal steps stay inside.
"""

from datetime import date

from xinfang.petitions.choices import Channel, Rating, ReplyOutcome, ReviewDecision
from xinfang.petitions.promises import cn_date
from xinfang.petitions.workflow import TRANSITIONS

# Actions whose note is written to the petitioner (a reason, a route to another organ, a decision).
NOTE_IS_FOR_PETITIONER = {
    "not_accept": "不予受理理由",
    "refer": "告知",
    "extend": "延期理由",
    "request_review": "申请理由",
    "request_rereview": "申请理由",
    "withdraw": "撤回说明",
    "decide_review": "复查意见",
    "decide_rereview": "复核意见",
    "close": "说明",
}


def entries(matter) -> list[dict]:
    rows = []
    for e in matter.events.select_related("actor_unit").order_by("at", "pk"):
        t = TRANSITIONS.get(e.action)
        if e.action != "register" and (t is None or not t.public):
            continue
        rows.append({"at": e.at, **describe(matter, e, t)})
    return rows


def _due(data) -> str:
    """The deadline the act set, as promised that day."""
    return cn_date(date.fromisoformat(data["due"])) if data.get("due") else ""


def describe(matter, e, t) -> dict:
    data = e.data or {}
    due = _due(data)
    unit = e.actor_unit.name if e.actor_unit else ""
    if e.action == "register":
        channel = Channel(data.get("channel") or matter.channel).label
        return {"title": "登记", "text": f"{unit or '信访部门'}已登记您的信访事项（{channel}）。"}
    item = {"title": t.label.replace("记录评价", "评价").replace("信访人撤回", "撤回"), "text": ""}
    if e.action in {"forward", "assign"}:
        item["text"] = f"已{t.label}至「{data.get('unit', '')}」办理" + (
            f"，应于{due}前告知您是否受理。" if due else "。"
        )
    elif e.action in {"accept", "handle_directly"}:
        item["text"] = f"「{unit}」已受理" + (f"，应于{due}前办结并书面答复。" if due else "。")
    elif e.action == "extend":
        days = data.get("days", "")
        item["text"] = f"办理期限延长{days}日" + (f"，延长后应于{due}前办结并书面答复。" if due else "。")
    elif e.action in {"request_review", "request_rereview"}:
        what = "复查" if e.action == "request_review" else "复核"
        item["title"] = f"申请{what}"
        item["text"] = f"已收到您的{what}申请" + (f"，应于{due}前作出{what}意见。" if due else "。")
    elif e.action == "approve_reply":
        item["title"] = "书面答复"
        item["text"] = f"处理意见：{ReplyOutcome(data['outcome']).label}。" if data.get("outcome") else ""
        item["reply"] = {
            "text": data.get("text", ""),
            "basis": data.get("basis", ""),
            "delivered_on": date.fromisoformat(data["delivered_on"]) if data.get("delivered_on") else None,
        }
    elif e.action == "rate":
        item["text"] = f"您的评价：{Rating(data['rating']).label}。" if data.get("rating") else ""
        if data.get("visit"):
            item["text"] += "有关机关将回访您。"
            item["note_label"], item["note"] = "不满意的原因", e.note
    elif e.action in {"decide_review", "decide_rereview"} and data.get("decision"):
        item["text"] = f"{ReviewDecision(data['decision']).label}。"
    if e.action in NOTE_IS_FOR_PETITIONER and e.note:
        item["note_label"] = NOTE_IS_FOR_PETITIONER[e.action]
        item["note"] = e.note
    return item
