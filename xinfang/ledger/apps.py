from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "xinfang.ledger"
    label = "ledger"
    verbose_name = "台账导入"

    def ready(self):
        from xinfang.audit import labels

        labels.describe("action", {"import": "台账导入"}, kind="import")
