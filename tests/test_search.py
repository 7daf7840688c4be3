"""Full-text search of matters (xinfang/petitions/search.py, xinfang/core/words.py) on whichever
database the suite runs: words in any order, two-character words, quoted phrases, the petitioner's ID
number or phone through the keyed hashes, ranked and highlighted, always inside the user's scope;
the index follows the write path (one matter, and the bulk path of the 台账 import)."""

import pytest
from conftest import PETITIONER, Driver, matter_fields, sign_in
from django.db.models.expressions import RawSQL
from django.http import QueryDict

from xinfang.cases.plan import bulk
from xinfang.cases.scoping import case_keys, scope_keys
from xinfang.core import words
from xinfang.org.models import Division
from xinfang.petitions import search
from xinfang.petitions.choices import Nature, RequestType, Status
from xinfang.petitions.lists import listed_matters
from xinfang.petitions.models import Matter, MatterText
from xinfang.petitions.services import register_matter


def register(world, title, content, who=None, petitioners=None, **fields):
    return register_matter(
        who or world.alice,
        fields=matter_fields(world, title=title, content=content, **fields),
        petitioners=[dict(PETITIONER)] if petitioners is None else petitioners,
    )


def found(user, text):
    """What the list finds: the user's scope, and the scope's keys to ask the index with."""
    query = search.parse(text)
    found = search.ranked(Matter.objects.visible_to(user), query, scope_keys(user))
    return list(found.values_list("pk", flat=True))


def stored_keys(matter) -> set[str]:
    """The scope keys the database's triggers wrote for `matter` (a column outside the model)."""
    return set(
        MatterText.objects.filter(matter=matter).values_list(RawSQL("scope", []), flat=True)[0].split()
    )


def expected_keys(matter) -> set[str]:
    matter = Matter.objects.select_related("division", "holder_unit").get(pk=matter.pk)
    links = matter.unit_links.values_list("unit_path", flat=True)
    return case_keys(matter.division.path, matter.holder_unit.path, links)


# ---------------------------------------------------------------- words (plain Python)


def test_the_index_has_pairs_of_chinese_characters_and_whole_other_words():
    assert words.index_words("电梯频繁故障！", "Ａ1栋") == "电梯 梯频 频繁 繁故 故障 障 a1 栋"


def test_a_query_is_cut_into_words_and_quotes_keep_a_phrase():
    assert [t.text for t in words.parse("电梯故障").terms] == ["电梯", "故障"]
    assert [t.text for t in words.parse("“电梯 故障” 物业").terms] == ["电梯 故障", "物业"]
    assert [t.text for t in words.parse("小区停水了").terms] == ["小区", "停水了"]
    assert words.parse("110101199003077774").id_numbers == ["110101199003077774"]
    assert words.parse("138 0013 8000").phones == ["13800138000"]


def test_the_slow_rule_finds_words_apart_and_latin_words_whole():
    assert words.matches(words.parse("电梯故障"), "小区电梯频繁故障")
    assert words.matches(words.parse("故障 电梯"), "小区电梯频繁故障")
    assert not words.matches(words.parse("电梯坏了"), "小区电梯频繁故障")
    assert not words.matches(words.parse("3号楼"), "13号楼漏水")
    assert words.matches(words.parse("3号楼"), "第3号楼漏水")


def test_highlighting_marks_the_words_where_they_are_in_the_text_as_written():
    query = words.parse("电梯 ab")
    pieces = search.highlight("小区电梯坏了，ＡＢ栋", query)
    assert [p for p, hit in pieces if hit] == ["电梯", "ＡＢ"]


# ---------------------------------------------------------------- the database index


def test_words_in_any_order_two_character_words_and_phrases(world):
    lift = register(world, "电梯问题", "我们小区3栋的电梯频繁故障，已经困人两次。")
    water = register(world, "停水", "小区连续停水三天，物业不作为。")
    other = register(world, "噪音扰民", "夜间施工噪音很大，电话反映无果。")
    alice = world.alice
    assert found(alice, "电梯故障") == [lift.pk]
    assert found(alice, "故障 电梯") == [lift.pk]
    assert found(alice, "电梯") == [lift.pk]
    assert found(alice, "物业") == [water.pk]
    assert set(found(alice, "小区")) == {lift.pk, water.pk}
    assert found(alice, '"电梯频繁故障"') == [lift.pk]
    assert found(alice, '"电梯故障"') == []  # a quoted phrase is taken as written
    assert found(alice, "电梯 噪音") == []
    assert found(alice, "噪") == [other.pk]  # one character: any word that has it


def test_the_index_is_written_with_the_matter_and_by_the_bulk_path(world):
    one = register(world, "路灯不亮", "湖滨路路灯不亮一个多月。")
    assert MatterText.objects.get(matter=one).words.startswith("路灯 灯不 不亮")
    with bulk(world.alice):
        many = [register(world, f"第{i}号井盖缺失", f"人行道井盖缺失第{i}处，行人易摔倒。") for i in range(3)]
    assert set(found(world.alice, "井盖缺失")) == {m.pk for m in many}
    assert found(world.alice, "路灯") == [one.pk]


def test_the_database_keeps_each_matters_scope_keys_as_the_rule_reads_them(world):
    driver = Driver(world)
    matter = driver.register(title="电梯停运", content="东城区小区电梯停运。")
    assert stored_keys(matter) == expected_keys(matter)
    assert {f"_d{world.divisions.d1.code}", f"_h{world.units.city_bureau.pk}"} <= stored_keys(matter)
    matter = driver.do(matter, "assign")  # given to 区住建局, which now holds it
    assert stored_keys(matter) == expected_keys(matter)
    assert {f"_u{world.units.d1_dept.pk}", f"_h{world.units.d1_dept.pk}"} <= stored_keys(matter)
    # A unit moved under another parent, a division's path changed: the keys follow.
    dept = world.units.d1_dept
    dept.parent = world.units.d2_gov
    dept.save()
    assert f"_h{world.units.d2_gov.pk}" in stored_keys(matter)
    assert stored_keys(matter) == expected_keys(matter)
    Division.objects.filter(pk=matter.division_id).update(path="/990100/990102/990102009/")
    assert stored_keys(matter) == expected_keys(matter)
    assert {"_d990102", "_d990102009"} <= stored_keys(matter)
    with bulk(world.alice):
        many = [driver.register(title=f"第{i}件", content="路灯不亮。") for i in range(3)]
    assert all(stored_keys(m) == expected_keys(m) for m in many)


def test_a_users_keys_are_those_of_the_rule(world):
    assert scope_keys(world.alice) is None  # the city's bureau sees every matter
    assert scope_keys(world.hank) == [f"_u{world.units.d1_dept.pk}"]
    assert set(scope_keys(world.tom)) == {
        f"_u{world.units.t1.pk}",
        f"_h{world.units.t1.pk}",
        *(f"_d{d.code}" for d in world.units.t1.divisions.all()),
    }
    # Every matter a user may see carries one of their keys.
    driver = Driver(world)
    for status in (Status.REGISTERED, Status.HANDLING, Status.REPLIED):
        driver.to(status)
    register(world, "南山区", "停车难。", division=world.divisions.d2)
    for user in (world.dan, world.hank, world.tom, world.nick, world.nora, world.dora, world.hugo):
        keys = set(scope_keys(user))
        for matter in Matter.objects.visible_to(user):
            assert keys & stored_keys(matter), (user.username, matter.pk)


def test_search_stays_inside_the_users_scope(world):
    driver = Driver(world)
    east = driver.register(title="电梯停运", content="东城区小区电梯停运。")
    south = register(world, "电梯停运", "南山区小区电梯停运。", division=world.divisions.d2)
    assert set(found(world.alice, "电梯停运")) == {east.pk, south.pk}  # the city sees both
    assert found(world.dan, "电梯停运") == [east.pk]  # 东城区信访局: its own district only
    assert found(world.nick, "电梯停运") == [south.pk]
    assert found(world.hank, "电梯停运") == []  # a department sees what it was given


def test_an_accusation_is_never_found_by_those_it_names(world):
    accusation = register(
        world,
        "举报街道干部",
        "东湖街道办事处工作人员违规收取好处费。",
        nature=Nature.ACCUSATION,
        request_type=RequestType.REPORT,
        complained_unit=world.units.t1,
    )
    assert found(world.dora, "好处费") == [accusation.pk]  # the screening unit
    assert found(world.tom, "好处费") == []
    assert found(world.alice, "好处费") == []  # not screened yet: only the screening unit


def test_a_petitioners_id_number_or_phone_finds_their_matters_through_the_hashes(world):
    mine = register(world, "工资拖欠", "公司拖欠工资三个月。")
    other = register(
        world,
        "工资拖欠",
        "公司拖欠工资两个月。",
        petitioners=[{**PETITIONER, "id_number": "110101198001010053", "phone": "13900139000"}],
    )
    assert found(world.alice, PETITIONER["id_number"]) == [mine.pk]
    assert found(world.alice, "139-0013-9000") == [other.pk]
    assert found(world.dan, "139 0013 9000") == [other.pk]
    assert found(world.nick, "13900139000") == []  # out of 南山区's scope


def test_results_are_ranked_by_relevance(world):
    weak = register(world, "物业收费", "停车费问题。物业服务一般。")
    strong = register(world, "停车费乱收", "物业乱收停车费，停车费每月涨价，停车费收据不给。")
    assert found(world.alice, "停车费") == [strong.pk, weak.pk]


def test_the_list_page_searches_words_and_marks_them(client, world):
    register(world, "电梯问题", "我们小区3栋的电梯频繁故障，已经困人两次。")
    register(world, "停水", "小区连续停水三天。")
    sign_in(client, "alice")
    page = client.get("/matters/", {"tab": "all", "q": "电梯故障"}).content.decode()
    assert "<mark>电梯</mark>" in page and "<mark>故障</mark>" in page
    assert "停水" not in page
    assert "按相关程度排列" in page


@pytest.mark.parametrize("text", ["", "   ", '"', "!!!", "a" * 500, "电" * 300, "' OR 1=1 --", "x* AND NOT"])
def test_odd_queries_neither_fail_nor_leak(world, text):
    register(world, "电梯问题", "电梯频繁故障。")
    found(world.alice, text)  # no error; the scope is applied whatever the words
    assert set(found(world.tom, text)) <= set(
        Matter.objects.visible_to(world.tom).values_list("pk", flat=True)
    )


def test_many_matches_rank_the_newest_and_matching_still_finds_all(world, monkeypatch):
    monkeypatch.setattr(search, "RANK_WINDOW", 3)
    monkeypatch.setattr(search, "FIRST_SPAN", 2)  # ranges of ids grow from two matters up
    old = register(world, "停车费停车费停车费", "停车费停车费停车费停车费。")  # the best match, but old
    newer = [register(world, f"第{i}件", "停车费问题。") for i in range(5)]
    register(world, "无关", "路灯不亮。")
    ranked = found(world.alice, "停车费")
    assert ranked == [m.pk for m in reversed(newer[-3:])]  # the newest three, ranked among themselves
    everything = search.matching(Matter.objects.visible_to(world.alice), search.parse("停车费"))
    assert set(everything.values_list("pk", flat=True)) == {old.pk, *(m.pk for m in newer)}
    # The export of the search lists every match, not only the ranked ones.
    exported, _, _ = listed_matters(world.alice, QueryDict("tab=all&q=停车费"), whole=True)
    assert sorted(exported.values_list("pk", flat=True)) == sorted([old.pk, *(m.pk for m in newer)])
    monkeypatch.setattr(search, "RANK_WINDOW", 100)
    assert found(world.alice, "停车费")[0] == old.pk  # with room, the best match comes first


def test_the_newest_matches_a_narrow_scope_may_see_are_found_however_far_back(world, monkeypatch):
    monkeypatch.setattr(search, "FIRST_SPAN", 2)
    township = [
        register(world, f"镇里第{i}件", "停车费问题。", division=world.divisions.township) for i in range(4)
    ]
    for i in range(12):  # newer matches the township's handler may not see
        register(world, f"别处第{i}件", "停车费问题。", division=world.divisions.d2)
    visible = Matter.objects.visible_to(world.tom)
    assert set(visible.values_list("pk", flat=True)) >= {m.pk for m in township}
    expected = sorted(
        search.matching(visible, search.parse("停车费")).values_list("pk", flat=True), reverse=True
    )
    for keys in (None, scope_keys(world.tom)):  # the rule alone, and the index asked with the keys
        assert search.newest_matches(visible, search.parse("停车费"), 3, keys) == expected[:3]
        assert search.newest_matches(visible, search.parse("停车费"), 100, keys) == expected


def test_index_missing_fills_matters_loaded_without_the_write_path(world):
    matter = register(world, "电梯问题", "电梯频繁故障。")
    MatterText.objects.all().delete()
    assert found(world.alice, "电梯") == []
    assert search.index_missing() == 1 and search.index_missing() == 0
    assert found(world.alice, "电梯") == [matter.pk]
