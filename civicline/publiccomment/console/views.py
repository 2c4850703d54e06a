"""Staff pages of public comments: consultations (PC-3), documents, questions, submissions and
their CSV (PC-2), one submission with a message to its submitter after confirmation (PC-8).

Views stay thin: reach objects through selectors (404 for another department's), call a service,
respond. Every page that shows a submission's answers is audited first.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicline.core.console.decorators import staff_required
from civicline.core.console.forms import form_page
from civicline.core.exports import csv_response
from civicline.core.http import StaffRequest
from civicline.forms import schema
from civicline.forms import selectors as form_selectors
from civicline.forms.console import builder
from civicline.line import direct
from civicline.line.liff.links import liff_url

from .. import line_messages, selectors, services
from ..models import Consultation
from .forms import ConsultationForm, DocumentForm, MessageConfirmForm, MessageForm

PAGE_SIZE = 50


@staff_required
def consultation_list(request: StaffRequest) -> HttpResponse:
    consultations = selectors.consultation_list_for(fetched_by=request.user)
    return render(request, "publiccomment/console/consultation_list.html", {"consultations": consultations})


def _consultation_saved(consultation: Consultation) -> str:
    return _("案件「%(title)s」を保存しました。") % {"title": consultation.title}


def _consultation_url(consultation: Consultation) -> str:
    return reverse("publiccomment:consultation-detail", args=[consultation.pk])


@staff_required
def consultation_create(request: StaffRequest) -> HttpResponse:
    def save(form: ConsultationForm) -> Consultation:
        department = form.cleaned_data.get("department") or request.user.department
        if department is None:
            raise PermissionDenied(_("所属課のない職員は意見募集を作成できません。"))
        return services.consultation_create(
            actor=request.user, department=department, data=form.consultation_data()
        )

    return form_page(
        request,
        form=ConsultationForm(request.POST or None, staff=request.user, creating=True),
        title=_("意見募集の案件を追加"),
        template="publiccomment/console/consultation_form.html",
        save=save,
        success_message=_consultation_saved,
        redirect_to=_consultation_url,
        consultation=None,
    )


@staff_required
def consultation_update(request: StaffRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_consultation(fetched_by=request.user, pk=pk)
    form = ConsultationForm(request.POST or None, instance=consultation, staff=request.user, creating=False)
    return form_page(
        request,
        form=form,
        title=_("案件を編集"),
        template="publiccomment/console/consultation_form.html",
        save=lambda form: services.consultation_update(
            actor=request.user, consultation=consultation, data=form.consultation_data()
        ),
        success_message=_consultation_saved,
        redirect_to=_consultation_url,
        consultation=consultation,
    )


@staff_required
def consultation_detail(request: StaffRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_consultation(fetched_by=request.user, pk=pk)
    document_form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and document_form.is_valid():
        data = document_form.cleaned_data
        try:
            services.document_add(
                actor=request.user,
                consultation=consultation,
                title=data["title"],
                url=data.get("url") or "",
                upload=data.get("file"),
                translations=document_form.translations_cleaned(),
            )
        except ValidationError as exc:
            document_form.add_error(None, exc)
        else:
            messages.success(request, _("資料「%(title)s」を追加しました。") % {"title": data["title"]})
            return redirect("publiccomment:consultation-detail", pk=consultation.pk)
    context = {
        "consultation": consultation,
        "documents": consultation.documents.all(),
        "document_form": document_form,
        "questions": [(q, schema.TYPES[q["type"]]) for q in consultation.form.questions],
        "submission_count": consultation.submissions.count(),
        "resident_url": liff_url(reverse("publiccomment_liff:detail", args=[consultation.pk])),
    }
    return render(request, "publiccomment/console/consultation_detail.html", context)


@staff_required
@require_POST
def document_delete(request: StaffRequest, pk: int, document_pk: int) -> HttpResponse:
    consultation = selectors.access_consultation(fetched_by=request.user, pk=pk)
    document = selectors.access_document(fetched_by=request.user, consultation=consultation, pk=document_pk)
    services.document_delete(actor=request.user, document=document)
    messages.success(request, _("資料「%(title)s」を削除しました。") % {"title": document.title})
    return redirect("publiccomment:consultation-detail", pk=consultation.pk)


@staff_required
def document_file(request: StaffRequest, pk: int, document_pk: int) -> HttpResponseBase:
    consultation = selectors.access_consultation(fetched_by=request.user, pk=pk)
    document = selectors.access_document(fetched_by=request.user, consultation=consultation, pk=document_pk)
    if not document.file:
        return redirect(document.url)
    return FileResponse(document.file.open("rb"), content_type="application/pdf")


@staff_required
def consultation_questions(request: StaffRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_consultation(fetched_by=request.user, pk=pk)
    detail_url = reverse("publiccomment:consultation-detail", args=[consultation.pk])
    return builder.questions_page(
        request,
        form=consultation.form,
        template="publiccomment/console/questions.html",
        context={"consultation": consultation, "cancel_url": detail_url},
        done_url=detail_url,
    )


# --- submissions (PC-2, PC-8) ------------------------------------------------------------------------


@staff_required
def submission_list(request: StaffRequest, pk: int) -> HttpResponse:
    consultation = selectors.access_consultation(fetched_by=request.user, pk=pk)
    receipt = request.GET.get("receipt", "")[:20]
    submissions = selectors.submission_list_for(
        fetched_by=request.user, consultation=consultation, receipt=receipt
    )
    page = Paginator(submissions, PAGE_SIZE).get_page(request.GET.get("page"))
    excerpts = selectors.submission_excerpts(
        fetched_by=request.user, consultation=consultation, submissions=list(page.object_list)
    )
    rows = [(submission, excerpts.get(submission.pk)) for submission in page.object_list]
    context = {
        "consultation": consultation,
        "page": page,
        "rows": rows,
        "receipt": receipt,
        "with_excerpts": selectors.excerpts_visible_to(staff=request.user, consultation=consultation),
    }
    return render(request, "publiccomment/console/submission_list.html", context)


@staff_required
def submission_export(request: StaffRequest, pk: int) -> StreamingHttpResponse:
    consultation = selectors.access_consultation(fetched_by=request.user, pk=pk)
    submissions = selectors.submission_list_for(fetched_by=request.user, consultation=consultation)
    services.submission_export_record(
        actor=request.user, consultation=consultation, count=submissions.count()
    )
    form = consultation.form
    questions = form_selectors.export_questions(form)
    responses = form.responses.filter(pk__in=submissions.values("response_id")).annotate(
        receipt=F("submission__receipt_number"), talked=F("submission__used_talk")
    )

    def leading(response) -> list:
        channel = _("トーク＋入力画面") if response.talked else _("入力画面")
        return [response.receipt, response.submitted_at, channel]

    header = [_("受付番号"), _("受付日時"), _("入力方法"), *(q["label"] for q in questions)]
    rows = form_selectors.export_rows(form=form, responses=responses, leading=leading, questions=questions)
    filename = f"意見_{consultation.title[:30]}_{timezone.localdate():%Y%m%d}.csv"
    return csv_response(filename=filename, header=header, rows=rows)


def _submission_context(request: StaffRequest, submission) -> dict:
    return {
        "submission": submission,
        "consultation": submission.consultation,
        "answers": form_selectors.response_answers(submission.response),
        "sent": direct.direct_message_list_for(record=submission),
    }


@staff_required
def submission_detail(request: StaffRequest, pk: int) -> HttpResponse:
    submission = selectors.access_submission(fetched_by=request.user, pk=pk)
    services.submission_view_record(actor=request.user, submission=submission)
    context = {**_submission_context(request, submission), "message_form": MessageForm()}
    return render(request, "publiccomment/console/submission_detail.html", context)


@staff_required
@require_POST
def submission_message(request: StaffRequest, pk: int) -> HttpResponse:
    """Two steps (PC-8): the message written → the confirmation naming the recipient by receipt
    number and masked name, where staff type that number → sent to that one resident only."""
    submission = selectors.access_submission(fetched_by=request.user, pk=pk)
    confirmation = direct.direct_message_confirmation(record=submission)
    if request.POST.get("step") != "send":
        compose = MessageForm(request.POST)
        if not compose.is_valid():
            context = {**_submission_context(request, submission), "message_form": compose}
            return render(request, "publiccomment/console/submission_detail.html", context, status=400)
        text = compose.cleaned_data["text"]
        form = MessageConfirmForm(initial={"text": text})
    else:
        form = MessageConfirmForm(request.POST)
        text = request.POST.get("text", "")
        if form.is_valid():
            try:
                services.submission_message_send(
                    actor=request.user,
                    submission=submission,
                    text=form.cleaned_data["text"],
                    confirmed_receipt_number=form.cleaned_data["confirmed_receipt_number"],
                )
            except (direct.DirectMessageRefused, ValidationError) as exc:
                form.add_error("confirmed_receipt_number", " ".join(getattr(exc, "messages", [str(exc)])))
            else:
                messages.success(
                    request,
                    _("受付番号 %(n)s の提出者にメッセージを送信しました。")
                    % {"n": submission.receipt_number},
                )
                return redirect("publiccomment:submission-detail", pk=submission.pk)
    preview = direct.message_texts(line_messages.staff_message(submission, text or "…"))
    context = {
        "submission": submission,
        "consultation": submission.consultation,
        "confirmation": replace(confirmation, preview=preview),
        "form": form,
    }
    status = 400 if form.errors else 200
    return render(request, "publiccomment/console/message_confirm.html", context, status=status)
