"""Open311 GeoReport v2 as the specification has it, in JSON and XML: discovery, service
definitions with attributes, the FixMyStreet-style POST (location from lat/long, address_id,
address_string or jurisdiction_id), the request list and its filters, tokens, public reads without
personal data or accusations, and the limiter on every endpoint."""

from datetime import timedelta
from decimal import Decimal
from xml.etree import ElementTree

import pytest
from conftest import Driver, at
from test_api import token_for

from xinfang.api.models import ServiceAttribute
from xinfang.core import clock
from xinfang.petitions.choices import Nature, RequestType, Status
from xinfang.petitions.models import Category, Matter

V2 = "/open311/v2"


@pytest.fixture
def places(world):
    """Centre points: 湖滨社区 north of 西岭镇, both inside 东城区; 南山区 far away."""
    d = world.divisions
    for division, (lat, lng) in {
        d.city: (30.0, 120.0),
        d.d1: (30.05, 120.05),
        d.village: (30.06, 120.06),
        d.other_township: (30.02, 120.04),
        d.d2: (29.9, 119.9),
    }.items():
        division.latitude, division.longitude = Decimal(str(lat)), Decimal(str(lng))
        division.save()
    return d


@pytest.fixture
def questions(world):
    ServiceAttribute.objects.create(
        category=world.category,
        code="when",
        description="问题出现的时段",
        datatype=ServiceAttribute.DataType.SINGLE,
        required=True,
        order=1,
        values=[{"key": "day", "name": "白天"}, {"key": "night", "name": "夜间"}],
    )
    ServiceAttribute.objects.create(
        category=world.category, code="households", description="受影响户数", datatype="number", order=2
    )
    return world.category


def fms_form(key, world, **overrides):
    """What a FixMyStreet-style client posts."""
    data = {
        "api_key": key,
        "service_code": str(world.category.pk),
        "lat": "30.0601",
        "long": "120.0598",
        "email": "li@example.cn",
        "first_name": "明",
        "last_name": "李",
        "phone": "13800138000",
        "description": "小区物业夜间施工噪音\n每晚十点以后仍在施工。",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def xml(response):
    assert response["Content-Type"].startswith("text/xml"), response["Content-Type"]
    return ElementTree.fromstring(response.content)


def test_discovery_in_both_formats(client, db):
    found = client.get(f"{V2}/discovery.json").json()
    assert found["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert found["endpoints"][0]["url"].endswith("/open311/v2/")
    root = xml(client.get(f"{V2}/discovery.xml"))
    assert root.tag == "discovery"
    assert [f.text for f in root.find("endpoints/endpoint/formats")] == ["text/xml", "application/json"]


def test_services_and_their_definitions_in_both_formats(client, world, questions):
    services = client.get(f"{V2}/services.json").json()
    mine = next(s for s in services if s["service_code"] == str(world.category.pk))
    assert mine["metadata"] is True and mine["group"] == world.category.parent.name
    root = xml(client.get(f"{V2}/services.xml"))
    assert root.tag == "services" and len(root.findall("service")) == len(services)
    definition = client.get(f"{V2}/services/{world.category.pk}.json").json()
    assert [a["code"] for a in definition["attributes"]] == ["when", "households"]
    assert definition["attributes"][0]["values"] == [
        {"key": "day", "name": "白天"},
        {"key": "night", "name": "夜间"},
    ]
    assert definition["attributes"][0]["required"] is True
    root = xml(client.get(f"{V2}/services/{world.category.pk}.xml"))
    assert root.tag == "service_definition" and root.findtext("service_code") == str(world.category.pk)
    values = root.findall("attributes/attribute/values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values] == [("day", "白天"), ("night", "夜间")]
    assert root.findtext("attributes/attribute/required") == "true"


def test_an_unknown_service_is_a_404_in_the_formats_error_shape(client, db):
    assert client.get(f"{V2}/services/999999.json").json()[0]["code"] == 404
    root = xml(client.get(f"{V2}/services/999999.xml"))
    assert root.tag == "errors" and root.findtext("error/code") == "404"
    assert "service_code" in root.findtext("error/description")


def test_a_fixmystreet_post_in_xml_is_placed_by_its_coordinates_with_its_answers(
    client, world, places, questions
):
    key = token_for(world.alice, ["read", "intake"])[1]
    form = fms_form(key, world, **{"attribute[when]": "night", "attribute[households]": "30"})
    response = client.post(f"{V2}/requests.xml", form)
    assert response.status_code == 201, response.content.decode()
    root = xml(response)
    code = root.findtext("request/service_request_id")
    assert root.findtext("request/token")
    matter = Matter.objects.get(code=code)
    assert matter.division == places.village  # nearest centre, no jurisdiction_id needed
    assert "问题出现的时段：夜间" in matter.content and "受影响户数：30" in matter.content
    assert matter.petitioners.get().name == "李明"
    assert matter.events.get(action="register").data["open311"]["attributes"] == {
        "when": "night",
        "households": "30",
    }
    assert "li@example.cn" not in str(matter.events.get(action="register").data)  # no plain personal data


@pytest.mark.parametrize(
    "overrides, where",
    [
        ({"lat": None, "long": None, "address_id": "990101002"}, "other_township"),
        ({"lat": None, "long": None, "address_string": "东城区西岭镇"}, "other_township"),
        ({"lat": None, "long": None, "jurisdiction_id": "990101001001"}, "village"),
        ({"lat": "30.021", "long": "120.041", "jurisdiction_id": "990101"}, "other_township"),
        ({"lat": "30.05", "long": "120.049"}, "d1"),
        ({"lat": "29.95", "long": "119.95", "jurisdiction_id": "990101"}, "other_township"),  # inside 东城区
    ],
)
def test_the_place_comes_from_address_id_address_string_or_jurisdiction(
    client, world, places, overrides, where
):
    key = token_for(world.alice, ["intake"])[1]
    response = client.post(f"{V2}/requests.json", fms_form(key, world, **overrides))
    assert response.status_code == 201, response.content.decode()
    matter = Matter.objects.get(code=response.json()[0]["service_request_id"])
    assert matter.division == getattr(places, where)


def test_a_post_without_any_place_or_with_wrong_answers_is_refused(client, world, questions):
    key = token_for(world.alice, ["intake"])[1]
    no_place = client.post(
        f"{V2}/requests.json", fms_form(key, world, lat=None, long=None, **{"attribute[when]": "day"})
    )
    assert no_place.status_code == 400 and "地点" in no_place.json()[0]["description"]
    cases = [
        ({}, "attribute[when]"),
        ({"attribute[when]": "noon"}, "不在选项中"),
        ({"attribute[when]": "day", "attribute[households]": "三十"}, "应为数字"),
        ({"attribute[when]": "day", "attribute[colour]": "red"}, "没有属性"),
        ({"attribute[when]": "day", "lat": "north"}, "lat"),
    ]
    for overrides, words in cases:
        response = client.post(
            f"{V2}/requests.json", fms_form(key, world, jurisdiction_id="990101", **overrides)
        )
        assert response.status_code == 400 and words in response.json()[0]["description"], overrides
    assert not Matter.objects.exists()


def test_the_list_with_a_key_is_scoped_and_filtered(client, world):
    driver = Driver(world)
    clock.travel_to(at(2025, 3, 20))
    older = driver.register(title="旧事项")
    closed = driver.to(Status.WITHDRAWN)
    driver.now = at(2025, 3, 10)
    open_one = driver.register(title="在办事项")
    other = Category.objects.exclude(pk=world.category.pk).filter(parent__isnull=False).first()
    south = driver.register(title="南山", division=world.divisions.d2, category=other)
    key = token_for(world.dan, ["read"])[1]  # 东城区信访局: not 南山区
    listed = client.get(f"{V2}/requests.json", {"api_key": key}).json()
    codes = {r["service_request_id"] for r in listed}
    assert {older.code, open_one.code, closed.code} <= codes and south.code not in codes
    assert listed[0]["description"] and listed[0]["address"].startswith("青溪市")

    def codes_for(**params):
        return {
            r["service_request_id"]
            for r in client.get(f"{V2}/requests.json", {"api_key": key, **params}).json()
        }

    assert codes_for(status="closed") == {closed.code}
    assert codes_for(status="open") == {older.code, open_one.code}
    assert codes_for(start_date="2025-03-09T00:00:00+08:00", end_date="2025-03-11T00:00:00+08:00") == {
        open_one.code
    }
    assert codes_for(service_request_id=f"{older.code},{south.code}") == {older.code}
    assert codes_for(service_code=str(other.pk)) == set()
    clock.travel_to(at(2025, 8, 1))  # more than 90 days later: the default period no longer has them
    assert codes_for() == set()
    too_long = client.get(
        f"{V2}/requests.json", {"api_key": key, "start_date": "2025-01-01", "end_date": "2025-06-01"}
    )
    assert too_long.status_code == 400 and "90天" in too_long.json()[0]["description"]
    root = xml(client.get(f"{V2}/requests.xml", {"api_key": key, "service_request_id": older.code}))
    assert root.tag == "service_requests" and root.findtext("request/service_request_id") == older.code


def test_public_reads_show_no_personal_data_and_no_accusation(client, world):
    driver = Driver(world)
    matter = driver.to(Status.HANDLING)
    accusation = driver.register(
        title="举报",
        nature=Nature.ACCUSATION,
        request_type=RequestType.REPORT,
        complained_unit=world.units.t1,
    )
    public = client.get(f"{V2}/requests/{matter.code}.json").json()[0]
    assert public["status"] == "open" and public["agency_responsible"] == world.units.d1_dept.name
    assert set(public) == {
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "agency_responsible",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
    }
    body = client.get(f"{V2}/requests/{matter.code}.xml").content.decode()
    for secret in (matter.content, "李明", "13800138000", "湖滨社区"):
        assert secret not in body
    assert client.get(f"{V2}/requests/{accusation.code}.json").status_code == 404
    listed = client.get(
        f"{V2}/requests.json", {"service_request_id": f"{matter.code},{accusation.code}"}
    ).json()
    assert [r["service_request_id"] for r in listed] == [matter.code]
    unlisted = client.get(f"{V2}/requests.json")
    assert unlisted.status_code == 400 and "service_request_id" in unlisted.json()[0]["description"]


def test_a_token_gives_the_request_number(client, world, places):
    key = token_for(world.alice, ["intake"])[1]
    created = client.post(f"{V2}/requests.json", fms_form(key, world)).json()[0]
    found = client.get(f"{V2}/tokens/{created['token']}.json").json()
    assert found == [{"service_request_id": created["service_request_id"], "token": created["token"]}]
    assert xml(client.get(f"{V2}/tokens/{created['token']}.xml")).findtext("request/service_request_id")
    assert client.get(f"{V2}/tokens/nothing.json").status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/discovery.xml", "/services.json", "/services/1.json", "/requests/XXXXXXXXXXXX.xml", "/tokens/x.json"],
)
def test_every_public_endpoint_is_limited_per_address(client, db, settings, path):
    settings.XINFANG_OPEN311_PUBLIC_RATE = "3/m"
    codes = [client.get(V2 + path).status_code for _ in range(4)]
    assert codes[-1] == 429 and 429 not in codes[:3]
    last = client.get(V2 + path)
    assert 0 < int(last["Retry-After"]) <= 61
    assert client.get(V2 + path, REMOTE_ADDR="198.51.100.7").status_code != 429


def test_keyed_reads_count_against_the_token(client, world, settings):
    settings.XINFANG_API_RATE = "2/m"
    key = token_for(world.alice, ["read"])[1]
    codes = [client.get(f"{V2}/requests.json", {"api_key": key}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert xml(client.get(f"{V2}/services.xml", {"api_key": key})).findtext("error/code") == "429"


def test_formats_other_than_json_and_xml_are_not_found(client, db):
    assert client.get(f"{V2}/services.csv").status_code == 404


def test_expected_datetime_is_the_deadline_of_an_open_matter(client, world):
    matter = Driver(world).register()
    public = client.get(f"{V2}/requests/{matter.code}.json").json()[0]
    assert public["expected_datetime"].startswith(str(matter.due_date))
    assert public["requested_datetime"].startswith(str((matter.received_at + timedelta(hours=8)).date()))


def test_a_division_centre_is_checked(world):
    from django.core.exceptions import ValidationError

    village = world.divisions.village
    village.latitude = Decimal("30.1")
    with pytest.raises(ValidationError, match="同时填写"):
        village.clean()
    village.longitude = Decimal("200")
    with pytest.raises(ValidationError, match="超出范围"):
        village.clean()
    village.longitude = Decimal("120.1")
    village.clean()
