"""Place extraction (xinfang/intelligence/places.py): plain Python, on a small tree built here."""

import pytest

from xinfang.intelligence.place_cases import generate_cases, readings_of, score_cases, synthetic_divisions
from xinfang.intelligence.places import PlaceIndex, short_form

# A small copy of the demo city's shape, with its traps: 石桥社区 in two districts, 石桥镇 beside it,
# 白沙镇 with a 白沙社区 inside, 新华街道 in two districts, and a village called just 新村.
ROWS = [
    ("99", "示范省", None, 1),
    ("9901", "青溪市", "99", 2),
    ("990102", "溪东区", "9901", 3),
    ("990102001", "东湖街道", "990102", 4),
    ("990102001001", "湖滨社区", "990102001", 5),
    ("990102001002", "金桥社区", "990102001", 5),
    ("990102005", "新河街道", "990102", 4),
    ("990102005001", "石桥社区", "990102005", 5),
    ("990102005201", "新河村", "990102005", 5),
    ("990102004", "柳岸街道", "990102", 4),
    ("990102004201", "柳林村", "990102004", 5),
    ("990103", "溪西区", "9901", 3),
    ("990103002", "锦绣街道", "990103", 4),
    ("990103002002", "华庭社区", "990103002", 5),
    ("990103004", "白沙镇", "990103", 4),
    ("990103004001", "白沙社区", "990103004", 5),
    ("990121", "白鹭县", "9901", 3),
    ("990121001", "白鹭镇", "990121", 4),
    ("990121001201", "白鹭村", "990121001", 5),
    ("990121001202", "新村", "990121001", 5),
    ("990121005", "石桥镇", "990121", 4),
    ("990121005001", "石桥社区", "990121005", 5),
    ("990121005201", "桥头村", "990121005", 5),
    ("990104", "和平区", "9901", 3),
    ("990104001", "新华街道", "990104", 4),
    ("990105", "红旗区", "9901", 3),
    ("990105001", "新华街道", "990105", 4),
]
LANDMARKS = [("青溪大道", "990102001"), ("恒达广场", "990121005")]

HUBIN = "990102001001"
DONGHU = "990102001"
XIDONG = "990102"
BAILU_COUNTY = "990121"
SHIQIAO_XIDONG = "990102005001"
SHIQIAO_BAILU = "990121005001"
SHIQIAO_TOWN = "990121005"


@pytest.fixture(scope="module")
def index():
    return PlaceIndex(ROWS, LANDMARKS)


def decided(match):
    assert not match.ambiguous, match.reason
    return match.code


# ---------------------------------------------------------------- names and short forms


def test_short_form_drops_the_level_word():
    assert short_form("溪东区") == "溪东"
    assert short_form("东湖街道") == "东湖"
    assert short_form("湖滨社区") == "湖滨"
    assert short_form("柳林村") == "柳林"
    assert short_form("白鹭县") == "白鹭"
    assert short_form("新村") is None  # one character would be left


def test_full_chain_ends_on_the_deepest_place(index):
    match = index.locate("", "示范省青溪市溪东区东湖街道湖滨社区")
    assert decided(match) == HUBIN
    assert match.evidence == ["示范省", "青溪市", "溪东区", "东湖街道", "湖滨社区"]
    assert match.reason == "地址中写明“示范省青溪市溪东区东湖街道湖滨社区”"
    assert match.candidates == [HUBIN]


def test_partial_chain_and_reason(index):
    match = index.locate("", "溪东区东湖街道")
    assert decided(match) == DONGHU
    assert match.reason == "地址中写明“溪东区东湖街道”"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("我是溪东的，家门口的路坏了。", XIDONG),
        ("东湖这边夜里施工太吵。", DONGHU),
        ("白鹭的群众反映水质变差。", BAILU_COUNTY),
        ("家住湖滨，楼下的下水道堵了。", HUBIN),
        ("反映湖滨一带乱停车。", HUBIN),
        ("柳林村有人乱倒垃圾。", "990102004201"),
        ("溪东东湖湖滨", HUBIN),  # a chain of short forms
        ("溪东 东湖 湖滨", HUBIN),
    ],
)
def test_short_forms_people_write(index, text, code):
    match = index.locate(text)
    assert decided(match) == code
    if "区" not in text and "村" not in text:
        assert "即" in match.reason  # a short form: the reason spells out the division


def test_short_forms_in_the_address_field_before_numbers(index):
    assert decided(index.locate("", "柳林3组12号")) == "990102004201"
    assert decided(index.locate("", "溪东区湖滨5栋")) == HUBIN


@pytest.mark.parametrize(
    "text",
    [
        "东湖路上的井盖缺了好几天。",  # a road named after the street
        "金桥花园的物业擅自涨价。",  # an estate named after a community
        "孩子在白鹭中学上学，学校乱收费。",
        "锦绣前程都被耽误了。",
        "新村镇银行的理财到期不兑付。",  # a two-character village name inside a word
        "锦江华庭，物业乱收费。",  # a community short form at the end of an estate name
        "网购的商品质量有问题，商家拒绝退货。",
    ],
)
def test_words_that_only_contain_a_place_name_are_not_places(index, text):
    match = index.locate(text)
    assert match.code is None and not match.ambiguous, match.evidence
    assert match.candidates == [] and match.evidence == []
    assert match.reason.startswith("未找到")


def test_provinces_have_no_short_form_but_cities_do(index):
    assert index.locate("有了这样的示范，小区私挖乱占。").code is None
    assert decided(index.locate("我在青溪的工地上干活，工钱没结。")) == "9901"


def test_a_road_still_leaves_the_district_written_before_it(index):
    match = index.locate("溪东区东湖路路灯不亮。")
    assert decided(match) == XIDONG
    assert match.evidence == ["溪东区"]


def test_village_short_form_needs_a_start(index):
    assert decided(index.locate("住在华庭，晚上太吵。")) == "990103002002"
    assert decided(index.locate("家住新村，房屋漏水。")) == "990121001202"


def test_a_short_form_shared_by_a_place_and_one_inside_it_names_the_outer(index):
    assert decided(index.locate("白沙的砂石场夜里运输扰民。")) == "990103004"
    assert decided(index.locate("白沙社区的砂石场夜里运输扰民。")) == "990103004001"


# ---------------------------------------------------------------- repeated names and ancestors


def test_a_repeated_name_alone_is_ambiguous(index):
    match = index.locate("石桥社区有人在河道边倾倒垃圾。")
    assert match.ambiguous and match.code is None
    assert set(match.candidates) == {SHIQIAO_XIDONG, SHIQIAO_BAILU}
    assert match.reason == "“石桥社区”在溪东区、白鹭县各有一个，请选择"
    assert match.within is None  # they share only 青溪市, which the text does not name


def test_a_short_form_of_two_places_is_ambiguous(index):
    match = index.locate("石桥，有人乱倒垃圾。")
    assert match.ambiguous
    # 石桥 names 石桥镇 (its 石桥社区 lies inside it) and 溪东区's 石桥社区
    assert set(match.candidates) == {SHIQIAO_TOWN, SHIQIAO_XIDONG}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("溪东区的石桥社区有人倾倒垃圾。", SHIQIAO_XIDONG),
        ("我在白鹭县打工，住在石桥社区，房东不退押金。", SHIQIAO_BAILU),
        ("新河街道石桥社区", SHIQIAO_XIDONG),
        ("和平区新华街道的老旧小区改造停工。", "990104001"),
        ("红旗区新华街道的老旧小区改造停工。", "990105001"),
    ],
)
def test_a_unique_ancestor_resolves_a_repeated_name(index, text, code):
    assert decided(index.locate(text)) == code


def test_new_hua_street_alone_is_ambiguous(index):
    match = index.locate("新华街道的老旧小区改造停工。")
    assert match.ambiguous and set(match.candidates) == {"990104001", "990105001"}


# ---------------------------------------------------------------- conflicts and weighing


def test_two_unrelated_places_are_ambiguous(index):
    match = index.locate("我住溪东区，儿子在白鹭县。")
    assert match.ambiguous
    assert set(match.candidates) == {XIDONG, BAILU_COUNTY}
    assert "“溪东区”" in match.reason and "“白鹭县”" in match.reason and "请选择" in match.reason


def test_ambiguity_inside_a_named_district_reports_that_district(index):
    match = index.locate("溪东区东湖街道和溪东区新河街道交界处的路坑洼不平。")
    assert match.ambiguous
    assert set(match.candidates) == {DONGHU, "990102005"}
    assert match.within == XIDONG


def test_repeating_a_name_adds_no_weight(index):
    match = index.locate("溪东区的事，溪东区也不管，白鹭县也不管。")
    assert match.ambiguous


def test_a_chain_outweighs_a_single_other_name(index):
    match = index.locate("溪东区东湖街道的居民反映，白鹭县一家工厂排污。")
    assert decided(match) == DONGHU
    assert "“白鹭县”" in match.reason and "未采用" in match.reason


def test_address_beats_body(index):
    match = index.locate("我儿子在白鹭县石桥镇上学。", address="溪东区东湖街道")
    assert decided(match) == DONGHU
    assert "以地址为准" in match.reason
    assert match.evidence[:2] == ["溪东区", "东湖街道"]  # address first


def test_body_refines_the_address(index):
    assert decided(index.locate("湖滨社区门口的路灯坏了。", address="溪东区")) == HUBIN
    # the address's district picks which 石桥社区 the body means
    assert decided(index.locate("石桥社区门口的路灯坏了。", address="白鹭县")) == SHIQIAO_BAILU


def test_body_breaks_a_tie_left_by_the_address(index):
    match = index.locate("白鹭县的群众反映。", address="石桥社区5栋")
    assert decided(match) == SHIQIAO_BAILU


# ---------------------------------------------------------------- landmarks


def test_landmarks(index):
    match = index.locate("青溪大道边上的工地夜间施工。")
    assert decided(match) == DONGHU  # the landmark, not 青溪 (the city's short form)
    assert match.evidence == ["青溪大道"]
    assert "青溪市溪东区东湖街道" in match.reason
    assert decided(index.locate("白鹭县恒达广场的商户被乱收费。")) == SHIQIAO_TOWN
    without = PlaceIndex(ROWS)
    assert without.locate("青溪大道边上的工地夜间施工。").code is None  # 青溪 + 大道 is a road


def test_a_landmark_against_a_place_elsewhere_is_ambiguous(index):
    match = index.locate("恒达广场的商户反映，溪西区也有同样问题。")
    assert match.ambiguous and set(match.candidates) == {SHIQIAO_TOWN, "990103"}


# ---------------------------------------------------------------- building


def test_bad_rows_are_refused():
    with pytest.raises(ValueError, match="重复"):
        PlaceIndex([("99", "示范省", None, 1), ("99", "示范省", None, 1)])
    with pytest.raises(ValueError, match="不存在"):
        PlaceIndex([("9901", "青溪市", "98", 2)])
    with pytest.raises(ValueError, match="地标"):
        PlaceIndex(ROWS, [("青溪大道", "000000")])
    with pytest.raises(ValueError, match="成环"):
        PlaceIndex([("1", "甲区", "2", 3), ("2", "乙区", "1", 3)])


def test_path_name(index):
    assert index.path_name(HUBIN) == "青溪市溪东区东湖街道湖滨社区"
    assert index.path_name(HUBIN, from_level=3) == "溪东区东湖街道湖滨社区"
    assert index.path_name("99") == "示范省"


# ---------------------------------------------------------------- generated cases


def test_readings_of_a_written_chain(index):
    assert readings_of(index, ["石桥社区"]) == (SHIQIAO_XIDONG, SHIQIAO_BAILU)
    assert readings_of(index, ["白鹭县", "石桥社区"]) == (SHIQIAO_BAILU,)
    assert readings_of(index, ["溪东", "湖滨"]) == (HUBIN,)
    assert readings_of(index, ["白鹭县", "湖滨社区"]) == ()


def test_generated_cases_are_seeded_and_varied():
    cases, landmarks = generate_cases(ROWS, n=300, seed=7)
    again, landmarks_again = generate_cases(ROWS, n=300, seed=7)
    other, _ = generate_cases(ROWS, n=300, seed=8)
    assert cases == again and landmarks == landmarks_again
    assert cases != other
    kinds = {case.kind for case in cases}
    assert {"short_forms", "name_only", "ancestor_resolves", "landmark", "no_place", "conflict"} <= kinds
    assert any(case.ambiguous for case in cases)
    assert any(case.expected is None and not case.ambiguous for case in cases)
    assert all(case.expected is None for case in cases if case.ambiguous)
    codes = {code for code, *_ in ROWS}
    assert all(code in codes for _, code in landmarks)


# Measured over seeds 0–9: 97.5–99.5 % correct on ROWS and on a 2,000-division synthetic tree, no wrong
# guess. The misses are deliberate: a short form directly followed by a noun (湖滨路灯, 解决湖滨自来水 —
# 湖滨路 reads as a road) is not taken as a place; that is three of the twelve sentences, in the half of the
# short-form cases written in body text, about 1.5–2.5 % of all cases. 95 % leaves room for the seed and
# still fails if short forms, landmarks or ambiguity handling break (each is 10–25 % of the cases). A
# wrong guess costs more than a miss (the registrar may not notice it), so its ceiling is 1 %.
MIN_ACCURACY = 0.95
MAX_WRONG_GUESS = 0.01


@pytest.mark.parametrize("tree", ["small", "synthetic"])
def test_accuracy_on_generated_cases(tree):
    rows = ROWS if tree == "small" else synthetic_divisions(2000, seed=3)
    cases, landmarks = generate_cases(rows, n=1500, seed=11)
    totals = score_cases(PlaceIndex(rows, landmarks).locate, cases)["totals"]
    assert totals["correct"] / totals["cases"] >= MIN_ACCURACY, totals
    assert totals["wrong_guess"] / totals["cases"] <= MAX_WRONG_GUESS, totals


def test_scoring_counts_ambiguity_as_correct_only_when_truly_ambiguous(index):
    cases, landmarks = generate_cases(ROWS, n=400, seed=5)

    def always_ambiguous(text, address=""):
        match = index.locate(text, address)
        match.ambiguous, match.code = True, None
        match.candidates = sorted(index.divisions)
        return match

    totals = score_cases(always_ambiguous, cases)["totals"]
    assert totals["correct"] == sum(case.ambiguous for case in cases)
    assert totals["false_ambiguity"] == totals["cases"] - totals["correct"]


def test_synthetic_tree_repeats_village_names():
    rows = synthetic_divisions(5000, seed=1)
    assert 4000 <= len(rows) <= 6000
    index = PlaceIndex(rows)  # a valid tree
    villages = [name for _, name, _, level in rows if level == 5]
    assert len(set(villages)) < 0.8 * len(villages)
    assert {level for *_, level in rows} == {1, 2, 3, 4, 5}
    assert all(index.divisions[code].level == level for code, _, _, level in rows)
