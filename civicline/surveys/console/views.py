"""Staff pages of surveys: build (SV-2), set the period and policy (SV-4), preview on a test
device (X-11), send the invitation as a delivery (SV-5), results with charts and cross-tabulation
(SV-8), CSV of raw answers and of aggregates (SV-7).

Views stay thin: reach the survey through selectors (404 for another department's), call a
service, respond.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, StreamingHttpResponse
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
from civicline.forms.console.results import ResultsForm, results_context
from civicline.line.liff.links import liff_url
from civicline.line.phone import phone_url

from .. import line_messages, selectors, services
from ..models import Survey
from .forms import InviteForm, PreviewForm, SurveyForm


@staff_required
def survey_list(request: StaffRequest) -> HttpResponse:
    surveys = selectors.survey_list_for(fetched_by=request.user)
    return render(request, "surveys/console/survey_list.html", {"surveys": surveys})


@staff_required
def survey_create(request: StaffRequest) -> HttpResponse:
    def save(form: SurveyForm) -> Survey:
        department = form.cleaned_data.get("department") or request.user.department
        if department is None:
            raise PermissionDenied(_("所属課のない職員はアンケートを作成できません。"))
        return services.survey_create(actor=request.user, department=department, data=form.survey_data())

    return form_page(
        request,
        form=SurveyForm(request.POST or None, staff=request.user, creating=True),
        title=_("アンケートを作成"),
        template="surveys/console/survey_form.html",
        save=save,
        success_message=_("アンケートを作成しました。続けて質問を作成してください。"),
        redirect_to=lambda survey: reverse("surveys:survey-questions", args=[survey.pk]),
        survey=None,
    )


@staff_required
def survey_update(request: StaffRequest, pk: int) -> HttpResponse:
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    form = SurveyForm(request.POST or None, instance=survey, staff=request.user, creating=False)
    return form_page(
        request,
        form=form,
        title=_("アンケートの設定"),
        template="surveys/console/survey_form.html",
        save=lambda form: services.survey_update(actor=request.user, survey=survey, data=form.survey_data()),
        success_message=lambda _saved: _("アンケート「%(title)s」を保存しました。") % {"title": survey.title},
        redirect_to=reverse("surveys:survey-detail", args=[survey.pk]),
        survey=survey,
    )


@staff_required
def survey_questions(request: StaffRequest, pk: int) -> HttpResponse:
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    detail_url = reverse("surveys:survey-detail", args=[survey.pk])
    return builder.questions_page(
        request,
        form=survey.form,
        template="surveys/console/questions.html",
        context={"survey": survey, "cancel_url": detail_url},
        done_url=detail_url,
    )


def _detail(request: StaffRequest, survey: Survey, **extra) -> dict:
    return {
        "survey": survey,
        "questions": [(q, schema.TYPES[q["type"]]) for q in survey.form.questions],
        "reach": selectors.reach(survey=survey),
        "sends": selectors.send_list_for(survey=survey),
        "preview_form": PreviewForm(staff=request.user),
        "invite_form": InviteForm(staff=request.user),
        "resident_url": liff_url(line_messages.survey_path(survey)),
        **extra,
    }


@staff_required
def survey_detail(request: StaffRequest, pk: int) -> HttpResponse:
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    return render(request, "surveys/console/survey_detail.html", _detail(request, survey))


@staff_required
@require_POST
def survey_preview(request: StaffRequest, pk: int) -> HttpResponse:
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    form = PreviewForm(request.POST, staff=request.user)
    if form.is_valid():
        try:
            recipient, send = services.survey_preview_send(
                actor=request.user,
                survey=survey,
                recipient_id=form.cleaned_data["recipient"].pk,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            preview = {"recipient": recipient, "send": send, "phone_url": phone_url(recipient.friend.user_id)}
            return render(
                request, "surveys/console/survey_detail.html", _detail(request, survey, preview=preview)
            )
    context = _detail(request, survey, preview_form=form)
    return render(request, "surveys/console/survey_detail.html", context, status=400)


@staff_required
@require_POST
def survey_invite(request: StaffRequest, pk: int) -> HttpResponse:
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    form = InviteForm(request.POST, staff=request.user)
    if form.is_valid():
        try:
            send = services.survey_invite(
                actor=request.user,
                survey=survey,
                segments=list(form.cleaned_data.get("segments") or []),
                to_all=bool(form.cleaned_data.get("to_all")),
                combine=form.cleaned_data["combine"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("「%(audience)s」の%(n)s人に依頼を配信しました。")
                % {"audience": send.audience, "n": send.recipients},
            )
            return redirect("surveys:survey-detail", pk=survey.pk)
    context = _detail(request, survey, invite_form=form)
    return render(request, "surveys/console/survey_detail.html", context, status=400)


# --- results (SV-7, SV-8) -----------------------------------------------------------------------------


@staff_required
def survey_results(request: StaffRequest, pk: int) -> HttpResponse:
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    context = results_context(
        form=survey.form, params=request.GET, dimensions=selectors.attribute_dimensions()
    )
    context.update(survey=survey, reach=selectors.reach(survey=survey, responses=context["responses"]))
    return render(request, "surveys/console/results.html", context)


@staff_required
def survey_export(request: StaffRequest, pk: int) -> StreamingHttpResponse:
    """Every response, one row each, with every question any version asked (SV-7)."""
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    # The results page's filter, if any, applies to the download too.
    chosen = ResultsForm(request.GET or None, form=survey.form, dimensions=[]).responses(survey.form)
    responses = chosen if chosen is not None else survey.form.responses.all()
    services.survey_export_record(actor=request.user, survey=survey, what=_("回答"), count=responses.count())
    questions = form_selectors.export_questions(survey.form)
    header = [_("回答番号"), _("回答日時"), _("版"), *(q["label"] for q in questions)]
    versions = dict(survey.form.versions.values_list("pk", "number"))
    rows = form_selectors.export_rows(
        form=survey.form,
        responses=responses,
        leading=lambda r: [r.pk, r.submitted_at, versions.get(r.version_id, "")],
        questions=questions,
    )
    filename = f"アンケート回答_{survey.title[:30]}_{timezone.localdate():%Y%m%d}.csv"
    return csv_response(filename=filename, header=header, rows=rows)


@staff_required
def survey_export_summary(request: StaffRequest, pk: int) -> StreamingHttpResponse:
    """The aggregates as a table: question, answer, count, share (SV-7)."""
    survey = selectors.access_survey(fetched_by=request.user, pk=pk)
    context = results_context(form=survey.form, params=request.GET, dimensions=[])
    services.survey_export_record(
        actor=request.user, survey=survey, what=_("集計結果"), count=len(context["results"])
    )
    header = [_("質問"), _("回答"), _("人数"), _("割合（%）")]
    filename = f"アンケート集計_{survey.title[:30]}_{timezone.localdate():%Y%m%d}.csv"
    return csv_response(
        filename=filename, header=header, rows=form_selectors.aggregate_rows(context["results"])
    )
