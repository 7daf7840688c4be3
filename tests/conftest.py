"""A small world for tests: a city with two districts, its units and one named persona per job.

青溪市 (990100)                       city_gov  (党委政府, covers the city)
  ├─ 东城区 (990101)                    ├─ city_bureau (信访局): alice 登记员, bob 交办员, carol 负责人,
  │    ├─ 东湖街道 (990101001)           │       sam 督查员, ann 分析员, root 管理员,
  │    │                               │       audrey 审计员
  │    │    └─ 湖滨社区 (990101001001)  ├─ housing (市住建局): hugo 承办人
  │    └─ 西岭镇 (990101002)           ├─ discipline (市纪委监委): dora 承办人
  └─ 南山区 (990102)                    ├─ d1_gov (东城区政府): leo 领导(city_gov) …
                                      │    ├─ d1_bureau: dan 登记员, dave 交办员, dina 负责人, 钱卫东 登记员
                                      │    ├─ d1_dept (区住建局): hank 承办人, hope 负责人
                                      │    └─ t1 (东湖街道办): tom 承办人, tina 负责人,
                                      │         gwen 网格员, ivy 社会信息员
                                      └─ d2_gov (南山区政府)
                                           ├─ d2_bureau: nick 交办员
                                           └─ d2_dept (南山区住建局): nora 承办人
"""

import os
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from huey.contrib.djhuey import HUEY

from xinfang.core import clock, crypto
from xinfang.deadlines.service import clear_cache as clear_deadline_cache
from xinfang.org.models import Division, Role, Unit, User
from xinfang.petitions.choices import Channel, Nature, RequestType, Status
from xinfang.petitions.models import Category
from xinfang.petitions.screening import screen
from xinfang.petitions.services import perform, register_matter

TZ = ZoneInfo("Asia/Shanghai")
PASSWORD = "Xinfang-test-2025"


def at(y, m, d, h=10):
    return datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.ANALYTICS_DIR = tmp_path / "analytics"
    # 台账 uploads, error workbooks and exports: named by job id, which each test's database reuses.
    settings.XINFANG_SHARED_DIR = tmp_path / "shared"
    clear_deadline_cache()  # rows of an earlier test were rolled back under a cached calendar
    # Real hashing costs ~0.3 s per user; tests create many users and do not test the hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Most tests are about what a signed-in user may do; tests/test_accounts.py turns the second
    # factor on and tests the sign-in itself.
    settings.XINFANG_TOTP_REQUIRED = False
    # Rate-limit counters must not leak between tests (or between parallel workers' files).
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    }


# The day the product's clock shows in every test, unless a test moves it (clock.travel_to). Tests
# pass whatever the machine's date is: scripts/test.sh also runs them with the machine's clock
# set to other days (faketime).
TEST_TODAY = datetime(2026, 11, 23, 10, tzinfo=TZ)  # a Monday


@pytest.fixture(autouse=True)
def _product_clock():
    clock.travel_to(TEST_TODAY)
    yield
    clock.travel_to(None)


def sign_in(client, username):
    """A session for ``username`` past both sign-in steps, without the password form."""
    client.force_login(User.objects.get(username=username))


TEST_KEYRING = crypto.parse_keyring(
    [("test1", "AAECAwQFBgcICQoLDA0ODw==")], "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="
)


@pytest.fixture(autouse=True, scope="session")
def _fixed_test_keys():
    """One known keyring for the whole run, instead of a key file shared by parallel workers."""
    crypto.reset_keyring(TEST_KEYRING)
    yield
    crypto.reset_keyring(None)


@pytest.fixture(autouse=True, scope="session")
def _huey_runs_tasks_inline():
    """Tasks run in the calling thread, so tests see their effects without a worker."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


def _division(code, name, level, parent=None):
    return Division.objects.create(code=code, name=name, level=level, parent=parent)


def _unit(name, kind, parent=None, divisions=()):
    unit = Unit.objects.create(name=name, kind=kind, parent=parent)
    unit.divisions.set(divisions)
    return unit


def _user(username, unit, role, full_name=None):
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        unit=unit,
        role=role,
        full_name=full_name or username,
        is_staff=role == Role.ADMIN,
        is_superuser=role == Role.ADMIN,
    )


@pytest.fixture
def world(db):
    city = _division("990100", "青溪市", 2)
    d1 = _division("990101", "东城区", 3, city)
    township = _division("990101001", "东湖街道", 4, d1)
    village = _division("990101001001", "湖滨社区", 5, township)
    other_township = _division("990101002", "西岭镇", 4, d1)
    d2 = _division("990102", "南山区", 3, city)

    K = Unit.Kind
    city_gov = _unit("青溪市人民政府", K.GOVERNMENT, None, [city])
    city_bureau = _unit("青溪市信访局", K.PETITION_BUREAU, city_gov, [city])
    housing = _unit("青溪市住房和城乡建设局", K.DEPARTMENT, city_gov)
    discipline = _unit("青溪市纪委监委", K.DISCIPLINE, city_gov)
    d1_gov = _unit("东城区人民政府", K.GOVERNMENT, city_gov, [d1])
    d1_bureau = _unit("东城区信访局", K.PETITION_BUREAU, d1_gov, [d1])
    d1_dept = _unit("东城区住房和城乡建设局", K.DEPARTMENT, d1_gov)
    t1 = _unit("东湖街道办事处", K.TOWNSHIP, d1_gov, [township])
    d2_gov = _unit("南山区人民政府", K.GOVERNMENT, city_gov, [d2])
    d2_bureau = _unit("南山区信访局", K.PETITION_BUREAU, d2_gov, [d2])
    d2_dept = _unit("南山区住房和城乡建设局", K.DEPARTMENT, d2_gov)

    R = Role
    users = {
        "alice": _user("alice", city_bureau, R.REGISTRAR),
        "bob": _user("bob", city_bureau, R.DISPATCHER),
        "carol": _user("carol", city_bureau, R.UNIT_HEAD),
        "sam": _user("sam", city_bureau, R.SUPERVISOR),
        "ann": _user("ann", city_bureau, R.ANALYST),
        "root": _user("root", city_bureau, R.ADMIN),
        "audrey": _user("audrey", city_bureau, R.AUDITOR),
        "leo": _user("leo", city_gov, R.LEADER),
        "hugo": _user("hugo", housing, R.HANDLER),
        "dora": _user("dora", discipline, R.HANDLER),
        "dan": _user("dan", d1_bureau, R.REGISTRAR),
        "dave": _user("dave", d1_bureau, R.DISPATCHER),
        "dina": _user("dina", d1_bureau, R.UNIT_HEAD),
        "qian": _user("qian", d1_bureau, R.REGISTRAR, full_name="钱卫东"),
        "hank": _user("hank", d1_dept, R.HANDLER),
        "hope": _user("hope", d1_dept, R.UNIT_HEAD),
        "tom": _user("tom", t1, R.HANDLER),
        "tina": _user("tina", t1, R.UNIT_HEAD),
        "nick": _user("nick", d2_bureau, R.DISPATCHER),
        "nora": _user("nora", d2_dept, R.HANDLER),
        # 网格员 and 社会信息员 of 湖滨社区 (tests/test_grid.py): they file events, see no case.
        "gwen": _user("gwen", t1, R.GRID_WORKER, full_name="葛文"),
        "ivy": _user("ivy", t1, R.INFORMANT, full_name="易薇"),
    }
    category = Category.objects.get(name="物业管理")
    w = SimpleNamespace(
        divisions=SimpleNamespace(
            city=city, d1=d1, township=township, village=village, other_township=other_township, d2=d2
        ),
        units=SimpleNamespace(
            city_gov=city_gov,
            city_bureau=city_bureau,
            housing=housing,
            discipline=discipline,
            d1_gov=d1_gov,
            d1_bureau=d1_bureau,
            d1_dept=d1_dept,
            t1=t1,
            d2_gov=d2_gov,
            d2_bureau=d2_bureau,
            d2_dept=d2_dept,
        ),
        category=category,
        **users,
    )
    w.users = users
    return w


def matter_fields(world, **overrides):
    fields = {
        "channel": Channel.LETTER,
        "received_at": at(2025, 3, 3),
        "title": "小区物业擅自提高停车费",
        "content": "本小区物业公司未经业主大会同意，将地面停车费由每月100元提高到200元。",
        "request": "请求责令物业恢复原收费标准。",
        "nature": Nature.APPEAL,
        "request_type": RequestType.COMPLAINT,
        "division": world.divisions.village,
        "category": world.category,
    }
    fields.update(overrides)
    return fields


PETITIONER = {
    "name": "李明",
    "id_number": "110101199003077774",
    "phone": "13800138000",
    "address": "湖滨社区3栋",
}


class Driver:
    """Walks a matter through the real write path to any status, one day per step.

    Path: registered by the city bureau → assigned to 东城区住建局 (d1_dept) → accepted → reply
    submitted → approved → review at 东城区人民政府 (decided by dina, 区信访局) → re-review at
    青溪市人民政府 (decided by carol, 市信访局).
    """

    PATH = [
        (Status.REGISTERED, None),
        (Status.DISPATCHED, "assign"),
        (Status.HANDLING, "accept"),
        (Status.REPLY_PENDING, "submit_reply"),
        (Status.REPLIED, "approve_reply"),
        (Status.REVIEW_REQUESTED, "request_review"),
        (Status.REVIEWED, "decide_review"),
        (Status.REREVIEW_REQUESTED, "request_rereview"),
        (Status.CLOSED, "decide_rereview"),
    ]
    SIDE = {Status.REFERRED: "refer", Status.NOT_ACCEPTED: "not_accept", Status.WITHDRAWN: "withdraw"}

    def __init__(self, world, start=None):
        self.w = world
        self.now = start or at(2025, 3, 3)

    def tick(self, days=1):
        self.now += timedelta(days=days)
        return self.now

    def register(self, petitioners=None, **overrides):
        fields = matter_fields(self.w, received_at=self.now, **overrides)
        if petitioners is None:
            petitioners = [dict(PETITIONER)]
        return register_matter(self.w.alice, fields=fields, petitioners=petitioners, now=self.now)

    def screen(self, matter, units=(), users=(), note=""):
        """市纪委监委 (dora), which screens the city's accusations, resolves whom one names."""
        return screen(matter.pk, self.w.dora, units=units, users=users, note=note, now=self.now)

    def actor_for(self, matter, action):
        w = self.w
        status = matter.status
        if action in {"forward", "assign", "handle_directly", "close"}:
            return w.bob
        if action in {"refer", "not_accept"}:
            return w.bob if status == Status.REGISTERED else w.hope
        if action in {"accept", "dispute", "submit_reply"}:
            return w.hank
        if action in {"extend", "return_reply", "approve_reply"}:
            return w.hope
        if action in {"rate", "request_review", "request_rereview", "withdraw"}:
            return w.alice
        if action in {"start_hearing", "end_hearing"}:  # the unit now responsible holds the hearing
            return {Status.HANDLING: w.hope, Status.REVIEW_REQUESTED: w.dina}.get(status, w.carol)
        if action == "decide_review":
            return w.dina
        if action == "decide_rereview":
            return w.carol
        raise KeyError(action)

    def params_for(self, action):
        w = self.w
        return {
            "forward": {"unit": w.units.d1_dept},
            "assign": {"unit": w.units.d1_dept},
            "refer": {"referral_channel": "litigation", "note": "属于民事纠纷，请向人民法院提起诉讼。"},
            "not_accept": {"note": "已经复核终结。"},
            "dispute": {"note": "该事项属于街道管辖。"},
            "extend": {"days": 30, "note": "需要现场测量，情况复杂。"},
            "submit_reply": {
                "outcome": "support",
                "resolution": "solved",
                "text": "经调查，物业公司调价未经业主大会表决，责令其恢复原标准。",
                "basis": "《物业管理条例》第七条",
            },
            "return_reply": {"note": "请补充调查笔录。"},
            "rate": {"rating": "basically"},
            "decide_review": {"decision": "uphold", "note": "原处理意见事实清楚，予以维持。"},
            "decide_rereview": {"decision": "uphold", "note": "复查意见正确，予以维持。"},
            "withdraw": {"note": "问题已自行协商解决。"},
            "close": {"note": "申请期限届满。"},
            "start_hearing": {"note": "公开听证"},
        }.get(action, {})

    def do(self, matter, action, actor=None, days=1, **params):
        self.tick(days)
        merged = self.params_for(action) | params
        return perform(matter.pk, actor or self.actor_for(matter, action), action, now=self.now, **merged)

    def to(self, status, **register_overrides):
        matter = self.register(**register_overrides)
        if status in self.SIDE:
            return self.do(matter, self.SIDE[status])
        for reached, action in self.PATH[1:]:
            if matter.status == status:
                break
            matter = self.do(matter, action)
            assert matter.status == reached
        assert matter.status == status
        return matter


@pytest.fixture
def driver(world):
    return Driver(world)


def pytest_collection_modifyitems(items):
    """A test that commits must restore the migrated rows afterwards (serialized_rollback): a plain
    transactional flush re-creates content types, and the next serialized test on that worker then
    fails to load its snapshot over them."""
    for item in items:
        mark = item.get_closest_marker("django_db")
        if mark and mark.kwargs.get("transaction") and not mark.kwargs.get("serialized_rollback"):
            raise pytest.UsageError(f"{item.nodeid}: transaction=True needs serialized_rollback=True")


def inherited_path() -> list[str]:
    """The PYTHONPATH entries this run was given, for the servers and workers a test starts: the
    runs on other days put scripts/faketime there, and the children must load it too."""
    return [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
