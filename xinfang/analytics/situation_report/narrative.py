"""The text of the 信访形势分析报告, written from its figures only: shares, 同比 and 环比 as the
wording module says them, and the 下一步工作建议 triggered by what the figures show (the largest
rise, overdue matters, low rates, warnings).
"""

from decimal import Decimal

from . import art41
from .figures import RATES, ReportData
from .wording import (
    OTHER,
    PERIOD_WORDS,
    TOP,
    Section,
    change_text,
    cn_number,
    num,
    numbered,
    one_decimal,
    percent,
    previous_base,
    ranked,
    share_text,
    year_base,
)

# A rate below this is named in 下一步工作建议 (按期受理/答复率, 满意率).
RATE_CONCERN = 0.9


def sections(data: ReportData) -> list[Section]:
    this_word = PERIOD_WORDS[data.kind][0]
    total = data.matters.current
    out = [Section("overview", "总体情况", 1, _overview(data))]
    out.append(Section("features", "主要特点", 1, []))
    if data.channels:
        out.append(Section("channels", "按信访方式", 2, [_channels(data, this_word)]))
    if data.categories or data.top_issues:
        out.append(Section("categories", "按内容分类", 2, _categories(data)))
    # (section key, heading, rows, lead, suffix after a name, noun for "the other k …")
    breakdowns = [
        ("divisions", "按属地", data.divisions, "按属地分", "", "地区"),
        ("units", "按承办单位", data.handling_units, "按承办单位分", "", "承办单位"),
        ("natures", "按信访性质", data.natures, "按信访性质分", "类", "类别"),
    ]
    for key, heading, rows, lead, suffix, noun in breakdowns:
        if rows:
            out.append(Section(key, heading, 2, [_breakdown(data, rows, lead, suffix, total, noun)]))
    out.append(Section("collective", "集体访和重复信访", 2, [_collective(data, this_word)]))
    out.append(Section("quality", "办理质效", 1, _quality(data, this_word)))
    out.append(Section("risks", "预警与风险", 1, _risks(data, this_word)))
    out.append(Section("advice", "下一步工作建议", 1, _advice(data, this_word)))
    return out


def narrative(data: ReportData) -> list[tuple[str, list[str]]]:
    """The report's text as (numbered heading, paragraphs), in order; for the annual kind followed
    by the art. 41 attachment's sections (their numbering restarts, as in the attachment)."""
    out = [(heading, list(s.paragraphs)) for s, heading in numbered(sections(data))]
    if data.annual is not None:
        out += [(heading, list(s.paragraphs)) for s, heading in numbered(art41.sections(data))]
    return out


def _overview(data: ReportData) -> list[str]:
    m, p = data.matters, data.people
    yoy, mom = year_base(data), previous_base(data)
    if m.current == 0:
        text = f"{data.period_label}，{data.area}信访部门未收到信访事项"
        if m.last_year:
            text += f"（{yoy.name}为{num(m.last_year)}件）"
        return [text + "。"]
    text = f"{data.period_label}，{data.area}信访部门共收到信访事项{num(m.current)}件、{num(p.current)}人次。"
    changes = []
    for what, c, unit in (("件数", m, "件"), ("人次", p, "人次")):
        parts = [change_text(c.current, c.last_year, yoy, unit)]
        if data.kind != "annual":
            parts.append(change_text(c.current, c.previous, mom, unit))
        changes.append(what + "，".join(parts))
    text += "其中" + "；".join(changes) + "。"
    days = (data.last_day - data.first_day).days + 1
    average = one_decimal(Decimal(m.current) / Decimal(days))
    text += f"日均收到{average}件。"
    if data.channels:
        top = ranked(data.channels)[0]
        text += f"从渠道看，{top.name}渠道最多，{num(top.count)}件，占{share_text(top.count, m.current)}。"
    if len(data.volume) >= 2:
        counts = [c for _, c in data.volume]
        high = max(range(len(counts)), key=counts.__getitem__)
        low = min(range(len(counts)), key=counts.__getitem__)
        if counts[high] != counts[low]:
            text += (
                f"从走势看，{data.volume[high][0]}收到量最高，为{num(counts[high])}件；"
                f"{data.volume[low][0]}最低，为{num(counts[low])}件。"
            )
    return [text]


def _row_phrase(data, row, total, suffix, with_mom=False):
    text = f"{row.name}{suffix}{num(row.count)}件"
    if total:
        text += f"，占{share_text(row.count, total)}"
    text += f"，{change_text(row.count, row.last_year, year_base(data))}"
    if with_mom and data.kind != "annual":
        text += f"，{change_text(row.count, row.previous, previous_base(data))}"
    return text


def _channels(data, this_word):
    rows = [r for r in ranked(data.channels) if r.count]
    total = data.matters.current
    if not rows:
        return f"{this_word}各渠道均未收到信访事项。"
    if len(rows) == 1:
        r = rows[0]
        return f"{this_word}信访事项均通过{r.name}渠道反映，共{num(r.count)}件，{change_text(r.count, r.last_year, year_base(data))}。"
    return "按信访方式分，" + "；".join(_row_phrase(data, r, total, "渠道") for r in rows) + "。"


def _breakdown(data, rows, lead, suffix, total, noun="项"):
    """'{lead}，A{suffix}N件，占x%，同比…；B…；其余k个共M件。' plus the biggest rise if unnamed."""
    rows = [r for r in ranked(rows) if r.count]
    if not rows:
        return f"{lead}，均无信访事项。"
    if len(rows) == 1:
        r = rows[0]
        return f"{lead}，信访事项均集中在{r.name}{suffix}，共{num(r.count)}件，{change_text(r.count, r.last_year, year_base(data))}。"
    shown, rest = rows[:TOP], rows[TOP:]
    text = lead + "，" + "；".join(_row_phrase(data, r, total, suffix) for r in shown)
    if rest:
        text += f"；其余{len(rest)}个{noun}共{num(sum(r.count for r in rest))}件"
    text += "。"
    rise = biggest_rise(rows)
    if rise is not None and rise not in shown:
        text += _rise_phrase(data, rise, suffix)
    return text


def _categories(data):
    total = data.matters.current
    rows = [r for r in ranked(data.categories) if r.count]
    out = []
    if len(rows) == 1:
        r = rows[0]
        out.append(
            f"按内容分类，信访事项均为{r.name}类，共{num(r.count)}件，{change_text(r.count, r.last_year, year_base(data))}。"
        )
    elif rows:
        shown = rows[:TOP]
        text = "按内容分类，" + "；".join(
            ("居首位的是" if i == 0 else "") + _row_phrase(data, r, total, "类") for i, r in enumerate(shown)
        )
        text += "。"
        if len(rows) > 3 and total:
            top3 = sum(r.count for r in rows[:3])
            text += f"前三类合计{num(top3)}件，占{share_text(top3, total)}。"
        rise = biggest_rise(rows)
        if rise is not None:
            text += _rise_phrase(data, rise, "类")
        out.append(text)
    if data.top_issues:
        items = []
        for i, issue in enumerate(data.top_issues, 1):
            item = f"{cn_number(i)}是{issue.name}问题（{issue.parent}类）{num(issue.count)}件，"
            item += change_text(issue.count, issue.last_year, year_base(data))
            if issue.examples:
                item += "，如" + "".join(f"“{t}”" for t in issue.examples[:2])
            items.append(item)
        out.append("反映较为集中的具体问题：" + "；".join(items) + "。")
    return out


def _collective(data, this_word):
    cm, cp, rm = data.collective_matters, data.collective_people, data.repeat_matters
    yoy = year_base(data)
    if cm.current:
        text = f"{this_word}发生集体访{num(cm.current)}件、{num(cp.current)}人次，件数{change_text(cm.current, cm.last_year, yoy)}"
        text += f"，人次{change_text(cp.current, cp.last_year, yoy, '人次')}"
        if data.people.current:
            text += f"，集体访人次占总人次的{share_text(cp.current, data.people.current)}"
        text += "。"
    else:
        text = f"{this_word}未发生集体访"
        text += f"（{yoy.name}{num(cm.last_year)}件）。" if cm.last_year else "。"
    if rm.current:
        text += f"重复信访{num(rm.current)}件，{change_text(rm.current, rm.last_year, yoy)}"
        if data.matters.current:
            text += f"，占信访事项总量的{share_text(rm.current, data.matters.current)}"
        text += "。"
    else:
        text += "未发生重复信访" + (f"（{yoy.name}{num(rm.last_year)}件）。" if rm.last_year else "。")
    return text


def _quality(data, this_word):
    known = [(label, value) for label, value in data.rates if value is not None]
    unknown = [label for label, value in data.rates if value is None]
    out = []
    if known:
        text = f"{this_word}" + "，".join(f"{label}{percent(v)}" for label, v in known) + "。"
    else:
        text = ""
    if unknown:
        text += f"{this_word}无可计算{'、'.join(unknown)}的事项。"
    out.append(text)
    as_of = f"截至{data.as_of.year}年{data.as_of.month}月{data.as_of.day}日"
    if data.overdue_open:
        text = f"{as_of}，仍有{num(data.overdue_open)}件信访事项超期未办结。"
    else:
        text = f"{as_of}，无超期未办结的信访事项。"
    if data.longest_open:
        items = [
            f"{m.unit}承办的“{m.title}”（{m.code}），已{num(m.days_open)}日" for m in data.longest_open[:3]
        ]
        text += "在办时间最长的是：" + "；".join(items) + "。"
    out.append(text)
    return out


def _risks(data, this_word):
    if not data.alerts:
        return [f"{this_word}未产生预警。"]
    tally = {}
    for a in data.alerts:
        tally[a.severity] = tally.get(a.severity, 0) + 1
    text = f"{this_word}共产生预警{num(len(data.alerts))}条"
    if len(tally) > 1:
        text += "，其中" + "、".join(f"{s}{n}条" for s, n in tally.items())
    elif data.alerts:
        text += f"，均为{data.alerts[0].severity}预警"
    out = [text + "。"]
    shown = data.alerts[:10]
    out += [f"{i}．{a.text.rstrip('。')}（{a.severity}）。" for i, a in enumerate(shown, 1)]
    if len(data.alerts) > len(shown):
        out.append(f"另有{num(len(data.alerts) - len(shown))}条预警，详见统计表。")
    return out


def _advice(data, this_word):
    yoy = year_base(data)
    items = []
    rise = biggest_rise(data.categories)
    if rise is not None:
        items.append(
            f"加强{rise.name}领域信访问题研判化解。{this_word}{rise.name}类信访{num(rise.count)}件，"
            f"{change_text(rise.count, rise.last_year, yoy)}"
            + (f"，增加{num(rise.count - rise.last_year)}件" if rise.last_year else "")
            + "，增量居各类之首，"
            "建议督促相关职能部门排查共性问题，从源头上减少信访增量。"
        )
    rise = biggest_rise(data.divisions)
    if rise is not None:
        items.append(
            f"压实{rise.name}属地责任。{this_word}{rise.name}信访{num(rise.count)}件，"
            f"{change_text(rise.count, rise.last_year, yoy)}，增量居各地之首，建议加强工作指导和督导。"
        )
    if data.overdue_open:
        text = f"加大超期事项督办力度。目前仍有{num(data.overdue_open)}件信访事项超期未办结"
        if data.longest_open:
            m = data.longest_open[0]
            text += f"，其中{m.unit}承办的“{m.title}”已{num(m.days_open)}日"
        items.append(text + "，建议逐件督办、限期办结。")
    timeliness = [
        (RATES[name], getattr(data, name)) for name in ("accepted_on_time_rate", "answered_on_time_rate")
    ]
    slow = [(label, v) for label, v in timeliness if v is not None and v < RATE_CONCERN]
    if slow:
        items.append(
            f"提高按期办理水平。{this_word}"
            + "，".join(f"{label}为{percent(v)}" for label, v in slow)
            + "，建议对逾期环节逐一分析原因，落实办理时限要求。"
        )
    if data.satisfaction_rate is not None and data.satisfaction_rate < RATE_CONCERN:
        items.append(
            f"提升群众满意度。{this_word}满意率为{percent(data.satisfaction_rate)}，"
            "建议对不满意事项逐件回访，查找办理中的问题。"
        )
    cm = data.collective_matters
    if cm.last_year is not None and cm.current > cm.last_year:
        items.append(
            f"防范化解集体访风险。{this_word}集体访{num(cm.current)}件，{change_text(cm.current, cm.last_year, yoy)}，"
            "建议加强矛盾纠纷排查，及早介入、就地化解。"
        )
    rm = data.repeat_matters
    if rm.last_year is not None and rm.current > rm.last_year:
        items.append(
            f"推进重复信访治理。{this_word}重复信访{num(rm.current)}件，{change_text(rm.current, rm.last_year, yoy)}，"
            "建议对重复信访事项逐件梳理，落实化解责任。"
        )
    red = sum(1 for a in data.alerts if a.severity.startswith("红"))
    if red:
        items.append(
            f"妥善处置预警事项。{this_word}产生红色预警{num(red)}条，建议逐条明确责任单位，跟踪处置到位。"
        )
    if not items:
        return [
            f"{this_word}各项指标未触发专项建议，建议继续做好信访事项受理、办理和回访工作，巩固现有工作成效。"
        ]
    if len(items) == 1:
        return items
    return [f"{cn_number(i)}是{text}" for i, text in enumerate(items, 1)]


def _rise_phrase(data, row, suffix):
    """'同比增加最多的是X类，增加48件，同比上升18.2%。' (or '…增加5件（去年同期为0）。')."""
    yoy = year_base(data)
    text = f"同比增加最多的是{row.name}{suffix}，增加{num(row.count - row.last_year)}件"
    if row.last_year:
        return text + f"，{change_text(row.count, row.last_year, yoy)}。"
    return text + f"（{yoy.name}为0）。"


def biggest_rise(rows):
    """The row whose count rose most against last year (by 件), or None if none rose; a catch-all
    row (其他) is no finding to act on and is left out."""
    risen = [r for r in rows if r.last_year is not None and r.count > r.last_year and r.name not in OTHER]
    return max(risen, key=lambda r: r.count - r.last_year, default=None)
