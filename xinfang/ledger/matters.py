"""The matter 台账: its kind of import (kinds.py)."""

from xinfang.petitions.services import TransitionError, check_registrar

from . import writer
from .columns import COLUMNS, write_template
from .forms import MatterMappingForm
from .kinds import Kind, refuse
from .models import ImportJob
from .rows import RowChecker


def _checker(job, now):
    return RowChecker(
        job.user,
        {k: int(v) for k, v in job.mapping.items()},
        default_nature=job.default_nature or RowChecker.default_nature,
        default_request_type=job.default_request_type or RowChecker.default_request_type,
        now=now,
    )


def _may_import(user):
    try:
        check_registrar(user)
    except TransitionError as exc:
        refuse(str(exc))


MATTERS = Kind(
    key="matters",
    title="信访事项",
    columns=COLUMNS,
    job_model=ImportJob,
    checker=_checker,
    write_chunk=writer.write_chunk,
    write_template=write_template,
    may_import=_may_import,
    duplicate_what=lambda row: "编号" if row.fields["ledger_number"] else "信访人、电话、信访时间和案情",
    urls={
        "upload": "ledger:upload",
        "template": "ledger:template",
        "job": "ledger:job",
        "mapping": "ledger:mapping",
        "cancel": "ledger:cancel",
        "errors": "ledger:errors",
    },
    done_url="petitions:queue",
    done_label="查看全部事项",
    mapping_form=MatterMappingForm,
    note="填写了承办单位的行，导入时即转送、交办给该单位（填本单位的为直接办理），并通知该单位；导入的事项不另向信访人发送告知。",
)
