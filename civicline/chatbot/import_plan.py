"""What importing a CSV would do, row by row, before anything changes (CB-9).

A plan compares the file's rows with what the department already has: new entries, entries whose
fields change (each change with its before and after), entries left as they are, and the rows that
cannot be imported, each with its line and the reason. The preview shows it, ``--dry-run`` prints
it, and applying builds it again inside the transaction (the data may have moved since).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.models import Department, Staff
from civicline.core.translations import Translations, cleaned, field_name

from . import importers
from .importers import FAQ_LABELS, FAQ_TRANSLATED, GARBAGE_LABELS, GARBAGE_TRANSLATED, Parsed, column_label
from .models import FaqEntry, GarbageCategory, GarbageItem, KnowledgeImport, Status

# Rows listed in the preview's tables of new and changed entries; the counts are always complete.
SHOWN_IN_PREVIEW = 200
MOJIBAKE = "\ufffd"


@dataclass(frozen=True)
class Refused:
    line: int
    reason: str


@dataclass(frozen=True)
class Merged:
    """A row for an entry an earlier row of the file already gives: joined to it, not refused."""

    line: int
    into: int
    message: str


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass
class Planned:
    """A good row: what the entry will be (``after``), and the entry it updates, if any."""

    line: int
    title: str
    after: dict[str, str]
    existing: models.Model | None = None
    changes: list[FieldChange] = field(default_factory=list)
    department: Department | None = None


@dataclass
class ImportPlan:
    kind: str
    parsed: Parsed
    new: list[Planned] = field(default_factory=list)
    changed: list[Planned] = field(default_factory=list)
    unchanged: int = 0
    refused: list[Refused] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)
    drafts: int = 0  # good garbage rows without a category: kept as drafts for staff to finish

    @property
    def rows(self) -> int:
        return len(self.parsed.rows)

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed)

    @property
    def can_apply(self) -> bool:
        return self.rows > len(self.refused)

    @property
    def needs_confirmation(self) -> bool:
        """Refused rows: the good ones go ahead only when staff say so."""
        return bool(self.refused)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "refused": len(self.refused),
            "merged": len(self.merged),
            "drafts": self.drafts,
        }

    def refused_list(self) -> list[dict[str, Any]]:
        return [{"line": r.line, "reason": r.reason} for r in self.refused]

    def as_json(self) -> dict[str, Any]:
        """What ``--json`` prints."""
        return {
            "rows": self.rows,
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "refused": self.refused_list(),
        }

    def columns(self) -> list[tuple[str, str]]:
        """(field's label, the file's header) as the file was read, for staff to check."""
        labels = FAQ_LABELS if self.kind == KnowledgeImport.Kind.FAQ else GARBAGE_LABELS
        return [(column_label(name, labels), header) for name, header in self.parsed.columns.items()]


# --- checks every row gets ----------------------------------------------------------------------


def _limit(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


GARBAGE_LIMITS = {
    "name": _limit(GarbageItem, "name"),
    "reading": _limit(GarbageItem, "reading"),
    "category": _limit(GarbageCategory, "name"),
    "how_to": _limit(GarbageItem, "how_to"),
    "note": _limit(GarbageItem, "note"),
    "fee": _limit(GarbageItem, "fee"),
}
FAQ_LIMITS = {
    "question": _limit(FaqEntry, "question"),
    "answer": _limit(FaqEntry, "answer"),
    "category": _limit(FaqEntry, "category"),
    "url": _limit(FaqEntry, "url"),
}


# --- texts in residents' other languages (issue 21) ---------------------------------------------


def flat_translations(obj: models.Model | None, fields: tuple[str, ...]) -> dict[str, str]:
    """An entry's versions as a plan compares them: ``name__en`` → text, "" when missing."""
    versions = getattr(obj, "translations", None) or {}
    return {
        field_name(field, code): (versions.get(code) or {}).get(field, "")
        for code in languages.translation_languages()
        for field in fields
    }


def nested_translations(after: dict[str, str], fields: tuple[str, ...]) -> Translations:
    """A planned entry's ``name__en`` values of ``fields`` as its ``translations``."""
    versions: dict[str, dict[str, str]] = {}
    for key, text in after.items():
        parts = importers.language_key_parts(key)
        if parts is not None and parts[0] in fields:
            versions.setdefault(parts[1], {})[parts[0]] = text
    return cleaned(versions)


def category_names(after: dict[str, str]) -> dict[str, str]:
    """A planned item's category in other languages, as the file gives it: {language: name}."""
    return {
        parts[1]: text
        for key, text in after.items()
        if text and (parts := importers.language_key_parts(key)) is not None and parts[0] == "category"
    }


def _language_limits(limits: dict[str, int], values: dict[str, str]) -> dict[str, int]:
    """A version is as long as its master may be."""
    found = {}
    for key in values:
        parts = importers.language_key_parts(key)
        if parts is not None and parts[0] in limits:
            found[key] = limits[parts[0]]
    return found


def _common_reasons(values: dict[str, str], limits: dict[str, int], labels: dict[str, Any]) -> list[str]:
    limits = {**limits, **_language_limits(limits, values)}
    reasons = [
        _("%(field)sが長すぎます（%(n)d 文字、上限 %(max)d 文字）。")
        % {"field": column_label(name, labels), "n": len(values[name]), "max": limit}
        for name, limit in limits.items()
        if len(values.get(name, "")) > limit
    ]
    if any(MOJIBAKE in value for value in values.values()):
        # What a file saved in one encoding and read in another turns into: the text is lost.
        reasons.append(_("文字化けした文字（\ufffd）があります。元のファイルを確認してください。"))
    return reasons


def _duplicate_reason(line: int, what: str) -> str:
    return _("「%(what)s」は %(line)d 行目にもあり、内容が違います。どちらかの行を直すか消してください。") % {
        "what": what,
        "line": line,
    }


def _language_values(values: dict[str, str]) -> list[str]:
    """The row's columns in other languages: a file without them leaves the versions as they are."""
    return [key for key in values if importers.language_key_parts(key)]


# --- garbage dictionary -------------------------------------------------------------------------

GARBAGE_COMPARED = ("category", "reading", "how_to", "note", "fee", "status")


def _garbage_state(item: GarbageItem | None) -> dict[str, str]:
    """An item's fields as a plan compares them; a new item's start empty."""
    translations = flat_translations(item, GARBAGE_TRANSLATED)
    if item is None:
        return {"reading": "", "how_to": "", "note": "", "fee": "", **translations}
    return {
        "category": item.category.name if item.category else "",
        "reading": item.reading,
        "how_to": item.how_to,
        "note": item.note,
        "fee": item.fee,
        "status": item.status,
        **translations,
    }


def _garbage_label(name: str) -> str:
    if name in GARBAGE_LABELS or importers.language_key_parts(name):
        return column_label(name, GARBAGE_LABELS)
    return str(_("状態"))


def _display(name: str, value: str) -> str:
    return str(Status(value).label) if name == "status" and value else value


def _alternative(values: dict[str, str]) -> str:
    """What a second row for the same item adds: its category, instructions, note and fee."""
    parts = [f"【{values['category']}】"] if values.get("category") else []
    parts += [values[key] for key in ("how_to", "note") if values.get(key)]
    if values.get("fee"):
        parts.append(_("手数料: %(fee)s") % {"fee": values["fee"]})
    return _("または%(what)s") % {"what": " ".join(parts)} if parts else ""


def _merge(plan: ImportPlan, planned: Planned, line: int, values: dict[str, str]) -> None:
    """A second row for an item already in the file joins it instead of being refused.

    Cities list one item under two categories on purpose (松戸市: ICレコーダー is 使用済み小型家電
    "回収ボックスへ", and 燃やさないごみ when it cannot be brought there): the first row gives the
    item its category, the others are added to its note, so residents are told both.
    """
    addition = _alternative(values)
    note = planned.after.get("note", "")
    same = all(
        values[key] == planned.after.get(key, "")
        for key in ("category", "how_to", "note", "fee")
        if key in values
    )
    if same or not addition or addition in note:
        plan.merged.append(
            Merged(
                line,
                planned.line,
                _("同じ品目が %(line)d 行目にもあります（1 件にまとめます）。") % {"line": planned.line},
            )
        )
        return
    merged = f"{note}\n{addition}".strip()
    if len(merged) > GARBAGE_LIMITS["note"]:
        plan.refused.append(
            Refused(
                line, _("%(line)d 行目の同じ品目の備考に加えると長くなりすぎます。") % {"line": planned.line}
            )
        )
        return
    planned.after["note"] = merged
    plan.merged.append(
        Merged(
            line,
            planned.line,
            _("同じ品目が %(line)d 行目にもあります。備考に「%(add)s」と加えます。")
            % {"line": planned.line, "add": addition},
        )
    )


def garbage_plan(*, department: Department, parsed: Parsed) -> ImportPlan:
    plan = ImportPlan(kind=KnowledgeImport.Kind.GARBAGE, parsed=parsed)
    existing = {
        item.name: item
        for item in GarbageItem.objects.filter(department=department).select_related("category")
    }
    planned_items: dict[str, Planned] = {}
    for row in parsed.rows:
        values = row.values
        name = values.get("name", "")
        reasons = [] if name else [_("品目が空です。")]
        reasons += _common_reasons(values, GARBAGE_LIMITS, GARBAGE_LABELS)
        if reasons:
            plan.refused.append(Refused(row.line, " ".join(reasons)))
            continue
        if name in planned_items:
            _merge(plan, planned_items[name], row.line, values)
            continue
        item = existing.get(name)
        # A new item starts empty: the preview reads every field, whatever the file has.
        after = _garbage_state(item)
        after["category"] = values.get("category", "")
        reading = values.get("reading", "")
        if reading and not importers.index_letter(reading, name):
            after["reading"] = reading
        for key in ("how_to", "note", "fee", *_language_values(values)):
            if key in values:
                after[key] = values[key]
        after["status"] = Status.PUBLISHED if after["category"] else Status.DRAFT
        planned_items[name] = Planned(row.line, name, after, existing=item)
    for planned in planned_items.values():
        item = planned.existing
        plan.drafts += not planned.after["category"]
        if item is None:
            plan.new.append(planned)
            continue
        before = _garbage_state(item)
        planned.changes = [
            FieldChange(_garbage_label(key), _display(key, before[key]), _display(key, planned.after[key]))
            for key in (*GARBAGE_COMPARED, *flat_translations(None, GARBAGE_TRANSLATED))
            if before[key] != planned.after[key]
        ]
        if planned.changes:
            plan.changed.append(planned)
        else:
            plan.unchanged += 1
    plan.refused.sort(key=lambda r: r.line)
    return plan


# --- Q&A ----------------------------------------------------------------------------------------

FAQ_COMPARED = ("answer", "category", "url")
_url = URLValidator(schemes=["http", "https"])


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


class DepartmentFinder:
    """A department named in a file: by its code, its name, or a name inside the cell.

    Cities' ``問い合わせ先`` columns hold "市民課（電話 087-…）": the longest department name the
    cell contains is the one meant.
    """

    def __init__(self) -> None:
        departments = list(Department.objects.all())
        self.by_code = {_key(d.code): d for d in departments if d.code}
        self.by_name = {_key(d.name): d for d in departments if d.name}
        self.names = sorted(self.by_name.items(), key=lambda item: -len(item[0]))

    def find(self, text: str) -> Department | None:
        key = _key(text)
        found = self.by_code.get(key) or self.by_name.get(key)
        if found is not None:
            return found
        return next((d for name, d in self.names if len(name) >= 2 and name in key), None)


def faq_plan(*, actor: Staff | None, default_department: Department | None, parsed: Parsed) -> ImportPlan:
    plan = ImportPlan(kind=KnowledgeImport.Kind.FAQ, parsed=parsed)
    finder = DepartmentFinder()
    existing: dict[tuple[int, str], FaqEntry] = {}
    questions = sorted({row.values.get("question", "") for row in parsed.rows})
    # In slices: a database takes only so many parameters in one query.
    for start in range(0, len(questions), 500):
        entries = FaqEntry.objects.filter(question__in=questions[start : start + 500]).order_by("-pk")
        for entry in entries:
            existing[(entry.department_id, entry.question)] = entry  # the oldest wins, as before
    seen: dict[tuple[int, str], tuple[int, dict[str, str]]] = {}
    for row in parsed.rows:
        values = row.values
        question, answer = values.get("question", ""), values.get("answer", "")
        reasons = [] if question else [_("質問が空です。")]
        if not answer:
            reasons.append(_("回答が空です。"))
        reasons += _common_reasons(values, FAQ_LIMITS, FAQ_LABELS)
        url = values.get("url", "")
        if url and len(url) <= FAQ_LIMITS["url"]:
            try:
                _url(url)
            except ValidationError:
                reasons.append(
                    _(
                        "関連URL「%(url)s」はURLとして使えません"
                        "（http:// か https:// で始まるURLにしてください）。"
                    )
                    % {"url": url[:100]}
                )
        named = values.get("department", "")
        department = finder.find(named) if named else default_department
        if department is None:
            reasons.append(
                _("担当課「%(d)s」が見つかりません（課コードか課名にしてください）。") % {"d": named}
                if named
                else _("担当課が決まりません（担当課の列を埋めるか、取り込み先の課を指定してください）。")
            )
        elif actor is not None and not actor.is_system_admin and actor.department_id != department.pk:
            reasons.append(_("他の課（%(d)s）のQ&Aは取り込めません。") % {"d": department.name})
        key = (department.pk if department else 0, question)
        if key in seen and not reasons:
            line, first = seen[key]
            if first == values:  # the same row twice is one Q&A
                plan.merged.append(
                    Merged(
                        row.line,
                        line,
                        _("同じ行が %(line)d 行目にもあります（1 件にまとめます）。") % {"line": line},
                    )
                )
                continue
            reasons.append(_duplicate_reason(line, question))
        if reasons:
            plan.refused.append(Refused(row.line, " ".join(reasons)))
            continue
        seen[key] = (row.line, values)
        entry = existing.get(key)
        before = {"answer": entry.answer, "category": entry.category, "url": entry.url} if entry else {}
        before.update(flat_translations(entry, FAQ_TRANSLATED))
        after = {**before, "answer": answer}
        for name in ("category", "url", *_language_values(values)):
            if name in values:
                after[name] = values[name]
            else:
                after.setdefault(name, "")
        planned = Planned(row.line, question, after, existing=entry, department=department)
        if entry is None:
            plan.new.append(planned)
            continue
        planned.changes = [
            FieldChange(column_label(name, FAQ_LABELS), before[name], after[name])
            for name in (*FAQ_COMPARED, *flat_translations(None, FAQ_TRANSLATED))
            if before[name] != after[name]
        ]
        if planned.changes:
            plan.changed.append(planned)
        else:
            plan.unchanged += 1
    return plan


def plan_for(upload: KnowledgeImport, *, actor: Staff | None) -> ImportPlan:
    """The plan of a stored upload (file-level problems raise ``ValidationError``)."""
    data = bytes(upload.content)
    if upload.kind == KnowledgeImport.Kind.FAQ:
        parsed = importers.read_faq(data, mapping=upload.mapping)
        return faq_plan(actor=actor, default_department=upload.department, parsed=parsed)
    parsed = importers.read_garbage(data, format=upload.format or "auto", mapping=upload.mapping)
    return garbage_plan(department=upload.department, parsed=parsed)
