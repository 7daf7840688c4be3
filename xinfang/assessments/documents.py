"""The 社会稳定风险评估报告 of a decision, in the 公文 layout (xinfang/documents/gongwen.py), built
from the assessment's records: the decision, how views were heard and what they said, the analysis,
the risks found, the level, the recommendation, and the mitigation and emergency plans."""

from django.utils import timezone

from xinfang.documents.gongwen import Gongwen

from .choices import LEVEL_RULES, DecisionType, Recommendation, RiskLevel
from .services import heard


def _cn(day) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _lines(doc, text):
    for line in (text or "").splitlines():
        if line.strip():
            doc.paragraph(line.strip())


def _share(part, whole) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "—"


def report(assessment, event) -> bytes:
    """The report as issued (the 出具评估报告 event holds its recommendation and level)."""
    a = assessment
    data = event.data
    hearings = list(a.hearings.all())
    risks = list(a.risks.all())
    level = RiskLevel(data.get("level") or a.risk_level)
    recommendation = Recommendation(data.get("recommendation") or a.recommendation)
    day = timezone.localdate(event.at)
    doc = Gongwen()
    doc.title(f"{a.title}社会稳定风险评估报告")
    doc.subtitle(f"（编号：{a.display_code}）")
    doc.salutation(f"{a.deciding_organ}：")
    doc.paragraph(
        f"根据重大决策社会稳定风险评估的有关规定，{a.assessing_unit}对“{a.title}”开展了社会稳定风险评估，"
        "现将评估情况报告如下。"
    )
    doc.heading1("一、评估事项基本情况")
    _lines(doc, a.summary)
    doc.paragraph(
        f"决策类型：{DecisionType(a.decision_type).label}；涉及区域：{a.division.full_name()}；"
        f"涉及群众：{a.affected.rstrip('。')}，约{a.affected_count}人；拟决策日期：{_cn(a.planned_decision_on)}。"
    )
    doc.heading1("二、评估工作开展情况")
    if a.plan_on:
        doc.paragraph(f"{_cn(a.plan_on)}制定评估方案：")
        _lines(doc, a.plan_text)
    reached, supported, objected = heard(hearings)
    doc.paragraph(
        f"评估中采取{'、'.join(dict.fromkeys(h.get_method_display() for h in hearings))}等方式听取意见，"
        f"共覆盖{reached}人，收集意见{sum(h.views for h in hearings)}条；表示支持的{supported}人（{_share(supported, reached)}），"
        f"表示反对的{objected}人（{_share(objected, reached)}）。"
    )
    doc.table(
        ["方式", "日期", "覆盖人数", "收集意见", "支持", "反对"],
        [
            (h.get_method_display(), f"{h.held_on:%Y.%m.%d}", h.reached, h.views, h.supported, h.objected)
            for h in hearings
        ],
        title="听取意见情况",
        widths_mm=(24, 38, 24, 24, 22, 22),
    )
    doc.heading2("（一）群众的主要意见")
    for h in hearings:
        doc.paragraph(f"{h.get_method_display()}（{_cn(h.held_on)}）：{h.summary.strip()}")
    doc.heading1("三、分析论证")
    for label, text in (
        ("（一）合法性", a.legality),
        ("（二）合理性", a.rationality),
        ("（三）可行性", a.feasibility),
        ("（四）可控性", a.controllability),
    ):
        doc.heading2(label)
        _lines(doc, text)
    doc.heading1("四、风险点及防范化解措施")
    doc.table(
        ["序号", "风险点", "可能性", "影响程度", "防范化解措施"],
        [
            (i, r.description, r.get_likelihood_display(), r.get_impact_display(), r.mitigation)
            for i, r in enumerate(risks, 1)
        ],
        title="风险点",
        numeric={0},
        widths_mm=(12, 52, 18, 18, 54),
    )
    doc.heading1("五、风险等级")
    doc.paragraph(f"综合分析，该决策事项的社会稳定风险等级为{level.label}，即{LEVEL_RULES[level]}。")
    _lines(doc, a.level_basis)
    doc.heading1("六、评估结论和建议")
    doc.paragraph(f"建议决策机关对该决策事项{recommendation.label}。")
    if data.get("reason") or a.go_ahead_reason:
        doc.paragraph(
            f"风险等级为高风险而仍建议{recommendation.label}的理由：{(data.get('reason') or a.go_ahead_reason).strip()}"
        )
    doc.heading1("七、风险防范化解措施和应急处置预案")
    doc.heading2("（一）风险防范化解措施")
    _lines(doc, a.mitigation)
    doc.heading2("（二）应急处置预案")
    _lines(doc, a.emergency_plan)
    doc.signature(str(a.assessing_unit), day)
    return doc.to_bytes()
