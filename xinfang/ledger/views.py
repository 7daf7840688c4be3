"""Pages of the 台账 import, for every kind of 台账 (kinds.py): upload, map the columns, watch the
job, fetch the refused rows. Each kind's URLs pass it to these views."""

from io import BytesIO

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render

from xinfang.audit import api as audit
from xinfang.core.tables import FileRefused, text_of
from xinfang.org.access import casework_required
from xinfang.petitions.views import XLSX

from . import jobs, kinds
from .forms import MappingForm, UploadForm
from .models import BaseImportJob


def importer_required(view):
    """Signed in with casework, and allowed to import the kind (its `may_import`)."""

    @casework_required
    def wrapped(request, *args, kind="matters", **kwargs):
        found = kinds.get(kind)
        found.may_import(request.user)
        return view(request, *args, kind=found, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


def _context(kind, **values):
    return {"kind": kind, "urls": kind.urls, **values}


@importer_required
def upload(request, kind):
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            # the limits are checked here; only the head of the file is read
            job = jobs.new_job(request.user, b"".join(file.chunks()), file.name, kind)
        except FileRefused as exc:
            form.add_error("file", str(exc))
        else:
            return redirect(kind.urls["mapping"], pk=job.pk)
    recent = kind.jobs().filter(user=request.user)[:20]
    return render(request, "ledger/upload.html", _context(kind, form=form, jobs=recent))


@importer_required
def template(request, kind):
    buffer = BytesIO()
    kind.write_template(buffer)
    buffer.seek(0)
    name = f"{kind.title}台账导入模板.xlsx"
    return FileResponse(buffer, as_attachment=True, filename=name, content_type=XLSX)


def _own_job(request, kind, pk) -> BaseImportJob:
    return get_object_or_404(kind.jobs(), pk=pk, user=request.user)


@importer_required
def mapping(request, pk, kind):
    job = _own_job(request, kind, pk)
    if job.state != BaseImportJob.State.MAPPING or jobs.reading(job):
        return redirect(kind.urls["job"], pk=job.pk)
    form = (kind.mapping_form or MappingForm)(job, kind.columns, request.POST or None)
    if request.method == "POST" and form.is_valid():
        chosen = form.mapping()
        problems = jobs.mapping_problems(chosen, job.header, kind.columns)
        for problem in problems:
            form.add_error(None, problem)
        if not problems:
            with transaction.atomic():
                job.mapping = chosen
                job.mode = form.cleaned_data["mode"]
                form.apply_options(job)
                job.state = BaseImportJob.State.QUEUED
                job.save()
            from .tasks import run_import

            transaction.on_commit(lambda: run_import(job.pk, kind.key))
            return redirect(kind.urls["job"], pk=job.pk)
    context = _context(
        kind, job=job, form=form, preview=_preview(job), max_rows=settings.XINFANG_IMPORT_MAX_ROWS
    )
    return render(request, "ledger/mapping.html", context)


def _preview(job):
    """The first rows of the file under their headers, to help match the columns (only the head
    of the file is read)."""
    if not job.stored_name:
        return []
    try:
        table = jobs.read(job.stored_name)
    except (FileRefused, FileNotFoundError):
        return []  # the preview is a help only; starting the job reports a missing file
    return [[text_of(c) for c in cells] for _, cells in table.preview]


@importer_required
def job(request, pk, kind):
    job = _own_job(request, kind, pk)
    template = "ledger/_job.html" if request.htmx else "ledger/job.html"
    return render(request, template, _context(kind, job=job, reading=jobs.reading(job)))


@importer_required
def error_rows(request, pk, kind):
    job = _own_job(request, kind, pk)
    if not jobs.is_kept(job.error_file):
        raise Http404("错误行文件已过期清理，请重新导入原文件以重新生成。")
    response = FileResponse(
        BytesIO(jobs.content_of(job.error_file)),
        as_attachment=True,
        filename=f"导入错误行-{job.pk}.xlsx",
        content_type=XLSX,
    )
    # The refused rows as they were in the file: names, ID numbers and phones in full.
    target = f"import:{job.pk}" if kind.key == "matters" else f"import:{kind.key}:{job.pk}"
    audit.record("export", request=request, target=target, detail={"error_rows": job.error_count})
    return response


@importer_required
def cancel(request, pk, kind):
    job = _own_job(request, kind, pk)
    if request.method == "POST" and job.state == BaseImportJob.State.MAPPING:
        jobs.discard(job)
        messages.info(request, "已取消该导入。")
    return redirect(kind.urls["upload"])


def patterns(prefix: str, kind_key: str, name_prefix: str = ""):
    """The import pages of a kind, for an app's urls.py: upload, template, job, mapping, cancel,
    errors under `prefix`."""
    from django.urls import path

    kw = {"kind": kind_key}
    return [
        path(f"{prefix}", upload, kw, name=f"{name_prefix}upload"),
        path(f"{prefix}template/", template, kw, name=f"{name_prefix}template"),
        path(f"{prefix}<int:pk>/", job, kw, name=f"{name_prefix}job"),
        path(f"{prefix}<int:pk>/map/", mapping, kw, name=f"{name_prefix}mapping"),
        path(f"{prefix}<int:pk>/cancel/", cancel, kw, name=f"{name_prefix}cancel"),
        path(f"{prefix}<int:pk>/errors/", error_rows, kw, name=f"{name_prefix}errors"),
    ]
