"""Every change to the chatbot's knowledge and question log, in one place, audited (CB-3, CB-8).

Staff change only their own department's entries (the system administrator any); views reach
existing entries through ``selectors.access_*``, and the services check the department again for
anything they create or move.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core import languages
from civicline.core.audit import (
    Action,
    audit_record,
    audited_change,
    audited_create,
    audited_delete,
    audited_update,
)
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department
from civicline.core.translations import Translations, cleaned

from . import import_plan, importers, multilingual, search, signals, web_extract, web_fetch
from .models import (
    FaqEntry,
    FaqPhrasing,
    GarbageCategory,
    GarbageItem,
    KnowledgeImport,
    QuestionLog,
    ScenarioNode,
    Status,
    WebEntry,
    WebSource,
    WebSync,
)
from .privacy import mask_personal_data, question_key
from .text import reading_of

MAX_QUESTION_LENGTH = 500


def _clean_lines(texts: Any) -> list[str]:
    return list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))


def _stripped(values: dict[str, Any], editable: Collection[str]) -> dict[str, Any]:
    """Staff's edits with their text trimmed; a field the service does not edit is a caller's bug."""
    for name in values:
        if name not in editable:
            raise TypeError(name)
    stripped = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    if "translations" in stripped:
        stripped["translations"] = cleaned(stripped["translations"])
    return stripped


# --- Q&A ----------------------------------------------------------------------------------------

FAQ_FIELDS = ("department", "category", "question", "answer", "url", "flex", "status", "translations")
AUDITED_FAQ_FIELDS = (*FAQ_FIELDS, "phrasings")


@transaction.atomic
def faq_create(
    *,
    actor: Staff | None,
    department: Department,
    question: str,
    answer: str,
    category: str = "",
    url: str = "",
    phrasings: list[str] | tuple[str, ...] = (),
    flex: dict | None = None,
    status: str = Status.PUBLISHED,
    source: str = FaqEntry.Source.CONSOLE,
    translations: Translations | None = None,
) -> FaqEntry:
    require_department(actor, department)
    entry = FaqEntry(
        department=department,
        question=question.strip(),
        answer=answer.strip(),
        category=category.strip(),
        url=url.strip(),
        flex=flex,
        status=status,
        source=source,
        translations=cleaned(translations),
    )
    summary = _("Q&Aを登録: %(q)s") % {"q": entry.question}
    with audited_change(actor=actor, obj=entry, summary=summary, fields=AUDITED_FAQ_FIELDS):
        entry.full_clean()
        entry.save()
        FaqPhrasing.objects.bulk_create(FaqPhrasing(entry=entry, text=t) for t in _clean_lines(phrasings))
    return entry


@transaction.atomic
def faq_update(
    *, actor: Staff, entry: FaqEntry, phrasings: list[str] | tuple[str, ...] | None = None, **values: Any
) -> FaqEntry:
    require_department(actor, entry)
    if "department" in values:
        require_department(actor, values["department"])
    values = _stripped(values, FAQ_FIELDS)
    summary = _("Q&Aを変更: %(q)s") % {"q": values.get("question", entry.question)}
    with audited_change(actor=actor, obj=entry, summary=summary, fields=AUDITED_FAQ_FIELDS):
        for name, value in values.items():
            setattr(entry, name, value)
        entry.full_clean()
        entry.save()
        if phrasings is not None:
            entry.phrasings.all().delete()
            FaqPhrasing.objects.bulk_create(FaqPhrasing(entry=entry, text=t) for t in _clean_lines(phrasings))
    return entry


@transaction.atomic
def faq_delete(*, actor: Staff, entry: FaqEntry) -> None:
    require_department(actor, entry)
    audited_delete(
        actor=actor, obj=entry, summary=_("Q&Aを削除: %(q)s") % {"q": entry.question}, fields=FAQ_FIELDS
    )


@transaction.atomic
def faq_phrasing_add(*, actor: Staff, entry: FaqEntry, text: str) -> FaqPhrasing:
    require_department(actor, entry)
    phrasing = FaqPhrasing(entry=entry, text=text.strip())
    summary = _("Q&Aに言い換えを追加: %(t)s") % {"t": phrasing.text}
    with audited_change(actor=actor, obj=entry, summary=summary, fields=("phrasings",)):
        phrasing.full_clean()
        phrasing.save()
    return phrasing


# --- garbage dictionary -------------------------------------------------------------------------

GARBAGE_FIELDS = (
    "department",
    "name",
    "reading",
    "category",
    "how_to",
    "note",
    "fee",
    "status",
    "translations",
)
GARBAGE_EDITABLE = GARBAGE_FIELDS[1:]  # an item stays with its department


def garbage_category_for(*, department: Department, name: str) -> GarbageCategory:
    category, _created = GarbageCategory.objects.get_or_create(department=department, name=name.strip())
    return category


@transaction.atomic
def garbage_item_create(
    *, actor: Staff, department: Department, name: str, category_name: str, **values: Any
) -> GarbageItem:
    require_department(actor, department)
    item = GarbageItem(department=department, name=name.strip(), **_stripped(values, GARBAGE_EDITABLE))
    item.category = (
        garbage_category_for(department=department, name=category_name) if category_name.strip() else None
    )
    item.reading = item.reading.strip() or reading_of(item.name)
    summary = _("ごみ分別品目を登録: %(n)s") % {"n": item.name}
    return audited_create(actor=actor, obj=item, summary=summary, fields=GARBAGE_FIELDS)


@transaction.atomic
def garbage_item_update(
    *, actor: Staff, item: GarbageItem, category_name: str | None = None, **values: Any
) -> GarbageItem:
    require_department(actor, item)
    values = _stripped(values, GARBAGE_EDITABLE)
    summary = _("ごみ分別品目を変更: %(n)s") % {"n": values.get("name", item.name)}
    with audited_change(actor=actor, obj=item, summary=summary, fields=GARBAGE_FIELDS):
        for name, value in values.items():
            setattr(item, name, value)
        if category_name is not None:
            item.category = (
                garbage_category_for(department=item.department, name=category_name)
                if category_name.strip()
                else None
            )
        item.reading = item.reading or reading_of(item.name)
        item.full_clean()
        item.save()
    return item


@transaction.atomic
def garbage_item_delete(*, actor: Staff, item: GarbageItem) -> None:
    require_department(actor, item)
    audited_delete(
        actor=actor,
        obj=item,
        summary=_("ごみ分別品目を削除: %(n)s") % {"n": item.name},
        fields=GARBAGE_FIELDS,
    )


@transaction.atomic
def garbage_category_update(
    *, actor: Staff, category: GarbageCategory, how_to: str, translations: Translations | None = None
) -> GarbageCategory:
    """How to put the category out; ``translations`` (its name and how_to per language) if given."""
    require_department(actor, category)
    data: dict[str, Any] = {"how_to": how_to.strip()}
    if translations is not None:
        data["translations"] = cleaned(translations)
    return audited_update(
        actor=actor,
        obj=category,
        data=data,
        summary=_("分別区分の出し方を変更: %(n)s") % {"n": category.name},
    )


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    drafts: int = 0  # rows without a category: kept as drafts for staff to finish
    errors: list[str] = field(default_factory=list)
    unchanged: int = 0
    plan: import_plan.ImportPlan | None = field(default=None, repr=False)  # row by row, for --json


def _import_result(plan: import_plan.ImportPlan) -> ImportResult:
    return ImportResult(
        plan=plan,
        created=len(plan.new),
        updated=len(plan.changed),
        drafts=plan.drafts,
        unchanged=plan.unchanged,
        errors=[_("%(line)d 行目: %(error)s") % {"line": r.line, "error": r.reason} for r in plan.refused],
    )


def _garbage_plan_write(plan: import_plan.ImportPlan, department: Department) -> None:
    """Write a garbage plan's new and changed items (its refused rows are left out)."""
    categories = {c.name: c for c in GarbageCategory.objects.filter(department=department)}
    named: dict[str, GarbageCategory] = {}
    for planned in (*plan.new, *plan.changed):
        name = planned.after["category"]
        if name and name not in categories:
            categories[name] = GarbageCategory.objects.create(department=department, name=name)
        # 分別区分_en: the category's name in English, taken from the file (its first row's).
        names = import_plan.category_names(planned.after)
        category = categories.get(name)
        if category is not None and names and category.name not in named:
            versions = {code: dict(fields) for code, fields in (category.translations or {}).items()}
            for code, text in names.items():
                versions.setdefault(code, {})["name"] = text
            category.translations = cleaned(versions)
            named[category.name] = category
    GarbageCategory.objects.bulk_update(named.values(), ["translations"])
    new_items = []
    for planned in plan.new:
        after = planned.after
        new_items.append(
            GarbageItem(
                department=department,
                name=planned.title,
                category=categories.get(after["category"]),
                reading=after.get("reading") or reading_of(planned.title),
                how_to=after.get("how_to", ""),
                note=after.get("note", ""),
                fee=after.get("fee", ""),
                status=after["status"],
                translations=import_plan.nested_translations(after, GarbageItem.TRANSLATED_FIELDS),
            )
        )
    GarbageItem.objects.bulk_create(new_items, batch_size=500)
    changed_items = []
    for planned in plan.changed:
        item = planned.existing
        after = planned.after
        item.category = categories.get(after["category"])
        item.reading = after.get("reading") or item.reading or reading_of(item.name)
        item.how_to, item.note, item.fee = after["how_to"], after["note"], after["fee"]
        item.status, item.updated_at = after["status"], timezone.now()
        item.translations = import_plan.nested_translations(after, GarbageItem.TRANSLATED_FIELDS)
        changed_items.append(item)
    GarbageItem.objects.bulk_update(
        changed_items,
        ["category", "reading", "how_to", "note", "fee", "status", "translations", "updated_at"],
        batch_size=500,
    )
    if plan.has_changes:
        signals.knowledge_changed()  # bulk writes send no post_save: every index is rebuilt


def _faq_plan_write(plan: import_plan.ImportPlan) -> None:
    """Write a Q&A plan's new and changed entries (its refused rows are left out)."""
    FaqEntry.objects.bulk_create(
        (
            FaqEntry(
                department=planned.department,
                question=planned.title,
                answer=planned.after["answer"],
                category=planned.after["category"],
                url=planned.after["url"],
                source=FaqEntry.Source.IMPORT,
                translations=import_plan.nested_translations(planned.after, FaqEntry.TRANSLATED_FIELDS),
            )
            for planned in plan.new
        ),
        batch_size=500,
    )
    changed = []
    for planned in plan.changed:
        entry = planned.existing
        entry.answer, entry.category, entry.url = (planned.after[k] for k in ("answer", "category", "url"))
        entry.translations = import_plan.nested_translations(planned.after, FaqEntry.TRANSLATED_FIELDS)
        entry.updated_at = timezone.now()
        changed.append(entry)
    FaqEntry.objects.bulk_update(
        changed, ["answer", "category", "url", "translations", "updated_at"], batch_size=500
    )
    if plan.has_changes:
        signals.knowledge_changed()


def _import_audit_changes(plan: import_plan.ImportPlan, **extra: Any) -> dict[str, Any]:
    return {
        **plan.counts(),
        **extra,
        "added_titles": [p.title for p in plan.new][:AUDITED_TITLES],
        "updated_titles": [p.title for p in plan.changed][:AUDITED_TITLES],
        "refused_rows": plan.refused_list()[:AUDITED_TITLES],
    }


@transaction.atomic
def garbage_import(
    *,
    actor: Staff | None,
    department: Department,
    data: bytes,
    format: str = "auto",
    mapping: str = "",
) -> ImportResult:
    """Add or update the department's garbage items from a CSV file, all or nothing.

    A refused row stops the whole file (``errors``); staff who want the good rows of such a file
    go through the preview (``knowledge_import_upload`` / ``knowledge_import_apply``).
    """
    require_department(actor, department)
    parsed = importers.read_garbage(data, format=format, mapping=mapping)
    plan = import_plan.garbage_plan(department=department, parsed=parsed)
    result = _import_result(plan)
    if plan.refused:
        return result
    _garbage_plan_write(plan, department)
    audit_record(
        action=Action.CREATE,
        actor=actor,
        department=department,
        summary=_("ごみ分別辞書を取り込み: 新規 %(c)d 件、更新 %(u)d 件")
        % {"c": result.created, "u": result.updated},
        changes=_import_audit_changes(plan, created=result.created, updated=result.updated),
    )
    return result


@transaction.atomic
def faq_import(
    *,
    actor: Staff | None,
    data: bytes,
    default_department: Department | None,
    mapping: str = "",
) -> ImportResult:
    """Add or update Q&A from a CSV file (question, answer and optional category, department,
    URL under any of the names cities use), all or nothing."""
    parsed = importers.read_faq(data, mapping=mapping)
    plan = import_plan.faq_plan(actor=actor, default_department=default_department, parsed=parsed)
    result = _import_result(plan)
    if plan.refused:
        return result
    _faq_plan_write(plan)
    audit_record(
        action=Action.CREATE,
        actor=actor,
        department=default_department,
        summary=_("Q&Aを取り込み: 新規 %(c)d 件、更新 %(u)d 件") % {"c": result.created, "u": result.updated},
        changes=_import_audit_changes(plan, created=result.created, updated=result.updated),
    )
    return result


# --- imports through a preview (CB-9) ------------------------------------------------------------

# Titles and refused rows named in an import's audit entry; the counts there are complete.
AUDITED_TITLES = 200
# Refused rows kept with an applied import, for staff to correct the file.
KEPT_REFUSED = 500


@transaction.atomic
def knowledge_import_upload(
    *,
    actor: Staff | None,
    department: Department,
    kind: str,
    filename: str,
    content: bytes,
    format: str = "auto",
    mapping: str = "",
) -> KnowledgeImport:
    """Keep an uploaded CSV for its preview; nothing else changes until it is applied.

    A file that cannot be read at all (encoding, unknown columns) is refused here, with what to
    fix, and is not kept.
    """
    require_department(actor, department)
    if kind == KnowledgeImport.Kind.FAQ:
        importers.read_faq(content, mapping=mapping)
    else:
        importers.read_garbage(content, format=format, mapping=mapping)
    stale = timezone.now() - KnowledgeImport.EXPIRES_AFTER
    KnowledgeImport.objects.filter(applied_at__isnull=True, created_at__lt=stale).delete()
    if actor is not None:
        # One preview per person and kind: an older file of theirs can no longer be applied.
        KnowledgeImport.objects.filter(
            applied_at__isnull=True, uploaded_by=actor, kind=kind, department=department
        ).delete()
    upload = KnowledgeImport.objects.create(
        kind=kind,
        department=department,
        uploaded_by=actor,
        filename=filename[:255],
        content=content,
        format=format if kind == KnowledgeImport.Kind.GARBAGE else "",
        mapping=mapping[:500],
    )
    audit_record(
        action=Action.CREATE,
        actor=actor,
        target=upload,
        summary=_("取り込むファイルをアップロード（%(kind)s: %(file)s）")
        % {"kind": upload.get_kind_display(), "file": upload.filename},
        changes={"import": upload.pk, "bytes": len(content), "format": upload.format, "mapping": mapping},
    )
    return upload


@transaction.atomic
def knowledge_import_apply(
    *,
    actor: Staff | None,
    knowledge_import: KnowledgeImport,
    skip_refused: bool = False,
) -> import_plan.ImportPlan:
    """Import a previewed file in one transaction.

    Refused rows stop it unless ``skip_refused``: staff confirmed that the good rows go ahead and
    the refused ones stay listed (with the applied import, and in the audit entry) for correction.
    """
    upload = KnowledgeImport.objects.select_for_update().get(pk=knowledge_import.pk)
    require_department(actor, upload)
    if upload.applied_at is not None:
        raise ValidationError(
            _("このファイルは取り込み済みです。もう一度取り込む場合はアップロードし直してください。")
        )
    if upload.expired:
        raise ValidationError(_("確認の期限が切れました。ファイルをアップロードし直してください。"))
    plan = import_plan.plan_for(upload, actor=actor)
    if not plan.can_apply:
        raise ValidationError(
            _("取り込める行がありません。ファイルを直してからアップロードし直してください。")
        )
    if plan.needs_confirmation and not skip_refused:
        raise ValidationError(
            _(
                "取り込めない行が %(n)d 行あります。それらの行を除いて取り込む場合は、"
                "確認欄にチェックを入れてから取り込んでください。"
            )
            % {"n": len(plan.refused)}
        )
    try:
        with transaction.atomic():
            if upload.kind == KnowledgeImport.Kind.FAQ:
                _faq_plan_write(plan)
            else:
                _garbage_plan_write(plan, upload.department)
    except IntegrityError:
        # Another import added the same item a moment ago: this one's plan is out of date.
        raise ValidationError(
            _("同じ時間に別の取り込みがありました。画面を開き直して、もう一度確認してください。")
        ) from None
    counts = plan.counts()
    upload.applied_at, upload.content = timezone.now(), b""
    upload.summary = {**counts, "refused_rows": plan.refused_list()[:KEPT_REFUSED]}
    upload.save(update_fields=["applied_at", "content", "summary"])
    summary = _(
        "%(kind)sを取り込み（%(file)s）: 新規 %(new)d 件・更新 %(changed)d 件・変更なし %(unchanged)d 件"
    ) % {
        "kind": upload.get_kind_display(),
        "file": upload.filename,
        **counts,
    }
    if plan.refused:
        summary += _("・取り込まなかった行 %(n)d 件") % {"n": len(plan.refused)}
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=upload,
        summary=summary,
        changes=_import_audit_changes(plan, skip_refused=skip_refused, file=upload.filename),
    )
    return plan


@transaction.atomic
def knowledge_import_discard(*, actor: Staff, knowledge_import: KnowledgeImport) -> None:
    """Staff changed their mind: the uploaded file is dropped, nothing was imported."""
    require_department(actor, knowledge_import)
    if knowledge_import.applied_at is not None:
        raise ValidationError(_("このファイルは取り込み済みです。"))
    audited_delete(
        actor=actor,
        obj=knowledge_import,
        summary=_("取り込むファイルを破棄（%(file)s）") % {"file": knowledge_import.filename},
        fields=("kind", "department", "filename"),
    )


# --- scenarios ----------------------------------------------------------------------------------

SCENARIO_FIELDS = ("department", "parent", "label", "answer", "order", "status", "translations")
SCENARIO_EDITABLE = SCENARIO_FIELDS[1:]  # a node stays with its department


@transaction.atomic
def scenario_node_create(
    *,
    actor: Staff | None,
    department: Department,
    label: str,
    parent: ScenarioNode | None = None,
    answer: str = "",
    order: int = 0,
    status: str = Status.PUBLISHED,
    translations: Translations | None = None,
) -> ScenarioNode:
    require_department(actor, department)
    node = ScenarioNode(
        department=department,
        parent=parent,
        label=label.strip(),
        answer=answer.strip(),
        order=order,
        status=status,
        translations=cleaned(translations),
    )
    return audited_create(
        actor=actor,
        obj=node,
        summary=_("シナリオを登録: %(l)s") % {"l": " > ".join(node.path_labels())},
        fields=SCENARIO_FIELDS,
    )


@transaction.atomic
def scenario_node_update(*, actor: Staff, node: ScenarioNode, **values: Any) -> ScenarioNode:
    require_department(actor, node)
    values = _stripped(values, SCENARIO_EDITABLE)
    summary = _("シナリオを変更: %(l)s") % {"l": values.get("label", node.label)}
    with audited_change(actor=actor, obj=node, summary=summary, fields=SCENARIO_FIELDS):
        for name, value in values.items():
            setattr(node, name, value)
        ancestor = node.parent
        while ancestor is not None:
            if ancestor.pk == node.pk:
                raise ValidationError(_("自分自身の下には移動できません。"))
            ancestor = ancestor.parent
        node.full_clean()
        node.save()
    return node


@transaction.atomic
def scenario_node_delete(*, actor: Staff, node: ScenarioNode) -> None:
    require_department(actor, node)
    # Its children go with it: one of another department's among them needs that department too.
    for child in node.children.exclude(department=node.department):
        require_department(actor, child, message=_("他の課の項目を含むため削除できません。"))
    audited_delete(
        actor=actor, obj=node, summary=_("シナリオを削除: %(l)s") % {"l": node.label}, fields=SCENARIO_FIELDS
    )


# --- residents' questions (CB-4, CB-5, CB-6) -----------------------------------------------------


def asker_key(user_id: str) -> str:
    """A keyed hash of the LINE user: links feedback to its question without storing who asked."""
    if not user_id:
        return ""
    return hmac.new(
        settings.SECRET_KEY.encode(), f"chatbot-asker:{user_id}".encode(), hashlib.sha256
    ).hexdigest()


@dataclass(frozen=True)
class Asked:
    log: QuestionLog
    ranking: search.Ranking


def question_ask(*, text: str, user_id: str = "", language: str | None = None) -> Asked:
    """Rank a resident's question and log it (masked); the caller answers from ``ranking``.

    ``language``: the resident's (default: the one being spoken), whose names are looked up first.
    """
    text = (text or "").strip()[:MAX_QUESTION_LENGTH]
    ranking = multilingual.rank(text, language=language or languages.current())
    best = ranking.best
    if ranking.confident:
        outcome = QuestionLog.Outcome.ANSWERED
    elif best is not None and best.score >= search.CANDIDATE_THRESHOLD:
        outcome = QuestionLog.Outcome.CANDIDATES
    else:
        outcome = QuestionLog.Outcome.UNANSWERED
    masked = mask_personal_data(text)[:MAX_QUESTION_LENGTH]
    # Unanswered too, the nearest candidate's department owns the question (None: administrator).
    owner = {"department_id": best.department_id if best else None}
    log = QuestionLog.objects.create(
        text=masked,
        key=question_key(masked),
        outcome=outcome,
        score=best.score if best else 0.0,
        asker_key=asker_key(user_id),
        **(_answer_fields(best) if outcome == QuestionLog.Outcome.ANSWERED and best else owner),
    )
    return Asked(log=log, ranking=ranking)


def _answer_fields(candidate: search.Candidate) -> dict[str, Any]:
    return {
        "answer_kind": candidate.kind,
        "answer_id": candidate.id,
        "answer_title": candidate.title[:300],
        "department_id": candidate.department_id,
    }


KINDS = {FaqEntry: "faq", GarbageItem: "garbage", ScenarioNode: "scenario"}


def _entry_candidate(entry: FaqEntry | GarbageItem | ScenarioNode) -> search.Candidate:
    return search.Candidate(KINDS[type(entry)], entry.pk, str(entry), "", 1.0, entry.department_id)


def question_answered(
    *, log_id: int, user_id: str, entry: FaqEntry | GarbageItem | ScenarioNode
) -> QuestionLog | None:
    """The resident picked one of the offered candidates: the question reached that answer."""
    log = QuestionLog.objects.filter(pk=log_id, asker_key=asker_key(user_id)).first()
    if log is None or log.outcome == QuestionLog.Outcome.UNANSWERED:
        return None
    for name, value in {
        **_answer_fields(_entry_candidate(entry)),
        "outcome": QuestionLog.Outcome.ANSWERED,
    }.items():
        setattr(log, name, value)
    log.save(update_fields=["answer_kind", "answer_id", "answer_title", "department", "outcome"])
    return log


def question_ask_scenario(*, node: ScenarioNode, user_id: str = "") -> QuestionLog:
    """A resident reached an answer through the scenario tree: logged like an answered question."""
    text = " > ".join(node.path_labels())[:MAX_QUESTION_LENGTH]
    return QuestionLog.objects.create(
        text=text,
        key=question_key(text),
        outcome=QuestionLog.Outcome.ANSWERED,
        score=1.0,
        asker_key=asker_key(user_id),
        **_answer_fields(_entry_candidate(node)),
    )


def question_log_view_record(*, actor: Staff, log: QuestionLog | None = None, shown: int = 0) -> None:
    """Staff read residents' questions (X-1): the list (``shown`` on the page) or one of them."""
    audit_record(
        action=Action.VIEW_PERSONAL,
        actor=actor,
        target=log,
        department=log.department if log is not None else actor.department,
        summary=(
            _("住民の質問を閲覧") if log is not None else _("住民の質問ログを閲覧（%(n)d件）") % {"n": shown}
        ),
    )


def question_feedback(*, log_id: int, user_id: str, resolved: bool) -> QuestionLog | None:
    """解決した / しなかった, accepted only from the resident who asked."""
    log = QuestionLog.objects.filter(pk=log_id, asker_key=asker_key(user_id)).first()
    if log is None:
        return None
    log.resolved = resolved
    log.save(update_fields=["resolved"])
    return log


def _mark_handled(key: str) -> None:
    QuestionLog.objects.filter(key=key, handled=False).exclude(outcome=QuestionLog.Outcome.ANSWERED).update(
        handled=True
    )


@transaction.atomic
def question_adopt_as_faq(
    *,
    actor: Staff,
    log: QuestionLog,
    question: str,
    answer: str,
    category: str = "",
    department: Department | None = None,
) -> FaqEntry:
    """Turn an unanswered question into a new published Q&A in one step (CB-6)."""
    entry = faq_create(
        actor=actor,
        department=department or actor.department,
        question=question or log.text,
        answer=answer,
        category=category,
        source=FaqEntry.Source.UNANSWERED,
        phrasings=[log.text] if question and question.strip() != log.text else [],
    )
    _mark_handled(log.key)
    return entry


@transaction.atomic
def question_adopt_as_phrasing(*, actor: Staff, log: QuestionLog, entry: FaqEntry) -> FaqPhrasing:
    """Teach an existing Q&A the words a resident used (CB-6)."""
    phrasing = faq_phrasing_add(actor=actor, entry=entry, text=log.text)
    _mark_handled(log.key)
    return phrasing


# --- Q&A from the city's website (CB-9) -----------------------------------------------------------

MAX_WEB_PAGE_URLS = 100
MAX_WEB_PAGES = 300
# A sync still "running" after this long lost its worker: another may be started.
WEB_SYNC_STALE = timedelta(hours=2)


def _web_url(url: str) -> str:
    try:
        url = web_fetch.check_url(url)
    except web_fetch.FetchError as exc:
        raise ValidationError(str(exc)) from None
    if len(url) > 1000:
        raise ValidationError(_("URLが長すぎます（1000文字まで）。"))
    return url


@transaction.atomic
def web_source_create(
    *,
    actor: Staff | None,
    department: Department,
    page_urls: list[str] | tuple[str, ...] = (),
    sitemap_url: str = "",
    url_filter: str = "",
) -> WebSource:
    """Pages (or a sitemap) of the city's site to import Q&A from, owned by ``department``."""
    require_department(actor, department)
    urls = [_web_url(u) for u in _clean_lines(page_urls)]
    if not urls and not sitemap_url.strip():
        raise ValidationError(_("ページのURLかサイトマップのURLを指定してください。"))
    if len(urls) > MAX_WEB_PAGE_URLS:
        raise ValidationError(_("ページのURLは %(n)d 件までです。") % {"n": MAX_WEB_PAGE_URLS})
    source = WebSource(
        department=department,
        page_urls=urls,
        sitemap_url=_web_url(sitemap_url) if sitemap_url.strip() else "",
        url_filter=url_filter.strip(),
    )
    return audited_create(
        actor=actor,
        obj=source,
        summary=_("Q&Aの取り込み元を登録: %(s)s") % {"s": source},
        fields=("department", "page_urls", "sitemap_url", "url_filter"),
    )


@transaction.atomic
def web_sync_start(*, actor: Staff | None, source: WebSource, enqueue: bool = True) -> WebSync:
    """Ask the worker to read the source's pages (``enqueue=False``: the caller runs it itself)."""
    require_department(actor, source)
    if source.syncs.filter(
        status__in=(WebSync.Status.QUEUED, WebSync.Status.RUNNING),
        created_at__gte=timezone.now() - WEB_SYNC_STALE,
    ).exists():
        raise ValidationError(_("取得中です。終わってからもう一度お試しください。"))
    sync = WebSync.objects.create(source=source)
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=source,
        department=source.department,
        summary=_("ウェブからQ&Aを取得: %(s)s") % {"s": source},
    )
    if enqueue:
        from .tasks import web_sync_task  # here, as tasks imports this module

        transaction.on_commit(lambda: web_sync_task(sync.pk), robust=True)
    return sync


def web_sync_run(*, sync_id: int, fetcher: web_fetch.Fetcher | None = None) -> WebSync:
    """Read the source's pages and set aside what changed for staff's review (in the worker)."""
    sync = WebSync.objects.select_related("source").get(pk=sync_id)
    if sync.status != WebSync.Status.QUEUED:
        return sync  # a redelivered task: the sync already ran or is running
    sync.status, sync.started_at = WebSync.Status.RUNNING, timezone.now()
    sync.save(update_fields=["status", "started_at"])
    fetcher = fetcher or web_fetch.Fetcher()
    try:
        urls = _web_page_urls(sync.source, fetcher)
        sync.pages_total = len(urls)
        sync.save(update_fields=["pages_total"])
        seen: set[tuple[str, str]] = set()
        settled: set[str] = set()  # pages whose content we know: read, or gone (404/410)
        for url in urls:
            report = {"url": url, "found": 0, "error": ""}
            try:
                page = fetcher.page(url)
            except web_fetch.PageGone as exc:
                settled.add(url)
                report["error"] = str(exc)
            except web_fetch.FetchError as exc:
                report["error"] = str(exc)
            else:
                pairs = web_extract.extract(page.content, url=page.url, encoding=page.encoding)
                _web_entries_update(sync, url, pairs)
                seen |= {(url, p.key) for p in pairs}
                settled.add(url)
                report["found"] = len(pairs)
            sync.pages.append(report)
            sync.pages_done += 1
            sync.save(update_fields=["pages", "pages_done", "n_new", "n_changed", "n_unchanged"])
        _web_entries_removed(sync, urls, seen, settled)
    except web_fetch.FetchError as exc:
        return _web_sync_finish(sync, error=str(exc))
    except Exception:
        _web_sync_finish(sync, error=_("予期しないエラーで中断しました。"))
        raise
    return _web_sync_finish(sync)


def _web_page_urls(source: WebSource, fetcher: web_fetch.Fetcher) -> list[str]:
    urls = list(source.page_urls)
    if source.sitemap_url:
        urls += [u for u in fetcher.sitemap_urls(source.sitemap_url) if source.url_filter in u]
    return list(dict.fromkeys(urls))[:MAX_WEB_PAGES]


def _web_sync_finish(sync: WebSync, *, error: str = "") -> WebSync:
    sync.status = WebSync.Status.FAILED if error else WebSync.Status.DONE
    sync.error, sync.finished_at = error, timezone.now()
    sync.save()
    return sync


@transaction.atomic
def _web_entries_update(sync: WebSync, url: str, pairs: list[web_extract.Pair]) -> None:
    existing = {e.key: e for e in sync.source.entries.filter(url=url)}
    for pair in pairs:
        entry = existing.get(pair.key)
        if entry is None:
            WebEntry.objects.create(
                source=sync.source,
                url=url,
                key=pair.key,
                category=pair.category,
                question=pair.question,
                answer=pair.answer,
                content_hash=pair.content_hash,
            )
            sync.n_new += 1
            continue
        if entry.content_hash == pair.content_hash:
            if entry.state == WebEntry.State.REMOVED:  # the page came back as it was
                entry.state = WebEntry.State.ACCEPTED
                entry.save(update_fields=["state", "updated_at"])
            sync.n_unchanged += 1
            continue
        if entry.faq_id is None or entry.state in (WebEntry.State.NEW, WebEntry.State.REJECTED):
            # Never published: staff review the newer text as a new entry.
            entry.state = WebEntry.State.NEW
            sync.n_new += 1
        else:
            if entry.state != WebEntry.State.CHANGED:  # keep the text staff last reviewed
                entry.previous_question, entry.previous_answer = entry.question, entry.answer
            entry.state = WebEntry.State.CHANGED
            sync.n_changed += 1
        entry.question, entry.answer, entry.content_hash = pair.question, pair.answer, pair.content_hash
        entry.category = pair.category or entry.category
        entry.save()


@transaction.atomic
def _web_entries_removed(
    sync: WebSync, urls: list[str], seen: set[tuple[str, str]], settled: set[str]
) -> None:
    """Entries no longer on their page (or whose page left the source); unreadable pages prove nothing."""
    for entry in sync.source.entries.all():
        if (entry.url, entry.key) in seen or (entry.url in urls and entry.url not in settled):
            continue
        if entry.faq_id is None or entry.state in (WebEntry.State.NEW, WebEntry.State.REJECTED):
            entry.delete()  # nothing published from it: nothing to review
        elif entry.state != WebEntry.State.REMOVED:
            entry.state = WebEntry.State.REMOVED
            entry.save(update_fields=["state", "updated_at"])
            sync.n_removed += 1
    sync.save(update_fields=["n_removed"])


def _web_review_audit(actor: Staff, entry: WebEntry, summary: str) -> None:
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=entry,
        department=entry.source.department,
        summary=summary % {"q": entry.question, "url": entry.url},
        changes={"state": entry.state, "url": entry.url, "content_hash": entry.content_hash},
    )


def web_answer_text(entry: WebEntry) -> str:
    """The answer residents get: the page's text and where to read more."""
    return _("%(answer)s\n\n詳しくは市のホームページをご覧ください: %(url)s") % {
        "answer": entry.answer,
        "url": entry.url,
    }


@transaction.atomic
def web_entry_accept(
    *,
    actor: Staff,
    entry: WebEntry,
    question: str | None = None,
    answer: str | None = None,
    category: str | None = None,
) -> FaqEntry | None:
    """Apply one reviewed entry: publish a new Q&A, take the site's new text, or unpublish a removed one.

    ``question`` / ``answer`` / ``category`` are staff's edits; by default the site's text is used.
    """
    require_department(actor, entry)
    if entry.state not in WebEntry.PENDING:
        raise ValidationError(_("この項目は確認済みです。"))
    faq = entry.faq
    if entry.state == WebEntry.State.REMOVED:
        _web_review_audit(actor, entry, _("サイトから削除されたQ&Aを非公開に: %(q)s"))
        if faq is not None:
            faq_update(actor=actor, entry=faq, status=Status.DRAFT)
        entry.delete()
        return faq
    values = {
        "question": entry.question if question is None else question,
        "answer": web_answer_text(entry) if answer is None else answer,
    }
    if faq is None:
        faq = faq_create(
            actor=actor,
            department=entry.source.department,
            category=entry.category if category is None else category,
            source=FaqEntry.Source.WEB,
            **values,
        )
    else:
        if category is not None:
            values["category"] = category
        faq = faq_update(actor=actor, entry=faq, **values)
    _web_review_audit(actor, entry, _("ウェブから取り込んだQ&Aを反映: %(q)s（%(url)s）"))
    entry.faq, entry.state = faq, WebEntry.State.ACCEPTED
    entry.previous_question = entry.previous_answer = ""
    entry.save()
    return faq


@transaction.atomic
def web_entry_reject(*, actor: Staff, entry: WebEntry) -> None:
    """Leave the published Q&A as it is; the same text on the site is not proposed again."""
    require_department(actor, entry)
    if entry.state not in WebEntry.PENDING:
        raise ValidationError(_("この項目は確認済みです。"))
    _web_review_audit(actor, entry, _("ウェブから取り込んだQ&Aを却下: %(q)s（%(url)s）"))
    if entry.state == WebEntry.State.REMOVED:
        entry.delete()  # the Q&A stays published, no longer tied to the page
        return
    entry.state = WebEntry.State.REJECTED if entry.state == WebEntry.State.NEW else WebEntry.State.ACCEPTED
    entry.previous_question = entry.previous_answer = ""
    entry.save()
