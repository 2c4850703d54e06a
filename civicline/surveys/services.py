"""Every state change of surveys: the survey itself (staff, audited), a preview on a test device,
the invitation sent as a delivery to segments or to everyone (SV-5), residents' responses under
the survey's answer policy (SV-4), exports recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.audit import Action, audit_record, audited_change, audited_create
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department
from civicline.delivery import selectors as delivery_selectors
from civicline.delivery import services as delivery_services
from civicline.delivery.models import Delivery, Segment
from civicline.forms import services as form_services
from civicline.forms.models import Draft, Response
from civicline.line import preview
from civicline.line.languages import speaking_to
from civicline.line.models import Friend, OutboundSend, PreviewRecipient

from . import line_messages, selectors
from .models import Invitation, Send, Survey

SURVEY_FIELDS = (
    "title",
    "description",
    "status",
    "opens_at",
    "closes_at",
    "answer_policy",
    "invited_only",
    "thanks_text",
)
# What the audit log records of a survey: its settings and its texts in other languages (issue 21).
AUDITED_FIELDS = (*SURVEY_FIELDS, "translations")
INVITATION_BATCH = 2000


def _check_period(survey: Survey) -> None:
    if survey.opens_at and survey.closes_at and survey.opens_at >= survey.closes_at:
        raise ValidationError(_("回答受付の終了は開始より後の日時にしてください。"))


def survey_create(*, actor: Staff, department: Department, data: dict[str, Any]) -> Survey:
    require_department(actor, department, message=_("他の課のアンケートは作成できません。"))
    with transaction.atomic():
        survey = Survey(
            form=form_services.form_create(department=department, title=data["title"]),
            created_by=actor,
            **data,
        )
        _check_period(survey)
        audited_create(
            actor=actor,
            obj=survey,
            summary=_("アンケート「%(title)s」を作成") % {"title": survey.title},
            fields=AUDITED_FIELDS,
        )
    return survey


def survey_update(*, actor: Staff, survey: Survey, data: dict[str, Any]) -> Survey:
    require_department(actor, survey)
    summary = _("アンケート「%(title)s」を変更") % {"title": data.get("title", survey.title)}
    with audited_change(actor=actor, obj=survey, summary=summary, fields=AUDITED_FIELDS):
        for name, value in data.items():
            setattr(survey, name, value)
        _check_period(survey)
        survey.full_clean()
        survey.save()
        form_services.form_rename(form=survey.form, title=survey.title)
    return survey


# --- preview and invitation (X-11, SV-5) ------------------------------------------------------------------


def survey_preview_send(
    *, actor: Staff, survey: Survey, recipient_id: int
) -> tuple[PreviewRecipient, OutboundSend]:
    """The invitation to one of the department's test devices; its link opens the survey even
    before it is published, and answers given through it are not stored."""
    if not survey.form.questions:
        raise ValidationError(_("質問がまだありません。質問を作成してからプレビューしてください。"))
    # As the device's resident would read it (issue 21); access to the device is checked when sent.
    device = PreviewRecipient.objects.filter(pk=recipient_id).select_related("friend").first()
    with speaking_to(device.friend if device is not None else None):
        message = line_messages.preview_message(survey)
    return preview.preview_message_send(actor=actor, recipient_id=recipient_id, messages=[message])


def _invite(survey: Survey, friends: Any, now: Any) -> int:
    """Record who is invited (for invitation-only surveys and the response rate), in batches."""
    created = 0
    ids = friends.order_by("pk").values_list("pk", flat=True)
    batch: list[Invitation] = []
    for friend_id in ids.iterator(chunk_size=INVITATION_BATCH):
        batch.append(Invitation(survey=survey, friend_id=friend_id, invited_at=now))
        if len(batch) >= INVITATION_BATCH:
            created += len(Invitation.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        created += len(Invitation.objects.bulk_create(batch, ignore_conflicts=True))
    return created


def survey_invite(
    *,
    actor: Staff,
    survey: Survey,
    segments: Sequence[Segment] = (),
    to_all: bool = False,
    combine: str = Delivery.Combine.ANY,
) -> Send:
    """Send the invitation now as a delivery to ``segments`` (or to every friend), and record the
    residents it goes to. The delivery package checks that the caller may use that audience."""
    if survey.status != Survey.Status.OPEN or (survey.closes_at and survey.closes_at <= timezone.now()):
        raise ValidationError(_("公開中のアンケートだけ依頼を送れます。状態を「公開中」にしてください。"))
    if not survey.form.questions:
        raise ValidationError(_("質問がまだありません。"))
    if not to_all and not segments:
        raise ValidationError(_("依頼を送るセグメントを選んでください。"))
    # Japanese for the master whatever the clerk's console speaks; a version for every other language.
    with languages.speaking(languages.JAPANESE):
        draft = line_messages.invitation(survey)
    data = delivery_services.DeliveryInput(
        title=_("アンケートのお願い: %(title)s") % {"title": survey.title},
        audience=Delivery.Audience.ALL if to_all else Delivery.Audience.SEGMENTS,
        segments=[] if to_all else list(segments),
        combine=combine,
        email_too=False,
        messages=[
            delivery_services.MessageInput(
                kind=draft.kind,
                title=draft.title,
                text=draft.text,
                alt_text=draft.alt_text,
                actions=draft.actions,
                translations=line_messages.invitation_versions(survey),
            )
        ],
    )
    now = timezone.now()
    with transaction.atomic():
        delivery = delivery_services.delivery_create(actor=actor, data=data)
        if to_all:
            friends = Friend.objects.filter(state=Friend.State.FOLLOWING)
            audience = _("友だち全員")
        else:
            q = delivery_selectors.audience_q(list(segments), combine=combine, on=timezone.localdate())
            friends = Friend.objects.filter(q, state=Friend.State.FOLLOWING)
            audience = "、".join(s.name for s in segments)
        invited = _invite(survey, friends, now)
        send = Send.objects.create(
            survey=survey, audience=audience[:300], recipients=invited, delivery=delivery, sent_by=actor
        )
        audit_record(
            action=Action.SEND,
            actor=actor,
            target=survey,
            summary=_("アンケート「%(title)s」の依頼を配信（%(audience)s、%(n)s人）")
            % {"title": survey.title, "audience": audience, "n": invited},
            changes={"delivery": delivery.pk, "segments": [s.pk for s in segments], "all": to_all},
        )
        delivery_services.delivery_schedule(actor=actor, delivery=delivery, at=None)
    return send


# --- responses (SV-1, SV-4) ---------------------------------------------------------------------------------


def survey_response_submit(*, survey: Survey, friend: Friend, draft: Draft) -> Response:
    """The resident's answers, under the survey's policy: a second answer is refused (ONCE),
    replaces the first (REPLACE) or is added (MANY). ValidationError (Japanese) when refused."""
    with transaction.atomic():
        # The resident's row lock keeps two submissions from both passing the "answered once" check.
        Friend.objects.select_for_update().filter(pk=friend.pk).first()
        refusal = selectors.answer_refusal(survey=survey, friend=friend)
        if refusal:
            raise ValidationError(refusal)
        earlier = list(selectors.responses_of(survey=survey, friend=friend))
        response = form_services.response_submit(
            form=survey.form, friend=friend, answers=draft.answers, version=draft.version
        )
        if survey.answer_policy == Survey.Policy.REPLACE:
            for old in earlier:
                form_services.response_delete(response=old)
    return response


def survey_export_record(*, actor: Staff, survey: Survey, what: str, count: int) -> None:
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        target=survey,
        summary=_("アンケート「%(title)s」の%(what)sをCSVで出力（%(n)s件）")
        % {"title": survey.title, "what": what, "n": count},
    )
