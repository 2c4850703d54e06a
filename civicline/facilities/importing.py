"""What importing a file into a dataset would do: new, changed and removed facilities (MP-2).

The same plan is shown as the preview and, computed again from the stored file inside the
applying transaction, carried out by ``services.facility_import_apply``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from .models import DisasterKind, Facility, FacilityCategory, FacilityDataset
from .opendata import ParsedFile, Row, RowError, kind_mismatch, parse_file

# Facility fields a file sets (the rest — department, dataset, key — follow from the dataset).
ROW_FIELDS = (
    "name",
    "kana",
    "address",
    "latitude",
    "longitude",
    "phone",
    "hours",
    "url",
    "capacity",
    "accessibility",
    "description",
    "notes",
)
SHOWN_IN_PREVIEW = 200  # rows listed per section; the counts are always complete


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: Any
    after: Any


@dataclass
class Change:
    row: Row
    facility: Facility
    fields: list[FieldChange]


@dataclass
class ImportPlan:
    parsed: ParsedFile
    new: list[Row] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Facility] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed or self.removed)

    @property
    def can_apply(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
            "errors": len(self.errors),
        }


def build_plan(dataset: FacilityDataset, content: bytes) -> ImportPlan:
    parsed = parse_file(content)
    plan = ImportPlan(parsed=parsed, errors=list(parsed.errors))
    if parsed.columns and (problem := kind_mismatch(dataset.kind, parsed.detected_kind)):
        plan.errors.insert(0, RowError(0, problem))
    if plan.errors and not parsed.rows:
        return plan
    existing = {
        f.dataset_key: f
        for f in Facility.objects.filter(dataset=dataset).select_related("shelter", "category")
    }
    for row in parsed.rows:
        facility = existing.pop(row.key, None)
        if facility is None:
            plan.new.append(row)
            continue
        changes = row_changes(facility, row, category=dataset.category)
        if changes:
            plan.changed.append(Change(row, facility, changes))
        else:
            plan.unchanged += 1
    plan.removed = sorted(existing.values(), key=lambda f: f.dataset_key)
    return plan


def row_changes(facility: Facility, row: Row, *, category: FacilityCategory) -> list[FieldChange]:
    changes = [
        FieldChange(
            str(Facility._meta.get_field(name).verbose_name), getattr(facility, name), row.values[name]
        )
        for name in ROW_FIELDS
        if getattr(facility, name) != row.values[name]
    ]
    if facility.category_id != category.pk:
        changes.append(FieldChange(_("分類"), facility.category.name, category.name))
    shelter = getattr(facility, "shelter", None)
    if row.kinds is not None and shelter is not None:
        changes += [
            FieldChange(DisasterKind(kind).label, getattr(shelter, kind), value)
            for kind, value in row.kinds.items()
            if getattr(shelter, kind) != value
        ]
    for column in sorted(facility.extra.keys() | row.extra.keys()):
        if facility.extra.get(column, "") != row.extra.get(column, ""):
            changes.append(FieldChange(column, facility.extra.get(column, ""), row.extra.get(column, "")))
    return changes
