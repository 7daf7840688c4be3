"""检举控告 never reaches the accused (art. 30, 46), whatever the way in and however the names are
written: until 市纪委监委 (the screening unit of the city's matters) has resolved whom it names,
only that unit sees it; afterwards neither the named units (with their sub-units) nor the named
people (with their unit's colleagues and head) see it or can be given it."""

import pytest
from conftest import PETITIONER, Driver, _user, sign_in
from test_api import Api, new_matter_body, token_for
from test_ledger_import import HEADER, row, run_import, write_xlsx
from test_open311 import post_request
from test_pages import _registration_post

from xinfang.org.models import Role, Unit
from xinfang.petitions.choices import Nature
from xinfang.petitions.forms import DispatchForm
from xinfang.petitions.models import Category, Matter
from xinfang.petitions.scoping import hidden_from, hidden_from_user, hidden_q
from xinfang.petitions.screening import ScreeningError, hand_up, screen, suggestion_for

# How the petitioner wrote the named parties, and who is then accused: units by key of
# world.units, people by username. 彭刚 is a handler of 东湖街道办事处 (t1), whose head is tina.
NAMINGS = {
    "unit": ("东湖街道办事处", {"t1"}, set()),
    "person": ("彭刚", set(), {"peng"}),
    "person_with_unit": ("东湖街道办事处彭刚", {"t1"}, {"peng"}),
    "person_with_title": ("彭刚主任", set(), {"peng"}),
    "bureau_and_person": ("东城区信访局、东湖街道办事处彭刚", {"d1_bureau", "t1"}, {"peng"}),
}


def accused_side(world, units, people):
    """Usernames that must never see the matter: users of named units and their sub-units, named
    people and the users of their own unit."""
    named_units = [getattr(world.units, key) for key in units]
    person_units = {world.users[name].unit_id for name in people}
    return {
        name
        for name, user in world.users.items()
        if any(user.unit.is_within(u) for u in named_units) or user.unit_id in person_units or name in people
    }


@pytest.fixture
def w(world):
    world.users["peng"] = world.peng = _user("peng", world.units.t1, Role.HANDLER, full_name="彭刚")
    return world


def via_portal(client, w, text):
    data = {
        "name": PETITIONER["name"],
        "id_number": PETITIONER["id_number"],
        "phone": PETITIONER["phone"],
        "address": PETITIONER["address"],
        "division": w.divisions.village.pk,
        "nature": "accusation",
        "request_type": "report",
        "category": w.category.pk,
        "title": "反映有关人员违规收费",
        "content": "有关人员在办理拆迁补偿时收取好处费。",
        "request": "请求查处。",
        "complained": text,
        "consent": "on",
    }
    assert client.post("/portal/file/", data).status_code == 302
    client.logout()


def via_staff_form(client, w, text):
    sign_in(client, "alice")
    data = _registration_post(w, nature="accusation", request_type="report", complained_person=text)
    response = client.post("/matters/register/", data)
    # A walk-in: its receipt (code and dates only), not its detail page.
    assert response.status_code == 302 and response["Location"].endswith("/receipt/")
    client.logout()


def via_api(client, w, text):
    api = Api(client, token_for(w.alice)[1])
    body = new_matter_body(w, nature=Nature.ACCUSATION, request_type="report", complained_person=text)
    response = api.post("/matters", body)
    assert response.status_code == 201, response.content


def via_open311(client, w, text):
    key = token_for(w.alice, ["intake"])[1]
    service = Category.objects.get(name="贪污贿赂")
    description = f"举报{text}收受好处\n在办理拆迁补偿时收取好处费。"
    response = post_request(client, key, w, service_code=str(service.pk), description=description)
    assert response.status_code == 201, response.content


def via_ledger(client, w, text, tmp_path):
    path = write_xlsx(tmp_path / "t.xlsx", [[*row(1), "检举控告", text]], [*HEADER, "事项性质", "被反映人"])
    job = run_import(w.alice, path)
    assert job.written == 1, job.errors


PATHS = {
    "portal": via_portal,
    "staff_form": via_staff_form,
    "api": via_api,
    "open311": via_open311,
    "ledger": via_ledger,
}


@pytest.mark.parametrize("naming", sorted(NAMINGS))
@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_way_in_keeps_the_accusation_from_the_named(client, w, tmp_path, path, naming):
    text, units, people = NAMINGS[naming]
    args = (client, w, text, tmp_path) if path == "ledger" else (client, w, text)
    PATHS[path](*args)
    matter = Matter.objects.get()
    assert matter.nature == Nature.ACCUSATION
    assert matter.screening_unit == w.units.discipline and matter.screened_at is None

    # Before screening: 市纪委监委 alone, not even the bureau that registered it.
    seeing = {name for name, u in w.users.items() if Matter.objects.visible_to(u).filter(pk=matter.pk)}
    assert seeing == {"dora"}

    # The suggestions find the named parties as written; dora confirms them.
    found = suggestion_for(matter)
    expected_units = {getattr(w.units, key) for key in units}
    expected_people = {w.users[name] for name in people}
    assert {u for u, _ in found.units} >= expected_units
    assert {u for u, _ in found.users} == expected_people
    screen(matter.pk, w.dora, units=expected_units, users=expected_people)

    hidden = accused_side(w, units, people)
    assert hidden >= {"peng", "tina"} if people else hidden >= {"tom", "tina"}  # the unit head too
    for name, user in w.users.items():
        sees = Matter.objects.visible_to(user).filter(pk=matter.pk).exists()
        if name in hidden:
            assert not sees, name
        if user.does_casework and name not in hidden and name in {"carol", "dora", "leo", "sam"}:
            assert sees, name  # the city sees it again once screened

    # Nobody can give it to an accused unit: the dispatch form never offers one.
    matter.refresh_from_db()
    offered = set(DispatchForm(matter=matter, user=w.bob).fields["unit"].queryset)
    person_units = {p.unit_id for p in expected_people}
    for unit in Unit.objects.all():
        if unit.pk in person_units or any(unit.is_within(u) for u in expected_units):
            assert unit not in offered, unit


def test_the_accused_cannot_find_it_through_pages_or_dispatch_it(client, w):
    d = Driver(w)
    matter = d.register(
        nature=Nature.ACCUSATION, request_type="report", complained_person="东湖街道办事处彭刚"
    )
    for username in ("alice", "bob", "tina", "peng"):
        sign_in(client, username)
        assert client.get(f"/matters/{matter.pk}/").status_code == 404
        assert client.get(f"/matters/{matter.pk}/screen/").status_code == 404
        assert matter.display_code not in client.get("/matters/", {"tab": "all"}).content.decode()
    sign_in(client, "dora")
    assert "核定被反映对象" in client.get(f"/matters/{matter.pk}/").content.decode()
    todo = client.get("/matters/").content.decode()
    assert matter.display_code in todo  # waiting in 市纪委监委's queue
    page = client.get(f"/matters/{matter.pk}/screen/").content.decode()
    assert "彭刚" in page and "checked" in page
    response = client.post(
        f"/matters/{matter.pk}/screen/", {"units": [w.units.t1.pk], "users": [w.peng.pk], "note": ""}
    )
    assert response.status_code == 302
    matter.refresh_from_db()
    assert matter.screened_at is not None and matter.screened_by == w.dora
    assert {str(p) for p in matter.accused_parties.all()} == {"东湖街道办事处", "东湖街道办事处彭刚"}
    sign_in(client, "bob")
    page = client.get(f"/matters/{matter.pk}/act/assign/").content.decode()
    assert f'value="{w.units.t1.pk}"' not in page and f'value="{w.units.d1_dept.pk}"' in page
    response = client.post(
        f"/matters/{matter.pk}/act/assign/", {"version": matter.version, "unit": w.units.t1.pk}
    )
    matter.refresh_from_db()
    assert matter.handling_unit is None
    for username in ("tina", "tom", "peng"):
        sign_in(client, username)
        assert client.get(f"/matters/{matter.pk}/").status_code == 404


def test_a_screening_unit_named_itself_must_hand_it_up(w):
    d = Driver(w)
    dora_boss = _user("dora_head", w.units.discipline, Role.UNIT_HEAD, full_name="纪委负责人")
    matter = d.register(nature=Nature.ACCUSATION, request_type="report", complained_person="彭刚")
    with pytest.raises(ScreeningError, match="回避"):
        screen(matter.pk, w.dora, units=[w.units.discipline])
    with pytest.raises(ScreeningError, match="回避"):
        screen(matter.pk, w.dora, users=[dora_boss])
    with pytest.raises(ScreeningError, match="核定"):
        screen(matter.pk, w.bob, units=[w.units.t1])  # not the screening unit
    with pytest.raises(ScreeningError, match="上一级"):  # nothing above 青溪市 in this world
        hand_up(matter.pk, w.dora, reason="本委负责人被反映")


def test_the_text_naming_the_discipline_unit_sends_screening_up(w):
    """A province above the city: an accusation naming 市纪委监委 is screened there."""
    province_gov = Unit.objects.create(name="某省人民政府", kind=Unit.Kind.GOVERNMENT)
    province_jiwei = Unit.objects.create(name="某省纪委监委", kind=Unit.Kind.DISCIPLINE, parent=province_gov)
    w.units.city_gov.parent = province_gov
    w.units.city_gov.save()
    d = Driver(w)
    for unit in Unit.objects.all():
        unit.refresh_from_db()
    w.alice.unit.refresh_from_db()
    matter = d.register(nature=Nature.ACCUSATION, request_type="report", complained_person="青溪市纪委监委")
    assert matter.screening_unit == province_jiwei
    assert not Matter.objects.visible_to(w.dora).filter(pk=matter.pk).exists()


def test_the_query_and_the_check_in_memory_hide_the_same_matters(w):
    """hidden_q (the lists' SQL) and hidden_from / hidden_from_user (dispatch targets, 督办
    addressees, notices) decide alike for every unit and user of the world."""
    d = Driver(w)
    kinds = {"unit": [w.units.t1], "bureau": [w.units.d1_bureau], "none": []}
    matters = [d.register(title="普通事项")]  # not an accusation: hidden from nobody
    matters.append(d.register(nature=Nature.ACCUSATION, request_type="report", complained_person="彭刚"))
    for units in kinds.values():
        for users in ([], [w.peng], [w.users["leo"]]):  # a person of a unit with units below it
            m = d.register(nature=Nature.ACCUSATION, request_type="report", complained_person="某某")
            screen(m.pk, w.dora, units=units, users=users, note="未指向具体单位和人员")
            matters.append(m)
    ids = [m.pk for m in matters]
    for unit in Unit.objects.all():
        by_query = set(Matter.objects.filter(pk__in=ids).filter(hidden_q(unit)).values_list("pk", flat=True))
        in_memory = {m.pk for m in Matter.objects.filter(pk__in=ids) if hidden_from(m, unit)}
        assert by_query == in_memory, unit
    for name, user in w.users.items():
        if user.unit is None:
            continue
        by_query = set(
            Matter.objects.filter(pk__in=ids).filter(hidden_q(user.unit, user)).values_list("pk", flat=True)
        )
        in_memory = {m.pk for m in Matter.objects.filter(pk__in=ids) if hidden_from_user(m, user)}
        assert by_query == in_memory, name
    assert (
        len(
            {
                frozenset(Matter.objects.filter(hidden_q(u)).values_list("pk", flat=True))
                for u in Unit.objects.all()
            }
        )
        > 2
    )
