"""The annual report's attachment: the items 《信访工作条例》 art. 41 asks for (the year's statistics
and fields, the organs most complained about, 转送/交办/督办, proposals and their adoption).
"""

from .wording import OTHER, TOP, Section, adoption, change_text, num, ranked, share_text, year_base


def sections(data) -> list[Section]:
    a = data.annual
    yoy = year_base(data)
    m = data.matters
    stats = (
        f"{data.period_label}，{data.area}信访部门共收到信访事项{num(m.current)}件、{num(data.people.current)}人次，"
        f"{change_text(m.current, m.last_year, yoy)}。其中集体访{num(data.collective_matters.current)}件、"
        f"{num(data.collective_people.current)}人次，重复信访{num(data.repeat_matters.current)}件。"
    )
    rows = [r for r in ranked(data.categories) if r.count and r.name not in OTHER]
    if rows:
        fields = "、".join(f"{r.name}（{num(r.count)}件）" for r in rows[:TOP])
        stats_fields = f"信访事项主要涉及{fields}等领域。"
    else:
        stats_fields = "本年度无分类统计数据。"
    organs = [r for r in ranked(a.organs) if r.count]
    if organs:
        organ_text = (
            "被投诉较多的机关或者单位依次为："
            + "；".join(
                f"{r.name}{num(r.count)}件，{change_text(r.count, r.last_year, yoy)}" for r in organs[:TOP]
            )
            + "。"
        )
    else:
        organ_text = "本年度无被反映机关或者单位的统计数据。"
    dispatch = f"本年度转送信访事项{num(a.forwarded)}件，交办{num(a.assigned)}件，督办{num(a.supervised)}件。"
    if a.supervised:
        rest = a.supervised - a.supervision_answered - a.supervision_closed - a.supervision_escalated
        dispatch += (
            f"督办事项中，已办结销号{num(a.supervision_closed)}件，已反馈待审核{num(a.supervision_answered)}件，"
            f"升级督办{num(a.supervision_escalated)}件"
        )
        dispatch += f"，尚在督办中{num(rest)}件。" if rest > 0 else "。"
        dispatch += f"督办办结率{share_text(a.supervision_closed, a.supervised)}。"
    if a.proposals:
        adopted = sum(1 for p in a.proposals if p.adopted)
        pending = sum(1 for p in a.proposals if p.adopted is None)
        proposal_text = [
            f"本年度提出改进工作、完善政策和追究责任建议{num(len(a.proposals))}条，已被采纳{num(adopted)}条"
            + (f"，尚待答复{num(pending)}条" if pending else "")
            + "。"
        ]
        proposal_text += [
            f"{i}．{p.text.rstrip('。')}（{adoption(p)}）。" for i, p in enumerate(a.proposals, 1)
        ]
    else:
        proposal_text = ["本年度系统中未登记改进工作、完善政策和追究责任建议。"]
    return [
        Section("art41_stats", "信访事项数据统计和涉及领域", 1, [stats, stats_fields]),
        Section("art41_organs", "被投诉较多的机关或者单位", 1, [organ_text]),
        Section("art41_dispatch", "转送、交办、督办情况", 1, [dispatch]),
        Section("art41_proposals", "改进工作、完善政策和追究责任建议及采纳情况", 1, proposal_text),
    ]
