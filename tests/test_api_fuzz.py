"""Schemathesis over the whole OpenAPI document: generated requests (valid and hostile) against every
operation, with a token of each kind; no 5xx, and every response matches the document."""

import os
from datetime import timedelta

import pytest
import schemathesis
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from xinfang.api.models import ApiToken, Scope
from xinfang.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def token(world, settings):
    """A dispatcher's token with every scope, over a few matters in its scope."""
    settings.XINFANG_API_RATE = "1000000/m"
    settings.XINFANG_API_FAILURE_RATE = "1000000/m"  # its own test: test_api.py
    from conftest import Driver

    d = Driver(world)
    d.register()
    d.do(d.register(), "assign", unit=world.units.d1_dept)
    return ApiToken.issue(
        name="模糊测试", user=world.bob, scopes=Scope.values, expires_at=timezone.now() + timedelta(days=1)
    )[1]


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Requests go straight to the WSGI application, which closes the database connection when a
    request ends; Django's own test client switches that off for the test's transaction, so do we."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=int(os.environ.get("XINFANG_FUZZ_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_document(case, token):
    # Every check but "schema-valid data is accepted": the document cannot express every rule of the
    # forms (an ID number's check digit, a division code that exists), and those answer 422.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"}, excluded_checks=[positive_data_acceptance]
    )
