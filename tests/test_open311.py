"""Open311 GeoReport v2: services, filing with an api_key, status; errors in Open311's list shape;
the same rate limits as /api/v1/ (one count per token, one per address for wrong keys)."""

from conftest import Driver
from test_api import Api, token_for

from xinfang.petitions.choices import Channel, Status
from xinfang.petitions.models import Matter
from xinfang.petitions.promises import cn_date


def post_request(client, key, world, **overrides):
    data = {
        "api_key": key,
        "jurisdiction_id": world.divisions.village.code,
        "service_code": str(world.category.pk),
        "description": "湖滨路路灯不亮\n已经一个多月，晚上出行不安全。",
        "first_name": "明",
        "last_name": "李",
        "phone": "13800138000",
        "address_string": "湖滨路12号",
    }
    data.update(overrides)
    return client.post("/open311/v2/requests.json", data)


def test_services_are_the_second_level_categories(client, world):
    services = client.get("/open311/v2/services.json").json()
    codes = {s["service_code"] for s in services}
    assert str(world.category.pk) in codes
    assert all(s["type"] == "realtime" and s["group"] for s in services)


def test_filing_and_status_through_open311(client, world):
    key = token_for(world.alice, ["read", "intake"])[1]
    response = post_request(client, key, world)
    assert response.status_code == 201, response.content.decode()
    created = response.json()[0]
    matter = Matter.objects.get(code=created["service_request_id"])
    assert matter.channel == Channel.ONLINE and matter.title == "湖滨路路灯不亮"
    assert matter.petitioners.get().phone == "13800138000" and "查询码" in created["service_notice"]
    assert f"应于{cn_date(matter.due_date)}前" in created["service_notice"]

    status = client.get(f"/open311/v2/requests/{matter.code}.json", {"api_key": key}).json()[0]
    assert status["status"] == "open" and status["status_notes"] == "待交办"
    assert status["agency_responsible"] == world.units.city_bureau.name

    Driver(world).to(Status.REPLIED)  # another matter; this one is still open
    nora = token_for(world.nora, ["read"])[1]  # 南山区: not in scope
    response = client.get(f"/open311/v2/requests/{matter.code}.json", {"api_key": nora})
    assert response.status_code == 404 and response.json()[0]["code"] == 404


def test_open311_errors_come_as_a_list_with_code_and_description(client, world):
    assert post_request(client, "", world).json() == [
        {"code": 401, "description": "缺少 api_key，或 api_key 无效、已过期、已吊销。"}
    ]
    reader = token_for(world.alice, ["read"])[1]
    assert post_request(client, reader, world).status_code == 403
    intake = token_for(world.alice, ["intake"])[1]
    response = post_request(client, intake, world, jurisdiction_id="990199999999")
    assert response.status_code == 400 and "jurisdiction_id" in response.json()[0]["description"]
    response = post_request(client, intake, world, phone="12345")
    assert response.status_code == 400 and "电话号码格式不正确" in response.json()[0]["description"]
    response = post_request(client, intake, world, service_code="abc")
    assert response.status_code == 400 and "service_code" in response.json()[0]["description"]
    assert not Matter.objects.exists()


def status_of(client, key, code="XXXXXXXXXXXX", **extra):
    return client.get(f"/open311/v2/requests/{code}.json", {"api_key": key}, **extra)


def test_a_token_throttled_on_one_surface_is_throttled_on_the_other(client, world, settings):
    settings.XINFANG_API_RATE = "4/m"
    text = token_for(world.alice, ["read", "intake"])[1]
    api = Api(client, text)
    # /api/v1/ first: its calls count for Open311 too.
    assert [api.get("/reference/units").status_code for _ in range(4)] == [200] * 4
    response = status_of(client, text)
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 61
    assert response.json()[0]["code"] == 429 and "请求过于频繁" in response.json()[0]["description"]
    assert post_request(client, text, world).status_code == 429
    # Open311 first: its calls count for /api/v1/ too.
    other = token_for(world.bob, ["read"])[1]
    assert [status_of(client, other).status_code for _ in range(4)] == [404] * 4
    assert Api(client, other).get("/reference/units").status_code == 429
    assert not Matter.objects.exists()


def test_wrong_keys_are_limited_per_address_on_every_surface(client, world, settings):
    settings.XINFANG_API_FAILURE_RATE = "6/m"
    guesses = [status_of(client, f"xft_000000000000_guess{i}").status_code for i in range(3)]
    guesses += [post_request(client, "", world).status_code]  # a missing key is a wrong one
    guesses += [Api(client, f"xft_000000000000_guess{i}").get("/matters").status_code for i in range(2)]
    assert guesses == [401] * 6
    assert status_of(client, "xft_000000000000_guess9").status_code == 429
    assert Api(client, "xft_000000000000_guess9").get("/matters").status_code == 429
    # Over the limit the address cannot even check a right key; other addresses can.
    key = token_for(world.alice, ["read", "intake"])[1]
    assert status_of(client, key).status_code == 429
    assert Api(client, key).get("/reference/units").status_code == 429
    assert post_request(client, key, world).status_code == 429
    assert status_of(client, key, REMOTE_ADDR="198.51.100.9").status_code == 404
    assert not Matter.objects.exists()
