"""Who may open a staff page: view decorators that check the signed-in user's role."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from .models import Role


def staff_required(allowed, refusal):
    """A view decorator: logged in, and `allowed(user)`; otherwise 403 with `refusal`."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not allowed(request.user):
                raise PermissionDenied(refusal)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# Logged in, and a role that works on individual matters.
casework_required = staff_required(lambda user: user.does_casework, "您的角色不处理具体信访事项。")


def is_administrator(user) -> bool:
    return bool(user.is_active and user.role == Role.ADMIN)


# Logged in as a 系统管理员: the reference data pages (calendar, policies, units, users, categories,
# divisions) and the history of their changes.
admin_required = staff_required(is_administrator, "只有系统管理员可以维护基础数据。")
