"""Notices to staff about a case."""

from xinfang.core.models import Notification
from xinfang.org.models import Role, User

# Staff of a unit who are told when a case arrives or a deadline nears.
NOTIFIED_ROLES = [Role.HANDLER, Role.UNIT_HEAD, Role.DISPATCHER]


def staff_notices(units, *, kind, subject, body, case=None, roles=NOTIFIED_ROLES) -> list:
    """One unsaved notice to each active user of `units` whose role is one of `roles`, about `case`
    if the outbox records cases of its type (petition matters)."""
    from .registry import of

    field = of(case).notification_field if case is not None else ""
    return [
        Notification(
            **({field: case} if field else {}),
            audience=Notification.Audience.STAFF,
            recipient_user=user,
            kind=kind,
            subject=subject[:200],
            body=body,
        )
        for user in staff_of(units, roles)
    ]


def staff_of(units, roles=NOTIFIED_ROLES) -> list:
    from .plan import current_session

    session = current_session()
    key = ("staff", tuple(getattr(u, "pk", u) for u in units), tuple(roles))
    if session is not None and key in session.memo:
        return session.memo[key]
    found = list(User.objects.filter(unit__in=units, is_active=True, role__in=roles).order_by("pk"))
    if session is not None:
        session.memo[key] = found
    return found
