"""The one check of an integration token, for every surface that takes one (/api/v1/ and Open311).

Before a token is looked at, the try counts as a failure of the client's address
(``XINFANG_API_FAILURE_RATE``); an address over that limit gets 429 without its token being checked,
whichever surface it calls. A right token takes the failure back and counts one call of the token
(``XINFANG_API_RATE``), shared by all surfaces.
"""

from django.conf import settings
from django.utils import timezone

from xinfang.audit.api import client_ip
from xinfang.core import ratelimit

from .models import ApiToken


class Throttled(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after

    @property
    def message(self) -> str:
        return f"请求过于频繁，请在{self.retry_after}秒后重试。"


def check_token(request, text: str | None) -> ApiToken | None:
    """The live token for ``text`` (also set as request.user / request.api_token), None for a wrong
    or missing one; raises Throttled over either limit."""
    address = ratelimit.address(client_ip(request))
    attempt = ratelimit.Attempt([(f"api-bad-token:{address}", settings.XINFANG_API_FAILURE_RATE)])
    if not attempt.allowed:
        raise Throttled(attempt.retry_after)
    row = ApiToken.authenticate(text)
    if row is None:
        return None
    attempt.succeeded()
    calls = ratelimit.hit(f"api-token:{row.pk}", settings.XINFANG_API_RATE)
    if not calls.allowed:
        raise Throttled(calls.retry_after)
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    request.user = row.user
    request.api_token = row
    return row
