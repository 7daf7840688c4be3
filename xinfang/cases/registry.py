"""The case types known to the kernel. A type registers itself from its app's `ready()`."""

from collections.abc import Callable
from dataclasses import dataclass

from xinfang.audit import labels as audit_labels

from .workflow import Workflow


@dataclass(frozen=True)
class CaseType:
    key: str  # "matter"
    label: str  # "信访事项"
    model: type  # the Case subclass
    event_model: type  # its CaseEvent subclass
    link_model: type  # its CaseLink subclass
    case_field: str  # the name of the foreign key to the case on its event, link and other rows
    workflow: Workflow
    apply: dict  # transition name → function(act) that decides the act (engine.Act)
    # Cases this unit (and user) must not see although the general rule would show them (the
    # confidentiality of accusations), as a Q on the case model; None if the type has none.
    hidden_q: Callable | None = None
    # The same rule for one case held in memory, given the rows it needs (engine.Act.rows).
    hidden_from: Callable | None = None
    # Related objects to load with a case that is about to be acted on.
    select_related: tuple = ()
    # The notices of an act to the other side (e.g. the petitioners): function(act, t) → [Notification].
    other_side_notices: Callable | None = None
    # The rule of actor "reviewer" beyond holding the case: function(user, case), raises
    # TransitionError.
    check_reviewer: Callable | None = None
    # The model of pauses of the deadline clock (rows with step, first, last), if the type has one.
    pause_model: type | None = None
    # The Notification field that refers to cases of this type ("" if notices name no case).
    notification_field: str = ""
    # The staff page of one case: function(case) → its path (feature pages link cases with it).
    detail_url: Callable | None = None
    # The field naming the user who reported the case, for acts of actor "reporter" ("" if none).
    reporter_field: str = ""
    # A date the case must meet whatever its step's period says (a deadline set from outside, such
    # as the level above's): function(case, step, due) → the due date that governs (the earlier).
    cap_due: Callable | None = None

    def __post_init__(self):
        missing = set(self.workflow.transitions) ^ set(self.apply)
        if missing:
            raise ValueError(f"{self.key}: every transition needs exactly one function ({sorted(missing)})")


_TYPES: dict[str, CaseType] = {}


def register(case_type: CaseType) -> CaseType:
    _TYPES[case_type.key] = case_type
    _name_audit_codes(case_type)
    return case_type


def _name_audit_codes(case_type: CaseType) -> None:
    """The audit log's rows about cases of this type read in Chinese: its acts and statuses."""
    key, workflow = case_type.key, case_type.workflow
    audit_labels.describe_target(key, case_type.label)
    acts = {name: t.label for name, t in workflow.transitions.items()} | workflow.other_labels
    audit_labels.describe("action", acts, kind=key)
    statuses = dict(case_type.model._meta.get_field("status").flatchoices)
    for field in ("from", "to"):
        audit_labels.describe(field, statuses, kind=key)
    audit_labels.describe("status", statuses)  # a list's status filter


def of(case) -> CaseType:
    """The type of a case instance or model."""
    model = case if isinstance(case, type) else type(case)
    for t in _TYPES.values():
        if t.model is model:
            return t
    raise LookupError(f"{model.__name__} is not a registered case type")


def get(key: str) -> CaseType:
    return _TYPES[key]


def all_types() -> list[CaseType]:
    return list(_TYPES.values())
