"""Transition tables: the allowed moves of a case type, as data. The engine (engine.py) is the only
code that changes a case's status, and it refuses anything its type's table does not allow."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    sources: frozenset
    targets: tuple  # allowed resulting statuses; None means "stays where it is"
    roles: frozenset
    # Who may act: "holder" — a user of the unit now responsible (or a sub-unit);
    # "scope" — anyone who can see the case (recording acts of the other side, e.g. a petitioner);
    # "reviewer" — a user of the unit now responsible who is not in the unit whose decision is
    # being reviewed (checked by the case type's own rule);
    # "reporter" — the user who reported the case (the type's `reporter_field`), e.g. a grid worker
    # confirming on the spot what a unit did.
    actor: str
    public: bool = True  # shown to the other side (the petitioner) in the public timeline


def transition(name, label, sources, targets, roles, actor, public=True) -> Transition:
    return Transition(name, label, frozenset(sources), tuple(targets), frozenset(roles), actor, public)


@dataclass(frozen=True)
class Workflow:
    """A case type's transitions, and which deadline step each status waits on."""

    transitions: dict  # name → Transition
    step_of_status: dict  # status → deadline step (a key of the deadline policy)
    # Steps that are a window of the other side (a petitioner's 30 days to ask for review): they
    # bind no unit, and the case moves on by itself when they end.
    windows: frozenset = frozenset()
    # Steps whose clock a pause (a hearing) stops.
    pausable: frozenset = frozenset()
    # Transitions that leave the status unchanged but start a new period of its step.
    restarting: frozenset = frozenset()
    # The step an extension (延期) lengthens, if the type has one.
    extended_step: str = ""
    # The transition the sweeper takes, as the system, when a window of the other side has ended.
    window_end: str = ""
    # Labels of acts outside the table (registration, internal records).
    other_labels: dict = field(default_factory=dict)
    # function(case, step) → the step a case waits on when it is not its status's usual one (an
    # urgent grid event has a shorter 处置 step); None if the type has no such cases.
    step_override: Callable | None = None

    def step_of(self, status) -> str:
        return self.step_of_status.get(status, "")

    def step_for(self, case) -> str:
        """The deadline step `case` waits on now."""
        step = self.step_of(case.status)
        return self.step_override(case, step) if step and self.step_override else step

    def completed_step(self, t: Transition, from_status, target) -> str:
        """The step that transition `t` completes by moving the case on ("" if none).

        Only acts of the responsible unit complete a step: the other side's act (a withdrawal)
        or a window running out ends the wait but is no act of the unit's, on time or late.
        Unit scoring counts the completed steps.
        """
        old = self.step_of(from_status)
        if not old or old in self.windows or old == self.step_of(target) or t.actor == "scope":
            return ""
        return old

    def allowed_from(self, status) -> list:
        return [t for t in self.transitions.values() if status in t.sources]

    def label_of(self, action) -> str:
        t = self.transitions.get(action)
        return t.label if t else self.other_labels.get(action, action)
