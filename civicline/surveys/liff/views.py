"""Resident pages (LIFF, SV-1): the survey's first page, then the form engine's pages and
confirmation, then thanks. A test device's preview link (X-11) opens a survey in preparation too;
answers given through a preview are not stored.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from civicline.core.translations import translated
from civicline.forms import liff as form_liff
from civicline.forms import services as form_services
from civicline.forms.models import Draft
from civicline.line.liff.auth import ResidentRequest, resident_required

from .. import line_messages, selectors, services
from ..models import DEFAULT_THANKS, Survey

BASE_TEMPLATE = "surveys/liff/base.html"


def _preview_token(request: HttpRequest, survey_pk: int) -> str:
    """The request's preview token if it is a valid one for this survey, else ""."""
    token = request.GET.get("preview", "")
    return token if token and line_messages.preview_survey_id(token) == survey_pk else ""


def _survey(request: ResidentRequest, pk: int) -> tuple[Survey, str]:
    token = _preview_token(request, pk)
    if token:
        return selectors.survey_for_preview(pk=pk, friend=request.resident), token
    if request.GET.get("preview"):
        raise Http404  # an expired or forged preview link shows nothing
    return selectors.survey_for_resident(pk=pk), ""


def _url(name: str, survey: Survey, token: str, *args: int) -> str:
    path = reverse(f"surveys_liff:{name}", args=[survey.pk, *args])
    return f"{path}?{urlencode({'preview': token})}" if token else path


def _flow(survey: Survey, token: str) -> form_liff.Flow:
    def submit(request: ResidentRequest, draft: Draft) -> HttpResponse:
        if token:
            form_services.draft_discard(form=survey.form, friend=request.resident)
        else:
            services.survey_response_submit(survey=survey, friend=request.resident, draft=draft)
        return redirect(_url("done", survey, token))

    return form_liff.Flow(
        form=survey.form,
        title=translated(survey, "title"),
        base_template=BASE_TEMPLATE,
        page_url=lambda n: _url("page", survey, token, n),
        confirm_url=_url("confirm", survey, token),
        start_url=_url("start", survey, token),
        submit=submit,
        submit_label=_("回答を送信する"),
        notice=_("プレビューです。回答は保存されません。") if token else "",
    )


def _refused(request: ResidentRequest, survey: Survey, token: str) -> HttpResponse | None:
    """The page saying why this resident cannot answer now (not for a preview), or None."""
    refusal = "" if token else selectors.answer_refusal(survey=survey, friend=request.resident)
    if not refusal:
        return None
    return render(request, "surveys/liff/refused.html", {"survey": survey, "refusal": refusal}, status=403)


@require_GET
@resident_required
def index(request: ResidentRequest) -> HttpResponse:
    surveys = selectors.surveys_for_resident(friend=request.resident)
    return render(request, "surveys/liff/index.html", {"surveys": surveys})


@require_GET
@resident_required
def start(request: ResidentRequest, pk: int) -> HttpResponse:
    survey, token = _survey(request, pk)
    refused = _refused(request, survey, token)
    if refused:
        return refused
    flow = _flow(survey, token)
    draft = Draft.objects.filter(form=survey.form, friend=request.resident).first()
    answered = selectors.responses_of(survey=survey, friend=request.resident).exists()
    context = {
        "survey": survey,
        "flow": flow,
        "begin_url": form_liff.resume_url(flow, draft) if draft else flow.page_url(1),
        "has_draft": draft is not None and bool(draft.answers),
        "replaces": answered and survey.answer_policy == Survey.Policy.REPLACE and not token,
        "count": len(survey.form.questions),
    }
    return render(request, "surveys/liff/start.html", context)


@require_http_methods(["GET", "POST"])
@resident_required
def page(request: ResidentRequest, pk: int, number: int) -> HttpResponse:
    survey, token = _survey(request, pk)
    return _refused(request, survey, token) or form_liff.page_view(request, _flow(survey, token), number)


@require_http_methods(["GET", "POST"])
@resident_required
def confirm(request: ResidentRequest, pk: int) -> HttpResponse:
    survey, token = _survey(request, pk)
    return _refused(request, survey, token) or form_liff.confirm_view(request, _flow(survey, token))


@require_GET
@resident_required
def done(request: ResidentRequest, pk: int) -> HttpResponse:
    survey, token = _survey(request, pk)
    context = {"survey": survey, "preview": bool(token), "thanks": thanks(survey)}
    return render(request, "surveys/liff/done.html", context)


def thanks(survey: Survey) -> str:
    """The survey's thanks in the resident's language: staff's version where they wrote one, the
    catalogue's for the standard words (a Japanese sentence is no thanks to an English reader)."""
    text = translated(survey, "thanks_text")
    if text == DEFAULT_THANKS or not text:
        return _("ご協力ありがとうございました。")
    return text
