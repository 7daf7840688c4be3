"""Downloads of the 公文: a matter's notices for staff who may see it, and the 督办单."""

from urllib.parse import quote

from django.http import Http404, HttpResponse, JsonResponse

from xinfang.audit import api as audit
from xinfang.org.access import casework_required
from xinfang.org.models import FULL_PERSONAL_DATA_ROLES
from xinfang.petitions.views import get_visible_matter
from xinfang.supervision.views import visible_supervision

from . import completion, notices

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def docx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=DOCX)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def matter_notice(matter, kind, *, full_names):
    if kind not in notices.KINDS:
        raise Http404("没有这种文书。")
    try:
        content = notices.render(matter, kind, full_names=full_names)
    except KeyError:
        raise Http404("该事项尚未作出这份文书。") from None
    return docx_response(content, f"{notices.KINDS[kind][0]}-{matter.display_code}.docx")


def audit_notice_read(request, matter, kind, via):
    """A notice naming the petitioners in full is a read of their personal data."""
    audit.record(
        "read_personal", request=request, target=f"matter:{matter.pk}", detail={"via": via, "document": kind}
    )


@casework_required
def matter_document(request, pk, kind):
    matter = get_visible_matter(request.user, pk)
    full = request.user.role in FULL_PERSONAL_DATA_ROLES
    response = matter_notice(matter, kind, full_names=full)
    if full:
        audit_notice_read(request, matter, kind, "document")
    return response


@casework_required
def supervision_document(request, pk):
    sup = visible_supervision(request.user, pk)
    cases = sup.cases(visible_to=request.user)
    return docx_response(notices.supervision_sheet(sup, cases), f"{sup.number}.docx")


@casework_required
def matter_completion(request, pk, fmt):
    """The 办结报告 of a matter from the level above: .docx for people, .json and .xlsx for the
    upper level's system (no personal data in those)."""
    matter = get_visible_matter(request.user, pk)
    full = request.user.role in FULL_PERSONAL_DATA_ROLES
    try:
        if fmt == "json":
            response = JsonResponse(completion.data(matter), json_dumps_params={"ensure_ascii": False})
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(_name(matter, 'json'))}"
            return response
        if fmt == "xlsx":
            response = HttpResponse(completion.xlsx(matter), content_type=XLSX)
            response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(_name(matter, 'xlsx'))}"
            return response
        if fmt != "docx":
            raise Http404("没有这种格式。")
        content = completion.docx(matter, full_names=full)
    except KeyError:
        raise Http404("只有上级转送、交办的事项在答复后才有办结报告。") from None
    if full:
        audit_notice_read(request, matter, "completion", "document")
    return docx_response(content, _name(matter, "docx"))


def _name(matter, ext):
    return f"{completion.TITLE}-{matter.display_code}.{ext}"
