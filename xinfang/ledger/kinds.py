"""The kinds of 台账 the import reads: each names its columns, how a row is checked and written,
its template, who may import it, and the model keeping its jobs. The reading, column mapping, job
runs, refused rows and pages are the same for all (jobs.py, views.py).

Other apps' kinds are named here by dotted path and loaded when first asked for, so the worker
and `xinfang import` know every kind without importing the apps' pages.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Kind:
    key: str  # "matters"; the URL and the command name it
    title: str  # "信访事项"
    columns: list  # columns.Column
    job_model: type  # a concrete models.BaseImportJob
    checker: Callable  # (job, now) -> an object whose .check(number, cells) -> (row | None, [RowError])
    write_chunk: Callable  # (job, actor, rows, now) -> [RowError] of rows refused while writing
    write_template: Callable  # (stream)
    may_import: Callable  # (user) -> None, or raises PermissionDenied with the reason
    duplicate_what: Callable  # (row) -> what two rows share when they are the same ("编号")
    urls: dict  # page -> URL name: upload, template, job, mapping, cancel, errors
    done_url: str = ""  # URL name of the list the written rows are found in
    done_label: str = ""
    job_filter: dict = field(default_factory=dict)  # the jobs of this kind among job_model's rows
    mapping_form: type | None = None  # the column mapping form (forms.MappingForm by default)
    note: str = ""  # shown under the mapping: what importing a row does
    unit_word: str = "件"  # the measure word of what a row registers (件, 家, 项)

    def jobs(self):
        return self.job_model.objects.filter(**self.job_filter)


KIND_PATHS = {
    "matters": "xinfang.ledger.matters.MATTERS",
    "enterprises": "xinfang.hazards.imports.ENTERPRISES",
    "hazards": "xinfang.hazards.imports.HAZARDS",
}


def get(key: str) -> Kind:
    return import_string(KIND_PATHS[key])


def all_kinds() -> list[Kind]:
    return [get(key) for key in KIND_PATHS]


def refuse(message: str):
    raise PermissionDenied(message)
