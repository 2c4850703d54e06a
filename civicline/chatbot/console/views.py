"""Console pages of the chatbot: Q&A, garbage dictionary, scenarios, question analysis (CB-3…CB-8).

Views stay thin: check access (``selectors.access_*`` answer 404 for another department's entry),
call a service, respond.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicline.core.console.decorators import staff_required
from civicline.core.console.forms import form_page
from civicline.core.exports import csv_response

from .. import exports, import_plan, search, selectors, services
from ..models import FaqEntry, KnowledgeImport, ScenarioNode, WebEntry, WebSource
from .forms import (
    AdoptFaqForm,
    AdoptPhrasingForm,
    FaqForm,
    FaqImportForm,
    GarbageCategoryForm,
    GarbageImportForm,
    GarbageItemForm,
    ScenarioNodeForm,
    WebEntryForm,
    WebSourceForm,
)

PAGE_SIZE = 50


def _department(request: HttpRequest, data: dict):
    return data.get("department") or request.user.department


# --- Q&A ----------------------------------------------------------------------------------------


@staff_required
def faq_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.faq_list_for(fetched_by=request.user, search=q), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "chatbot/console/faq_list.html", {"page": page, "q": q})


@staff_required
def faq_create(request: HttpRequest) -> HttpResponse:
    form = FaqForm(request.POST or None, staff=request.user)

    def save(form: FaqForm) -> None:
        data = form.cleaned_data
        services.faq_create(
            actor=request.user,
            department=_department(request, data),
            question=data["question"],
            answer=data["answer"],
            category=data["category"],
            url=data["url"],
            phrasings=data["phrasings"],
            flex=data["flex"],
            status=data["status"],
            translations=form.translations_cleaned(),
        )

    return form_page(
        request,
        form=form,
        title=_("Q&Aを登録"),
        back="chatbot:faq-list",
        save=save,
        success_message=_("Q&Aを登録しました。"),
    )


@staff_required
def faq_update(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.access_faq(fetched_by=request.user, pk=pk)
    form = FaqForm(request.POST or None, staff=request.user, entry=entry)

    def save(form: FaqForm) -> None:
        data = form.cleaned_data
        values = {k: data[k] for k in ("category", "question", "answer", "url", "flex", "status")}
        values["translations"] = form.translations_cleaned()
        if "department" in data:
            values["department"] = data["department"]
        services.faq_update(actor=request.user, entry=entry, phrasings=data["phrasings"], **values)

    return form_page(
        request,
        form=form,
        title=_("Q&Aを編集"),
        back="chatbot:faq-list",
        save=save,
        success_message=_("Q&Aを保存しました。"),
        delete_url_name="chatbot:faq-delete",
        obj=entry,
    )


@staff_required
@require_POST
def faq_delete(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.access_faq(fetched_by=request.user, pk=pk)
    services.faq_delete(actor=request.user, entry=entry)
    messages.success(request, _("Q&A「%(q)s」を削除しました。") % {"q": entry.question})
    return redirect("chatbot:faq-list")


@staff_required
def faq_export(request: HttpRequest) -> HttpResponse:
    """The Q&A the staff member sees, with every language's version, for a spreadsheet (issue 21)."""
    header, rows = exports.faq_table(selectors.faq_list_for(fetched_by=request.user).iterator())
    return csv_response(filename="faq.csv", header=header, rows=rows)


# --- garbage dictionary -------------------------------------------------------------------------


@staff_required
def garbage_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    items = selectors.garbage_item_list_for(fetched_by=request.user, search=q)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    categories = selectors.garbage_category_list_for(fetched_by=request.user)
    return render(
        request, "chatbot/console/garbage_list.html", {"page": page, "q": q, "categories": categories}
    )


@staff_required
def garbage_export(request: HttpRequest) -> HttpResponse:
    """The dictionary the staff member sees, with every language's version (issue 21)."""
    header, rows = exports.garbage_table(selectors.garbage_item_list_for(fetched_by=request.user).iterator())
    return csv_response(filename="garbage.csv", header=header, rows=rows)


@staff_required
def garbage_create(request: HttpRequest) -> HttpResponse:
    form = GarbageItemForm(request.POST or None, staff=request.user)

    def save(form: GarbageItemForm) -> None:
        data = form.cleaned_data
        services.garbage_item_create(
            actor=request.user,
            department=_department(request, data),
            name=data["name"],
            category_name=data["category_name"],
            translations=form.translations_cleaned(),
            **{k: data[k] for k in ("reading", "how_to", "note", "fee", "status")},
        )

    return form_page(
        request,
        form=form,
        title=_("ごみ分別品目を登録"),
        back="chatbot:garbage-list",
        save=save,
        success_message=_("品目を登録しました。"),
    )


@staff_required
def garbage_update(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.access_garbage_item(fetched_by=request.user, pk=pk)
    form = GarbageItemForm(request.POST or None, staff=request.user, item=item)

    def save(form: GarbageItemForm) -> None:
        data = form.cleaned_data
        services.garbage_item_update(
            actor=request.user,
            item=item,
            category_name=data["category_name"],
            translations=form.translations_cleaned(),
            **{k: data[k] for k in ("name", "reading", "how_to", "note", "fee", "status")},
        )

    return form_page(
        request,
        form=form,
        title=_("ごみ分別品目を編集"),
        back="chatbot:garbage-list",
        save=save,
        success_message=_("品目を保存しました。"),
        delete_url_name="chatbot:garbage-delete",
        obj=item,
    )


@staff_required
@require_POST
def garbage_delete(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.access_garbage_item(fetched_by=request.user, pk=pk)
    services.garbage_item_delete(actor=request.user, item=item)
    messages.success(request, _("品目「%(n)s」を削除しました。") % {"n": item.name})
    return redirect("chatbot:garbage-list")


@staff_required
def garbage_category_update(request: HttpRequest, pk: int) -> HttpResponse:
    category = selectors.access_garbage_category(fetched_by=request.user, pk=pk)
    return form_page(
        request,
        form=GarbageCategoryForm(request.POST or None, category=category),
        title=_("分別区分「%(n)s」の出し方") % {"n": category.name},
        back="chatbot:garbage-list",
        save=lambda form: services.garbage_category_update(
            actor=request.user,
            category=category,
            how_to=form.cleaned_data["how_to"],
            translations=form.translations_cleaned(),
        ),
        success_message=_("分別区分「%(n)s」の出し方を保存しました。") % {"n": category.name},
    )


# --- CSV imports with a preview (CB-9) ------------------------------------------------------------

IMPORT_LISTS = {
    KnowledgeImport.Kind.FAQ: "chatbot:faq-list",
    KnowledgeImport.Kind.GARBAGE: "chatbot:garbage-list",
}
IMPORT_FORMS = {
    KnowledgeImport.Kind.FAQ: "chatbot:faq-import",
    KnowledgeImport.Kind.GARBAGE: "chatbot:garbage-import",
}


def _import_upload(request: HttpRequest, kind: str, form: forms.Form, **context) -> HttpResponse:
    """The upload form: a readable file is kept for its preview, an unreadable one is refused here."""

    def upload(form: forms.Form) -> KnowledgeImport:
        data = form.cleaned_data
        file = data["file"]
        return services.knowledge_import_upload(
            actor=request.user,
            department=_department(request, data),
            kind=kind,
            filename=file.name,
            content=file.read(),
            format=data.get("format") or "auto",
            mapping=data["mapping"],
        )

    return form_page(
        request,
        form=form,
        back=IMPORT_LISTS[kind],
        save=upload,
        redirect_to=lambda knowledge_import: reverse("chatbot:import-preview", args=[knowledge_import.pk]),
        multipart=True,
        submit_label=_("確認する"),
        note=_(
            "アップロードすると、取り込む内容とエラーの行を確認できます。「取り込む」を押すまで何も変わりません。"
        ),
        **context,
    )


@staff_required
def garbage_import(request: HttpRequest) -> HttpResponse:
    form = GarbageImportForm(request.POST or None, request.FILES or None, staff=request.user)
    return _import_upload(request, KnowledgeImport.Kind.GARBAGE, form, title=_("ごみ分別辞書の取り込み"))


@staff_required
def faq_import(request: HttpRequest) -> HttpResponse:
    form = FaqImportForm(request.POST or None, request.FILES or None, staff=request.user)
    return _import_upload(request, KnowledgeImport.Kind.FAQ, form, title=_("Q&Aの取り込み"))


@staff_required
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    knowledge_import = selectors.access_knowledge_import(fetched_by=request.user, pk=pk)
    if knowledge_import.applied_at is not None:
        return redirect(IMPORT_LISTS[knowledge_import.kind])
    context = {
        "knowledge_import": knowledge_import,
        "list_url": IMPORT_LISTS[knowledge_import.kind],
        "form_url": IMPORT_FORMS[knowledge_import.kind],
        "shown": import_plan.SHOWN_IN_PREVIEW,
        "shown_slice": f":{import_plan.SHOWN_IN_PREVIEW}",
    }
    if not knowledge_import.expired:
        try:
            context["plan"] = import_plan.plan_for(knowledge_import, actor=request.user)
        except ValidationError as exc:
            context["file_errors"] = exc.messages
    return render(request, "chatbot/console/import_preview.html", context)


@staff_required
@require_POST
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    knowledge_import = selectors.access_knowledge_import(fetched_by=request.user, pk=pk)
    try:
        plan = services.knowledge_import_apply(
            actor=request.user,
            knowledge_import=knowledge_import,
            # The box staff tick on the preview: import the good rows, leave the refused ones out.
            skip_refused=request.POST.get("skip_refused") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("chatbot:import-preview", pk)
    message = (
        _("取り込みました: 新規 %(new)d 件、更新 %(changed)d 件、変更なし %(unchanged)d 件") % plan.counts()
    )
    if plan.drafts:
        message += _("（分別区分が空の %(n)d 件は下書き）") % {"n": plan.drafts}
    if plan.refused:
        message += _("。取り込めなかった %(n)d 行は取り込んでいません。") % {"n": len(plan.refused)}
    messages.success(request, message)
    return redirect(IMPORT_LISTS[knowledge_import.kind])


@staff_required
@require_POST
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    knowledge_import = selectors.access_knowledge_import(fetched_by=request.user, pk=pk)
    try:
        services.knowledge_import_discard(actor=request.user, knowledge_import=knowledge_import)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("取り込みをやめました（何も変更していません）。"))
    return redirect(IMPORT_LISTS[knowledge_import.kind])


# --- scenarios ----------------------------------------------------------------------------------


def _parents(request: HttpRequest, exclude: ScenarioNode | None = None):
    nodes = ScenarioNode.objects.visible_to(request.user).filter(answer="")
    return nodes.exclude(pk=exclude.pk) if exclude else nodes


@staff_required
def scenario_list(request: HttpRequest) -> HttpResponse:
    nodes = selectors.scenario_node_list_for(fetched_by=request.user)
    return render(request, "chatbot/console/scenario_list.html", {"nodes": nodes})


@staff_required
def scenario_create(request: HttpRequest) -> HttpResponse:
    form = ScenarioNodeForm(request.POST or None, staff=request.user, parents=_parents(request))

    def save(form: ScenarioNodeForm) -> None:
        data = form.cleaned_data
        services.scenario_node_create(
            actor=request.user,
            department=_department(request, data),
            translations=form.translations_cleaned(),
            **{k: data[k] for k in ("parent", "label", "answer", "order", "status")},
        )

    return form_page(
        request,
        form=form,
        title=_("シナリオの項目を登録"),
        back="chatbot:scenario-list",
        save=save,
        success_message=_("シナリオの項目を登録しました。"),
    )


@staff_required
def scenario_update(request: HttpRequest, pk: int) -> HttpResponse:
    node = selectors.access_scenario_node(fetched_by=request.user, pk=pk)
    form = ScenarioNodeForm(
        request.POST or None, staff=request.user, parents=_parents(request, node), node=node
    )

    def save(form: ScenarioNodeForm) -> None:
        data = form.cleaned_data
        services.scenario_node_update(
            actor=request.user,
            node=node,
            translations=form.translations_cleaned(),
            **{k: data[k] for k in ("parent", "label", "answer", "order", "status")},
        )

    return form_page(
        request,
        form=form,
        title=_("シナリオの項目を編集"),
        back="chatbot:scenario-list",
        save=save,
        success_message=_("シナリオの項目を保存しました。"),
        delete_url_name="chatbot:scenario-delete",
        obj=node,
    )


@staff_required
@require_POST
def scenario_delete(request: HttpRequest, pk: int) -> HttpResponse:
    node = selectors.access_scenario_node(fetched_by=request.user, pk=pk)
    try:
        services.scenario_node_delete(actor=request.user, node=node)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("「%(l)s」を削除しました。") % {"l": node.label})
    return redirect("chatbot:scenario-list")


# --- analysis and learning (CB-4, CB-5, CB-6) -----------------------------------------------------


@staff_required
def insights(request: HttpRequest) -> HttpResponse:
    staff = request.user
    logs = selectors.question_log_list_for(fetched_by=staff).order_by("-asked_at")
    context = {
        "stats": selectors.question_stats_for(fetched_by=staff),
        "most_asked": selectors.most_asked_for(fetched_by=staff),
        "clusters": selectors.unanswered_clusters_for(fetched_by=staff)[:50],
        "recent": Paginator(logs, PAGE_SIZE).get_page(request.GET.get("page")),
    }
    shown = len(context["recent"]) + sum(c.count for c in context["clusters"])
    services.question_log_view_record(actor=staff, shown=shown)
    return render(request, "chatbot/console/insights.html", context)


@staff_required
def question_adopt_faq(request: HttpRequest, pk: int) -> HttpResponse:
    log = selectors.access_question_log(fetched_by=request.user, pk=pk)
    if request.method == "GET":
        services.question_log_view_record(actor=request.user, log=log)
    form = AdoptFaqForm(request.POST or None, staff=request.user, initial={"question": log.text})

    def save(form: AdoptFaqForm) -> None:
        data = form.cleaned_data
        services.question_adopt_as_faq(
            actor=request.user,
            log=log,
            question=data["question"],
            answer=data["answer"],
            category=data["category"],
            department=_department(request, data),
        )

    return form_page(
        request,
        form=form,
        title=_("未回答の質問をQ&Aに登録"),
        back="chatbot:insights",
        save=save,
        success_message=_("Q&Aとして登録しました。同じ質問にはこの回答が表示されます。"),
        note=_("質問: %(q)s") % {"q": log.text},
    )


@staff_required
def question_adopt_phrasing(request: HttpRequest, pk: int) -> HttpResponse:
    log = selectors.access_question_log(fetched_by=request.user, pk=pk)
    if request.method == "GET":
        services.question_log_view_record(actor=request.user, log=log)
    entries = FaqEntry.objects.visible_to(request.user)
    suggestions = [c.id for c in search.rank(log.text).candidates if c.kind == "faq"]
    initial = {"entry": suggestions[0]} if suggestions else {}
    return form_page(
        request,
        form=AdoptPhrasingForm(request.POST or None, entries=entries, initial=initial),
        title=_("既存のQ&Aに言い換えとして追加"),
        back="chatbot:insights",
        save=lambda form: services.question_adopt_as_phrasing(
            actor=request.user, log=log, entry=form.cleaned_data["entry"]
        ),
        success_message=_("言い換えとして追加しました。"),
        note=_("質問: %(q)s") % {"q": log.text},
    )


# --- Q&A from the city's website (CB-9) -----------------------------------------------------------


@staff_required
def web_source_list(request: HttpRequest) -> HttpResponse:
    sources = selectors.web_source_list_for(fetched_by=request.user).prefetch_related("syncs")
    page = Paginator(sources, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "chatbot/console/web_source_list.html", {"page": page})


@staff_required
def web_source_create(request: HttpRequest) -> HttpResponse:
    form = WebSourceForm(request.POST or None, staff=request.user)

    def save(form: WebSourceForm) -> WebSource:
        data = form.cleaned_data
        source = services.web_source_create(
            actor=request.user,
            department=_department(request, data),
            page_urls=data["page_urls"],
            sitemap_url=data["sitemap_url"],
            url_filter=data["url_filter"],
        )
        services.web_sync_start(actor=request.user, source=source)
        return source

    return form_page(
        request,
        form=form,
        title=_("ウェブサイトからQ&Aを取り込む"),
        back="chatbot:web-source-list",
        save=save,
        success_message=_("ページの取得を始めました。終わると確認待ちの一覧に表示されます。"),
        redirect_to=lambda source: reverse("chatbot:web-source-detail", args=[source.pk]),
        note=_("取り込んだQ&Aは下書きとして確認待ちになり、職員が反映するまで住民には表示されません。"),
    )


@dataclass
class Change:
    """A changed entry as staff review it: character-level before/after of question and answer."""

    entry: WebEntry
    question: list[tuple[str, str]]
    answer: list[tuple[str, str]]


def _diff(before: str, after: str) -> list[tuple[str, str]]:
    """(``equal`` | ``delete`` | ``insert``, text) runs; by character, as Japanese has no spaces."""
    runs: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            runs.append(("delete", before[i1:i2]))
        if op in ("insert", "replace"):
            runs.append(("insert", after[j1:j2]))
        if op == "equal":
            runs.append(("equal", before[i1:i2]))
    return runs


@staff_required
def web_source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    source = selectors.access_web_source(fetched_by=request.user, pk=pk)
    entries = list(selectors.web_entry_list_for(fetched_by=request.user, source=source))
    pending = [e for e in entries if e.state in WebEntry.PENDING]
    return render(
        request,
        "chatbot/console/web_source_detail.html",
        {
            "source": source,
            "sync": source.syncs.first(),
            "pending": [
                Change(e, _diff(e.previous_question, e.question), _diff(e.previous_answer, e.answer))
                if e.state == WebEntry.State.CHANGED
                else Change(e, [], [])
                for e in pending
            ],
            "reviewed": [e for e in entries if e.state not in WebEntry.PENDING],
        },
    )


@staff_required
@require_POST
def web_sync_start(request: HttpRequest, pk: int) -> HttpResponse:
    source = selectors.access_web_source(fetched_by=request.user, pk=pk)
    try:
        services.web_sync_start(actor=request.user, source=source)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("ページの取得を始めました。変わったところが確認待ちに表示されます。"))
    return redirect("chatbot:web-source-detail", source.pk)


def _web_entry_decide(
    request: HttpRequest, pk: int, decide: Callable[..., object], done: str
) -> HttpResponse:
    entry = selectors.access_web_entry(fetched_by=request.user, pk=pk)
    source_pk = entry.source_id
    try:
        decide(actor=request.user, entry=entry)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done % {"q": entry.question})
    return redirect("chatbot:web-source-detail", source_pk)


@staff_required
@require_POST
def web_entry_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _web_entry_decide(request, pk, services.web_entry_accept, _("「%(q)s」を反映しました。"))


@staff_required
@require_POST
def web_entry_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _web_entry_decide(request, pk, services.web_entry_reject, _("「%(q)s」を却下しました。"))


@staff_required
def web_entry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.access_web_entry(fetched_by=request.user, pk=pk)
    if entry.state not in (WebEntry.State.NEW, WebEntry.State.CHANGED):
        messages.error(request, _("この項目は編集できません。"))
        return redirect("chatbot:web-source-detail", entry.source_id)
    initial = {
        "category": entry.faq.category if entry.faq else entry.category,
        "question": entry.question,
        "answer": services.web_answer_text(entry),
    }
    form = WebEntryForm(request.POST or None, initial=initial)
    return form_page(
        request,
        form=form,
        title=_("取り込んだQ&Aを編集して反映"),
        back="chatbot:web-source-list",
        save=lambda form: services.web_entry_accept(actor=request.user, entry=entry, **form.cleaned_data),
        success_message=lambda _faq: _("「%(q)s」を反映しました。") % {"q": form.cleaned_data["question"]},
        redirect_to=reverse("chatbot:web-source-detail", args=[entry.source_id]),
        note=_("取り込み元: %(url)s") % {"url": entry.url},
    )
