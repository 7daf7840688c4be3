"""Pages of the 台账 import: upload, map the columns, watch the job, fetch the refused rows."""

from io import BytesIO

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from xinfang.audit import api as audit
from xinfang.core import encrypted_files
from xinfang.core.tables import FileRefused, text_of
from xinfang.org.access import casework_required
from xinfang.petitions.services import TransitionError, check_registrar
from xinfang.petitions.views import XLSX

from . import jobs
from .columns import write_template
from .forms import MappingForm, UploadForm
from .models import ImportJob


def importer_required(view):
    @casework_required
    def wrapped(request, *args, **kwargs):
        try:
            check_registrar(request.user)
        except TransitionError as exc:
            raise PermissionDenied(str(exc)) from exc
        return view(request, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@importer_required
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            # the limits are checked here; only the head of the file is read
            job = jobs.new_job(request.user, b"".join(file.chunks()), file.name)
        except FileRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("ledger:mapping", pk=job.pk)
    recent = ImportJob.objects.filter(user=request.user)[:20]
    return render(request, "ledger/upload.html", {"form": form, "jobs": recent})


@importer_required
def template(request):
    buffer = BytesIO()
    write_template(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="信访事项台账导入模板.xlsx", content_type=XLSX)


def _own_job(request, pk) -> ImportJob:
    return get_object_or_404(ImportJob, pk=pk, user=request.user)


@importer_required
def mapping(request, pk):
    job = _own_job(request, pk)
    if job.state != ImportJob.State.MAPPING or jobs.reading(job):
        return redirect("ledger:job", pk=job.pk)
    form = MappingForm(job, request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = form.mapping()
        problems = jobs.mapping_problems(chosen, job.header)
        for problem in problems:
            form.add_error(None, problem)
        if not problems:
            with transaction.atomic():
                job.mapping = chosen
                job.mode = form.cleaned_data["mode"]
                job.default_nature = form.cleaned_data["default_nature"]
                job.default_request_type = form.cleaned_data["default_request_type"]
                job.state = ImportJob.State.QUEUED
                job.save()
            from .tasks import run_import

            transaction.on_commit(lambda: run_import(job.pk))
            return redirect("ledger:job", pk=job.pk)
    preview = _preview(job)
    context = {"job": job, "form": form, "preview": preview, "max_rows": settings.XINFANG_IMPORT_MAX_ROWS}
    return render(request, "ledger/mapping.html", context)


def _preview(job):
    """The first rows of the file under their headers, to help match the columns (only the head
    of the file is read)."""
    if not job.stored_name:
        return []
    try:
        table = jobs.read(jobs.import_dir() / job.stored_name)
    except (FileRefused, FileNotFoundError):
        return []  # the preview is a help only; starting the job reports a missing file
    return [[text_of(c) for c in cells] for _, cells in table.preview]


@importer_required
def job(request, pk):
    job = _own_job(request, pk)
    template = "ledger/_job.html" if request.htmx else "ledger/job.html"
    return render(request, template, {"job": job, "reading": jobs.reading(job)})


@importer_required
def error_rows(request, pk):
    job = _own_job(request, pk)
    path = jobs.import_dir() / job.error_file
    if not job.error_file or not path.is_file():
        raise Http404("错误行文件已过期清理，请重新导入原文件以重新生成。")
    response = FileResponse(
        BytesIO(encrypted_files.read(path)),
        as_attachment=True,
        filename=f"导入错误行-{job.pk}.xlsx",
        content_type=XLSX,
    )
    # The refused rows as they were in the file: names, ID numbers and phones in full.
    audit.record("export", request=request, target=f"import:{job.pk}", detail={"error_rows": job.error_count})
    return response


@importer_required
def cancel(request, pk):
    job = _own_job(request, pk)
    if request.method == "POST" and job.state == ImportJob.State.MAPPING:
        jobs.discard(job)
        messages.info(request, "已取消该导入。")
    return redirect("ledger:upload")
