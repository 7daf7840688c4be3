"""What the petitioner is owed next and by when, in the words every text addressed to them uses: the
portal's matter page, the SMS of each act and the written notices. Always a concrete date (X年X月X日)
from the matter's deadline, never "60日内"."""

from datetime import date

from xinfang.core import clock
from xinfang.core.dates import cn_date
from xinfang.deadlines.engine import ScheduleUnknown
from xinfang.deadlines.service import deadline_for

from .choices import Status
from .workflow import PETITIONER_WINDOWS


def acceptance_by(matter) -> date | None:
    """While a registered matter waits to be passed on: the last day the unit it goes to may take to
    say whether it accepts (the dispatch deadline, then the acceptance period). None when a
    working-day period would need a holiday schedule not entered yet."""
    if matter.due_step != "dispatch" or matter.due_date is None:
        return None
    try:
        return deadline_for("acceptance", matter.due_date, matter.policy_set).due
    except ScheduleUnknown:
        return None


def next_step(matter, *, named=True) -> str:
    """The next promise of the matter's current status, as one sentence without a full stop; ""
    when nothing more is due (closed, withdrawn, not accepted, referred). `named`: False when the
    sentence before has just named the unit that owes it."""
    if matter.due_date is None:
        return ""
    due = cn_date(matter.due_date)
    status = matter.status
    if status == Status.REGISTERED:
        later = acceptance_by(matter)
        told = f"，最迟于{cn_date(later)}前告知您是否受理" if later else "，有关机关收到后依法告知您是否受理"
        return f"信访部门应于{due}前将您的信访事项转送、交办有权处理的机关{told}"
    if status == Status.DISPATCHED:
        return f"「{matter.holder_unit}」应于{due}前告知您是否受理"
    if status in {Status.HANDLING, Status.REPLY_PENDING}:
        who = f"「{matter.handling_unit}」" if named else ""
        return f"{who}应于{due}前办结并向您出具书面处理意见"
    if status == Status.REPLIED:
        return f"如对处理意见不服，可于{due}前申请复查"
    if status == Status.REVIEW_REQUESTED:
        return f"复查机关「{matter.review_unit}」应于{due}前作出复查意见"
    if status == Status.REVIEWED:
        return f"如对复查意见不服，可于{due}前申请复核"
    if status == Status.REREVIEW_REQUESTED:
        return f"复核机关「{matter.rereview_unit}」应于{due}前作出复核意见"
    return ""


def extension(matter) -> str:
    """The extension of the handling period, with its reason, while it applies."""
    if matter.status not in {Status.HANDLING, Status.REPLY_PENDING} or not matter.extension_days:
        return ""
    return f"办理期限已延长{matter.extension_days}日，延期理由：{matter.extension_reason.rstrip('。')}"


def is_overdue(matter, today: date | None = None) -> bool:
    """Whether the body owing the next step has let its deadline pass (the petitioner's own windows
    are not theirs to be late on)."""
    today = today or clock.today()
    return bool(
        matter.due_date
        and matter.due_step not in PETITIONER_WINDOWS
        and not matter.clock_paused
        and today > matter.due_date
    )
