"""The REST API: tokens (hashed, scoped, expiring, revocable), rate limits, scoping and masking, the
idempotent intake and transitions through the same forms and write path as the pages."""

import json
from datetime import timedelta

import pytest
from conftest import PETITIONER, Driver
from django.core.management import call_command
from django.utils import timezone

from xinfang.api.models import ApiIntake, ApiToken
from xinfang.audit.models import AuditEntry
from xinfang.petitions.choices import Nature, RequestType, Status
from xinfang.petitions.models import Matter

ALL = ["read", "intake", "transition"]


def token_for(user, scopes=ALL, days=30):
    return ApiToken.issue(
        name=f"{user.username}的系统",
        user=user,
        scopes=scopes,
        expires_at=timezone.now() + timedelta(days=days),
    )


class Api:
    def __init__(self, client, token):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path, **params):
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path, body):
        return self.client.post(f"/api/v1{path}", body, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_as(client):
    def make(user, scopes=ALL):
        return Api(client, token_for(user, scopes)[1])

    return make


def new_matter_body(world, **overrides):
    body = {
        "client_key": "hotline-20250303-0001",
        "channel": "phone",
        "received_at": "2025-03-03T09:30:00+08:00",
        "title": "小区物业费上涨",
        "content": "物业公司未经业主大会同意上调物业费。",
        "request": "恢复原收费标准",
        "nature": Nature.APPEAL,
        "request_type": RequestType.COMPLAINT,
        "division_code": world.divisions.d1.code,
        "category_id": world.category.pk,
        "petitioners": [dict(PETITIONER)],
    }
    body.update(overrides)
    return body


def test_token_is_stored_as_a_hash_and_refused_when_wrong_expired_revoked_or_disabled(client, world):
    row, text = token_for(world.alice)
    assert text.startswith(f"xft_{row.key_id}_") and text.split("_", 2)[2] not in row.secret_hash
    assert len(row.secret_hash) == 64
    ok = Api(client, text)
    assert ok.get("/reference/units").status_code == 200
    assert (
        Api(client, text[:-1] + ("A" if text[-1] != "A" else "B")).get("/reference/units").status_code == 401
    )
    assert client.get("/api/v1/reference/units").status_code == 401  # no token at all
    response = Api(client, "not-a-token").get("/reference/units")
    assert response.status_code == 401 and "令牌无效" in response.json()["detail"]

    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert ok.get("/reference/units").status_code == 401
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() + timedelta(days=1))
    world.alice.is_active = False
    world.alice.save()
    assert ok.get("/reference/units").status_code == 401
    world.alice.is_active = True
    world.alice.save()
    assert ok.get("/reference/units").status_code == 200
    call_command("tokens", "revoke", row.key_id, stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ok.get("/reference/units").status_code == 401


def test_scopes_limit_what_a_token_may_do(world, api_as):
    reader = api_as(world.alice, ["read"])
    assert reader.get("/matters").status_code == 200
    response = reader.post("/matters", new_matter_body(world))
    assert response.status_code == 403 and "登记新事项" in response.json()["detail"]
    matter = Driver(world).register()
    response = reader.post(f"/matters/{matter.pk}/transitions/assign", {"version": 1, "fields": {}})
    assert response.status_code == 403 and "办理流转" in response.json()["detail"]
    assert Matter.objects.count() == 1


def test_calls_beyond_the_rate_are_refused_with_retry_after(world, api_as, settings):
    settings.XINFANG_API_RATE = "3/m"
    api = api_as(world.alice)
    assert [api.get("/reference/units").status_code for _ in range(3)] == [200] * 3
    response = api.get("/reference/units")
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 61
    assert "请求过于频繁" in response.json()["detail"]
    assert api_as(world.bob).get("/reference/units").status_code == 200  # counted per token


def test_guessing_tokens_from_one_address_is_slowed_down(client, world, settings):
    settings.XINFANG_API_FAILURE_RATE = "5/m"
    right = token_for(world.alice)[1]
    assert Api(client, right).get("/reference/units").status_code == 200  # a right token is no failure
    codes = [Api(client, f"xft_000000000000_guess{i}").get("/matters").status_code for i in range(7)]
    assert codes == [401] * 5 + [429] * 2
    # A blocked address gets no answer on whether a token is right.
    assert Api(client, right).get("/reference/units").status_code == 429


def test_list_is_scoped_newest_first_with_cursor_paging(world, api_as):
    d = Driver(world)
    mine = [d.do(d.register(title=f"事项{i}"), "assign", unit=world.units.d1_dept) for i in range(5)]
    d.register(title="还在市信访局")  # not given to 东城区住建局
    hank = api_as(world.hank)
    first = hank.get("/matters", limit=2).json()
    assert [m["id"] for m in first["items"]] == [mine[4].pk, mine[3].pk]
    second = hank.get("/matters", limit=2, cursor=first["next_cursor"]).json()
    third = hank.get("/matters", limit=2, cursor=second["next_cursor"]).json()
    assert [m["id"] for m in second["items"] + third["items"]] == [mine[2].pk, mine[1].pk, mine[0].pk]
    assert third["next_cursor"] is None
    assert hank.get("/matters", cursor="!!").status_code == 422
    assert hank.get("/matters", status=Status.HANDLING).json()["items"] == []
    misspelt = hank.get("/matters", stauts=Status.HANDLING)  # must not silently list everything
    assert misspelt.status_code == 422 and misspelt.json()["errors"] == {"stauts": ["不支持该参数"]}
    assert hank.get("/matters", received_from="0").json()["errors"] == {
        "received_from": ["日期格式应为 YYYY-MM-DD"]
    }
    assert len(api_as(world.alice).get("/matters", limit=50).json()["items"]) == 6


def test_detail_masks_personal_data_for_roles_that_see_it_masked(world, api_as):
    matter = Driver(world).register()
    full = api_as(world.alice).get(f"/matters/{matter.pk}").json()
    assert full["personal_data"] == "full" and full["petitioners"][0]["phone"] == PETITIONER["phone"]
    assert AuditEntry.objects.filter(action="read_personal", target=f"matter:{matter.pk}").count() == 1
    masked = api_as(world.sam).get("/matters", limit=5)
    assert masked.status_code == 200
    detail = api_as(world.sam).get(f"/matters/{matter.pk}").json()
    assert detail["personal_data"] == "masked"
    assert detail["petitioners"][0]["phone"] == "138****8000"
    assert PETITIONER["id_number"] not in str(detail)
    assert api_as(world.nora).get(f"/matters/{matter.pk}").status_code == 404  # out of scope
    assert api_as(world.ann).get(f"/matters/{matter.pk}").status_code == 403  # analyst: no casework


def test_accusation_is_invisible_to_the_accused_unit_through_the_api(world, api_as):
    d = Driver(world)
    accusation = d.register(
        nature=Nature.ACCUSATION,
        request_type=RequestType.REPORT,
        complained_unit=world.units.d1_dept,
        division=world.divisions.other_township,
    )
    for username in ["dan", "hank", "hope"]:  # before screening only 市纪委监委 sees it
        assert api_as(world.users[username]).get(f"/matters/{accusation.pk}").status_code == 404
    assert api_as(world.dora).get(f"/matters/{accusation.pk}").status_code == 200
    d.screen(accusation, units=[world.units.d1_dept])
    for username in ["hank", "hope"]:
        api = api_as(world.users[username])
        assert accusation.pk not in [m["id"] for m in api.get("/matters", limit=200).json()["items"]]
        assert api.get(f"/matters/{accusation.pk}").status_code == 404
    assert api_as(world.dan).get(f"/matters/{accusation.pk}").status_code == 200


def test_intake_is_idempotent_by_client_key(world, api_as):
    api = api_as(world.alice)
    first = api.post("/matters", new_matter_body(world))
    assert first.status_code == 201, first.content.decode()
    again = api.post("/matters", new_matter_body(world, title="重发时标题不同"))
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Matter.objects.count() == 1 and ApiIntake.objects.count() == 1
    matter = Matter.objects.get()
    assert matter.registered_by == world.alice and matter.status == Status.REGISTERED
    assert matter.petitioners.get().phone == PETITIONER["phone"]
    # The key is the integration's own: another account's same key is another matter.
    assert api_as(world.bob).post("/matters", new_matter_body(world)).status_code == 201
    assert Matter.objects.count() == 2


def test_intake_reports_every_bad_field_in_chinese_and_writes_nothing(world, api_as):
    api = api_as(world.alice)
    body = new_matter_body(
        world,
        division_code="990199999999",
        petitioners=[{"name": "张三", "id_number": "110101199003071234", "phone": "12345"}],
    )
    response = api.post("/matters", body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "不存在" in errors["division_code"][0]
    assert "petitioners[0].id_number" in errors and "petitioners[0].phone" in errors
    assert not Matter.objects.exists()
    response = api.post("/matters", new_matter_body(world, nature=Nature.ACCUSATION))
    assert "检举控告类事项请填写被反映单位或被反映人" in str(response.json())
    assert api_as(world.hank).post("/matters", new_matter_body(world)).status_code == 403  # not a registrar
    assert api.post("/matters", {"title": "缺字段"}).status_code == 422
    # PostgreSQL cannot keep a UTC offset beyond ±15:59 (it answered 500), nor is one real
    far = api.post("/matters", new_matter_body(world, received_at="2025-03-03T09:30:00+19:49"))
    assert far.status_code == 422 and far.json()["errors"]["received_at"] == [
        "时区偏移应在 ±14:00 以内，如 +08:00"
    ]
    as_number = api.post("/matters", new_matter_body(world, received_at=1741000000))
    assert as_number.status_code == 422 and "ISO 8601" in as_number.json()["errors"]["received_at"][0]


@pytest.mark.parametrize("text", ["物业\udb56费", "物业\x00费"])
def test_text_no_database_can_store_is_refused_in_chinese_on_every_call(world, api_as, text):
    """JSON may escape a NUL or half a surrogate pair; PostgreSQL cannot store either (it answered 500)."""
    api = api_as(world.alice)
    body = new_matter_body(world, petitioners=[dict(PETITIONER, name=text)])
    raw = json.dumps(body)  # escapes them as \\udb56 and \\u0000, as a client would send them
    response = api.client.post("/api/v1/matters", raw, content_type="application/json", headers=api.headers)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "「petitioners.0.name」含有无法保存的字符（空字符或残缺的编码），请删去后重试。"
    }
    hotline = api.client.post(
        "/api/v1/hotline/orders", json.dumps({text: 1}), content_type="application/json", headers=api.headers
    )
    assert hotline.status_code == 400 and "无法保存的字符" in hotline.json()["detail"]
    assert not Matter.objects.exists()
    broken = api.client.post(
        "/api/v1/matters", b"{\xff", content_type="application/json", headers=api.headers
    )
    assert broken.status_code == 400 and broken.json() == {
        "detail": "请求内容不是合法的 JSON（应为 UTF-8 编码）。"
    }


def test_transitions_use_the_same_checks_and_write_path_as_the_pages(world, api_as):
    matter = Driver(world).register()
    bob = api_as(world.bob)
    response = bob.post(
        f"/matters/{matter.pk}/transitions/assign",
        {"version": matter.version, "note": "请依法办理", "fields": {"unit": str(world.units.d1_dept.pk)}},
    )
    assert response.status_code == 200, response.content.decode()
    body = response.json()
    assert body["status"] == Status.DISPATCHED and body["holder_unit"] == world.units.d1_dept.name
    matter.refresh_from_db()
    assert matter.events.latest("pk").actor == world.bob
    assert AuditEntry.objects.filter(action="change", target=f"matter:{matter.pk}").count() == 2

    stale = bob.post(f"/matters/{matter.pk}/transitions/withdraw", {"version": 1, "note": "撤回了"})
    assert stale.status_code == 409 and "已被他人修改" in stale.json()["detail"]
    assert (
        api_as(world.alice)
        .post(f"/matters/{matter.pk}/transitions/accept", {"version": matter.version})
        .status_code
        == 403
    )
    hank = api_as(world.hank)
    bad = hank.post(
        f"/matters/{matter.pk}/transitions/extend", {"version": matter.version, "fields": {"days": "x"}}
    )
    assert bad.status_code == 403  # not yet accepted, so 延期 is not open
    assert (
        hank.post(f"/matters/{matter.pk}/transitions/accept", {"version": matter.version}).status_code == 200
    )
    matter.refresh_from_db()
    hope = api_as(world.hope)
    bad = hope.post(
        f"/matters/{matter.pk}/transitions/extend", {"version": matter.version, "fields": {"days": "x"}}
    )
    assert bad.status_code == 422 and "days" in bad.json()["errors"]
    assert hope.post(f"/matters/{matter.pk}/transitions/nonsense", {"version": 1}).status_code == 404


def test_tokens_command_issues_lists_and_revokes(world, capsys):
    call_command("tokens", "create", "12345热线", "--user", "alice", "--scope", "read,intake", "--days", "30")
    out = capsys.readouterr().out
    text = out.strip().splitlines()[-1]
    row = ApiToken.authenticate(text)
    assert row is not None and row.scopes == ["intake", "read"] and row.user == world.alice
    assert AuditEntry.objects.filter(action="admin_change", target=f"api.apitoken:{row.pk}").exists()
    call_command("tokens", "list")
    assert row.key_id in capsys.readouterr().out
    with pytest.raises(Exception, match="未知的权限范围"):
        call_command("tokens", "create", "x", "--user", "alice", "--scope", "everything")


def test_intake_from_above_carries_the_upper_number_and_deadline(world, api_as):
    api = api_as(world.alice)
    body = new_matter_body(world, channel="upper_forwarded", client_key="k2")
    assert "upper_reference" in api.post("/matters", body).json()["errors"]
    body.update(upper_reference="青信转〔2025〕3号", upper_due_date="2025-04-01")
    assert api.post("/matters", body).status_code == 201
    matter = Matter.objects.get()
    assert matter.upper_reference == "青信转〔2025〕3号" and str(matter.upper_due_date) == "2025-04-01"
