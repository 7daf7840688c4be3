"""What the petitioner may read of a matter (art. 21: the registration, each forwarding, acceptance,
non-acceptance and extension notices with their reasons, the written replies and their dates).

Only events marked public in the transition table, and of those only the words addressed to the
petitioner: staff notes, handler names and internal steps stay inside.
"""

from xinfang.petitions.choices import Channel, Rating, ReplyOutcome, ReviewDecision
from xinfang.petitions.workflow import TRANSITIONS

# Actions whose note is written to the petitioner (a reason, a route to another organ, a decision).
NOTE_IS_FOR_PETITIONER = {
    "not_accept": "不予受理理由",
    "refer": "告知",
    "extend": "延期理由",
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


def describe(matter, e, t) -> dict:
    data = e.data or {}
    unit = e.actor_unit.name if e.actor_unit else ""
    if e.action == "register":
        channel = Channel(data.get("channel") or matter.channel).label
        return {"title": "登记", "text": f"{unit or '信访部门'}已登记您的信访事项（{channel}）。"}
    item = {"title": t.label.replace("记录评价", "评价").replace("信访人撤回", "撤回"), "text": ""}
    if e.action in {"forward", "assign"}:
        item["text"] = f"已{t.label}至「{data.get('unit', '')}」办理。"
    elif e.action in {"accept", "handle_directly"}:
        item["text"] = f"「{unit}」已受理。"
    elif e.action == "approve_reply":
        item["title"] = "书面答复"
        item["text"] = f"处理意见：{ReplyOutcome(data['outcome']).label}。" if data.get("outcome") else ""
        item["reply"] = {
            "text": data.get("text", ""),
            "basis": data.get("basis", ""),
            "delivered_on": data.get("delivered_on"),
        }
    elif e.action == "rate":
        item["text"] = f"您的评价：{Rating(data['rating']).label}。" if data.get("rating") else ""
    elif e.action in {"decide_review", "decide_rereview"} and data.get("decision"):
        item["text"] = f"{ReviewDecision(data['decision']).label}。"
    if e.action in NOTE_IS_FOR_PETITIONER and e.note:
        item["note_label"] = NOTE_IS_FOR_PETITIONER[e.action]
        item["note"] = e.note
    return item
