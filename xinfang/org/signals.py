"""What staff sign-in announces beyond Django's own login signals: the second factor and password
changes. Each is sent with ``request`` and ``user`` (the account concerned); the audit log records
them (xinfang/audit/hooks.py), so that org needs to know nothing of the audit log."""

from django.dispatch import Signal

otp_verified = Signal()  # a correct code from the enrolled authenticator
otp_failed = Signal()  # a wrong, expired or replayed code, at sign-in or at enrolment
otp_enrolled = Signal()  # an authenticator confirmed with its first code
password_changed = Signal()
