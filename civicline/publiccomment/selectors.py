"""Reads of public comments: staff's (scoped to their department, X-4) and residents' (public
consultations, their own submissions)."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.features import HistoryItem
from civicline.core.models import Department, Staff
from civicline.core.scoping import access_or_404
from civicline.forms.models import Draft
from civicline.line.models import Friend

from .models import Consultation, Document, Submission

HISTORY_LIMIT = 20

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
    return submissions.select_related("friend")


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
