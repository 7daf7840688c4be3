"""Who may open a staff page: view decorators that check the signed-in user's role."""

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


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
