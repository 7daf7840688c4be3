"""Urgency flags (急事急报): find what in a petition must reach a leader at once.

Plain rules over the text, no model: each flag names the phrase that raised it, so a person can check
it in a second, and a missed flag can be fixed by adding a word. Recall matters more than precision —
a leader can dismiss a flag quickly, a missed one may cost a life — but the common false alarms are
handled: negation (没有人员伤亡、并未聚集), resolved matters (隐患已排除), numbers that are not people
(200多万元), advice and drills (如遇火灾、防溺水教育), book titles and hearsay denied in the same
sentence (纯属谣言).

The flags describe the MATTER, never the petitioner: labels say what may happen (可能危及生命安全,
涉及群体性聚集), not who someone is.

    assess(title, text) -> Assessment(flags=[Flag(kind, label, evidence, start, end, reason, count)])

Offsets are into ``title + "\\n" + text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KINDS = {
    "self_harm": "可能危及生命安全",
    "violence": "可能引发人身伤害",
    "gathering": "涉及群体性聚集",
    "crowd": "涉及人数众多",
    "vulnerable": "困难群众急需帮扶",
    "hazard": "存在安全隐患",
}

LEVELS = {0: "一般", 1: "较急", 2: "紧急"}

# Kinds where a life or public order may be at stake within hours: always the top level.
TOP_LEVEL_KINDS = frozenset({"self_harm", "violence", "gathering"})

# A "large number of people": at least this many persons, or this many households (a household is
# several people). 数十、几十 count as thirty (see `parse_count`).
CROWD_MIN_PEOPLE = 30
CROWD_MIN_HOUSEHOLDS = 20

_REASONS = {
    "self_harm": "来信提到「{evidence}」，需尽快与来信人沟通，防止发生意外",
    "violence": "来信提到「{evidence}」，可能发生人身伤害，需尽快介入化解",
    "gathering": "来信提到「{evidence}」，可能或正在发生聚集，需提前沟通疏导",
    "vulnerable": "来信提到「{evidence}」，相关人员的基本生活或健康可能难以保障，需尽快帮扶",
    "hazard": "来信提到「{evidence}」，需尽快核查处置，防止发生事故",
}


@dataclass(frozen=True)
class Flag:
    """One reason to treat the matter as urgent, with the phrase that raised it."""

    kind: str
    label: str
    evidence: str
    start: int
    end: int
    reason: str
    count: int | None = None  # crowd only: the number of people or households read from the text

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "label": self.label,
            "evidence": self.evidence,
            "start": self.start,
            "end": self.end,
            "reason": self.reason,
            "count": self.count,
        }


@dataclass(frozen=True)
class Assessment:
    """All flags of one matter; `level` is a key of LEVELS (0 一般, 1 较急, 2 紧急)."""

    flags: list[Flag] = field(default_factory=list)
    level: int = 0

    @property
    def urgent(self) -> bool:
        return bool(self.flags)

    @property
    def kinds(self) -> list[str]:
        """The kinds flagged, in the order of KINDS."""
        present = {flag.kind for flag in self.flags}
        return [kind for kind in KINDS if kind in present]

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    def to_dict(self) -> dict:
        return {
            "urgent": self.urgent,
            "level": self.level,
            "level_label": self.level_label,
            "kinds": self.kinds,
            "flags": [flag.to_dict() for flag in self.flags],
        }


# ---------------------------------------------------------------------------------------- triggers
# Each list is joined into one regular expression per rule. `_` stands for "a few characters of the
# same clause" (no punctuation), written out below.

_ = r"[^，,。！!？?；;：:\n]"

SELF_HARM = [
    r"跳(?:楼|河|江|湖|海|桥|井|崖|水库)",
    r"跳下(?:去|来)",
    r"喝(?:了)?(?:农药|药|毒药|百草枯|敌敌畏)",
    r"服毒|吞服|吞(?:了)?" + _ + r"{0,3}?药",
    r"安眠药|老鼠药|百草枯|敌敌畏",
    r"割(?:手)?腕|割脉|上吊|自缢|烧炭|卧轨|投(?:河|江|湖)",
    r"(?<!慢性)自杀|自尽|(?<!年)轻生|寻短见|短见|想不开|自残|自伤|自焚|伤害自己|点了自己|把自己点了",
    r"撞墙|一头撞死|撞死(?:算了|在)|一死了之|一了百了|以死(?:明志|相逼|抗争|证明)",
    r"死给(?:你们|他们|大家|你)?看",
    r"死在" + _ + r"{0,6}?(?:门口|门前|办公室|政府|单位|面前|这里|那里|你们|他们|大厅)",
    r"不想活|活着没(?:有)?(?:意思|意义|盼头)|(?<!不)想死(?!的心)|寻死|了结(?:自己|生命)|结束(?:自己的?)?生命|遗书",
    r"拿命(?:去)?(?:拼|换|抵|赌)|豁出(?:这条)?(?:老)?命",
    r"(?:做|干)(?:出)?傻事",
    r"要跟着(?:他|她|老伴|孩子)?(?:一起)?去(?:了)?(?=[，,。！!；;])",
    r"爬上(?:了)?" + _ + r"{0,4}?(?:塔吊|水塔|铁塔|高压塔|楼顶|顶楼|天台)",
    r"站在" + _ + r"{0,6}?(?:天台|楼顶|顶楼|屋顶|塔吊|水塔|桥栏|桥上|楼顶上)",
    r"躺在" + _ + r"{0,6}?(?:挖掘机|推土机|铲车|车)(?:下面|底下|前面|前)",
    r"从我(?:的)?(?:身上|尸体上)" + _ + r"{0,2}过去",
    r"在自己身上划|冲进(?:河|江|湖|水库)里",
]

VIOLENCE = [
    r"报复",
    r"同归于尽|鱼死网破|以牙还牙|血债血偿|付出代价|陪葬|你死我活",
    r"炸(?:掉|毁|死|平)|把" + _ + r"{1,10}?炸了|炸药|雷管|引爆|汽油瓶|燃烧瓶",
    r"放火|纵火|烧死|烧了(?:他|你|我家|房子|他家)|把" + _ + r"{1,6}?点了",
    r"泼(?:了)?(?:汽油|油漆|粪|硫酸)",
    r"杀(?:了|人|掉)|砍(?:死|人|了|伤)|捅(?:死|人|了|伤)|弄死|整死|打死|废了",
    r"打断" + _ + r"{0,4}?(?:腿|手|胳膊|肋骨)",
    r"(?:拿|带|持|动|用)(?:上)?刀(?!" + _ + r"{0,4}自己)|刀抵",
    r"殴打|打人|打伤|打成|被打|挨打|打了一顿|毒打|拳打脚踢|围殴|暴打|掐伤|扇耳光|打耳光|抽打|体罚|虐待|家暴",
    r"推搡|围攻|砸伤|打砸|械斗|斗殴|打架|打起来|肢体冲突|激烈冲突|发生冲突",
    r"砸(?:了|坏|碎|烂)?" + _ + r"{0,4}?(?:玻璃|门窗|车)",
    r"恐吓|威胁(?="
    + _
    + r"{0,2}(?:说|道|称|要|我|他|她|家人|孩子))(?!"
    + _
    + r"{0,8}?(?:告|起诉|投诉|举报|曝光|辞退|开除|扣|罚款|解雇))|放话|让(?:谁|你|他|他们)好看",
    r"横着出去|出不了门|找人(?:收拾|教训|废|弄|打)|叫人(?:把|来打|收拾)|绑在|绑走|绑起来|勒索|黑恶势力|黑社会",
    r"投毒|毒死|扔砖头|车胎被扎|(?<!冷)暴力",
    r"(?<!言语)(?<!言辞)(?<!语言)(?<!用词)过激|极端(?:行为|方式|手段|的事)",
]

GATHERING = [
    r"聚集|聚在|聚了|聚拢|聚众|围在|围堵|围住",
    r"堵(?:住|了|路|门|国道|公路|马路|道路|大门|厂门|校门)",
    r"堵在" + _ + r"{0,6}?(?:政府|信访|大门|厂门|校门|门前|局|委)",
    r"封堵(?!" + _ + r"{0,2}(?:漏|缝|洞))|拦车|拦路(?!收费|抢劫)|拦住",
    r"拉(?:起)?" + _ + r"{0,4}?横幅|打横幅|挂横幅|举牌|静坐|示威|游行|请愿|罢工|罢课|罢市",
    r"集体(?:上访|到|去|讨|反映|请愿|停运|停工|关闭|罢|静坐|抗议|维权|辞职|行动)",
    r"联名上访|越级上访|进京(?!务工|打工|看病|就医|旅游)|(?:去|到|赴)北京"
    + _
    + r"{0,4}?(?:上访|反映|告状|讨)|抗议",
    r"(?:政府|门口|广场)" + _ + r"{0,3}?散步",
    r"冲进"
    + _
    + r"{0,6}?(?:政府|办公|大楼|大院|会场|机关|管委会|大厅)|冲击(?:政府|机关|会场|大门|办公)|占领",
    r"闹事|去闹|大闹|搭帐篷|花圈|集合|号召"
    + _
    + r"{0,8}?(?:去|到|集合|一起)|有人(?:在)?组织|几车人|统一(?:穿|到|去|行动)",
    r"阻止施工|阻挠施工|阻工",
    r"爬上(?:了)?" + _ + r"{0,4}?(?:塔吊|水塔|铁塔)",
]

# Who is vulnerable. A mention inside a plain policy question (想咨询…) is not distress: see _INQUIRY.
VULNERABLE_PEOPLE = [
    r"高龄老人|孤寡|孤老|独居|空巢|五保户|(?<![遗丢])失独|留守(?:儿童|老人|妇女)|孤儿|单亲|年迈",
    r"八旬|九旬|耄耋|百岁",
    r"瘫痪|卧床|截瘫|植物人|残疾|残障|聋哑|失明|盲人|精神(?:疾病|病|残疾)|智障|智力障碍|自闭症|脑瘫",
    r"老年痴呆|阿尔茨海默|癫痫|重病|大病|重症|癌症|[肺肝胃肠乳腺]癌|癌晚期|白血病|尿毒症|透析|肿瘤|晚期|病危|垂危|心脏病|患病|患有|身患",
    r"(?:急需|马上|需要|必须)(?:做)?手术|制氧机|呼吸机",
    r"孕妇|怀孕|产妇|产检|哺乳期|婴儿|婴幼儿|刚出生|新生儿|腿脚不便|行动不便",
]

# Basic survival in danger, whoever it is.
VULNERABLE_DISTRESS = [
    r"断(?:粮|炊)|没饭吃|吃不上饭|(?:没|没有)吃(?:过)?饭|饿肚子|饿得|揭不开锅|只剩半袋米",
    r"(?:买|吃)不起(?:药|饭)|看不起病|没钱(?:看病|治病|吃饭|买药)|借遍了",
    r"生活无着|生活不能自理|无人(?:照料|照顾|照看|赡养|看护)|没(?:有)?人(?:照料|照顾|照看|送饭|管饭|赡养)",
    r"无家可归|露宿|流落街头|无处(?:可去|安身)|睡在车里|桥洞|赶出家门|流浪(?:人员|汉|者|儿童|老人)",
    r"没有(?:任何)?收入|没有生活来源|生活(?:十分|非常|极其|极度)?困难",
    r"冻伤|冻得|挨冻|冻病|虐待(?:老人|儿童|孩子|残疾)",
    r"(?:停|断)(?:水|电|气|暖)"
    + _
    + r"{0,3}?(?:\d+|[一二两三四五六七八九十几半多])(?:天|日|周|个?星期|个?月)",
    r"(?:停|断)(?:水|电)多日",
]

HAZARD = [
    r"危房|危楼|危桥|危墙|危险房屋",
    r"坍塌|倒塌|垮塌|塌陷|塌方|塌了|冲垮|垮了|掏空|倾斜|下沉|沉降|摇摇欲坠|歪了|松动",
    r"裂缝|开裂|裂开|裂纹|裂痕|裂了",
    r"(?<!信息)(?<!隐私)(?<!数据)泄漏|(?:燃气|煤气|天然气|液化气)泄露|漏气|(?:燃气|煤气|天然气)味|(?:液化气|煤气)[罐瓶]|气罐",
    r"火灾|起火|着火|失火|火花|火星|易燃|易爆|烟花爆竹|爆炸|稀料",
    r"消防通道" + _ + r"{0,3}?(?:堵|占)|堵(?:塞|死|住)?消防通道|(?:没有|无)安全出口",
    r"消防(?:设施|栓|喷淋)" + _ + r"{0,6}?(?:坏|没水|失灵|缺失|损坏)",
    r"(?:电线|线路|电缆|线头|钢筋)"
    + _
    + r"{0,2}?裸露|裸露的?(?:电线|线路|电缆)|私拉|乱拉|乱接|飞线|楼道"
    + _
    + r"{0,2}?充电|线头露|漏电|触电|高压线",
    r"溺水|落水(?!管)|淹死|(?:没有|无)"
    + _
    + r"{0,4}?护栏|护栏"
    + _
    + r"{0,4}?(?:断|缺|坏|没)|积满了?水|深坑|大坑",
    r"滑坡|泥石流|山洪|地质灾害|落石|碎石滚落|崩塌",
    r"堤坝|大坝|坝体|河堤|堤防|防洪墙|管涌|决堤|溃坝|溃堤|倒灌|排洪",
    r"(?:堤|坝|水库)" + _ + r"{0,8}?(?:渗漏|渗水)",
    r"安全隐患|隐患|安全风险|危险|人员伤亡|伤亡",
    r"井盖" + _ + r"{0,2}?(?:丢|缺|破|被盗|没了)|没有井盖|窨井|掉下去",
    r"高空坠物|坠落|脱落|掉下来|砸到|塔吊|超载|失灵|困人|下坠|锅炉|压力表",
    r"中毒|一氧化碳|有毒|刺鼻|毒气|头晕恶心",
    r"枯死|倒向|基坑|支护|追尾|撞断|冲下|锈断|锈蚀|歪在",
]

CROWD_GROUPS = r"全村(?!委)|全体(?:村民|业主|居民|职工)|全小区|整个小区|全镇"

_PEOPLE_NOUNS = (
    "人家|人|工人|农民工|村民|居民|业主|群众|家长|学生|孩子|小孩|儿童|老人|职工|员工|教师|老师|商户|住户|"
    "农户|会员|学员|用户|购房者|骑手|司机|患者|病人|家属|投资人|受害人|未成年人|小朋友|志愿者|农民|社员|"
    "家庭|保姆|合同工|退休人员|乘客|游客|考生|租户|渔民|养殖户|摊贩|商贩|失地农民"
)
_NUMERALS = "零〇一二两三四五六七八九十百千万几"
_CROWD_RE = re.compile(
    r"(?=[\d" + _NUMERALS + r"上数近将])(?<![\d" + _NUMERALS + r"第数上近])"
    r"(?P<number>\d+(?:[.,]\d+)*万?|(?:上|数|近|将近)?[" + _NUMERALS + r"]+)"
    r"(?P<more>多|余|来)?"
    r"(?:(?P<household>户(?!口|型|籍|外|头))"
    r"|(?P<person>名(?!额|次|单|牌|义|字)|位(?!数|置|于|子)|口人|人(?!民币|次|均|工|份))"
    r"|(?:个|号|家)(?P<noun>" + _PEOPLE_NOUNS + r")"
    # 两百余教师, 300多工人: no measure word, only nouns that are always people
    r"|(?P<bare>教师|工人|农民工|村民|居民|业主|群众|家长|学生|职工|员工|农户|住户|商户))"
)
_AGE_RE = re.compile(
    r"(?=[\d一二三四五六七八九十百])(?<![\d"
    + _NUMERALS
    + r"])(?P<age>\d{2,3}|[一二三四五六七八九十百]{2,3})(?:多|来)?周?岁"
)
ELDERLY_AGE = 80


# ---------------------------------------------------------------------------------- context rules
_CLAUSE_END = set("，,。！!？?；;：:\n")
_SENTENCE_END = set("。！!？?；;\n")

# A negator, then only "filler" words up to the trigger: 没有发生坍塌, 并未组织聚集, 不会去堵路.
_NEGATORS = (
    r"没有|没|无|未|并未|并没有|从未|从没有?|从来没有?|不会|不想|不要|不再|不存在|不曾|未曾|并无|"
    r"绝不会?|决不会?|绝对不会|严禁|禁止|防止|预防|防范|谨防|以防|以免|避免|杜绝|不是|并非|再也没有|"
    r"尚未|暂未|暂无|无需|不用|不必|没想过|防|如遇|若遇|遇到|遇有|如发生|"
    # hearsay from films and the news: 电视剧里有跳楼的情节
    r"电视剧|电影|小说|新闻|报道|节目|视频|报纸"
)
_FILLER = (
    r"发生|出现|造成|存在|发现|做出|作出|做|干|采取|组织|参与|参加|进行|打算|准备|计划|想过|想|会|要|去|再|"
    r"有|过|了|的|任何|什么|人员|人|群众|村民|工人|业主|大规模|集体|相关|类似|这种|这类|此类|其他|可能|"
    r"明显|新的|说过|说|提过|提|讲|这样|那样|引发|导致|遭受|受到|被|对|一起|一次|里|中|上|也|都|还|"
    r"在" + _ + r"{1,6}?(?:里|上|内|中)"
)
_NEGATED_BEFORE = re.compile(r"(?:" + _NEGATORS + r")(?:" + _FILLER + r")*$")
_COORDINATION = re.compile(r"[、和或及与跟]")

# Denials and "no danger" verdicts later in the same sentence.
_DENIED_AFTER = re.compile(
    r"不属实|纯属谣言|是谣言|系谣言|并非事实|乱传|(?:不会|不想|不打算|没想过)(?:这么|这样)(?:做|干)"
)
_DENIED_AFTER_BY_KIND = {
    "hazard": re.compile(
        r"不影响" + _ + r"{0,4}?安全|(?:鉴定|认定|检测|评估)(?:为|是)?" + _ + r"{0,2}?安全|属于正常|正常现象"
    ),
    "vulnerable": re.compile(r"身体" + _ + r"{0,2}?(?:健康|硬朗|很好|不错)"),
}
# "罢工？我们没想过" — a question answered with a denial.
_RHETORICAL_AFTER = re.compile(
    r"^[？?]\s*(?:我们|我|大家)?(?:从来)?(?:没想过|没有想过|不会|没有|不想|不可能)"
)

# Advice, drills and teaching right after the trigger: 火灾演练, 燃气泄漏时如何处置, 的情节.
_ADVICE_AFTER = re.compile(
    r"^" + _ + r"{0,3}?(?:演练|演习|宣传|教育|知识|培训|讲座|常识|应急预案|预案|时(?:如何|怎么|应|要|该)|"
    r"怎么办|如何(?:处置|应对|处理|逃生|自救)|保险|的?情节|镜头|画面|剧情)"
)

# Resolved, later in the same sentence: 隐患已排除, 已经全部散去, 处理好了. Not if it came back (又裂开了).
_RESOLVED_AFTER = re.compile(
    r"(?:已经?|均已|都已|现已|业已|早已|已被)(?:被|得到了?|全部|彻底|及时|妥善|基本|进行了?|完成了?|逐步)*"
    r"(?:排除|消除|修复|修好|修补|维修|整改|处置|处理|解决|加固|拆除|疏散|散去|撤离|转移|恢复|清理|清除|"
    r"更换|回填|封堵|治理|安置|畅通|平息|离开|送到|送往|住进|入住|接走|救起|安装|加装|装好|拿到|结清|搬离|搬出)"
    r"|(?<!没)(?<!未)(?<!还没)(?:修好了|处理好了|解决好了|处理完毕|治理完毕|整改完毕|整改到位|修复完毕|"
    r"恢复正常|通行正常|全部散去|散去了|被及时救起)"
)
_CAME_BACK = re.compile(r"又|再次|仍然|仍|依然|还是|还在|没用|无效|不管用|没有效果")
_RESOLVABLE_KINDS = frozenset({"gathering", "vulnerable", "hazard"})

# A plain question about a policy (想咨询残疾人补贴) mentions a vulnerable person without distress.
_INQUIRY = re.compile(r"咨询|想了解|了解一下|想问问|想问一下|请问|问一下|申请一下")

# Gathering words about things that are not protests: 广场舞聚集, 商贩聚集的地方, 企业聚集区.
_NOT_PROTEST_BEFORE = re.compile(
    r"人口|人流|广场舞|商贩|小贩|摊贩|车辆|蚊|蝇|鼠|垃圾|企业|产业|流浪|游客|下水|管道|马桶|排水|水管|烟道|化粪池|交通|车流"
)
_NOT_PROTEST_AFTER = re.compile(r"^(?:区|地|的地方|效应)")

# Numbers of people at events nobody needs to defuse: 一百多名志愿者参加植树活动.
_BENIGN_CROWD = re.compile(r"志愿者|参加|参观|参与投票|投票|表彰|慰问|观看|报名|受益")

# Fear of retaliation for a report (担心遭到打击报复) is a request for discretion, not a threat.
_FEARED_BEFORE = re.compile(
    r"(?:担心|害怕|怕|担忧|当心|小心|以防|防止)(?:会)?(?:遭到|被|受到)(?:非法)?(?:打击)?$"
)

# Emotion, not intent: 让人想打人.
_HYPERBOLE_BEFORE = re.compile(r"(?:让人|令人)(?:想|恨不得)?$")


def _join(patterns: list[str]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@dataclass(frozen=True)
class _Rule:
    kind: str
    pattern: re.Pattern
    skip_in_inquiry: bool = False


_RULES = [
    _Rule("self_harm", _join(SELF_HARM)),
    _Rule("violence", _join(VIOLENCE)),
    _Rule("gathering", _join(GATHERING)),
    _Rule("vulnerable", _join(VULNERABLE_PEOPLE), skip_in_inquiry=True),
    _Rule("vulnerable", _join(VULNERABLE_DISTRESS)),
    _Rule("hazard", _join(HAZARD)),
]
_CROWD_GROUPS_RE = re.compile(CROWD_GROUPS)


# ------------------------------------------------------------------------------------------- numbers
_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_DIGITS.update({"几": 3, "数": 3})  # 几十、数百: "several" read as three, so 几十人 counts as a crowd
_UNITS = {"十": 10, "百": 100, "千": 1000}


def parse_count(number: str) -> int | None:
    """The value of a count as written in a letter: 200, 1,500, 1.2万, 一千二百, 上百, 近万, 几十, 十几.

    Approximate counts give their lower bound (二百多 → 200, 十几 → 10), except 几/数 before a unit
    (几十 → 30). Returns None if the text is not a number.
    """
    number = number.removeprefix("将近").removeprefix("近").removeprefix("上")
    if not number:
        return None
    if number[0].isdigit():
        scale = 10_000 if number.endswith("万") else 1
        try:
            return int(float(number.rstrip("万").replace(",", "")) * scale)
        except ValueError:
            return None
    total = section = digit = 0
    for char in number:
        if char in _DIGITS:
            digit = _DIGITS[char] if char not in "几数" or digit == 0 else digit
        elif char in _UNITS:
            section += (digit or 1) * _UNITS[char]
            digit = 0
        elif char == "万":
            total += (section + digit or 1) * 10_000
            section = digit = 0
        else:
            return None
    if number[-1] == "几":  # 十几: the lower bound, not 十 + 3
        digit = 0
    return total + section + digit


# -------------------------------------------------------------------------------------------- checks
def _clause_start(text: str, index: int) -> int:
    while index > 0 and text[index - 1] not in _CLAUSE_END:
        index -= 1
    return index


def _sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    left = start
    while left > 0 and text[left - 1] not in _SENTENCE_END:
        left -= 1
    right = end
    while right < len(text) and text[right] not in _SENTENCE_END:
        right += 1
    return left, right


def _is_negated(text: str, start: int, end: int, kind: str, rule_pattern: re.Pattern) -> bool:
    before = text[_clause_start(text, start) : start]
    # other triggers of the same list in the clause are coordinated with this one: 没有堵路、拉横幅
    before = _COORDINATION.sub("", rule_pattern.sub("", before))
    if _NEGATED_BEFORE.search(before[-16:]):
        return True
    _, sentence_end = _sentence_span(text, start, end)
    after = text[end:sentence_end]
    if _DENIED_AFTER.search(after):
        return True
    by_kind = _DENIED_AFTER_BY_KIND.get(kind)
    if by_kind is not None and by_kind.search(after):
        return True
    if sentence_end < len(text) and sentence_end - end <= 2:
        if _RHETORICAL_AFTER.match(text[sentence_end : sentence_end + 12]):
            return True
    return bool(_ADVICE_AFTER.match(text[end : end + 10]))


def _is_resolved(text: str, end: int) -> bool:
    _, sentence_end = _sentence_span(text, end, end)
    after = text[end:sentence_end]
    resolved = _RESOLVED_AFTER.search(after)
    return resolved is not None and not _CAME_BACK.search(after[resolved.end() :])


def _book_titles(text: str) -> list[tuple[int, int]]:
    """Spans of 《…》: a trigger inside a title (《火灾逃生指南》) is a quotation, not a report."""
    spans = []
    start = text.find("《")
    while start != -1:
        end = text.find("》", start)
        if end == -1:
            break
        spans.append((start, end + 1))
        start = text.find("《", end)
    return spans


def _inside(spans: list[tuple[int, int]], start: int) -> bool:
    return any(left <= start < right for left, right in spans)


# ---------------------------------------------------------------------------------------- assessment
def _make_flag(
    kind: str, text: str, start: int, end: int, count: int | None = None, unit: str = "人"
) -> Flag:
    evidence = text[start:end]
    if kind == "crowd":
        if count is None:
            reason = f"涉及「{evidence}」，影响面广，需统筹研判"
        else:
            reason = f"涉及{count}{unit}以上（「{evidence}」），影响面广，需统筹研判"
    else:
        reason = _REASONS[kind].format(evidence=evidence)
    return Flag(kind, KINDS[kind], evidence, start, end, reason, count)


def _rule_flags(text: str, titles: list[tuple[int, int]]) -> list[Flag]:
    flags = []
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            kind = rule.kind
            if _inside(titles, start) or _is_negated(text, start, end, kind, rule.pattern):
                continue
            if kind in _RESOLVABLE_KINDS and _is_resolved(text, end):
                continue
            if kind == "violence" and (
                _HYPERBOLE_BEFORE.search(text[max(0, start - 4) : start])
                or _FEARED_BEFORE.search(text[max(0, start - 10) : start])
            ):
                continue
            if kind == "gathering" and (
                _NOT_PROTEST_BEFORE.search(text[_clause_start(text, start) : start])
                or _NOT_PROTEST_AFTER.match(text[end : end + 4])
            ):
                continue
            if rule.skip_in_inquiry:
                left, right = _sentence_span(text, start, end)
                if _INQUIRY.search(text, left, right):
                    continue
            flags.append(_make_flag(kind, text, start, end))
    return flags


def _elderly_flags(text: str, titles: list[tuple[int, int]]) -> list[Flag]:
    flags = []
    for match in _AGE_RE.finditer(text):
        age = parse_count(match.group("age"))
        start, end = match.span()
        if age is None or age < ELDERLY_AGE or age > 130 or _inside(titles, start):
            continue
        left, right = _sentence_span(text, start, end)
        if _INQUIRY.search(text, left, right) or _DENIED_AFTER_BY_KIND["vulnerable"].search(text, end, right):
            continue
        if _is_resolved(text, end):
            continue
        flags.append(_make_flag("vulnerable", text, start, end))
    return flags


def _crowd_flags(text: str, titles: list[tuple[int, int]]) -> list[Flag]:
    flags = []
    for match in _CROWD_RE.finditer(text):
        count = parse_count(match.group("number"))
        if count is None:
            continue
        households = (
            match.group("household") is not None
            or match.group("noun") in ("住户", "农户")
            or match.group("bare") in ("住户", "农户")
        )
        if count < (CROWD_MIN_HOUSEHOLDS if households else CROWD_MIN_PEOPLE):
            continue
        start, end = match.span()
        left, right = _sentence_span(text, start, end)
        if _inside(titles, start) or _BENIGN_CROWD.search(text, left, right):
            continue
        flags.append(_make_flag("crowd", text, start, end, count, "户" if households else "人"))
    for match in _CROWD_GROUPS_RE.finditer(text):
        start, end = match.span()
        left, right = _sentence_span(text, start, end)
        if _inside(titles, start) or _BENIGN_CROWD.search(text, left, right):
            continue
        flags.append(_make_flag("crowd", text, start, end))
    return flags


def _drop_overlaps(flags: list[Flag]) -> list[Flag]:
    """One flag per stretch of text and kind: the longer phrase wins (两个规则都认出的「无人照料」只报一次)."""
    flags.sort(key=lambda flag: (flag.start, -(flag.end - flag.start)))
    kept: list[Flag] = []
    last_end: dict[str, int] = {}
    for flag in flags:
        if flag.start < last_end.get(flag.kind, -1):
            continue
        kept.append(flag)
        last_end[flag.kind] = flag.end
    return kept


def level_of(flags: list[Flag]) -> int:
    """紧急 (2) for a life or public order at stake, or several kinds at once; 较急 (1) otherwise."""
    kinds = {flag.kind for flag in flags}
    if not kinds:
        return 0
    if kinds & TOP_LEVEL_KINDS or len(kinds) >= 2:
        return 2
    return 1


def assess(title: str, text: str) -> Assessment:
    """Flags for one matter; offsets are into ``title + "\\n" + text``."""
    full = f"{title or ''}\n{text or ''}"
    titles = _book_titles(full)
    flags = _drop_overlaps(
        _rule_flags(full, titles) + _elderly_flags(full, titles) + _crowd_flags(full, titles)
    )
    return Assessment(flags=flags, level=level_of(flags))
