from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "xinfang.documents"
    verbose_name = "公文输出"

    def ready(self):
        from xinfang.audit import labels

        from .notices import KINDS

        labels.describe("document", {kind: title for kind, (title, _) in KINDS.items()})
