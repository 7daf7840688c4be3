"""The 登记回执 handed to a petitioner at the counter: the 查询码, where to follow the matter and what
happens next, each step with the latest date the deadline engine gives for it.

The dates are upper bounds counted from the registration: the dispatch deadline, then the
acceptance window counted from that day, then the handling period counted from the latest
acceptance. Each step may come sooner; an extension is notified in writing with its new date.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from xinfang.deadlines.service import deadline_for, policy


@dataclass(frozen=True)
class NextStep:
    text: str
    by: date


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def next_steps(matter) -> list[NextStep]:
    rules = policy(matter.policy_set)
    received = timezone.localdate(matter.received_at)
    dispatch_by = deadline_for("dispatch", received, matter.policy_set).due
    accept_by = deadline_for("acceptance", dispatch_by, matter.policy_set).due
    handle_by = deadline_for("handling", accept_by, matter.policy_set).due
    return [
        NextStep(
            f"{_cn(dispatch_by)}前，信访部门将您的信访事项转送、交办有权处理的机关，"
            "或者书面告知您向其他法定途径提出。",
            dispatch_by,
        ),
        NextStep(
            f"有权处理的机关收到后{rules['acceptance'].label()}内告知您是否受理，最迟于{_cn(accept_by)}前。",
            accept_by,
        ),
        NextStep(
            f"受理后{rules['handling'].label()}内办结并出具书面处理意见，最迟于{_cn(handle_by)}前；"
            "依法延长办理期限的，将书面告知您延期理由和新的期限。",
            handle_by,
        ),
    ]
