"""The resident's side of a form in LIFF: one page at a time with progress, then a confirmation
screen (PC-7), then the owner's submit. Features call these from their own resident views.

Every page saves into the resident's server-side draft before moving on, so a closed LINE window
loses nothing: opening the form again continues where the resident was (``resume_url``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from civicline.line.liff.auth import ResidentRequest

from . import files, schema, services
from .fields import PageForm
from .models import Draft, Form

SUBMIT_LABEL = _("送信する")


@dataclass
class Flow:
    """What a feature tells the engine about the form a resident is answering."""

    form: Form
    title: str
    base_template: str  # the feature's resident base template (extends line/liff/base.html)
    page_url: Callable[[int], str]
    confirm_url: str
    start_url: str  # the feature's page about the survey / consultation
    # Called with the draft when the resident confirms; returns where to go (ValidationError: refused).
    submit: Callable[[ResidentRequest, Draft], HttpResponse]
    submit_label: Any = SUBMIT_LABEL
    notice: Any = ""  # a line shown above every page (e.g. that this is a preview)
    store_photo: Callable[..., dict[str, Any]] = files.photo_store


def _draft(request: ResidentRequest, flow: Flow) -> Draft:
    return services.draft_for(form=flow.form, friend=request.resident)


def resume_url(flow: Flow, draft: Draft) -> str:
    """The first page with a question still unanswered, else the confirmation screen."""
    questions = draft.version.schema
    kept = schema.effective_answers(questions, draft.answers)
    for page in schema.visible_pages(questions, kept):
        if any(schema.is_empty(kept.get(q["key"])) for q in page.questions):
            return flow.page_url(page.number)
    return flow.confirm_url


def _progress(pages: list[schema.Page], number: int) -> dict[str, int]:
    numbers = [p.number for p in pages]
    step = numbers.index(number) + 1 if number in numbers else len(numbers) + 1
    total = len(numbers) + 1  # the confirmation is the last step
    return {"step": step, "total": total, "percent": round(100 * step / total)}


def page_view(request: ResidentRequest, flow: Flow, number: int) -> HttpResponse:
    """GET: the page's questions, filled from the draft; POST: save them and go on (or back)."""
    draft = _draft(request, flow)
    questions = draft.version.schema
    pages = schema.visible_pages(questions, draft.answers)
    page = next((p for p in pages if p.number == number), None)
    if page is None:
        # Hidden by an answer, or not there at all: the next page that shows, else the confirmation.
        later = [p for p in pages if p.number > number]
        return redirect(flow.page_url(later[0].number) if later else flow.confirm_url)
    earlier = [p for p in pages if p.number < number]
    if request.method == "POST":
        form = PageForm(request.POST, request.FILES, questions=page.questions, answers=draft.answers)
        if "back" in request.POST:
            form.is_valid()
            services.draft_update(draft=draft, answers=form.valid_answers(), talk_question="")
            return redirect(flow.page_url(earlier[-1].number) if earlier else flow.start_url)
        if form.is_valid():
            answers = form.page_answers(flow.store_photo)
            if not form.errors:
                # Answering here ends a conversation in the talk screen: its next message is not an answer.
                draft = services.draft_update(draft=draft, answers=answers, talk_question="")
                following = [p for p in schema.visible_pages(questions, draft.answers) if p.number > number]
                return redirect(flow.page_url(following[0].number) if following else flow.confirm_url)
    else:
        form = PageForm(questions=page.questions, answers=draft.answers)
    context = {
        "flow": flow,
        "form": form,
        "page": page,
        "progress": _progress(pages, number),
        "photos": {
            q["key"]
            for q in page.questions
            if q["type"] == "photo" and isinstance(draft.answers.get(q["key"]), dict)
        },
        "base_template": flow.base_template,
    }
    return render(request, "forms/liff/page.html", context, status=400 if form.errors else 200)


def confirm_view(request: ResidentRequest, flow: Flow) -> HttpResponse:
    """Every answer that counts, with a link back to its page; POST hands the draft to the owner."""
    draft = _draft(request, flow)
    questions = draft.version.schema
    kept = schema.effective_answers(questions, draft.answers)
    pages = schema.visible_pages(questions, kept)
    page_of = {q["key"]: p.number for p in pages for q in p.questions}
    missing = schema.missing_required(questions, kept)
    if missing:
        return redirect(flow.page_url(page_of[missing[0]["key"]]))
    error = ""
    if request.method == "POST":
        try:
            return flow.submit(request, draft)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    rows = [(q, text, flow.page_url(page_of[q["key"]])) for q, text in schema.displayed(questions, kept)]
    context = {
        "flow": flow,
        "rows": rows,
        "error": error,
        "progress": _progress(pages, 0),
        "back_url": flow.page_url(pages[-1].number) if pages else flow.start_url,
        "base_template": flow.base_template,
    }
    return render(request, "forms/liff/confirm.html", context, status=409 if error else 200)
