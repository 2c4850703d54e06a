"""The world the URL sweep runs in: one department (A) owning one or more rows of every kind of
department data, and one resident (Y) owning one or more of every kind of resident record.

Every row is made through the features' own factories and services and registered here with its
owner, so the sweep knows which ids and keys to try in URLs and which marker strings must never
reach another department's staff (X-4) or another resident (X-1).

A NEW VIEW ON A NEW MODEL: add a row of that model to ``build_world`` (``world.own_a(...)`` for
department data, ``world.own_y(...)`` for a resident's record, ``world.shared(...)`` for the city's
common settings) with a marker from ``world.marker_a`` / ``world.marker_y`` in a field its pages show.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models
from django.utils import timezone
from PIL import Image

from civicline.alerts.models import AlertAction, AlertEvent, AlertSettings, AreaCode, Policy
from civicline.chatbot import services as chatbot_services
from civicline.chatbot.models import QuestionLog, WebEntry, WebSync
from civicline.conversations import services as conversation_services
from civicline.conversations.models import Message
from civicline.core.audit import audit_record
from civicline.core.models import AllowedNetwork, AuditEntry, Department, Staff
from civicline.delivery import images as delivery_images
from civicline.delivery import mail as delivery_mail
from civicline.delivery.models import DeliveryImage, DeliveryMessage, EmailSubscriber, TrackedLink
from civicline.facilities import services as facility_services
from civicline.forms import services as form_services
from civicline.line import preview
from civicline.line.models import Friend, MessageContent, PreviewRecipient
from civicline.publiccomment import services as publiccomment_services
from civicline.reports import services as report_services
from civicline.reports.models import StatusTemplate
from civicline.reservations import photos as booking_photos
from civicline.reservations import services as reservation_services
from civicline.reservations.models import Booking
from civicline.richmenu import selectors as richmenu_selectors
from civicline.richmenu.models import EmergencySwitch, MenuEditorGrant, MenuVersion, PublishedTab
from civicline.surveys.models import Invitation
from tests.chatbot.factories import (
    FaqEntryFactory,
    FaqPhrasingFactory,
    GarbageCategoryFactory,
    GarbageItemFactory,
    ScenarioNodeFactory,
)
from tests.conversations.factories import CannedReplyFactory, ConversationFactory, TopicFactory
from tests.delivery.factories import AreaFactory as DeliveryAreaFactory
from tests.delivery.factories import SegmentFactory, granted, make_delivery
from tests.delivery.factories import TopicFactory as DeliveryTopicFactory
from tests.facilities.factories import DatasetFactory, FacilityFactory, shelter_at
from tests.fixtures.core import DepartmentFactory, StaffFactory, SystemAdminFactory
from tests.fixtures.line import FriendFactory
from tests.publiccomment.factories import key_of as comment_key
from tests.publiccomment.factories import make_consultation
from tests.reports.factories import AreaFactory as ReportAreaFactory
from tests.reports.factories import CategoryFactory, ReportFactory, RuleFactory
from tests.reservations.factories import CounterFactory, ServiceFactory, first_slot
from tests.richmenu.factories import build_menu
from tests.surveys.factories import make_survey, respond

A_PREFIX = "A-SECRET-"
Y_PREFIX = "Y-SECRET-"

# Int fields whose values URLs carry besides ids (an audit entry's number, a tab's position…).
_HARVEST_INT_FIELDS = ("sequence", "position", "number")


_colours = itertools.count(1)


def _png(size: tuple[int, int] = (48, 36)) -> bytes:
    """A picture of its own colour: no two stored files of the world have the same bytes."""
    buffer = io.BytesIO()
    Image.new("RGB", size, f"#{next(_colours) * 40503 % 0xFFFFFF:06x}").save(buffer, format="PNG")
    return buffer.getvalue()


def png_upload(name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _png(), content_type="image/png")


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class World:
    department_a: Department
    department_b: Department
    staff_a: Staff
    staff_b: Staff
    admin: Staff
    resident_x: Friend
    resident_y: Friend
    # (owner, row): owner is "A" (department A's data), "Y" (resident Y's record, also A's data),
    # "X" (resident X's own record, A's data too), "B" (department B's own parents, ids from 901, so
    # that B can pair its own parent with A's child in a URL), or "shared" (the city's settings…).
    rows: list[tuple[str, models.Model]] = field(default_factory=list)
    markers_a: set[str] = field(default_factory=set)
    markers_y: set[str] = field(default_factory=set)
    # Keys in URLs that are no model field (signed tokens…), by kwarg name.
    extra_strings: dict[str, set[str]] = field(default_factory=dict)
    # Pages that answer 404 without a query parameter (a slot chosen…), by URL name: the sweep
    # requests them with each of these queries too.
    queries: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    # --- registration -----------------------------------------------------------------------------

    def own_a(self, row: models.Model) -> Any:
        self.rows.append(("A", row))
        return row

    def own_y(self, row: models.Model) -> Any:
        self.rows.append(("Y", row))
        return row

    def own_x(self, row: models.Model) -> Any:
        self.rows.append(("X", row))
        return row

    def own_b(self, row: models.Model) -> Any:
        self.rows.append(("B", row))
        return row

    def shared(self, row: models.Model) -> Any:
        self.rows.append(("shared", row))
        return row

    def marker_a(self, what: str) -> str:
        marker = f"{A_PREFIX}{what}"
        self.markers_a.add(marker)
        return marker

    def marker_y(self, what: str) -> str:
        marker = f"{Y_PREFIX}{what}"
        self.markers_y.add(marker)
        return marker

    # --- what the sweep reads ---------------------------------------------------------------------

    def rows_of(self, *owners: str) -> list[models.Model]:
        return [row for owner, row in self.rows if owner in owners]

    def int_candidates(self, *owners: str) -> list[int]:
        """Every primary key (and sequence/position/number) of the owners' rows, and 0."""
        values = {0}
        for row in self.rows_of(*owners):
            if isinstance(row.pk, int):
                values.add(row.pk)
            for name in _HARVEST_INT_FIELDS:
                value = getattr(row, name, None)
                if isinstance(value, int) and not isinstance(value, bool):
                    values.add(value)
        return sorted(values)

    def string_candidates(self, kwarg: str, *owners: str) -> list[str]:
        """Values of the owners' text fields named like ``kwarg`` (receipt → receipt_number…);
        when no field is named like it, every short text value (an ambiguous kwarg tries them all)."""
        named: set[str] = set(self.extra_strings.get(kwarg, ()))
        every: set[str] = set()
        for row in self.rows_of(*owners):
            for f in row._meta.concrete_fields:
                if not isinstance(f, models.CharField | models.FileField) or f.primary_key:
                    continue
                value = getattr(row, f.attname)
                value = getattr(value, "name", value)  # a FieldFile's stored name
                if not isinstance(value, str) or not value:
                    continue
                value = value.rsplit("/", 1)[-1]
                if not value or len(value) > 100:
                    continue
                every.add(value)
                if f.name == kwarg or f.name.startswith(kwarg) or kwarg.endswith(f.name):
                    named.add(value)
        for values in self.extra_strings.values():
            every.update(values)
        return sorted(named or every)

    def file_contents(self, *owners: str) -> set[bytes]:
        """The stored files of the owners' rows (photos, PDFs…): a leak of one shows no marker text."""
        contents = set()
        for row in self.rows_of(*owners):
            for f in row._meta.concrete_fields:
                if isinstance(f, models.FileField) and getattr(row, f.attname):
                    stored = getattr(row, f.name)
                    with stored.open("rb") as handle:
                        data = handle.read()
                    stored.close()
                    if len(data) >= 64:
                        contents.add(data)
        return contents

    def date_candidates(self, *owners: str) -> list[date]:
        days: set[date] = set()
        for row in self.rows_of(*owners):
            for f in row._meta.concrete_fields:
                value = getattr(row, f.attname)
                if isinstance(value, datetime):
                    days.add(timezone.localtime(value).date())
                elif isinstance(value, date):
                    days.add(value)
        return sorted(days)


def _restart_sequences() -> None:
    """Let every table's ids start just above its rows again (a test database reused after other
    tests, or PostgreSQL's non-transactional sequences), so the world's ids are small and few."""
    tables = set(connection.introspection.table_names())
    app_models = [
        m
        for m in apps.get_models()
        # A composite primary key (the delivery audience's) has no column and no sequence.
        if m._meta.managed and not m._meta.proxy and m._meta.db_table in tables and m._meta.pk.column
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_sequence'")
            if not cursor.fetchone():
                return
            for model in app_models:
                table = connection.ops.quote_name(model._meta.db_table)
                pk = connection.ops.quote_name(model._meta.pk.column)
                cursor.execute(
                    f"UPDATE sqlite_sequence SET seq = (SELECT COALESCE(MAX({pk}), 0) FROM {table}) "
                    "WHERE name = %s",
                    [model._meta.db_table],
                )
        else:
            from django.core.management.color import no_style

            for statement in connection.ops.sequence_reset_sql(no_style(), app_models):
                cursor.execute(statement)


def build_world() -> World:
    _restart_sequences()
    now = timezone.now()

    department_a = DepartmentFactory(code="sweep-a", name="スイープ検査A課")
    department_b = DepartmentFactory(code="sweep-b", name="スイープ検査B課")
    admin = SystemAdminFactory(username="sweep-admin", display_name="システム管理者")
    world = World(
        department_a=department_a,
        department_b=department_b,
        staff_a=None,  # type: ignore[arg-type]
        staff_b=StaffFactory(username="sweep-b", display_name="B課の職員", department=department_b),
        admin=admin,
        resident_x=FriendFactory(user_id="U" + "1" * 32, display_name="住民X"),
        resident_y=None,  # type: ignore[arg-type]
    )
    w = world
    w.own_a(department_a)
    w.staff_a = w.own_a(
        StaffFactory(username="sweep-a", display_name=w.marker_a("staff"), department=department_a)
    )
    staff_a = w.staff_a
    w.resident_y = w.own_y(FriendFactory(user_id="U" + "2" * 32, display_name=w.marker_y("friend")))
    y = w.resident_y

    # --- core ---------------------------------------------------------------------------------------
    w.shared(AllowedNetwork.objects.create(cidr="192.0.2.0/24", note="検査用の許可範囲"))

    # --- reservations -------------------------------------------------------------------------------
    counter = w.own_a(
        CounterFactory(
            department=department_a, name=w.marker_a("counter"), category=w.marker_a("counter-kind")
        )
    )
    service = w.own_a(
        ServiceFactory(
            counter=counter,
            name=w.marker_a("service"),
            seats_per_slot=3,
            max_open_per_resident=0,
            allow_photos=True,
            allow_location=True,
            questions=[{"label": "ご相談内容", "type": "long_text", "required": False}],
        )
    )
    starts_at = first_slot(service)
    w.own_a(
        service.special_days.create(
            date=starts_at.date() + timedelta(days=14), kind="closed", note=w.marker_a("special-day")
        )
    )
    booking = w.own_y(
        reservation_services.booking_create(
            friend=y,
            service=service,
            starts_at=starts_at,
            name=w.marker_y("booking-name"),
            contact=w.marker_y("booking-contact"),
            answers={"q1": w.marker_y("booking-answer")},
            photos=[booking_photos.photo_store(png_upload())],
            remember_contact=True,
        )
    )
    for photo in booking.photos.all():
        w.own_y(photo)
    w.own_y(booking.response)
    for answer in booking.response.answers.all():
        w.own_y(answer)
    w.queries["reservations_liff:form"] = [{"start": timezone.localtime(starts_at).strftime("%Y%m%d%H%M")}]
    w.own_a(
        reservation_services.booking_create_by_phone(
            actor=staff_a,
            service=service,
            starts_at=starts_at,
            name=w.marker_a("phone-booking-name"),
            contact="06-0000-0000",
        )
    )

    # --- reports ------------------------------------------------------------------------------------
    category = w.shared(CategoryFactory(name="スイープ検査の通報種類", department=department_a))
    area = w.shared(ReportAreaFactory(name="スイープ検査地域"))
    w.own_a(
        RuleFactory(name=w.marker_a("routing-rule"), department=department_a, category=category, area=area)
    )
    w.shared(StatusTemplate.objects.create(status="in_progress", text="対応を始めました（検査）"))
    photo = report_services.report_photo_upload(friend=y, upload=png_upload())
    report = w.own_y(
        report_services.report_submit(
            friend=y,
            category=category,
            message=w.marker_y("report-message"),
            photo_ids=[photo.pk],
            location=report_services.Location(34.7812, 135.4699, "pin"),
            place_note=w.marker_y("report-place"),
            contact_name=w.marker_y("report-name"),
        )
    )
    w.own_y(report.photos.get())
    w.own_a(report_services.report_note_add(actor=staff_a, report=report, text=w.marker_a("report-note")))
    for event in report.events.all():
        w.own_a(event)
    # A photo Y uploaded for a report not filed yet.
    w.own_y(report_services.report_photo_upload(friend=y, upload=png_upload()))

    # --- conversations ------------------------------------------------------------------------------
    topic = w.own_a(TopicFactory(department=department_a, name=w.marker_a("topic"), is_personal=True))
    w.own_a(
        CannedReplyFactory(
            department=department_a, title=w.marker_a("canned"), body=w.marker_a("canned-body")
        )
    )
    conversation = w.own_y(
        conversation_services.conversation_start_on_page(
            friend=y, topic=topic, text=w.marker_y("conversation-message"), photo=png_upload()
        )
    )
    w.own_a(
        conversation_services.conversation_note_add(
            actor=staff_a, conversation=conversation, text=w.marker_a("conversation-note")
        )
    )
    for message in conversation.messages.all():
        w.own_y(message)
    # A talk conversation with an image copied out of LINE.
    talk_topic = w.own_a(
        TopicFactory(department=department_a, name=w.marker_a("talk-topic"), is_personal=False)
    )
    talk = w.own_y(conversation_services.conversation_start(friend=y, topic=talk_topic, channel="talk"))
    content = MessageContent(message_id="990001", user_id=y.user_id, content_type="image/jpeg")
    content.file.save("990001.jpg", ContentFile(_png()), save=True)
    w.own_y(content)
    w.own_y(
        Message.objects.create(
            conversation=talk, author="resident", kind="image", content=content, line_message_id="990001"
        )
    )

    # --- delivery -----------------------------------------------------------------------------------
    delivery_topic = w.shared(DeliveryTopicFactory(name="スイープ検査の分野"))
    w.shared(DeliveryAreaFactory(name="スイープ検査の地域"))
    segment = w.own_a(SegmentFactory(department=department_a, name=w.marker_a("segment")))
    granted(segment)
    delivery = w.own_a(
        make_delivery(
            department=department_a,
            segments=[segment],
            title=w.marker_a("delivery"),
            text=w.marker_a("delivery-text") + " https://www.city.example.jp/sweep",
        )
    )
    stored = delivery_images.image_store(png_upload())
    image = w.own_a(
        DeliveryImage.objects.create(
            delivery=delivery,
            name=stored.name,
            preview_name=stored.preview_name,
            width=stored.width,
            height=stored.height,
        )
    )
    w.own_a(
        DeliveryMessage.objects.create(
            delivery=delivery, position=2, kind="image", image=image, alt_text=w.marker_a("delivery-image")
        )
    )
    for message in delivery.messages.all():
        w.own_a(message)
    w.own_a(
        TrackedLink.objects.create(
            delivery=delivery, url="https://www.city.example.jp/sweep", token="sweeplink0001"
        )
    )
    subscriber = w.shared(
        EmailSubscriber.objects.create(
            email="sweep@example.jp",
            email_digest=delivery_mail.email_digest("sweep@example.jp"),
            requested_at=now,
        )
    )
    w.extra_strings["token"] = {
        delivery_mail.confirm_token(subscriber, [delivery_topic.pk]),
        delivery_mail.unsubscribe_token(subscriber),
    }

    # --- surveys ------------------------------------------------------------------------------------
    survey = w.own_a(make_survey(department=department_a, title=w.marker_a("survey")))
    w.own_a(survey.form)
    response = respond(
        survey,
        y,
        {"満足度": "不満", "不満な点": w.marker_y("survey-answer"), "お名前": w.marker_y("survey-name")},
    )
    w.own_y(response)
    for answer in response.answers.all():
        w.own_y(answer)
    w.own_y(Invitation.objects.create(survey=survey, friend=y, invited_at=now))
    other_survey = w.own_a(make_survey(department=department_a, title=w.marker_a("survey-with-draft")))
    draft = form_services.draft_for(form=other_survey.form, friend=y)
    form_services.draft_update(
        draft=draft,
        answers={
            next(q["key"] for q in other_survey.form.questions if q["label"] == "不満な点"): w.marker_y(
                "survey-draft"
            )
        },
    )
    w.own_y(draft)

    # --- public comments ----------------------------------------------------------------------------
    consultation = w.own_a(make_consultation(department=department_a, title=w.marker_a("consultation")))
    w.own_a(consultation.form)
    w.own_a(
        publiccomment_services.document_add(
            actor=staff_a,
            consultation=consultation,
            title=w.marker_a("document"),
            upload=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
        )
    )
    w.own_a(
        publiccomment_services.document_add(
            actor=staff_a,
            consultation=consultation,
            title=w.marker_a("document-link"),
            url="https://www.city.example.jp/plan",
        )
    )
    draft = form_services.draft_for(form=consultation.form, friend=y)
    form_services.draft_update(
        draft=draft,
        answers={
            comment_key(consultation, "ご意見の種類"): "反対",
            comment_key(consultation, "ご意見"): w.marker_y("comment"),
            comment_key(consultation, "お名前"): w.marker_y("comment-name"),
            comment_key(consultation, "ご住所"): w.marker_y("comment-address"),
        },
    )
    submission = w.own_y(
        publiccomment_services.submission_create(consultation=consultation, friend=y, draft=draft)
    )
    w.own_y(submission.response)
    other_consultation = w.own_a(
        make_consultation(department=department_a, title=w.marker_a("consultation-with-draft"))
    )
    draft = form_services.draft_for(form=other_consultation.form, friend=y)
    form_services.draft_update(
        draft=draft, answers={comment_key(other_consultation, "ご意見"): w.marker_y("comment-draft")}
    )
    w.own_y(draft)

    # --- chatbot ------------------------------------------------------------------------------------
    faq = w.own_a(
        FaqEntryFactory(department=department_a, question=w.marker_a("faq"), answer=w.marker_a("faq-answer"))
    )
    w.own_a(FaqPhrasingFactory(entry=faq, text=w.marker_a("phrasing")))
    garbage_category = w.own_a(
        GarbageCategoryFactory(department=department_a, name=w.marker_a("garbage-category"))
    )
    w.own_a(
        GarbageItemFactory(
            department=department_a, name=w.marker_a("garbage-item"), category=garbage_category
        )
    )
    parent = w.own_a(ScenarioNodeFactory(department=department_a, label=w.marker_a("scenario")))
    w.own_a(
        ScenarioNodeFactory(
            department=department_a,
            parent=parent,
            label="A-SECRET-leaf",
            answer=w.marker_a("scenario-answer"),
        )
    )
    w.markers_a.add("A-SECRET-leaf")
    w.own_a(
        QuestionLog.objects.create(
            department=department_a,
            text=w.marker_a("question"),
            key="a-secret-question",
            outcome=QuestionLog.Outcome.ANSWERED,
            answer_kind="faq",
            answer_id=faq.pk,
            answer_title=faq.question,
        )
    )
    source = w.own_a(
        chatbot_services.web_source_create(
            actor=staff_a,
            department=department_a,
            page_urls=["https://www.city.example.jp/A-SECRET-websource/faq.html"],
        )
    )
    w.markers_a.add("A-SECRET-websource")
    w.own_a(WebSync.objects.create(source=source, status=WebSync.Status.DONE, pages_total=1, pages_done=1))
    w.own_a(
        WebEntry.objects.create(
            source=source,
            url="https://www.city.example.jp/A-SECRET-websource/faq.html",
            key="q1",
            question=w.marker_a("web-entry"),
            answer=w.marker_a("web-entry-answer"),
            content_hash="0" * 64,
        )
    )
    # A CSV of Q&A uploaded by A's staff, waiting for its preview (CB-9).
    w.own_a(
        chatbot_services.knowledge_import_upload(
            actor=staff_a,
            department=department_a,
            kind="faq",
            filename=w.marker_a("knowledge-import") + ".csv",
            content=f"質問,回答\n{w.marker_a('import-question')},回答\n".encode(),
        )
    )

    # --- facilities ---------------------------------------------------------------------------------
    dataset = w.own_a(DatasetFactory(department=department_a, name=w.marker_a("dataset")))
    w.own_a(
        FacilityFactory(
            department=department_a, dataset=dataset, dataset_key="1", name=w.marker_a("facility")
        )
    )
    shelter = w.own_a(shelter_at(w.marker_a("shelter"), 100, department=department_a))
    w.own_a(shelter.facility)
    # Resident Y is inside A's shelter (checked in from its poster's QR page); the key is the poster's.
    w.own_y(
        facility_services.shelter_checkin(
            shelter=shelter, friend=y, household_size=2, needs=["medical"], note=w.marker_y("checkin")
        )
    )
    w.extra_strings.setdefault("key", set()).add(shelter.checkin_key)
    w.own_a(
        facility_services.facility_import_upload(
            dataset=dataset,
            actor=staff_a,
            filename=w.marker_a("import") + ".csv",
            content="ID,名称,緯度,経度\r\n1,更新後の施設,34.78,135.47\r\n".encode(),
        )
    )

    # --- LINE: the department's test device ---------------------------------------------------------
    device_friend = w.own_a(FriendFactory(user_id="U" + "3" * 32, display_name=w.marker_a("device-friend")))
    w.own_a(
        PreviewRecipient.objects.create(
            department=department_a, friend=device_friend, label=w.marker_a("device"), owner=staff_a
        )
    )
    # A one-time code staff A issued to pair another phone, still waiting.
    w.own_a(preview.pairing_code_issue(actor=staff_a, label=w.marker_a("pairing"))[0])

    # --- official alerts (city-wide public information; A is the responsible department) -----------
    alert_settings = AlertSettings.current()
    alert_settings.department = department_a
    alert_settings.save()
    w.shared(alert_settings)
    w.shared(AreaCode.objects.create(code_type="city", code="2720300", name="豊中市"))
    w.shared(Policy.objects.create(kind="warning", min_level=5, actions={"disaster_kind": "auto"}))
    event = w.shared(
        AlertEvent.objects.create(
            key="warning:大阪管区気象台", kind="warning", title="大雨特別警報", level=5, max_level=5,
            opened_at=now, updated_at=now, areas=["豊中市"],
        )
    )  # fmt: skip
    w.shared(
        AlertAction.objects.create(
            event=event, action_key="disaster_kind", label="現在の災害種別を設定", mode="auto",
            status=AlertAction.Status.DONE, undo_data={"before": "", "after": "flood"},
        )
    )  # fmt: skip
    w.shared(
        AlertAction.objects.create(
            event=event, action_key="emergency_menu", label="緊急メニューに切替", mode="suggest",
            status=AlertAction.Status.SUGGESTED, request={"title": "大雨特別警報"},
        )
    )  # fmt: skip

    # --- rich menus (account-wide: every staff member may look; A is granted editing) ----------------
    w.own_a(MenuEditorGrant.objects.create(department=department_a, scope=MenuEditorGrant.Scope.EDIT))
    w.shared(richmenu_selectors.account_state())  # the account's one row, made on first read
    menu = w.shared(build_menu(name="スイープ検査メニュー"))
    for tab in menu.tabs.all():
        w.shared(tab)
    version = w.shared(MenuVersion.objects.create(menu=menu, number=1, is_live=False, published_at=now))
    published = PublishedTab(version=version, position=0, title="メニュー", body={})
    published.image.save(
        "sweep.jpg",
        ContentFile(delivery_images._jpeg(Image.new("RGB", (80, 54)), edge=80, max_bytes=10**6)),
        save=True,
    )
    w.shared(published)
    w.shared(
        EmergencySwitch.objects.create(
            direction="on",
            menu=menu,
            menu_name=menu.name,
            requested_by=admin,
            started_at=now - timedelta(hours=1),
            status=EmergencySwitch.Status.FAILED,
        )
    )

    _build_own_records_of_x(w, service=service, category=category, topic=topic)
    _build_own_parents_of_b(w, category=category)

    # --- the audit log ------------------------------------------------------------------------------
    audit_record(action="update", actor=staff_a, target=counter, summary=w.marker_a("audit"))
    for entry in AuditEntry.objects.filter(department=department_a):
        w.own_a(entry)
    for entry in AuditEntry.objects.exclude(department=department_a):
        w.shared(entry)
    return world


def _build_own_records_of_x(w: World, *, service: Any, category: Any, topic: Any) -> None:
    """Resident X's own booking, report and conversation: X may pair their own receipt with Y's ids.
    They are department A's data too, so their markers are A's (B must never see them)."""
    x = w.resident_x
    booking = w.own_x(
        reservation_services.booking_create(
            friend=x,
            service=service,
            starts_at=first_slot(service, after=4),
            name=w.marker_a("x-booking-name"),
            contact="090-0000-0000",
            photos=[booking_photos.photo_store(png_upload())],
        )
    )
    photo = report_services.report_photo_upload(friend=x, upload=png_upload())
    report = w.own_x(
        report_services.report_submit(
            friend=x, category=category, message=w.marker_a("x-report"), photo_ids=[photo.pk]
        )
    )
    conversation = w.own_x(
        conversation_services.conversation_start_on_page(
            friend=x, topic=topic, text=w.marker_a("x-conversation"), photo=png_upload()
        )
    )
    for row in [*booking.photos.all(), *report.photos.all(), *conversation.messages.all()]:
        w.own_x(row)


def _build_own_parents_of_b(w: World, *, category: Any) -> None:
    """Department B's own service, booking, report, consultation and conversation, with ids from 901:
    B must not reach A's photo, document, message or special day through a parent of its own."""
    b = w.department_b
    ids = iter(range(901, 1000))
    counter = w.own_b(CounterFactory(pk=next(ids), department=b, name="B-OWN-counter"))
    service = w.own_b(ServiceFactory(pk=next(ids), counter=counter, name="B-OWN-service"))
    starts_at = first_slot(service)
    w.own_b(
        Booking.objects.create(
            pk=next(ids),
            service=service,
            receipt_number="B-OWN-0001",
            channel=Booking.Channel.PHONE,
            starts_at=starts_at,
            ends_at=starts_at + service.slot_length,
            name="B-OWN-booking",
        )
    )
    w.own_b(ReportFactory(pk=next(ids), category=category, department=b, receipt_number="B-OWN-0002"))
    w.own_b(make_consultation(pk=next(ids), department=b, title="B-OWN-consultation"))
    topic = w.own_b(TopicFactory(pk=next(ids), department=b, name="B-OWN-topic"))
    w.own_b(ConversationFactory(pk=next(ids), topic=topic, receipt_number="B-OWN-0003"))
