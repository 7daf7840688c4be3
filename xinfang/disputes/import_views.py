"""The dispute 台账 import page: the template, an upload, the result with every refused row."""

from io import BytesIO

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import render

from xinfang.audit import api as audit
from xinfang.core.tables import FileRefused
from xinfang.core.workbook import Book
from xinfang.org.access import casework_required

from . import ledger
from .workflow import REGISTRARS


class UploadForm(forms.Form):
    file = forms.FileField(label="台账文件（.xlsx 或 .csv）")
    valid_only = forms.BooleanField(label="只导入正确的行（默认：有任何错误则一行都不导入）", required=False)


def _allowed(user):
    if user.role not in REGISTRARS:
        raise PermissionDenied("您的角色不能导入矛盾纠纷台账。")


@casework_required
def upload(request):
    _allowed(request.user)
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        f = form.cleaned_data["file"]
        try:
            result = ledger.run_import(request.user, f.read(), f.name[:200],
                                       all_or_nothing=not form.cleaned_data["valid_only"])  # fmt: skip
        except FileRefused as exc:
            form.add_error("file", str(exc))
        except ledger.services.TransitionError as exc:
            form.add_error(None, str(exc))
        else:
            audit.record("change", request=request, target="dispute_import",
                         detail={"file": f.name[:200], "written": result.written, "skipped": result.skipped,
                                 "errors": len(result.errors)})  # fmt: skip
    labels = {c.key: c.label for c in ledger.COLUMNS}
    mapping = [(labels[k], i) for k, i in result.mapping.items()] if result else []
    return render(request, "disputes/import.html", {"form": form, "result": result, "mapping": mapping,
                                                     "columns": ledger.COLUMNS})  # fmt: skip


@casework_required
def template(request):
    _allowed(request.user)
    book = Book()
    sheet = book.sheet(
        "矛盾纠纷", [c.label for c in ledger.COLUMNS], widths=[14] * len(ledger.COLUMNS), freeze=True
    )
    sheet.append(["TZ-2026-001", "2026-11-02", "日常排查", "劳资/欠薪／拖欠工资", "湖滨社区", "湖滨路3号工地",
                  "工地拖欠12名工人工资", "某建筑公司拖欠工人10月工资共18万元。", "要求结清工资",
                  "张三、某建筑公司", 12, 180000, "较大", "", "人民调解", "王调解"])  # fmt: skip
    out = BytesIO()
    book.save(out)
    return FileResponse(BytesIO(out.getvalue()), as_attachment=True, filename="矛盾纠纷台账模板.xlsx",
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")  # fmt: skip
