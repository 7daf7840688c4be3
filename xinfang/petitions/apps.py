from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "xinfang.petitions"
    label = "petitions"
    verbose_name = "信访事项"

    def ready(self):
        from . import services  # noqa: F401 — registers the matter case type with the kernel

        self.name_audit_codes()

    def name_audit_codes(self):
        """The list filters an export records read in Chinese in the audit log."""
        from xinfang.audit import labels

        from .forms import QueueFilterForm

        fields = QueueFilterForm.base_fields
        labels.describe_keys({name: str(field.label) for name, field in fields.items()})
        for name in ("channel", "nature", "light"):
            labels.describe(name, {v: str(t) for v, t in fields[name].choices if v})
