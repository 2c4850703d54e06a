"""Resident pages (LIFF): the consultations, one consultation with its documents, the comment form
(the form engine's pages and confirmation, PC-1, PC-7), the receipt (PC-9), and the switch to the
talk screen (PC-5)."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicline.core.translations import translated
from civicline.forms import liff as form_liff
from civicline.forms.models import Draft
from civicline.line.liff.auth import ResidentRequest, resident_required

from .. import conversation, selectors, services
from ..models import Consultation, Submission

BASE_TEMPLATE = "publiccomment/liff/base.html"


@require_GET
@resident_required
def index(request: ResidentRequest) -> HttpResponse:
    consultations = selectors.consultations_for_residents()
    return render(request, "publiccomment/liff/index.html", {"consultations": consultations})


@require_GET
@resident_required
def detail(request: ResidentRequest, pk: int) -> HttpResponse:
    consultation = selectors.consultation_for_residents(pk=pk)
    draft = selectors.resident_draft(friend=request.resident, consultation=consultation)
    context = {
        "consultation": consultation,
        "documents": consultation.documents.all(),
        "accepting": consultation.is_accepting(),
        "has_draft": draft is not None and bool(draft.answers),
        "talked": request.GET.get("talk") == "1",
    }
    return render(request, "publiccomment/liff/detail.html", context)


def _flow(consultation: Consultation) -> form_liff.Flow:
    def submit(request: ResidentRequest, draft: Draft) -> HttpResponse:
        submission = services.submission_create(
            consultation=consultation, friend=request.resident, draft=draft
        )
        return redirect(reverse("publiccomment_liff:done", args=[submission.receipt_number]))

    return form_liff.Flow(
        form=consultation.form,
        title=translated(consultation, "title"),
        base_template=BASE_TEMPLATE,
        page_url=lambda n: reverse("publiccomment_liff:page", args=[consultation.pk, n]),
        confirm_url=reverse("publiccomment_liff:confirm", args=[consultation.pk]),
        start_url=reverse("publiccomment_liff:detail", args=[consultation.pk]),
        submit=submit,
        submit_label=_("この内容で意見を提出する"),
    )


def _accepting(request: HttpRequest, pk: int) -> Consultation | HttpResponse:
    consultation = selectors.consultation_for_residents(pk=pk)
    if not consultation.is_accepting():
        return render(request, "publiccomment/liff/closed.html", {"consultation": consultation}, status=410)
    return consultation


@require_http_methods(["GET", "POST"])
@resident_required
def page(request: ResidentRequest, pk: int, number: int) -> HttpResponse:
    consultation = _accepting(request, pk)
    if isinstance(consultation, HttpResponse):
        return consultation
    return form_liff.page_view(request, _flow(consultation), number)


@require_http_methods(["GET", "POST"])
@resident_required
def confirm(request: ResidentRequest, pk: int) -> HttpResponse:
    consultation = _accepting(request, pk)
    if isinstance(consultation, HttpResponse):
        return consultation
    return form_liff.confirm_view(request, _flow(consultation))


@require_GET
@resident_required
def resume(request: ResidentRequest, pk: int) -> HttpResponse:
    """Where the talk hands over (personal questions, confirmation): the first page still to fill."""
    consultation = _accepting(request, pk)
    if isinstance(consultation, HttpResponse):
        return consultation
    flow = _flow(consultation)
    draft = selectors.resident_draft(friend=request.resident, consultation=consultation)
    if draft is None:
        return redirect(flow.page_url(1))
    return redirect(form_liff.resume_url(flow, draft))


@require_POST
@resident_required
def talk(request: ResidentRequest, pk: int) -> HttpResponse:
    """Answer in the talk screen instead: the first question is sent there (PC-5)."""
    consultation = _accepting(request, pk)
    if isinstance(consultation, HttpResponse):
        return consultation
    conversation.talk_start_by_push(consultation=consultation, friend=request.resident)
    return redirect(reverse("publiccomment_liff:detail", args=[consultation.pk]) + "?talk=1")


@require_GET
@resident_required
def done(request: ResidentRequest, receipt: str) -> HttpResponse:
    submission = selectors.resident_submission(friend=request.resident, receipt_number=receipt)
    return render(request, "publiccomment/liff/done.html", {"submission": submission})


@require_GET
def document(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    """A consultation's PDF: public information of a published consultation, no sign-in needed."""
    consultation = selectors.consultation_for_residents(pk=pk)
    found = selectors.public_document(consultation=consultation, pk=document_pk)
    response = FileResponse(found.file.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def resident_summary(request: ResidentRequest) -> str:
    """The resident's comments, for their own page (/liff/): consultation, receipt number, date."""
    submissions = list(Submission.objects.filter(friend=request.resident).select_related("consultation")[:10])
    if not submissions:
        return ""
    return render_to_string("publiccomment/liff/summary.html", {"submissions": submissions}, request=request)
