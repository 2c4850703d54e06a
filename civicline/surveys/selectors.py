"""Reads of surveys: staff's (scoped to their department, X-4), residents' (what they may answer),
and the resident attributes results can be cross-tabulated by (SV-8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Floor
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.models import Staff
from civicline.core.scoping import access_or_404
from civicline.delivery.models import Area, Gender, ResidentAttributes
from civicline.forms.models import Response
from civicline.forms.selectors import Dimension
from civicline.line.models import Friend, PreviewRecipient

from .models import Invitation, Send, Survey

# --- staff ----------------------------------------------------------------------------------------


def survey_list_for(*, fetched_by: Staff) -> QuerySet[Survey]:
    return (
        Survey.objects.visible_to(fetched_by)
        .select_related("form__department")
        .annotate(response_count=Count("form__responses", distinct=True))
    )


def access_survey(*, fetched_by: Staff, pk: int) -> Survey:
    return access_or_404(
        Survey.objects.select_related("form__department", "form__current_version"), fetched_by, pk=pk
    )


def send_list_for(*, survey: Survey) -> QuerySet[Send]:
    return survey.sends.select_related("sent_by")


@dataclass(frozen=True)
class Reach:
    responses: int
    respondents: int
    invited: int
    invited_respondents: int

    @property
    def rate(self) -> float | None:
        """Share of invited residents who answered (SV-8), or None before any invitation."""
        return round(100 * self.invited_respondents / self.invited, 1) if self.invited else None


def reach(*, survey: Survey, responses: QuerySet[Response] | None = None) -> Reach:
    responses = responses if responses is not None else survey.form.responses.all()
    invited = Invitation.objects.filter(survey=survey)
    return Reach(
        responses=responses.count(),
        respondents=responses.exclude(friend=None).values("friend").distinct().count(),
        invited=invited.count(),
        invited_respondents=responses.filter(friend__in=invited.values("friend"))
        .values("friend")
        .distinct()
        .count(),
    )


# --- residents ------------------------------------------------------------------------------------


def responses_of(*, survey: Survey, friend: Friend) -> QuerySet[Response]:
    return Response.objects.filter(form=survey.form, friend=friend)


def is_invited(*, survey: Survey, friend: Friend) -> bool:
    return Invitation.objects.filter(survey=survey, friend=friend).exists()


def answer_refusal(*, survey: Survey, friend: Friend) -> str:
    """Why ``friend`` may not answer ``survey`` now (in the resident's words), or ""."""
    if not survey.is_accepting():
        return _("このアンケートは現在回答を受け付けていません。")
    if survey.invited_only and not is_invited(survey=survey, friend=friend):
        return _("このアンケートは、ご案内をお送りした方にお答えいただいています。")
    if survey.answer_policy == Survey.Policy.ONCE and responses_of(survey=survey, friend=friend).exists():
        return _("このアンケートには回答済みです。ご協力ありがとうございました。")
    return ""


def survey_for_resident(*, pk: int) -> Survey:
    """A survey residents may see: published (open or closed), not one in preparation."""
    survey = (
        Survey.objects.exclude(status=Survey.Status.DRAFT)
        .select_related("form__department", "form__current_version")
        .filter(pk=pk)
        .first()
    )
    if survey is None:
        raise Http404
    return survey


def survey_for_preview(*, pk: int, friend: Friend) -> Survey:
    """Any survey, for a test device of its department (X-11); 404 for anyone else."""
    survey = Survey.objects.select_related("form__department", "form__current_version").filter(pk=pk).first()
    if (
        survey is None
        or not PreviewRecipient.objects.filter(department=survey.department, friend=friend).exists()
    ):
        raise Http404
    return survey


def surveys_for_resident(*, friend: Friend) -> list[Survey]:
    """Open surveys this resident may answer now."""
    surveys = Survey.objects.filter(status=Survey.Status.OPEN).select_related("form")
    return [s for s in surveys if not answer_refusal(survey=s, friend=friend)]


# --- resident attributes as a side of cross-tabulations (SV-8) ------------------------------------


def _attribute(path: str, field: str):
    return Subquery(ResidentAttributes.objects.filter(friend=OuterRef(path)).values(field)[:1])


def _age_band(path: str, today: date):
    bands = (
        ResidentAttributes.objects.filter(friend=OuterRef(path))
        .exclude(birth_year=None)
        .annotate(
            band=Floor((Value(today.year) - F("birth_year")) / Value(10), output_field=IntegerField())
            * Value(10)
        )
    )
    return Subquery(bands.values("band")[:1])


def age_band_label(value: int | float | str) -> str:
    band = int(float(value))
    return _("10歳未満") if band < 10 else _("%(n)s代") % {"n": band}


def attribute_dimensions() -> list[Dimension]:
    """Area, gender and age band, as residents set them on the 受信設定 page."""
    today = timezone.localdate()
    areas = list(Area.objects.values_list("name", flat=True))
    return [
        Dimension(
            "attr:area",
            _("お住まいの地域"),
            [(a, a) for a in areas],
            lambda path: _attribute(path, "area__name"),
        ),
        Dimension(
            "attr:gender",
            _("性別"),
            [(str(v), str(label)) for v, label in Gender.choices],
            lambda path: _attribute(path, "gender"),
        ),
        Dimension(
            "attr:age",
            _("年代"),
            [(str(n), age_band_label(n)) for n in range(0, 130, 10)],
            lambda path: _age_band(path, today),
        ),
    ]
