"""Open311 through an independent client library (georeport, from PyPI) over real HTTP, in both
formats, and the POST a FixMyStreet-style client sends (georeport only reads)."""

from decimal import Decimal

import pytest
import requests
from conftest import Driver
from georeport import GeoReport
from test_api import token_for

from xinfang.api.models import ServiceAttribute
from xinfang.petitions.choices import Status
from xinfang.petitions.models import Matter

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_an_independent_client_reads_everything_and_a_fixmystreet_post_files(live_server, world, fmt):
    village = world.divisions.village
    village.latitude, village.longitude = Decimal("30.06"), Decimal("120.06")
    village.save()
    ServiceAttribute.objects.create(
        category=world.category,
        code="when",
        description="问题出现的时段",
        datatype="singlevaluelist",
        required=True,
        values=[{"key": "day", "name": "白天"}, {"key": "night", "name": "夜间"}],
    )
    root = f"{live_server.url}/open311/v2"
    client = GeoReport(root, output_format=fmt)

    services = client.get_service_list()
    mine = next(s for s in services if s["service_code"] == str(world.category.pk))
    assert str(mine["metadata"]).lower() == "true"
    definition = client.get_service_definition(str(world.category.pk))
    attributes = definition["attributes"]
    first = attributes[0] if fmt == "json" else attributes["attribute"]
    assert first["code"] == "when"

    key = token_for(world.alice, ["intake"])[1]
    form = {
        "api_key": key,
        "service_code": str(world.category.pk),
        "lat": "30.0605",
        "long": "120.0601",
        "email": "li@example.cn",
        "first_name": "明",
        "last_name": "李",
        "phone": "13800138000",
        "description": "小区路灯不亮\n已经一个月。",
        "attribute[when]": "night",
    }
    created = requests.post(f"{root}/requests.{fmt}", data=form, timeout=30)
    assert created.status_code == 201, created.text
    matter = Matter.objects.get()
    assert matter.division == village and "夜间" in matter.content
    assert matter.code in created.text

    one = client.get_service_request(matter.code)
    assert one["service_request_id"] == matter.code and one["status"] == "open"
    assert "description" not in one  # public: no content, place or person
    listed = client.get_service_requests(service_request_id=matter.code)
    entry = listed[0] if fmt == "json" else listed
    assert entry["service_request_id"] == matter.code

    handled = Driver(world).to(Status.HANDLING)
    both = client.get_service_requests(service_request_id=f"{matter.code},{handled.code}")
    assert len(both) == 2
