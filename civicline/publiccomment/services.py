"""Every state change of public comments: consultations and their documents (staff, audited),
residents' submissions with their receipt number, LINE receipt and department email (PC-9,
PC-10), and a staff message to one submitter (PC-8).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from civicline.core.audit import Action, audit_record, audited_change, audited_create, audited_delete
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department
from civicline.core.receipts import ReceiptPrefix, receipt_number_new
from civicline.core.translations import Translations, cleaned
from civicline.forms import services as form_services
from civicline.forms.models import Draft
from civicline.line import direct
from civicline.line.languages import speaking_to
from civicline.line.messaging import message_multicast
from civicline.line.models import DirectMessage, Friend

from . import line_messages
from .models import Consultation, Document, Submission

PDF_MAX_BYTES = 20 * 1024 * 1024
MESSAGE_MAX_LENGTH = 2000
CONSULTATION_FIELDS = (
    "title",
    "summary",
    "status",
    "opens_at",
    "closes_at",
    "notification_email",
    "talk_enabled",
)
# What the audit log records of a consultation: its settings and texts in other languages (issue 21).
AUDITED_FIELDS = (*CONSULTATION_FIELDS, "translations")
DOCUMENT_FIELDS = ("title", "url", "file", "translations")


# --- consultations (PC-3) -------------------------------------------------------------------------


def _check_period(consultation: Consultation) -> None:
    if consultation.opens_at and consultation.closes_at and consultation.opens_at >= consultation.closes_at:
        raise ValidationError(_("募集終了は募集開始より後の日時にしてください。"))


def consultation_create(*, actor: Staff, department: Department, data: dict[str, Any]) -> Consultation:
    require_department(actor, department, message=_("他の課の案件は作成できません。"))
    with transaction.atomic():
        form = form_services.form_create(department=department, title=data["title"])
        consultation = Consultation(form=form, created_by=actor, **data)
        _check_period(consultation)
        audited_create(
            actor=actor,
            obj=consultation,
            summary=_("意見募集の案件「%(title)s」を作成") % {"title": consultation.title},
            fields=AUDITED_FIELDS,
        )
    return consultation


def consultation_update(*, actor: Staff, consultation: Consultation, data: dict[str, Any]) -> Consultation:
    require_department(actor, consultation)
    summary = _("意見募集の案件「%(title)s」を変更") % {"title": data.get("title", consultation.title)}
    with audited_change(actor=actor, obj=consultation, summary=summary, fields=AUDITED_FIELDS):
        for name, value in data.items():
            setattr(consultation, name, value)
        _check_period(consultation)
        consultation.full_clean()
        consultation.save()
        form_services.form_rename(form=consultation.form, title=consultation.title)
    return consultation


def _is_pdf(upload: UploadedFile) -> bool:
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    return b"%PDF-" in head


def document_add(
    *,
    actor: Staff,
    consultation: Consultation,
    title: str,
    url: str = "",
    upload: UploadedFile | None = None,
    translations: Translations | None = None,
) -> Document:
    """A link or a PDF (checked by its content, not its name) added to the consultation's documents."""
    require_department(actor, consultation)
    title, url = title.strip(), url.strip()
    if not title:
        raise ValidationError(_("資料名を入力してください。"))
    if bool(url) == bool(upload):
        raise ValidationError(_("リンク先かPDFファイルのどちらか一方を指定してください。"))
    if upload is not None:
        if (upload.size or 0) > PDF_MAX_BYTES:
            raise ValidationError(
                _("PDFファイルは%(mb)sMBまでです。") % {"mb": PDF_MAX_BYTES // (1024 * 1024)}
            )
        if not _is_pdf(upload):
            raise ValidationError(_("PDFファイルを選んでください。"))
    document = Document(
        consultation=consultation, title=title[:150], url=url, translations=cleaned(translations)
    )
    summary = _("案件「%(title)s」に資料「%(doc)s」を追加") % {"title": consultation.title, "doc": title}
    with audited_change(actor=actor, obj=document, summary=summary, fields=DOCUMENT_FIELDS):
        document.position = consultation.documents.count()
        document.full_clean(exclude=["file"])
        if upload is not None:
            document.file.save(f"{secrets.token_urlsafe(12)}.pdf", upload, save=False)
        document.save()
    return document


def document_delete(*, actor: Staff, document: Document) -> None:
    require_department(actor, document)
    with transaction.atomic():
        stored = document.file.name
        audited_delete(
            actor=actor,
            obj=document,
            summary=_("資料「%(doc)s」を削除") % {"doc": document.title},
            fields=DOCUMENT_FIELDS,
        )
        if stored:
            transaction.on_commit(lambda: document.file.storage.delete(stored))


# --- submissions (PC-1, PC-9, PC-10) --------------------------------------------------------------


def submission_create(*, consultation: Consultation, friend: Friend, draft: Draft) -> Submission:
    """The resident's comment from their confirmed draft, with a receipt number sent by LINE (PC-9);
    the department is emailed (PC-10). ValidationError (Japanese) when the period is over or an
    answer is missing; nothing is stored then."""
    if not consultation.is_accepting():
        raise ValidationError(_("この案件の意見募集は終了しているため、送信できません。"))
    with transaction.atomic():
        response = form_services.response_submit(
            form=consultation.form, friend=friend, answers=draft.answers, version=draft.version
        )
        submission = Submission.objects.create(
            consultation=consultation,
            response=response,
            receipt_number=receipt_number_new(prefix=ReceiptPrefix.PUBLIC_COMMENT, model=Submission),
            friend=friend,
            used_talk=draft.via_talk,
        )
        if friend.is_following:
            with speaking_to(friend):  # the resident's language, from the talk or the LIFF page (issue 21)
                receipt = line_messages.received(submission)
            message_multicast(to=[friend.user_id], messages=receipt, background=True)
        _notify_department(submission)
    return submission


def _notify_department(submission: Submission) -> None:
    from .tasks import submission_notify_department_task

    consultation = submission.consultation
    if consultation.notification_email or consultation.department.email:
        transaction.on_commit(lambda: submission_notify_department_task(submission.pk))


def submission_view_record(*, actor: Staff, submission: Submission) -> None:
    """Every look at a submission's answers (which may hold personal data) is audited (X-15)."""
    audit_record(
        action=Action.VIEW_PERSONAL,
        actor=actor,
        target=submission,
        summary=_("意見（受付番号 %(n)s）を表示") % {"n": submission.receipt_number},
    )


def submission_export_record(*, actor: Staff, consultation: Consultation, count: int) -> None:
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        target=consultation,
        summary=_("案件「%(title)s」の意見をCSVで出力（%(n)s件）")
        % {"title": consultation.title, "n": count},
    )


# --- one submitter (PC-8) -------------------------------------------------------------------------


def message_text_check(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("メッセージを入力してください。"))
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ValidationError(_("メッセージは%(n)s文字までです。") % {"n": MESSAGE_MAX_LENGTH})
    return text


def submission_message_send(
    *,
    actor: Staff,
    submission: Submission,
    text: str,
    confirmed_receipt_number: str,
) -> DirectMessage:
    """Push staff's message to the one resident who made ``submission``, after staff typed its
    receipt number on the confirmation screen (``line.direct`` checks it and logs the message).
    Raises ``direct.DirectMessageRefused`` or ValidationError; nothing is sent then."""
    text = message_text_check(text)
    with speaking_to(submission.friend):  # the heading in the resident's language, not the clerk's
        messages = line_messages.staff_message(submission, text)
    return direct.direct_message_send(
        record=submission,
        recipient_friend=submission.friend,
        messages=messages,
        confirmed_receipt_number=confirmed_receipt_number,
        actor=actor,
        purpose=_("意見について"),
    )
