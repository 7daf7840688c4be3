"""Hooks of the kernel. Feature apps subscribe in their AppConfig.ready(); the kernel never imports
them.

- "registered" (case_type_key, case_pk), after commit: a new case (急事急报 looks at it).
- "reminded" (case_type_key, [case_pk], kind, now), inside the sweeper's transaction: it sent 临期
  or 超期 reminders for these cases; a record of them (the 催办 ledger) commits or rolls back with
  the reminders themselves.
"""

from django.db import transaction

_SUBSCRIBERS: dict[str, list] = {"registered": [], "reminded": []}


def subscribe(name, fn):
    if fn not in _SUBSCRIBERS[name]:
        _SUBSCRIBERS[name].append(fn)


def fire(name, *args):
    """Call the subscribers now, in the caller's transaction."""
    for fn in list(_SUBSCRIBERS[name]):
        fn(*args)


def fire_after_commit(name, *args):
    """Call the subscribers once the caller's transaction has committed."""
    for fn in list(_SUBSCRIBERS[name]):
        transaction.on_commit(lambda fn=fn: fn(*args))
