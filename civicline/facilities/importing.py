"""What importing a file into a dataset would do: new, changed and removed facilities (MP-2).

The same plan is shown as the preview and, computed again from the stored file inside the
applying transaction, carried out by ``services.facility_import_apply``. Rows the file has but
that cannot be used are refused and listed; the facilities they stand for are kept as they are
(not removed), so that applying the good rows never loses a shelter over a typo.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.translations import Translations, cleaned

from .models import DisasterKind, Facility, FacilityCategory, FacilityDataset
from .opendata import (
    ImportWarning,
    ParsedFile,
    RefusedRow,
    Row,
    RowError,
    identity,
    kind_mismatch,
    normalize_key,
    parse_file,
)

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
    # Facilities whose row the file has but could not be read: left as they are, not removed.
    kept: list[Facility] = field(default_factory=list)
    unchanged: int = 0
    file_errors: list[RowError] = field(default_factory=list)

    @property
    def refused(self) -> list[RefusedRow]:
        return self.parsed.refused

    @property
    def warnings(self) -> list[ImportWarning]:
        return self.parsed.warnings

    @property
    def errors(self) -> list[RowError]:
        """Every reason: the file's (nothing can be applied), then each refused row's."""
        geo = self.parsed.format == "geojson"
        return [
            *self.file_errors,
            *(RowError(r.line, reason, geo) for r in self.refused for reason in r.reasons),
        ]

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed or self.removed)

    @property
    def can_apply(self) -> bool:
        """Nothing wrong with the file as a whole, and something usable in it."""
        return not self.file_errors and (bool(self.parsed.rows) or not self.refused)

    @property
    def needs_confirmation(self) -> bool:
        """Some rows are refused: staff must say that the others go ahead without them."""
        return bool(self.refused)

    @property
    def rows(self) -> int:
        """Data rows in the file, usable or not."""
        return len(self.parsed.rows) + len(self.refused)

    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "removed": len(self.removed),
            "unchanged": self.unchanged,
            "refused": len(self.refused),
        }

    def refused_list(self) -> list[dict[str, Any]]:
        """The refused rows as operators and the audit log see them: line and reason."""
        return [{"line": r.line, "reason": r.reason} for r in self.refused]


def build_plan(dataset: FacilityDataset, content: bytes) -> ImportPlan:
    parsed = parse_file(content, key_source=dataset.key_source)
    plan = ImportPlan(parsed=parsed, file_errors=list(parsed.file_errors))
    if parsed.columns and (problem := kind_mismatch(dataset.kind, parsed.detected_kind)):
        plan.file_errors.insert(0, RowError(0, problem))
    if plan.file_errors:
        return plan
    remaining = {
        normalize_key(f.dataset_key): f
        for f in Facility.objects.filter(dataset=dataset).select_related("shelter", "category")
    }
    unmatched = []
    for row in parsed.rows:
        facility = remaining.pop(normalize_key(row.key), None)
        if facility is None:
            unmatched.append(row)
        else:
            _compare(plan, facility, row, dataset.category)
    # Second chance by name and address: the file's way of telling facilities apart changed (an ID
    # column filled in at last, rows renumbered); the facility, and a shelter's status, stay.
    by_identity = _unique_by(remaining.values(), lambda f: identity(f.name, f.address))
    rows_by_identity = _unique_by(unmatched, lambda r: r.identity)
    for row in unmatched:
        facility = by_identity.get(row.identity) if row.identity in rows_by_identity else None
        if facility is not None and remaining.pop(normalize_key(facility.dataset_key), None) is not None:
            _compare(plan, facility, row, dataset.category)
        else:
            plan.new.append(row)
    # A refused row is a facility the city still lists: its current entry stays until corrected.
    left_by_identity = _unique_by(remaining.values(), lambda f: identity(f.name, f.address))
    for refused in parsed.refused:
        facility = remaining.get(normalize_key(refused.key)) if refused.key else None
        if facility is None and refused.identity.strip("\x1f"):
            facility = left_by_identity.get(refused.identity)
        if facility is not None and remaining.pop(normalize_key(facility.dataset_key), None) is not None:
            plan.kept.append(facility)
    plan.removed = sorted(remaining.values(), key=lambda f: f.dataset_key)
    return plan


def translations_after(current: Translations | None, row: Row) -> Translations:
    """A facility's translations once ``row`` is applied: the file's name in each language it has a
    column for (a blank cell removes it), everything else staff wrote kept (issue 21)."""
    result = {code: dict(texts) for code, texts in (current or {}).items()}
    for code, name in row.names.items():
        result.setdefault(code, {})["name"] = name
    return cleaned(result)


def _unique_by(items: Any, key: Any) -> dict[str, Any]:
    """Items by ``key``, leaving out keys that more than one item has (they match nothing)."""
    found: dict[str, Any] = {}
    twice = set()
    for item in items:
        k = key(item)
        if k in found:
            twice.add(k)
        found[k] = item
    return {k: v for k, v in found.items() if k not in twice}


def _compare(plan: ImportPlan, facility: Facility, row: Row, category: FacilityCategory) -> None:
    changes = row_changes(facility, row, category=category)
    if changes:
        plan.changed.append(Change(row, facility, changes))
    else:
        plan.unchanged += 1


def row_changes(facility: Facility, row: Row, *, category: FacilityCategory) -> list[FieldChange]:
    changes = []
    if normalize_key(facility.dataset_key) != normalize_key(row.key):  # 0012 and 12 are the same ID
        changes.append(FieldChange(_("ID"), facility.dataset_key, row.key))
    changes += [
        FieldChange(
            str(Facility._meta.get_field(name).verbose_name), getattr(facility, name), row.values[name]
        )
        for name in ROW_FIELDS
        if getattr(facility, name) != row.values[name]
    ]
    names = languages.names()
    after = translations_after(facility.translations, row)
    for code in row.names:
        before_name = ((facility.translations or {}).get(code) or {}).get("name", "")
        after_name = (after.get(code) or {}).get("name", "")
        if before_name != after_name:
            label = _("名称（%(language)s）") % {"language": names.get(code, code)}
            changes.append(FieldChange(label, before_name, after_name))
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
