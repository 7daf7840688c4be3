from django.db import models

from xinfang.core.import_jobs import BaseImportJob

__all__ = ["BaseImportJob", "ImportJob"]


class ImportJob(BaseImportJob):
    """A job of the matter 台账, with the defaults of the rows that leave nature or type empty."""

    default_nature = models.CharField(max_length=20, blank=True)
    default_request_type = models.CharField(max_length=20, blank=True)

    class Meta(BaseImportJob.Meta):
        verbose_name = verbose_name_plural = "台账导入任务"
