"""The scoping matrix: every persona × matters inside and outside its scope × list, detail and
every action page. The expected visibility is written out by hand from the rules in scoping.py's
docstring, so a change to the rules has to change this table too."""

import pytest
from conftest import Driver, sign_in

from xinfang.petitions.choices import Nature, RequestType, Status
from xinfang.petitions.models import Matter
from xinfang.petitions.screening import screen
from xinfang.petitions.services import TransitionError, can_perform, perform
from xinfang.petitions.workflow import TRANSITIONS

# Matters of the matrix (see build_matters):
#   M1  东湖街道湖滨社区 (in 东城区, in 东湖街道), registered by 市信访局, assigned to 东城区住建局
#   M2  南山区, registered by 南山区信访局, assigned to 南山区住建局
#   M3  检举控告 against 东城区住建局, 西岭镇 (东城区, not 东湖街道), assigned to 市纪委监委
#   M4  检举控告 against the person 钱卫东 (a registrar of 东城区信访局), 西岭镇
#   M5  西岭镇 (东城区), registered by 市信访局, still at the bureau
#   M6  检举控告 against 东湖街道办事处, in its own territory (湖滨社区), still at the bureau
#   M7  检举控告 naming "东湖街道办事处钱卫东", not yet screened: only 市纪委监委 sees it
# 市纪委监委 (dora) screened M3, M4 and M6 (screening.py) and keeps seeing them.
CITY_TERRITORIAL = {"M1", "M2", "M3", "M4", "M5", "M6"}
D1_TERRITORIAL = {"M1", "M3", "M4", "M5", "M6"}
EXPECTED = {
    "alice": CITY_TERRITORIAL,
    "bob": CITY_TERRITORIAL,
    "carol": CITY_TERRITORIAL,
    "sam": CITY_TERRITORIAL,
    "leo": CITY_TERRITORIAL,
    "ann": set(),  # analyst: aggregates only
    "root": set(),  # administrator: configuration only
    "audrey": set(),  # auditor: the audit log only
    "hugo": set(),  # 市住建局: nothing was given to it
    "dora": {"M3", "M4", "M6", "M7"},  # 市纪委监委 screens the accusations and handles M3
    # 钱卫东 is accused in M4: neither he nor anyone of his unit (its head included) sees it
    "dan": D1_TERRITORIAL - {"M4"},
    "dave": D1_TERRITORIAL - {"M4"},
    "dina": D1_TERRITORIAL - {"M4"},
    "qian": D1_TERRITORIAL - {"M4"},
    "hank": {"M1"},  # 东城区住建局: M1 was assigned to it; M3 accuses it
    "hope": {"M1"},
    "tom": {"M1"},  # 东湖街道 covers M1's and M6's place, but M6 accuses it
    "tina": {"M1"},
    "nick": {"M2"},
    "nora": {"M2"},
    # 网格员 and 社会信息员 of 东湖街道: no petition matter at all, although their unit sees M1
    "gwen": set(),
    "ivy": set(),
}


def build_matters(world):
    d = Driver(world)
    w = world
    m1 = d.do(d.register(), "assign", unit=w.units.d1_dept)

    d2_fields = {"division": w.divisions.d2}
    m2 = _register_as(d, w.nick, d2_fields)
    m2 = d.do(m2, "assign", actor=w.nick, unit=w.units.d2_dept)

    accusation = {
        "nature": Nature.ACCUSATION,
        "request_type": RequestType.REPORT,
        "division": w.divisions.other_township,
    }
    m3 = d.register(complained_unit=w.units.d1_dept, **accusation)
    screen(m3.pk, w.dora, units=[w.units.d1_dept])
    m3 = d.do(m3, "assign", unit=w.units.discipline)
    m4 = d.register(complained_person="钱卫东", **accusation)
    screen(m4.pk, w.dora, users=[w.qian])
    m5 = d.register(division=w.divisions.other_township)
    accusation["division"] = w.divisions.village
    m6 = d.register(complained_unit=w.units.t1, **accusation)
    screen(m6.pk, w.dora, units=[w.units.t1])
    m7 = d.register(complained_person="东湖街道办事处钱卫东", **accusation)
    return {"M1": m1, "M2": m2, "M3": m3, "M4": m4, "M5": m5, "M6": m6, "M7": m7}


def _register_as(driver, user, overrides):
    from conftest import PETITIONER, matter_fields

    from xinfang.petitions.services import register_matter

    fields = matter_fields(driver.w, received_at=driver.now, **overrides)
    return register_matter(user, fields=fields, petitioners=[dict(PETITIONER)], now=driver.now)


@pytest.fixture
def matrix(world):
    return world, build_matters(world)


def test_every_persona_is_in_the_table(world):
    assert set(EXPECTED) == set(world.users)


def test_visible_to_matches_the_table(matrix):
    world, matters = matrix
    names = {m.pk: key for key, m in matters.items()}
    for username, user in world.users.items():
        seen = {names[pk] for pk in Matter.objects.visible_to(user).values_list("pk", flat=True)}
        assert seen == EXPECTED[username], username


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_pages_respect_scope(client, matrix, username):
    world, matters = matrix
    user = world.users[username]
    sign_in(client, username)
    visible = EXPECTED[username]

    listing = client.get("/matters/?tab=all")
    if not user.does_casework:
        assert listing.status_code == 403
    else:
        body = listing.content.decode()
        for key, m in matters.items():
            assert (m.display_code in body) == (key in visible), (username, key)

    for key, m in matters.items():
        detail = client.get(f"/matters/{m.pk}/")
        expected_detail = 200 if key in visible else (403 if not user.does_casework else 404)
        assert detail.status_code == expected_detail, (username, key)
        # The screening page: only 市纪委监委 for the unscreened M7; others who see a matter are sent
        # back to it.
        expected_screen = 200 if (key, username) == ("M7", "dora") else 302
        expected_screen = expected_screen if key in visible else expected_detail
        assert client.get(f"/matters/{m.pk}/screen/").status_code == expected_screen, (username, key)
        for name, t in TRANSITIONS.items():
            page = client.get(f"/matters/{m.pk}/act/{name}/")
            allowed = can_perform(user, m, t)
            if key not in visible:
                assert not allowed
                assert page.status_code in {403, 404}, (username, key, name)
            else:
                assert page.status_code == (200 if allowed else 403), (username, key, name)


@pytest.mark.parametrize("username", sorted(EXPECTED))
def test_write_path_refuses_out_of_scope(matrix, username):
    world, matters = matrix
    user = world.users[username]
    for key, m in matters.items():
        if key in EXPECTED[username]:
            continue
        for name in TRANSITIONS:
            with pytest.raises(TransitionError):
                perform(m.pk, user, name, note="越权尝试")
        m.refresh_from_db()
        assert m.status in {Status.REGISTERED, Status.DISPATCHED}


def test_earlier_matters_lookup_is_scoped(client, matrix):
    world, matters = matrix
    sign_in(client, "nick")
    body = client.post("/matters/earlier/", {"phone": "13800138000"}).content.decode()
    assert matters["M2"].display_code in body
    assert matters["M1"].display_code not in body


def test_attachment_download_is_scoped(client, world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from xinfang.petitions.services import register_matter

    d = Driver(world)
    from conftest import PETITIONER, matter_fields

    matter = register_matter(
        world.alice,
        fields=matter_fields(world, received_at=d.now),
        petitioners=[dict(PETITIONER)],
        files=[SimpleUploadedFile("来信.pdf", b"%PDF-1.4 letter", content_type="application/pdf")],
        now=d.now,
    )
    att = matter.attachments.get()
    sign_in(client, "alice")
    assert client.get(f"/matters/attachments/{att.pk}/").status_code == 200
    sign_in(client, "nora")
    assert client.get(f"/matters/attachments/{att.pk}/").status_code == 404


ACCUSATIONS = {
    "M3": ["hank", "hope"],
    "M4": ["qian", "dina", "dave"],
    "M6": ["tom", "tina"],
    "M7": ["alice", "bob", "qian", "tom", "tina"],
}


@pytest.mark.parametrize("key", sorted(ACCUSATIONS))
def test_accusation_cannot_be_found_by_the_accused_through_any_search(client, matrix, key):
    """By tracking code, by title, by the petitioner's phone (similar-matter lookup), in every tab."""
    world, matters = matrix
    m = matters[key]
    link = f'href="/matters/{m.pk}/"'  # the search box echoes the query, so look for the row's link
    for username in ACCUSATIONS[key]:
        sign_in(client, username)
        for tab in ["", "all"]:
            for q in [m.display_code, m.code, m.title[:6]]:
                body = client.get("/matters/", {"tab": tab, "q": q}).content.decode()
                assert link not in body, (username, tab, q)
        body = client.post("/matters/earlier/", {"phone": "13800138000"}).content.decode()
        assert m.display_code not in body and link not in body, username
        client.logout()
    # The same searches do find it for someone allowed to see it.
    allowed = next(u for u, keys in EXPECTED.items() if key in keys and world.users[u].does_casework)
    sign_in(client, allowed)
    assert link in client.get("/matters/", {"tab": "all", "q": m.display_code}).content.decode()
