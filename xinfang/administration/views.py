"""系统管理: the administrators' start page."""

from django.shortcuts import render

from xinfang.core import clock
from xinfang.deadlines.models import PolicySet
from xinfang.org.access import admin_required
from xinfang.org.models import Division, Unit, User
from xinfang.petitions.models import Category

from . import calendar


@admin_required
def index(request):
    this_year = clock.today().year
    return render(
        request,
        "administration/index.html",
        {
            "years": [calendar.year_state(y) for y in (this_year, this_year + 1)],
            "counts": {
                "policies": PolicySet.objects.count(),
                "units": Unit.objects.filter(active=True).count(),
                "users": User.objects.filter(is_active=True).count(),
                "categories": Category.objects.filter(active=True).count(),
                "divisions": Division.objects.count(),
            },
        },
    )
