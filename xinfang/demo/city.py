"""The fictional city of the demo: 青溪市 (示范省), its divisions, units and staff accounts.

The geography is fixed (it does not depend on --seed) so that the accounts and places are the
same in every demo database. Division codes use the prefix 99, which belongs to no real province.
"""

import csv
import io
import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from xinfang.org.importers import import_divisions, normalize_code
from xinfang.org.models import Division, Role, Unit, User
from xinfang.petitions.categories import NATIONAL_CATEGORIES
from xinfang.petitions.models import Category

K = Unit.Kind
R = Role

PROVINCE = ("99", "示范省")
CITY = ("9901", "青溪市")
CITY_GOV = "青溪市委市政府"
CITY_BUREAU = "青溪市信访局"


@dataclass(frozen=True)
class TownshipSpec:
    code: str  # 3 digits within the county
    name: str
    places: tuple  # communities (社区, codes 001…) and villages (村, codes 201…)


@dataclass(frozen=True)
class DistrictSpec:
    key: str  # used in usernames: district1_dispatcher …
    code: str  # 2 digits within the city
    name: str
    short: str  # 溪东 — used in the names of branch units
    county: bool  # 县 (rural) rather than 区 (urban)
    weight: float  # share of the city's petitions
    townships: tuple


def _t(code, name, *places):
    return TownshipSpec(code, name, places)


DISTRICTS = (
    DistrictSpec(
        "district1",
        "02",
        "溪东区",
        "溪东",
        False,
        1.4,
        (
            _t("001", "东湖街道", "湖滨社区", "翠苑社区", "春晖社区", "金桥社区"),
            _t("002", "望江街道", "望江社区", "江畔社区", "临江社区", "滨江社区", "沙洲社区"),
            _t("003", "梧桐街道", "梧桐社区", "桂香社区", "银杏社区"),
            _t("004", "柳岸街道", "柳岸社区", "杨柳社区", "新柳社区", "柳林村"),
            _t("005", "新河街道", "新河社区", "河西社区", "石桥社区", "新河村", "永丰村"),
        ),
    ),
    DistrictSpec(
        "district2",
        "03",
        "溪西区",
        "溪西",
        False,
        1.2,
        (
            _t("001", "西门街道", "西门社区", "鼓楼社区", "文庙社区", "书院社区"),
            _t("002", "锦绣街道", "锦绣社区", "华庭社区", "紫荆社区", "玉兰社区"),
            _t("003", "凤鸣街道", "凤鸣社区", "凤栖社区", "百花社区"),
            _t("004", "白沙镇", "白沙社区", "沙头村", "沙尾村", "柳塘村", "黄泥村"),
        ),
    ),
    DistrictSpec(
        "district3",
        "05",
        "新港区",
        "新港",
        False,
        1.0,
        (
            _t("001", "港城街道", "港城社区", "海韵社区", "航运社区", "灯塔社区"),
            _t("002", "临港街道", "临港社区", "物流园社区", "港湾社区"),
            _t("003", "渔湾镇", "渔湾社区", "东渔村", "西渔村", "蟹塘村", "盐场村"),
            _t("004", "海口镇", "海口社区", "大堤村", "新围村", "潮音村"),
        ),
    ),
    DistrictSpec(
        "district4",
        "21",
        "白鹭县",
        "白鹭",
        True,
        0.9,
        (
            _t("001", "白鹭镇", "鹭城社区", "南门社区", "白鹭村", "塘下村", "官庄村"),
            _t("002", "青石镇", "青石社区", "石门村", "石板村", "上坪村"),
            _t("003", "云溪乡", "云溪村", "溪口村", "竹园村"),
            _t("004", "茶岭乡", "茶岭村", "高山村", "茶园村", "岭下村"),
            _t("005", "石桥镇", "石桥社区", "桥头村", "枣林村", "马家村"),
            _t("006", "枫林乡", "枫林村", "红枫村", "林场村"),
        ),
    ),
    DistrictSpec(
        "district5",
        "22",
        "云峰县",
        "云峰",
        True,
        0.6,
        (
            _t("001", "云峰镇", "峰城社区", "云上社区", "云峰村", "双河村", "下坝村"),
            _t("002", "龙潭镇", "龙潭社区", "龙口村", "潭头村", "黄龙村"),
            _t("003", "松坪乡", "松坪村", "松林村", "坪上村"),
        ),
    ),
)


def leaves(top):
    return tuple(NATIONAL_CATEGORIES[top])


# City units below the city government: (key, name, kind, categories it handles).
CITY_UNITS = (
    (
        "zhujian",
        "青溪市住房和城乡建设局",
        K.DEPARTMENT,
        ("房屋拆迁与补偿", "住房保障与房地产", "物业管理", "建筑市场与工程质量", "供水供电供气"),
    ),
    ("chengguan", "青溪市城市管理局", K.DEPARTMENT, ("城市管理执法", "市政设施")),
    ("ziran", "青溪市自然资源和规划局", K.DEPARTMENT, ("城市规划", *leaves("国土资源"))),
    (
        "renshe",
        "青溪市人力资源和社会保障局",
        K.DEPARTMENT,
        (*leaves("劳动和社会保障"), "人事管理", "工资待遇"),
    ),
    ("shengtai", "青溪市生态环境局", K.DEPARTMENT, leaves("环境保护")),
    ("weijian", "青溪市卫生健康委员会", K.DEPARTMENT, ("医患纠纷", "公共卫生", "计划生育")),
    ("yibao", "青溪市医疗保障局", K.DEPARTMENT, ("医疗保障",)),
    ("jiaoyu", "青溪市教育局", K.DEPARTMENT, ("学前教育", "义务教育", "招生考试", "教师待遇", "校园安全")),
    ("wenlv", "青溪市文化广电旅游局", K.DEPARTMENT, ("文化体育", "旅游服务")),
    ("jiaotong", "青溪市交通运输局", K.DEPARTMENT, ("道路建设", "公共交通", "出租车与网约车", "道路运输")),
    (
        "shichang",
        "青溪市市场监督管理局",
        K.DEPARTMENT,
        ("市场监管", "消费维权", "价格收费", "药品食品安全", "知识产权"),
    ),
    ("shangwu", "青溪市商务局", K.DEPARTMENT, ("商业网点",)),
    # Supervises production safety (the hazard ledger); handles no petition category itself.
    ("yingji", "青溪市应急管理局", K.DEPARTMENT, ()),
    ("minzheng", "青溪市民政局", K.DEPARTMENT, ("社会救助", "养老服务", "婚姻登记", "殡葬管理", "社会组织")),
    ("tuiyi", "青溪市退役军人事务局", K.DEPARTMENT, ("退役军人事务", "军队转业干部安置", "优抚安置")),
    ("nongye", "青溪市农业农村局", K.DEPARTMENT, leaves("农村农业")),
    ("zuzhi", "中共青溪市委组织部", K.DEPARTMENT, ("干部选任",)),
    ("caizheng", "青溪市财政局", K.DEPARTMENT, ("财政税务", "国有资产", "企业改制")),
    ("jinrong", "青溪市地方金融管理局", K.DEPARTMENT, ("金融证券", "非法集资")),
    ("gongxin", "青溪市工业和信息化局", K.DEPARTMENT, ("通信服务", "网络管理", "科技管理")),
    ("zhengban", "青溪市人民政府办公室", K.DEPARTMENT, (*leaves("党务政务"), "其他")),
    ("gongan", "青溪市公安局", K.LEGAL, ("公安执法", "社会治安", "消防", "交通管理")),
    ("fayuan", "青溪市中级人民法院", K.LEGAL, ("诉讼", "涉法涉诉")),
    ("sifa", "青溪市司法局", K.LEGAL, ("司法行政",)),
    ("jiwei", "青溪市纪委监委", K.DISCIPLINE, leaves("纪检监察")),
)

# District units: (key, name pattern, kind, categories, parent) where parent None is the district
# government and a key names the city unit whose branch it is (reviews then go to that unit).
DISTRICT_UNITS = (
    (
        "zhujian",
        "{name}住房和城乡建设局",
        K.DEPARTMENT,
        ("房屋拆迁与补偿", "住房保障与房地产", "物业管理", "建筑市场与工程质量", "供水供电供气", "城市规划"),
        None,
    ),
    ("chengguan", "{name}城市管理局", K.DEPARTMENT, ("城市管理执法", "市政设施"), None),
    ("renshe", "{name}人力资源和社会保障局", K.DEPARTMENT, leaves("劳动和社会保障"), None),
    (
        "shichang",
        "{name}市场监督管理局",
        K.DEPARTMENT,
        ("市场监管", "消费维权", "价格收费", "药品食品安全"),
        None,
    ),
    (
        "jiaoyu",
        "{name}教育局",
        K.DEPARTMENT,
        ("学前教育", "义务教育", "招生考试", "教师待遇", "校园安全"),
        None,
    ),
    (
        "minzheng",
        "{name}民政局",
        K.DEPARTMENT,
        ("社会救助", "养老服务", "婚姻登记", "殡葬管理", "社会组织", "优抚安置"),
        None,
    ),
    ("yingji", "{name}应急管理局", K.DEPARTMENT, (), None),
    ("shengtai", "青溪市生态环境局{short}分局", K.DEPARTMENT, leaves("环境保护"), "shengtai"),
    ("gongan", "青溪市公安局{short}分局", K.LEGAL, ("公安执法", "社会治安", "消防", "交通管理"), "gongan"),
    ("jiwei", "{name}纪委监委", K.DISCIPLINE, leaves("纪检监察"), None),
)
COUNTY_UNITS = (
    ("nongye", "{name}农业农村局", K.DEPARTMENT, leaves("农村农业"), None),
    ("ziran", "{name}自然资源局", K.DEPARTMENT, leaves("国土资源"), None),
)
# What townships and streets handle themselves (属地).
TOWNSHIP_CATEGORIES = (
    "物业管理",
    "市政设施",
    "城市管理执法",
    "房屋拆迁与补偿",
    "劳动关系",
    "工资福利",
    "噪声污染",
    "土地权属",
    "社会救助",
    "养老服务",
    *leaves("农村农业"),
    "其他",
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢骆岳齐"
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 建国 建军 志强 志明 海燕 "
    "红梅 晓东 晓燕 文华 文静 玉兰 春梅 国强 国庆 德明 德华 永红 永刚 秀英 丽华 小红 海涛 凤英 金凤 "
    "立新 卫东 卫国 振华 学军 宏伟 美玲 雪梅 宇航 子涵 梓萱 浩然 欣怡 思远 一鸣 嘉怡 雨桐 俊杰 佳琪"
).split()


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


# ---------------------------------------------------------------- divisions


def twelve(code: str) -> str:
    return normalize_code(code)


def district_code(d: DistrictSpec) -> str:
    return CITY[0] + d.code


def division_csv() -> str:
    """The city's divisions as CSV text (codes in the short form, parents derived from the codes)."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["代码", "名称", "上级代码"])
    w.writerow([PROVINCE[0], PROVINCE[1], ""])
    w.writerow([CITY[0], CITY[1], ""])
    for d in DISTRICTS:
        dcode = district_code(d)
        w.writerow([dcode, d.name, ""])
        for t in d.townships:
            tcode = dcode + t.code
            w.writerow([tcode, t.name, ""])
            communities = villages = 0
            for place in t.places:
                if place.endswith("社区"):
                    communities += 1
                    number = communities
                else:
                    villages += 1
                    number = 200 + villages
                w.writerow([f"{tcode}{number:03d}", place, ""])
    return out.getvalue()


# ---------------------------------------------------------------- accounts


@dataclass(frozen=True)
class Account:
    username: str
    unit_name: str
    role: str
    full_name: str


@dataclass
class District:
    spec: DistrictSpec
    division: Division
    gov: Unit
    bureau: Unit
    units: dict  # key -> Unit (departments, branches, discipline)
    townships: list  # [(Division, Unit)]
    routes: dict = field(default_factory=dict)  # category id -> [Unit]


@dataclass
class City:
    division: Division
    gov: Unit
    bureau: Unit
    units: dict  # key -> Unit
    districts: list
    accounts: list  # [Account] in display order
    users: dict  # unit id -> {role: [User]}
    routes: dict  # category id -> Unit (city level)
    township_categories: set  # category ids

    def user(self, unit, role, rng=None) -> User:
        """An account of `unit` with `role` (a random one of several if `rng` is given)."""
        found = self.users.get(unit.pk, {}).get(role)
        if not found:
            raise LookupError(f"演示城市中「{unit}」没有{Role(role).label}账号")
        return rng.choice(found) if rng is not None else found[0]

    def district_of(self, division) -> District:
        for d in self.districts:
            if division.path.startswith(d.division.path):
                return d
        raise LookupError(f"「{division}」不在演示城市的区县内")


def _unit_specs():
    """Every unit of the city in creation order: (name, kind, parent name, division codes, categories,
    username prefix)."""
    specs = [
        (CITY_GOV, K.GOVERNMENT, None, [CITY[0]], ("其他",), "city_gov"),
        (CITY_BUREAU, K.PETITION_BUREAU, CITY_GOV, [CITY[0]], (), "city_bureau"),
    ]
    city_names = {}
    for key, name, kind, cats, *_ in CITY_UNITS:
        city_names[key] = name
        specs.append((name, kind, CITY_GOV, [], cats, key))
    for d in DISTRICTS:
        suffix = "县委县政府" if d.county else "区委区政府"
        gov = d.name[:-1] + suffix
        dcode = district_code(d)
        specs.append((gov, K.GOVERNMENT, CITY_GOV, [dcode], ("其他",), f"{d.key}_gov"))
        specs.append((f"{d.name}信访局", K.PETITION_BUREAU, gov, [dcode], (), f"{d.key}_bureau"))
        for key, pattern, kind, cats, parent in DISTRICT_UNITS + (COUNTY_UNITS if d.county else ()):
            name = pattern.format(name=d.name, short=d.short)
            specs.append((name, kind, city_names[parent] if parent else gov, [], cats, f"{d.key}_{key}"))
        for i, t in enumerate(d.townships, start=1):
            name = t.name + ("办事处" if t.name.endswith("街道") else "人民政府")
            specs.append((name, K.TOWNSHIP, gov, [dcode + t.code], TOWNSHIP_CATEGORIES, f"{d.key}_town{i}"))
    return specs


def _account_specs():
    """(username, unit name, role) for every account, in display order."""
    specs = _unit_specs()
    accounts = [
        ("admin", CITY_BUREAU, R.ADMIN),
        ("city_registrar", CITY_BUREAU, R.REGISTRAR),
        ("city_registrar2", CITY_BUREAU, R.REGISTRAR),
        ("city_dispatcher", CITY_BUREAU, R.DISPATCHER),
        ("city_bureau_handler", CITY_BUREAU, R.HANDLER),
        ("city_bureau_head", CITY_BUREAU, R.UNIT_HEAD),
        ("city_supervisor", CITY_BUREAU, R.SUPERVISOR),
        ("city_analyst", CITY_BUREAU, R.ANALYST),
        ("city_auditor", CITY_BUREAU, R.AUDITOR),
        ("city_leader", CITY_GOV, R.LEADER),
        ("city_gov_head", CITY_GOV, R.UNIT_HEAD),
    ]
    for name, kind, _parent, _divs, _cats, prefix in specs:
        if kind in (K.DEPARTMENT, K.LEGAL, K.DISCIPLINE, K.TOWNSHIP):
            accounts.append((f"{prefix}_handler", name, R.HANDLER))
            accounts.append((f"{prefix}_head", name, R.UNIT_HEAD))
        elif kind == K.GOVERNMENT and prefix != "city_gov":
            district = prefix.removesuffix("_gov")
            accounts.append((f"{district}_leader", name, R.LEADER))
            accounts.append((f"{district}_gov_head", name, R.UNIT_HEAD))
        elif kind == K.PETITION_BUREAU and prefix != "city_bureau":
            district = prefix.removesuffix("_bureau")
            for role, suffix in [
                (R.REGISTRAR, "registrar"),
                (R.DISPATCHER, "dispatcher"),
                (R.HANDLER, "bureau_handler"),
                (R.UNIT_HEAD, "bureau_head"),
                (R.SUPERVISOR, "supervisor"),
            ]:
                accounts.append((f"{district}_{suffix}", name, role))
    return accounts


# ---------------------------------------------------------------- build / load


def city_exists() -> bool:
    return Unit.objects.filter(name=CITY_GOV, parent=None).exists()


@transaction.atomic
def build_city(password: str) -> City:
    """Create the divisions (through the CSV importer), units and accounts of the demo city."""
    import_divisions(division_csv())
    place_centres()
    categories = _leaf_categories()
    units = {}
    for name, kind, parent, div_codes, cats, _prefix in _unit_specs():
        unit = Unit.objects.create(name=name, kind=kind, parent=units.get(parent))
        unit.divisions.set(Division.objects.filter(code__in=[twelve(c) for c in div_codes]))
        unit.categories.set([categories[c] for c in cats if c in categories])
        units[name] = unit
    rng = random.Random(20250101)  # fixed: the same names in every demo database
    hashed = make_password(password)  # hashed once: every demo account shares the demo password
    users = []
    for username, unit_name, role in _account_specs():
        users.append(
            User(
                username=username,
                password=hashed,
                full_name=person_name(rng),
                unit=units[unit_name],
                role=role,
                is_staff=role == R.ADMIN,
                is_superuser=role == R.ADMIN,
                phone=f"0990-{rng.randint(2000000, 8999999)}",
            )
        )
    User.objects.bulk_create(users)
    return load_city()


CITY_CENTRE = (30.0, 120.0)  # a made-up place for the made-up city
RADIUS = {3: 0.12, 4: 0.035, 5: 0.009}  # degrees from the parent's centre, by level


def place_centres():
    """Centre points for every division of the city (Open311 locates reports by them): the city
    at CITY_CENTRE, each division's children on a circle around it, always in the same places."""
    divisions = list(Division.objects.filter(code__startswith=CITY[0]).order_by("code"))
    children = {}
    for d in divisions:
        children.setdefault(d.parent_id, []).append(d)
    city = next(d for d in divisions if d.level == 2)
    city.latitude, city.longitude = (Decimal(str(x)) for x in CITY_CENTRE)
    todo = [city]
    while todo:
        parent = todo.pop()
        kids = children.get(parent.pk, [])
        for i, d in enumerate(kids):
            angle = 2 * math.pi * i / len(kids)
            r = RADIUS.get(d.level, 0.005)
            d.latitude = round(parent.latitude + Decimal(str(r * math.sin(angle))), 6)
            d.longitude = round(parent.longitude + Decimal(str(r * math.cos(angle))), 6)
            todo.append(d)
    Division.objects.bulk_update(divisions, ["latitude", "longitude"])


def _leaf_categories() -> dict:
    """Second-level categories by name (the names are unique across the seeded tree)."""
    found = {}
    for c in Category.objects.filter(parent__isnull=False, active=True).select_related("parent"):
        found.setdefault(c.name, c)
    return found


def load_city() -> City:
    """The demo city as stored; raises Unit.DoesNotExist if it was never built."""
    gov = Unit.objects.get(name=CITY_GOV, parent=None)
    by_name = {u.name: u for u in Unit.objects.filter(path__startswith=gov.path)}
    specs = _unit_specs()
    prefix_unit = {prefix: by_name[name] for name, _k, _p, _d, _c, prefix in specs}
    divisions = {d.code: d for d in Division.objects.filter(code__startswith=CITY[0])}
    accounts_spec = _account_specs()
    stored = {
        u.username: u
        for u in User.objects.filter(username__in=[a[0] for a in accounts_spec]).select_related("unit")
    }
    users, accounts = {}, []
    for username, _unit_name, _role in accounts_spec:
        user = stored.get(username)
        if user is None or not user.is_active or user.unit_id is None:
            continue  # an account an administrator has removed or disabled
        users.setdefault(user.unit_id, {}).setdefault(user.role, []).append(user)
        accounts.append(Account(username, user.unit.name, user.role, user.full_name))
    unit_categories = {}
    for unit_id, category_id in Unit.categories.through.objects.filter(
        unit__path__startswith=gov.path
    ).values_list("unit_id", "category_id"):
        unit_categories.setdefault(unit_id, set()).add(category_id)

    city_units = {key: prefix_unit[key] for key, *_ in CITY_UNITS}
    routes = {}
    for key, *_ in CITY_UNITS:
        for cid in unit_categories.get(city_units[key].pk, ()):
            routes.setdefault(cid, city_units[key])
    districts = []
    township_categories = set()
    for d in DISTRICTS:
        keys = [k for k, *_ in DISTRICT_UNITS + (COUNTY_UNITS if d.county else ())]
        units = {k: prefix_unit[f"{d.key}_{k}"] for k in keys}
        townships = []
        for i, t in enumerate(d.townships, start=1):
            unit = prefix_unit[f"{d.key}_town{i}"]
            townships.append((divisions[twelve(district_code(d) + t.code)], unit))
            township_categories |= unit_categories.get(unit.pk, set())
        district = District(
            spec=d,
            division=divisions[twelve(district_code(d))],
            gov=prefix_unit[f"{d.key}_gov"],
            bureau=prefix_unit[f"{d.key}_bureau"],
            units=units,
            townships=townships,
        )
        for unit in units.values():
            for cid in unit_categories.get(unit.pk, ()):
                district.routes.setdefault(cid, []).append(unit)
        districts.append(district)
    return City(
        division=divisions[twelve(CITY[0])],
        gov=gov,
        bureau=prefix_unit["city_bureau"],
        units=city_units,
        districts=districts,
        accounts=accounts,
        users=users,
        routes=routes,
        township_categories=township_categories,
    )


# Accounts shown by default (every role appears); --all-accounts lists all of them.
KEY_ACCOUNTS = (
    "admin",
    "city_registrar",
    "city_dispatcher",
    "city_bureau_handler",
    "city_bureau_head",
    "city_supervisor",
    "city_leader",
    "city_gov_head",
    "city_analyst",
    "city_auditor",
    "zhujian_handler",
    "zhujian_head",
    "jiwei_handler",
    "district1_registrar",
    "district1_dispatcher",
    "district1_gov_head",
    "district1_leader",
    "district1_zhujian_handler",
    "district1_zhujian_head",
    "district1_town1_handler",
    "district1_town1_head",
    "district1_yingji_handler",
    "district1_yingji_head",
)
