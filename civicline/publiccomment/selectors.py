"""Reads of public comments: staff's (scoped to their department, X-4) and residents' (public
consultations, their own submissions)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from django.db.models import Count, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.features import HistoryItem
from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404
from civicline.forms import schema
from civicline.forms.answers import value_of
from civicline.forms.models import Answer, Draft
from civicline.line.models import Friend

from .models import Consultation, Document, Submission

HISTORY_LIMIT = 20
EXCERPT_LENGTH = 80
# What an excerpt may show: what residents chose and wrote as their opinion, nothing else.
EXCERPT_TYPES = schema.CHOICE_TYPES | schema.TEXT_TYPES

# --- staff ----------------------------------------------------------------------------------------


def consultation_list_for(*, fetched_by: Staff) -> QuerySet[Consultation]:
    return (
        Consultation.objects.visible_to(fetched_by)
        .select_related("form__department")
        .annotate(submission_count=Count("submissions"))
    )


def access_consultation(*, fetched_by: Staff, pk: int) -> Consultation:
    return access_or_404(
        Consultation.objects.select_related("form__department", "form__current_version"), fetched_by, pk=pk
    )


def access_document(*, fetched_by: Staff, consultation: Consultation, pk: int) -> Document:
    return access_or_404(Document.objects.filter(consultation=consultation), fetched_by, pk=pk)


def submission_list_for(
    *, fetched_by: Staff, consultation: Consultation, receipt: str = ""
) -> QuerySet[Submission]:
    submissions = Submission.objects.visible_to(fetched_by).filter(consultation=consultation)
    if receipt:
        submissions = submissions.filter(receipt_number__icontains=receipt.strip())
    return submissions.select_related("friend", "response__version")


def _is_excerpted(question: schema.Question) -> bool:
    return (
        question["type"] in EXCERPT_TYPES
        and not question.get("personal")
        and question["type"] not in schema.ALWAYS_PERSONAL
    )


def excerpts_visible_to(*, staff: Staff, consultation: Consultation) -> bool:
    """Staff of the department that owns the consultation (not the system administrator, who sees
    the list to help, not the opinions)."""
    return staff.department_id is not None and staff.department_id == consultation.department.pk


def submission_excerpts(
    *, fetched_by: Staff, consultation: Consultation, submissions: Sequence[Submission]
) -> dict[int, str]:
    """A short excerpt of each submission's answers (submission pk → text), for the list (PC-2).

    Only for ``excerpts_visible_to`` staff, and only from the questions that are not personal: names,
    addresses and contacts stay on each submission's own page, whose every opening is audited.
    Personal answers are not even read here (they are the sealed rows).
    """
    if not excerpts_visible_to(staff=fetched_by, consultation=consultation):
        return {}
    versions = {s.response_id: s.response.version.schema for s in submissions}
    rows = (
        Answer.objects.filter(response_id__in=list(versions), sealed__isnull=True)
        .order_by("response_id", "question", "id")
        .only("response_id", "question", "choice", "number", "text", "data")
    )
    values: dict[int, dict[str, str]] = {}
    for response_id, answers in groupby(rows, key=lambda a: a.response_id):
        by_key = schema.question_by_key(versions[response_id])
        for key, group in groupby(answers, key=lambda a: a.question):
            question = by_key.get(key)
            if question is not None and _is_excerpted(question):
                values.setdefault(response_id, {})[key] = schema.display(question, value_of(question, group))
    excerpts = {}
    for submission in submissions:
        found = values.get(submission.response_id, {})
        parts = [found[q["key"]] for q in versions[submission.response_id] if found.get(q["key"])]
        text = " / ".join(" ".join(part.split()) for part in parts)
        excerpts[submission.pk] = text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1] + "…"
    return excerpts


def access_submission(*, fetched_by: Staff, pk: int) -> Submission:
    return access_or_404(
        Submission.objects.select_related("consultation__form__department", "response__version", "friend"),
        fetched_by,
        pk=pk,
    )


def resident_history(*, fetched_by: Staff, friend: Friend, department: Department) -> list[HistoryItem]:
    """The resident's comments to ``department``, for staff talking with them (newest first)."""
    submissions = (
        Submission.objects.visible_to(fetched_by)
        .filter(friend=friend, consultation__form__department=department)
        .select_related("consultation")[:HISTORY_LIMIT]
    )
    return [
        HistoryItem(
            at=s.created_at,
            kind=_("意見募集"),
            title=s.consultation.title,
            number=s.receipt_number,
            url=reverse("publiccomment:submission-detail", args=[s.pk]),
        )
        for s in submissions
    ]


# --- residents ------------------------------------------------------------------------------------


def consultations_for_residents() -> list[Consultation]:
    """Public consultations, those accepting comments first, then the most recently closed."""
    now = timezone.now()
    public = Consultation.objects.exclude(status=Consultation.Status.DRAFT).select_related("form__department")
    consultations = list(public)
    consultations.sort(key=lambda c: (not c.is_accepting(now), -c.closes_at.timestamp()))
    return consultations


def consultations_accepting() -> list[Consultation]:
    return [c for c in consultations_for_residents() if c.is_accepting()]


def consultation_for_residents(*, pk: int) -> Consultation:
    consultation = (
        Consultation.objects.exclude(status=Consultation.Status.DRAFT)
        .select_related("form__department", "form__current_version")
        .filter(pk=pk)
        .first()
    )
    if consultation is None:
        raise Http404
    return consultation


def public_document(*, consultation: Consultation, pk: int) -> Document:
    document = consultation.documents.filter(pk=pk).exclude(file="").first()
    if document is None:
        raise Http404
    return document


def resident_submission(*, friend: Friend, receipt_number: str) -> Submission:
    submission = (
        Submission.objects.filter(friend=friend, receipt_number=receipt_number)
        .select_related("consultation__form__department")
        .first()
    )
    if submission is None:
        raise Http404
    return submission


def resident_draft(*, friend: Friend, consultation: Consultation) -> Draft | None:
    return Draft.objects.filter(friend=friend, form=consultation.form).first()


def talking_consultation(*, friend: Friend) -> Consultation | None:
    """The consultation whose next answer the talk screen is waiting for from ``friend``, if any."""
    draft = (
        Draft.objects.filter(friend=friend, form__consultation__isnull=False)
        .exclude(talk_question="")
        .select_related("form__consultation__form__department")
        .order_by("-updated_at")
        .first()
    )
    return draft.form.consultation if draft else None
