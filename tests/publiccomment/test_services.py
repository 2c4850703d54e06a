"""Public comments' writes: consultations audited, submissions with receipt numbers (PC-9),
documents, and the message to one submitter refused when it cannot reach only them (PC-8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicline.core.models import AuditEntry
from civicline.core.permissions import NotYourDepartment
from civicline.forms.models import Draft, Response
from civicline.line import direct
from civicline.line.models import Friend
from civicline.publiccomment import services
from civicline.publiccomment.models import Consultation, Document, Submission
from tests.fixtures.line import FriendFactory
from tests.publiccomment.factories import COMMENT, make_consultation, submit

pytestmark = pytest.mark.django_db


def test_pc3_a_consultation_and_its_changes_are_audited(staff_user):
    now = timezone.now()
    consultation = services.consultation_create(
        actor=staff_user,
        department=staff_user.department,
        data={
            "title": "景観計画（案）",
            "summary": "計画案です。",
            "status": "open",
            "opens_at": now,
            "closes_at": now + timedelta(days=30),
            "notification_email": "",
            "talk_enabled": True,
        },
    )
    services.consultation_update(actor=staff_user, consultation=consultation, data={"status": "closed"})

    update = AuditEntry.objects.get(target_type="publiccomment.consultation", action="update")
    assert update.changes == {"status": {"before": "open", "after": "closed"}}
    assert consultation.form.department == staff_user.department


def test_pc9_receipt_numbers_are_unique_and_easy_to_read_out(department, fake_line_api):
    consultation = make_consultation(department=department)

    numbers = {submit(consultation, FriendFactory(), COMMENT).receipt_number for _ in range(5)}

    assert len(numbers) == 5
    assert all(n.startswith("PC-") and len(n) == 12 and not set(n) & set("0O1I") for n in numbers)


def test_a_submission_outside_the_period_is_refused_and_the_draft_kept(department, fake_line_api):
    consultation = make_consultation(department=department, closes_at=timezone.now() - timedelta(seconds=1))
    friend = FriendFactory()

    with pytest.raises(ValidationError):
        submit(consultation, friend, COMMENT)

    assert not Submission.objects.exists() and not Response.objects.exists()
    assert Draft.objects.filter(friend=friend).exists()


def test_a_pdf_document_is_deleted_with_its_file(
    department, staff_user, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    consultation = make_consultation(department=department)
    document = services.document_add(
        actor=staff_user,
        consultation=consultation,
        title="本文",
        upload=SimpleUploadedFile("a.pdf", b"%PDF-1.7 x", "application/pdf"),
    )
    stored = tmp_path / document.file.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.document_delete(actor=staff_user, document=document)

    assert not Document.objects.exists() and not stored.exists()


def test_a_document_needs_exactly_a_link_or_a_file(department, staff_user):
    consultation = make_consultation(department=department)

    with pytest.raises(ValidationError):
        services.document_add(actor=staff_user, consultation=consultation, title="x")
    with pytest.raises(ValidationError):
        services.document_add(
            actor=staff_user,
            consultation=consultation,
            title="x",
            url="https://a.example",
            upload=SimpleUploadedFile("a.pdf", b"%PDF-", "application/pdf"),
        )


def test_pc8_a_submitter_who_blocked_the_account_gets_nothing(department, staff_user, fake_line_api):
    friend = FriendFactory()
    submission = submit(make_consultation(department=department), friend, COMMENT)
    Friend.objects.filter(pk=friend.pk).update(state=Friend.State.BLOCKED)
    submission.refresh_from_db()

    with pytest.raises(direct.DirectMessageRefused):
        services.submission_message_send(
            actor=staff_user,
            submission=submission,
            text="ご連絡",
            confirmed_receipt_number=submission.receipt_number,
        )

    assert not fake_line_api.to("/v2/bot/message/push")


def test_pc8_an_empty_message_is_refused(department, staff_user, fake_line_api):
    submission = submit(make_consultation(department=department), FriendFactory(), COMMENT)

    with pytest.raises(ValidationError):
        services.submission_message_send(
            actor=staff_user,
            submission=submission,
            text="  ",
            confirmed_receipt_number=submission.receipt_number,
        )


def test_staff_of_another_department_cannot_message_a_submitter(department, other_staff_user, fake_line_api):
    submission = submit(make_consultation(department=department), FriendFactory(), COMMENT)

    with pytest.raises(NotYourDepartment):
        services.submission_message_send(
            actor=other_staff_user,
            submission=submission,
            text="ご連絡",
            confirmed_receipt_number=submission.receipt_number,
        )

    assert not fake_line_api.to("/v2/bot/message/push")
    assert Consultation.objects.count() == 1
