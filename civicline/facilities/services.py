"""Every change to facilities, datasets, categories, shelter statuses and the disaster kind.

Each service runs in one transaction, writes the audit log, and raises the map data's revision
so that the cached GeoJSON residents load is renewed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core.audit import (
    Action,
    audit_record,
    audited_change,
    audited_create,
    audited_delete,
    audited_update,
    changes_between,
)
from civicline.core.models import Department, Staff
from civicline.core.permissions import NotYourDepartment, require_department, require_system_admin
from civicline.line.models import Friend

from . import selectors
from .importing import ROW_FIELDS, ImportPlan, build_plan, translations_after
from .models import (
    DisasterKind,
    Facility,
    FacilityCategory,
    FacilityDataset,
    FacilityImport,
    MapState,
    Need,
    Shelter,
    ShelterCheckIn,
    new_revision,
)
from .opendata import normalize_key

CATEGORY_FIELDS = ("key", "name", "icon", "colour", "is_shelter", "order", "translations")
DATASET_FIELDS = ("name", "code", "kind", "category", "attribution")
FACILITY_FIELDS = ("category", *ROW_FIELDS, "translations")
# What a facility's audit entries record: its fields and, for a shelter, the disaster kinds covered.
AUDITED_FACILITY_FIELDS = (*FACILITY_FIELDS, "kinds")
KIND_FIELDS = tuple(kind.value for kind in DisasterKind)
AUDITED_KEYS = 200  # dataset IDs listed in an import's audit entry; the counts are complete
KEPT_REFUSED = 500  # refused rows kept with an applied import, to be listed for correction
CATEGORIES_ADMIN_ONLY = gettext_lazy("施設の分類はシステム管理者が管理します。")


def _map_changed() -> None:
    """Renew the map data's revision (inside the caller's transaction)."""
    if not MapState.objects.filter(pk=1).update(revision=new_revision()):
        MapState.objects.get_or_create(pk=1)


# --- categories (city-wide, system administrator) ------------------------------------------------


@transaction.atomic
def category_create(*, actor: Staff, **data: Any) -> FacilityCategory:
    require_system_admin(actor, message=CATEGORIES_ADMIN_ONLY)
    category = audited_create(
        actor=actor, obj=FacilityCategory(**data), summary=_("施設の分類を作成"), fields=CATEGORY_FIELDS
    )
    _map_changed()
    return category


@transaction.atomic
def category_update(
    *, category: FacilityCategory, actor: Staff, data: Mapping[str, Any]
) -> FacilityCategory:
    require_system_admin(actor, message=CATEGORIES_ADMIN_ONLY)
    audited_update(
        actor=actor, obj=category, data=data, summary=_("施設の分類を変更"), fields=CATEGORY_FIELDS
    )
    if category.is_shelter:
        _ensure_shelters(Facility.objects.filter(category=category))
    _map_changed()
    return category


# --- datasets ---------------------------------------------------------------------------------------


@transaction.atomic
def dataset_create(
    *,
    actor: Staff,
    department: Department,
    name: str,
    kind: str,
    category: FacilityCategory,
    attribution: str = "",
    code: str = "",
) -> FacilityDataset:
    require_department(actor, department)
    dataset = FacilityDataset(
        department=department, name=name, code=code, kind=kind, category=category, attribution=attribution
    )
    return audited_create(
        actor=actor, obj=dataset, summary=_("施設のデータセットを作成"), fields=DATASET_FIELDS
    )


@transaction.atomic
def dataset_update(
    *, dataset: FacilityDataset, actor: Staff, data: Mapping[str, Any]
) -> FacilityDataset:
    require_department(actor, dataset)
    category_before = dataset.category_id
    audited_update(
        actor=actor, obj=dataset, data=data, summary=_("施設のデータセットを変更"), fields=DATASET_FIELDS
    )
    if dataset.category_id != category_before:
        dataset.facilities.update(category=dataset.category)
        if dataset.category.is_shelter:
            _ensure_shelters(dataset.facilities.all())
    _map_changed()
    return dataset


@transaction.atomic
def dataset_delete(*, dataset: FacilityDataset, actor: Staff) -> int:
    """Delete the dataset and its facilities; returns how many facilities went."""
    require_department(actor, dataset)
    count = dataset.facilities.count()
    audited_delete(
        actor=actor,
        obj=dataset,
        summary=_("施設のデータセットを削除（施設 %(n)d 件）") % {"n": count},
        fields=DATASET_FIELDS,
    )
    _map_changed()
    return count


# --- facilities entered by hand ---------------------------------------------------------------------


@transaction.atomic
def facility_create(
    *,
    actor: Staff,
    department: Department,
    data: Mapping[str, Any],
    kinds: Collection[str] = (),
) -> Facility:
    require_department(actor, department)
    facility = Facility(department=department, **data)
    with audited_change(actor=actor, obj=facility, summary=_("施設を登録"), fields=AUDITED_FACILITY_FIELDS):
        facility.full_clean()
        facility.save()
        _ensure_shelters([facility], kinds=kinds)
        _map_changed()
    return facility


@transaction.atomic
def facility_update(
    *,
    facility: Facility,
    actor: Staff,
    data: Mapping[str, Any],
    kinds: Collection[str] | None = None,
) -> Facility:
    """Change a facility; ``kinds`` (disaster kinds covered) applies to shelters only."""
    require_department(actor, facility)
    with audited_change(actor=actor, obj=facility, summary=_("施設を変更"), fields=AUDITED_FACILITY_FIELDS):
        for name, value in data.items():
            setattr(facility, name, value)
        facility.full_clean()
        facility.save()
        shelter = _ensure_shelters([facility]).get(facility.pk)
        if shelter is not None and kinds is not None:
            for kind in KIND_FIELDS:
                setattr(shelter, kind, kind in kinds)
            shelter.save()
        _map_changed()
    return facility


@transaction.atomic
def facility_delete(*, facility: Facility, actor: Staff) -> None:
    require_department(actor, facility)
    audited_delete(actor=actor, obj=facility, summary=_("施設を削除"), fields=AUDITED_FACILITY_FIELDS)
    _map_changed()


def _ensure_shelters(facilities: Any, *, kinds: Collection[str] = ()) -> dict[int, Shelter]:
    """Shelter rows for those of ``facilities`` in a shelter category (created where missing)."""
    result = {}
    for facility in facilities:
        if not facility.category.is_shelter:
            continue
        shelter, _created = Shelter.objects.get_or_create(
            facility=facility, defaults={kind: kind in kinds for kind in KIND_FIELDS}
        )
        result[facility.pk] = shelter
    return result


# --- imports (MP-2) ---------------------------------------------------------------------------------


@transaction.atomic
def facility_import_upload(
    *, dataset: FacilityDataset, actor: Staff | None, filename: str, content: bytes
) -> FacilityImport:
    """Keep an uploaded file for its preview; nothing changes until it is applied.

    ``actor`` is None for an operator's command (the audit context's label names it in the log).
    """
    require_department(actor, dataset)
    # Only the newest preview of a dataset can be applied; older unapplied files are dropped.
    FacilityImport.objects.filter(dataset=dataset, applied_at__isnull=True).delete()
    upload = FacilityImport.objects.create(
        dataset=dataset, uploaded_by=actor, filename=filename[:255], content=content
    )
    audit_record(
        action=Action.CREATE,
        actor=actor,
        target=dataset,
        summary=_("取り込むファイルをアップロード（%(file)s）") % {"file": upload.filename},
        changes={"import": upload.pk, "bytes": len(content)},
    )
    return upload


@transaction.atomic
def facility_import_apply(
    *, facility_import: FacilityImport, actor: Staff | None, skip_refused: bool = False
) -> ImportPlan:
    """Carry out the import in one transaction.

    A file with a file-level error applies nothing. Refused rows (no name, no usable position…)
    stop it too, unless ``skip_refused``: staff confirmed that the good rows go ahead and the
    refused ones stay listed (with the applied import) for correction; their facilities are kept
    as they were. Idempotent: rows are matched on the dataset's key, so applying the same file
    again changes nothing. Shelters' statuses are never touched by an import.
    """
    dataset = (
        FacilityDataset.objects.select_for_update()
        .select_related("category")
        .get(pk=facility_import.dataset_id)
    )
    require_department(actor, dataset)
    upload = FacilityImport.objects.select_for_update().get(pk=facility_import.pk)
    if upload.applied_at is not None:
        raise ValidationError(
            _("このファイルは反映済みです。もう一度取り込む場合はアップロードし直してください。")
        )
    plan = build_plan(dataset, bytes(upload.content))
    if not plan.can_apply:
        raise ValidationError(
            _("エラーがあるため反映できません。ファイルを直してからアップロードし直してください。")
        )
    if plan.needs_confirmation and not skip_refused:
        raise ValidationError(
            _(
                "エラーのある行が %(n)d 行あります。エラーの行を除いて反映する場合は、"
                "確認欄にチェックを入れてから反映してください。"
            )
            % {"n": len(plan.refused)}
        )
    now = timezone.now()
    # Removed first: their keys may be taken by a row matched to another facility below.
    Facility.objects.filter(pk__in=[f.pk for f in plan.removed]).delete()
    created = Facility.objects.bulk_create(
        Facility(
            department=dataset.department,
            category=dataset.category,
            dataset=dataset,
            dataset_key=row.key,
            extra=row.extra,
            translations=translations_after({}, row),
            **{name: row.values[name] for name in ROW_FIELDS},
        )
        for row in plan.new
    )
    if dataset.category.is_shelter:
        Shelter.objects.bulk_create(
            Shelter(facility=facility, **(row.kinds or {}))
            for facility, row in zip(created, plan.new, strict=True)
        )
    rekeyed = [
        c.facility for c in plan.changed if normalize_key(c.facility.dataset_key) != normalize_key(c.row.key)
    ]
    if rekeyed:
        # Keys may move between facilities (a renumbered file): free them first, as the unique
        # (dataset, key) constraint is checked row by row.
        for facility in rekeyed:
            facility.dataset_key = f"~{facility.pk}"
        Facility.objects.bulk_update(rekeyed, ["dataset_key"], batch_size=500)
    rekeyed_pks = {f.pk for f in rekeyed}
    changed = []
    for change in plan.changed:
        facility = change.facility
        for name in ROW_FIELDS:
            setattr(facility, name, change.row.values[name])
        if facility.pk in rekeyed_pks:
            facility.dataset_key = change.row.key
        facility.extra = change.row.extra
        facility.translations = translations_after(facility.translations, change.row)
        facility.category, facility.updated_at = dataset.category, now
        changed.append(facility)
        shelter = getattr(facility, "shelter", None)
        if shelter is not None and change.row.kinds is not None:
            for kind, value in change.row.kinds.items():
                setattr(shelter, kind, value)
            shelter.save(update_fields=list(change.row.kinds))
    Facility.objects.bulk_update(
        changed,
        [*ROW_FIELDS, "dataset_key", "extra", "translations", "category", "updated_at"],
        batch_size=500,
    )
    if dataset.category.is_shelter:
        _ensure_shelters(dataset.facilities.filter(shelter__isnull=True).select_related("category"))
    dataset.columns, dataset.imported_at = plan.parsed.columns, now
    dataset.key_source = plan.parsed.key_source
    dataset.save(update_fields=["columns", "imported_at", "key_source"])
    counts = plan.counts()
    refused = plan.refused_list()
    upload.applied_at, upload.content = now, b""
    upload.summary = {
        **counts,
        "warnings": len(plan.warnings),
        "key_note": plan.parsed.key_note,
        "refused_rows": refused[:KEPT_REFUSED],
        "is_geojson": plan.parsed.format == "geojson",
    }
    upload.save(update_fields=["applied_at", "content", "summary"])
    _map_changed()
    summary = _("ファイルを取り込み（%(file)s）: 追加 %(new)d件・変更 %(changed)d件・削除 %(removed)d件") % {
        "file": upload.filename,
        **counts,
    }
    if refused:
        summary += _("・反映しなかった行 %(n)d件") % {"n": len(refused)}
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=dataset,
        summary=summary,
        changes={
            **counts,
            "rows": plan.rows,
            "kept": len(plan.kept),
            "warnings": len(plan.warnings),
            "skip_refused": skip_refused,
            "key_source": plan.parsed.key_source,
            "added_ids": [r.key for r in plan.new][:AUDITED_KEYS],
            "changed_ids": [c.row.key for c in plan.changed][:AUDITED_KEYS],
            "removed_ids": [f.dataset_key for f in plan.removed][:AUDITED_KEYS],
            "refused_rows": refused[:AUDITED_KEYS],
        },
    )
    return plan


def facility_export_record(
    *, actor: Staff, dataset: FacilityDataset | None, count: int
) -> None:
    """Exports are audited like any other access to the department's data."""
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        target=dataset,
        summary=_("施設一覧をCSVで書き出し（%(n)d件）") % {"n": count},
    )


# --- emergencies (MP-4) ----------------------------------------------------------------------------


@transaction.atomic
def shelter_status_set(
    *, shelter: Shelter, status: str, actor: Staff
) -> Shelter:
    """Open, close or mark a shelter full; residents' next search sees it at once."""
    require_department(actor, shelter)
    if status not in Shelter.Status.values:
        raise ValidationError(_("開設状況の指定が正しくありません。"))
    before = shelter.status
    if before != status:
        shelter.status, shelter.status_changed_at = status, timezone.now()
        shelter.save(update_fields=["status", "status_changed_at"])
        _map_changed()
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=shelter.facility,
        summary=_("避難先の開設状況を「%(status)s」に変更") % {"status": shelter.get_status_display()},
        changes=changes_between({"status": before}, {"status": status}),
    )
    return shelter


@transaction.atomic
def disaster_kind_set(*, kind: str, actor: Staff | None) -> MapState:
    """Set the disaster under way ("" for none): residents are sent to shelters for this kind.

    ``actor`` None: set by the city's alert policy (audited under the audit context's label).
    """
    if actor is not None and not selectors.can_set_disaster_kind(actor):
        raise NotYourDepartment(_("災害種別は避難先を管理する課だけが設定できます。"))
    if kind and kind not in DisasterKind.values:
        raise ValidationError(_("災害種別の指定が正しくありません。"))
    MapState.current()
    state = MapState.objects.select_for_update().get(pk=1)
    before = state.disaster_kind
    state.disaster_kind, state.disaster_kind_changed_at = kind, timezone.now()
    state.revision = new_revision()
    state.save()
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        department=actor.department if actor is not None else None,
        summary=_("現在の災害種別を「%(kind)s」に変更") % {"kind": str(state)},
        changes=changes_between({"disaster_kind": before}, {"disaster_kind": kind}),
    )
    return state


# --- shelter check-in (MP-4): who is inside, occupancy, 混雑 / 満員 --------------------------------

RESIDENT_LABEL = "住民（避難所の受付）"


def occupancy_status(*, people: int, capacity: int | None, current: str) -> str:
    """The status check-ins give a receiving shelter: 満員 at capacity, 混雑 from the threshold.

    A closed shelter stays closed, and one without a capacity keeps what staff set.
    """
    if current == Shelter.Status.CLOSED or not capacity:
        return current
    if people >= capacity:
        return Shelter.Status.FULL
    if people * 100 >= capacity * settings.SHELTER_CROWDED_PERCENT:
        return Shelter.Status.CROWDED
    return Shelter.Status.OPEN


def _occupancy_update(shelter: Shelter) -> None:
    """Set the status its check-ins call for (inside the caller's transaction, shelter row locked)."""
    people = selectors.shelter_people(shelter)
    status = occupancy_status(people=people, capacity=shelter.facility.capacity, current=shelter.status)
    if status == shelter.status:
        return
    before = shelter.status
    shelter.status, shelter.status_changed_at = status, timezone.now()
    shelter.save(update_fields=["status", "status_changed_at"])
    _map_changed()
    audit_record(
        action=Action.UPDATE,
        actor_label="自動処理（避難所の受付人数）",
        target=shelter.facility,
        summary=_("避難先の開設状況を「%(status)s」に変更（%(people)d人／定員%(cap)d人）")
        % {"status": shelter.get_status_display(), "people": people, "cap": shelter.facility.capacity},
        changes=changes_between({"status": before}, {"status": status}),
    )


def _lock_shelter(shelter_id: int) -> Shelter:
    return Shelter.objects.select_for_update().select_related("facility").get(pk=shelter_id)


def _checkout(checkin: ShelterCheckIn, *, actor: Staff | None, summary: str) -> None:
    checkin.checked_out_at = timezone.now()
    checkin.save(update_fields=["checked_out_at"])
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        actor_label="" if actor is not None else RESIDENT_LABEL,
        target=checkin,
        summary=summary,
        changes={"household_size": checkin.household_size},
    )


def shelter_checkin(
    *, shelter: Shelter, friend: Friend, household_size: int, needs: Collection[str], note: str = ""
) -> ShelterCheckIn:
    """A resident's household arrives (the poster's QR page). Checking in again here updates it;
    checking in elsewhere checks out of the other shelter first: each resident is counted once."""
    if not 1 <= household_size <= 30:
        raise ValidationError(_("人数は1〜30人で入力してください。"))
    unknown = set(needs) - set(Need.values)
    if unknown:
        raise ValidationError(_("必要な配慮の指定が正しくありません。"))
    with transaction.atomic():
        # Shelters locked in id order: two residents moving between the same shelters never deadlock.
        current = ShelterCheckIn.objects.filter(friend=friend, checked_out_at__isnull=True).first()
        ids = sorted({shelter.pk} | ({current.shelter_id} if current else set()))
        locked = {pk: _lock_shelter(pk) for pk in ids}
        target = locked[shelter.pk]
        # A full shelter still records who is inside (staff may admit more); a closed one takes nobody.
        if target.status == Shelter.Status.CLOSED and not (current and current.shelter_id == target.pk):
            raise ValidationError(
                _("この避難所は現在開設されていません。近くの開設中の避難所をお探しください。")
            )
        open_checkins = ShelterCheckIn.objects.select_for_update()
        current = open_checkins.filter(friend=friend, checked_out_at__isnull=True).first()
        if current is not None and current.shelter_id == target.pk:
            before = current.household_size
            current.household_size, current.needs = household_size, sorted(set(needs))
            current.note = note[:1000]
            current.save(update_fields=["household_size", "needs", "note"])
            audit_record(
                action=Action.UPDATE,
                actor_label=RESIDENT_LABEL,
                target=current,
                summary=_("避難所の受付内容を変更"),
                changes=changes_between({"household_size": before}, {"household_size": household_size}),
            )
            _occupancy_update(target)
            return current
        if current is not None:
            _checkout(current, actor=None, summary=_("別の避難所で受付したため退所"))
            _occupancy_update(locked[current.shelter_id])
        checkin = ShelterCheckIn.objects.create(
            shelter=target,
            friend=friend,
            household_size=household_size,
            needs=sorted(set(needs)),
            note=note[:1000],
            checked_in_at=timezone.now(),
        )
        audit_record(
            action=Action.CREATE,
            actor_label=RESIDENT_LABEL,
            target=checkin,
            summary=_("避難所で受付（%(n)d人）") % {"n": household_size},
            changes={"household_size": household_size},
        )
        _occupancy_update(target)
    return checkin


def shelter_checkout(*, friend: Friend) -> ShelterCheckIn | None:
    """The resident leaves (their LIFF page); None if they were not checked in anywhere."""
    with transaction.atomic():
        current = ShelterCheckIn.objects.filter(friend=friend, checked_out_at__isnull=True).first()
        if current is None:
            return None
        shelter = _lock_shelter(current.shelter_id)
        current = ShelterCheckIn.objects.select_for_update().get(pk=current.pk)
        if current.checked_out_at is not None:
            return current
        _checkout(current, actor=None, summary=_("避難所を退所"))
        _occupancy_update(shelter)
    return current


def shelter_checkout_by_staff(*, checkin: ShelterCheckIn, actor: Staff) -> ShelterCheckIn:
    """Staff at the shelter record a household that left without checking out on their phone."""
    require_department(actor, checkin)
    with transaction.atomic():
        shelter = _lock_shelter(checkin.shelter_id)
        locked = ShelterCheckIn.objects.select_for_update().get(pk=checkin.pk)
        if locked.checked_out_at is not None:
            raise ValidationError(_("この世帯は既に退所しています。"))
        _checkout(locked, actor=actor, summary=_("避難所の受付を職員が退所に変更"))
        _occupancy_update(shelter)
    return locked


def shelter_occupancy_export_record(*, actor: Staff, count: int) -> None:
    audit_record(
        action=Action.EXPORT,
        actor=actor,
        summary=_("避難所の受付状況をCSVで書き出し（%(n)d件）") % {"n": count},
    )


def shelter_checkins_viewed(*, actor: Staff, shelter: Shelter, count: int) -> None:
    """Staff saw the households at a shelter (their needs are personal data): audited (X-15)."""
    audit_record(
        action=Action.VIEW_PERSONAL,
        actor=actor,
        target=shelter.facility,
        summary=_("避難所の受付一覧を閲覧（%(n)d世帯）") % {"n": count},
    )
