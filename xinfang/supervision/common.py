"""What every part of supervision shares: the refusal it raises, who oversees and who answers, the
check that an actor does casework, and the notices it sends."""

from xinfang.cases.engine import TransitionError
from xinfang.cases.notices import NOTIFIED_ROLES, staff_notices
from xinfang.org.models import Role, Unit

OVERSIGHT_ROLES = {Role.SUPERVISOR, Role.LEADER}
ANSWERING_ROLES = {Role.HANDLER, Role.UNIT_HEAD}


class SupervisionError(TransitionError):
    """A refused supervision action, with a message for the user in Chinese."""


def oversight_root(unit: Unit) -> Unit:
    """The unit whose subtree a supervisor or leader oversees: their government (党委政府)."""
    return unit.government() or unit


def require_casework(user, roles=None):
    if not (user and user.is_authenticated and user.does_casework):
        raise SupervisionError("您没有督查督办的权限。")
    if roles and user.role not in roles:
        names = "、".join(Role(r).label for r in sorted(roles))
        raise SupervisionError(f"该操作只能由{names}办理。")


def notices(units, subject, body, case=None, roles=NOTIFIED_ROLES) -> list:
    """Unsaved notices of kind "supervision" to the staff of `units`, about `case` (any type)."""
    return staff_notices(units, kind="supervision", subject=subject, body=body, case=case, roles=roles)
