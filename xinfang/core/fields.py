"""Model fields for personal data."""

from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """Stored as SM4-GCM ciphertext, read back as text (see crypto.py).

    The database never sees the plaintext, so it cannot filter on it: pair the field with a
    search hash column for exact-match lookups. Empty values stay empty.
    """

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)
