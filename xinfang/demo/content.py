"""Chinese text for demo matters beyond the petitions themselves: replies, notes and fictional
petitioners (names, ID numbers with the fictional area codes, phone numbers, addresses).

The petitions are written from the project's example petitions (xinfang/intelligence/examples.py),
which the cold-start model is also trained on.
"""

import random
import string
from datetime import date, timedelta

# The example petitions: this module uses the estate names and surnames; the generator
# (generate.py) reads the rest through it.
from xinfang.intelligence.examples import (  # noqa: F401
    ACCUSATIONS,
    ADVICE,
    ESTATE_A,
    ESTATE_B,
    SURNAMES_COMMON,
    Slots,
    T,
    compose,
)

# ---------------------------------------------------------------- replies and notes

REPLIES = {
    "城乡建设": (
        ["督促责任单位限期整改，并已完成现场复查", "组织住建、街道和物业召开协调会，明确了整改方案和时限"],
        ["该事项涉及的收费和管理行为符合有关规定，已向您当面解释相关政策"],
        ["经核查，相关行为符合规划和合同约定"],
        ["《物业管理条例》", "《国有土地上房屋征收与补偿条例》", "《城乡规划法》"],
    ),
    "劳动和社会保障": (
        ["责令用人单位限期足额支付拖欠款项，目前已支付到位", "对用人单位下达劳动保障监察限期改正指令书"],
        ["已向您解释社会保险和劳动合同的相关政策规定"],
        ["经核查，用人单位已依法足额支付工资和补偿"],
        ["《保障农民工工资支付条例》", "《劳动合同法》", "《社会保险法》"],
    ),
    "农村农业": (
        ["督促村民委员会纠正违规行为，并将处理结果张榜公布", "组织镇村干部入户核实，补发了相关款项"],
        ["已向您解释土地承包和集体经济组织的相关政策"],
        ["经核查，村民小组的处理经村民会议依法表决通过"],
        ["《农村土地承包法》", "《村民委员会组织法》"],
    ),
    "国土资源": (
        ["对违法用地行为立案查处，责令限期拆除、恢复原状", "督促有关单位足额发放补偿款"],
        ["已向您解释土地征收补偿标准的制定依据和分配办法"],
        ["经核查，征收程序合法，补偿已按公告标准足额发放"],
        ["《土地管理法》", "《不动产登记暂行条例》"],
    ),
    "环境保护": (
        ["对涉事企业立案调查，责令停产整改并处以罚款", "开展夜间突击检查，督促企业完善治污设施"],
        ["经监测，相关排放指标符合标准，已向您说明监测结果"],
        ["经现场监测，未发现超标排放行为"],
        ["《大气污染防治法》", "《水污染防治法》", "《噪声污染防治法》"],
    ),
    "政法": (
        ["依法受理并开展调查，已将处理结果告知您", "督促有关单位依法履行职责，问题已得到纠正"],
        ["已向您说明办案程序和依法维权的途径"],
        ["经审查，原处理程序合法、结果适当"],
        ["《治安管理处罚法》", "《民事诉讼法》", "《消防法》"],
    ),
    "卫生计生": (
        ["督促医疗机构与您协商处理，并启动调解程序", "责令相关机构整改，落实了有关待遇"],
        ["已向您解释医保报销和卫生健康的相关政策"],
        ["经核查，诊疗行为符合诊疗规范"],
        ["《医疗纠纷预防和处理条例》", "《食品安全法》", "《医疗保障基金使用监督管理条例》"],
    ),
    "教育文体": (
        ["责令学校清退违规收费并通报批评", "协调教育部门落实了相关待遇和学位"],
        ["已向您解释招生入学和学区划分的政策依据"],
        ["经核查，学区划分和招生程序符合规定"],
        ["《义务教育法》", "《教师法》"],
    ),
    "交通运输": (
        ["责令运营企业整改，并对驾驶员作出处理", "安排养护单位对道路进行维修"],
        ["已向您说明线路调整和工程进度安排"],
        ["经核查，收费和执法行为符合规定"],
        ["《道路交通安全法》", "《道路运输条例》"],
    ),
    "商贸旅游": (
        ["对经营者立案查处，督促其退还相关费用", "组织双方调解，经营者同意退款"],
        ["已向您解释相关价格政策和消费维权途径"],
        ["经核查，经营者的定价行为符合规定"],
        ["《消费者权益保护法》", "《价格法》"],
    ),
    "组织人事": (
        ["督促有关单位按政策落实相关待遇", "对有关程序问题进行了纠正"],
        ["已向您解释干部人事和安置的相关政策"],
        ["经核查，相关程序符合规定"],
        ["《公务员法》", "《退役军人安置条例》"],
    ),
    "纪检监察": (
        ["经初步核实，反映的部分问题属实，已按规定立案审查", "对有关人员进行了批评教育并责令整改"],
        ["对反映的问题进行了核实，已向您说明核实情况"],
        ["经核实，反映的问题缺乏事实依据"],
        ["《中国共产党纪律处分条例》", "《监察法》"],
    ),
    "民政": (
        ["重新组织入户调查，已将您家纳入救助范围", "督促有关单位补发了相关待遇"],
        ["已向您解释社会救助的认定条件和程序"],
        ["经入户核查，家庭收入和财产状况不符合救助条件"],
        ["《社会救助暂行办法》", "《军人抚恤优待条例》"],
    ),
    "党务政务": (
        ["督促有关部门依法公开了相关信息", "对窗口服务问题进行通报并整改"],
        ["已向您解答有关政策和办理流程"],
        ["经核查，所申请信息依法不予公开，已说明理由"],
        ["《政府信息公开条例》", "《优化营商环境条例》"],
    ),
    "经济管理": (
        ["督促有关单位兑现相关款项", "对违规行为立案查处"],
        ["已向您说明相关政策和办理进度"],
        ["经核查，相关处置程序合法"],
        ["《防范和处置非法集资条例》", "《企业国有资产法》"],
    ),
    "科技与信息产业": (
        ["协调运营商完成整改并退还费用", "督促有关部门完成资金拨付"],
        ["已向您说明网络建设规划和相关政策"],
        ["经核查，相关评审程序符合规定"],
        ["《电信条例》", "《个人信息保护法》"],
    ),
    "其他": (
        ["组织有关方面协调处理，问题已得到解决"],
        ["已向您说明有关情况和解决途径"],
        ["经核查，您的诉求缺乏政策依据"],
        ["《信访工作条例》"],
    ),
}

REFERRALS = {
    "litigation": "您反映的问题属于民事争议，依法应当通过向人民法院提起诉讼解决。",
    "arbitration": "您与对方的合同约定了仲裁条款，应当依法向仲裁机构申请仲裁。",
    "reconsideration": "您对行政机关作出的行政行为不服，可以依法申请行政复议或者提起行政诉讼。",
    "labor": "您反映的问题属于劳动争议，应当向劳动人事争议仲裁委员会申请仲裁。",
    "discipline": "您反映的问题属于纪检监察机关的受理范围，请向纪检监察机关检举控告。",
    "other": "您反映的问题可以通过人民调解等其他法定途径解决。",
}
REFERRAL_BY_CATEGORY = {
    "诉讼": "litigation",
    "涉法涉诉": "litigation",
    "医患纠纷": "litigation",
    "劳动关系": "labor",
    "工资福利": "labor",
    "社会保险": "reconsideration",
    "土地权属": "reconsideration",
    "公安执法": "reconsideration",
    "交通管理": "reconsideration",
    "消费维权": "arbitration",
    "其他": "other",
}
NOT_ACCEPT_NOTES = [
    "该事项已经人民法院作出生效裁判，依照《信访工作条例》第三十一条不予受理。",
    "信访人未提供具体事实和诉求，经告知补正后仍未补充，不予受理。",
    "该事项已依法处理完毕，信访人以同一事实和理由再次提出，不予受理。",
]
REPEAT_OPEN_NOTE = "该事项正在下级机关办理期间，信访人又向本机关提出同一信访事项，不予受理（第十九条）。"
EXTEND_NOTES = [
    "案情复杂，涉及多个部门，需进一步调查核实。",
    "需委托第三方机构进行鉴定，鉴定结论出具前无法作出处理意见。",
    "涉及历史遗留问题，需调取多年档案资料。",
    "需组织相关各方集体会商，协调解决方案。",
]
RETURN_NOTES = [
    "处理意见书事实部分不清楚，请补充调查笔录。",
    "法律政策依据引用不准确，请修改。",
    "答复过于简单，请逐项回应信访人的诉求。",
]
DISPUTE_NOTES = [
    "经研究，该事项不属于本单位职责范围，请重新交办。",
    "事发地不在本辖区，请交由属地办理。",
]
WITHDRAW_NOTES = [
    "信访人表示问题已通过协商解决，申请撤回。",
    "双方已达成和解，信访人书面申请撤回信访事项。",
    "信访人电话表示不再反映该问题，申请撤回。",
]
REVIEW_NOTES = {
    "uphold": "经复查，原处理意见认定事实清楚、适用依据正确、程序合法，予以维持。",
    "change": "经复查，原处理意见对部分事实认定不准确，现予以变更，相关待遇按本意见执行。",
    "redo": "经复查，原办理单位调查不充分，处理意见缺乏依据，责令重新办理。",
}
REREVIEW_NOTES = {
    "uphold": "经复核，复查意见认定事实清楚、处理适当，予以维持。本复核意见为终结意见。",
    "change": "经复核，复查意见部分内容不当，现予以变更。本复核意见为终结意见。",
    "redo": "经复核，原办理单位未查清基本事实，责令重新办理。",
}
HEARING_NOTE = "组织公开听证，邀请人大代表、政协委员、律师和群众代表参加。"


def reply_for(rng: random.Random, top: str, outcome: str, title: str, unit_name: str):
    """(text, basis) of a 处理意见书."""
    support, explain, reject, basis = REPLIES.get(top, REPLIES["其他"])
    if outcome == "support":
        finding = f"您反映的问题基本属实。我单位已{rng.choice(support)}"
        decision = "对您的诉求予以支持。"
    elif outcome == "explain":
        finding = rng.choice(explain)
        decision = "对您的诉求作解释说明。"
    else:
        finding = rng.choice(reject)
        decision = "您的诉求不符合有关规定，不予支持。"
    text = (
        f"您反映的“{title}”一事收悉。经{unit_name}调查核实，{finding}。{decision}"
        "如对本处理意见不服，可以自收到本意见书之日起三十日内向上一级机关申请复查。"
    )
    return text, "依据" + "".join(rng.sample(basis, k=min(2, len(basis)))) + "等规定。"


# Which of the four outcomes (四个到位) a reply of each kind usually is.
RESOLUTIONS = {
    "support": {"solved": 0.85, "assisted": 0.15},
    "explain": {"explained": 0.8, "assisted": 0.2},
    "reject": {"by_law": 0.6, "explained": 0.4},
}


def resolution_for(rng: random.Random, outcome: str) -> str:
    options = RESOLUTIONS[outcome]
    return rng.choices(list(options), weights=list(options.values()))[0]


# ---------------------------------------------------------------- petitioners

GIVEN_1 = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉鹏华红玲燕飞斌波宇浩凯秀英兰萍桂梅琴云莲"
GIVEN_2 = (
    "建华 建国 志强 志明 海燕 红梅 晓东 晓燕 文华 文静 玉兰 春梅 国强 国庆 德明 永红 秀英 丽华 "
    "小红 海涛 凤英 金凤 立新 卫东 振华 学军 宏伟 美玲 雪梅 宇航 子涵 浩然 欣怡 思远 一鸣 雨桐 "
    "俊杰 佳琪 水生 根生 桂兰 来福 长林 春生 秋菊 冬梅 福林 兴旺"
).split()
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
MOBILE_PREFIXES = ("133", "135", "136", "138", "139", "150", "151", "158", "177", "186", "187", "189", "199")


def petitioner_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_1) if rng.random() < 0.35 else rng.choice(GIVEN_2)
    return rng.choice(SURNAMES_COMMON) + given


def id_check_digit(body17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


def id_number(rng: random.Random, area6: str, received: date) -> str:
    """An 18-digit resident ID number with a correct check digit and the fictional area code."""
    age = rng.randint(19, 88)
    birth = date(received.year - age, 1, 1) + timedelta(days=rng.randint(0, 364))
    body = f"{area6}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return body + id_check_digit(body)


def phone(rng: random.Random) -> str:
    """An 11-digit mobile number. Demo notifications go only to the outbox and the console log,
    never to a real SMS gateway, so a number that happens to exist is never contacted."""
    return rng.choice(MOBILE_PREFIXES) + "".join(rng.choice(string.digits) for _ in range(8))


def address(rng: random.Random, district, township, place) -> str:
    if place.endswith("社区"):
        return (
            f"青溪市{district}{township}{place}{rng.choice(ESTATE_A)}{rng.choice(ESTATE_B)}"
            f"{rng.randint(1, 30)}栋{rng.randint(1, 4)}单元{rng.randint(1, 26)}0{rng.randint(1, 4)}室"
        )
    return f"青溪市{district}{township}{place}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"


def petitioners(rng, *, count, area6, received, district, township, place, representatives=False):
    people = []
    for _ in range(count):
        people.append(
            {
                "name": petitioner_name(rng),
                "id_number": id_number(rng, area6, received) if rng.random() < 0.85 else "",
                "phone": phone(rng) if rng.random() < 0.9 else "",
                "address": address(rng, district, township, place),
                "is_representative": representatives,
            }
        )
    return people
