"""Reads for the console, scoped to the staff member asking (CB-4, CB-8)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from civicline.core.models import Staff
from civicline.core.scoping import access_or_404

from .models import (
    FaqEntry,
    GarbageCategory,
    GarbageItem,
    KnowledgeImport,
    QuestionLog,
    ScenarioNode,
    WebEntry,
    WebSource,
)
from .text import analyse


def faq_list_for(*, fetched_by: Staff, search: str = "") -> QuerySet[FaqEntry]:
    qs = (
        FaqEntry.objects.visible_to(fetched_by)
        .select_related("department")
        .annotate(n_phrasings=Count("phrasings"))
        .order_by("category", "question", "pk")
    )
    if search:
        qs = qs.filter(
            Q(question__icontains=search) | Q(answer__icontains=search) | Q(category__icontains=search)
        )
    return qs


def access_faq(*, fetched_by: Staff, pk: int) -> FaqEntry:
    return access_or_404(FaqEntry.objects.select_related("department"), fetched_by, pk=pk)


def garbage_item_list_for(*, fetched_by: Staff, search: str = "") -> QuerySet[GarbageItem]:
    qs = GarbageItem.objects.visible_to(fetched_by).select_related("department", "category")
    if search:
        qs = qs.filter(
            Q(name__icontains=search) | Q(reading__icontains=search) | Q(category__name__icontains=search)
        )
    return qs


def access_garbage_item(*, fetched_by: Staff, pk: int) -> GarbageItem:
    return access_or_404(GarbageItem.objects.select_related("department", "category"), fetched_by, pk=pk)


def garbage_category_list_for(*, fetched_by: Staff) -> QuerySet[GarbageCategory]:
    return (
        GarbageCategory.objects.visible_to(fetched_by)
        .select_related("department")
        .annotate(n_items=Count("items"))
        .order_by("name", "pk")
    )


def access_garbage_category(*, fetched_by: Staff, pk: int) -> GarbageCategory:
    return access_or_404(GarbageCategory.objects.select_related("department"), fetched_by, pk=pk)


def access_knowledge_import(*, fetched_by: Staff, pk: int) -> KnowledgeImport:
    """An uploaded CSV waiting for its preview: only its department (and the administrator) see it."""
    imports = KnowledgeImport.objects.select_related("department", "uploaded_by")
    return access_or_404(imports, fetched_by, pk=pk)


def scenario_node_list_for(*, fetched_by: Staff) -> list[tuple[ScenarioNode, int]]:
    """The staff member's scenario nodes in tree order, each with its depth."""
    nodes = list(ScenarioNode.objects.visible_to(fetched_by).select_related("department", "parent"))
    children: dict[int | None, list[ScenarioNode]] = {}
    ids = {n.pk for n in nodes}
    for node in nodes:
        # A node whose parent belongs to another department starts a tree of its own here.
        children.setdefault(node.parent_id if node.parent_id in ids else None, []).append(node)
    ordered: list[tuple[ScenarioNode, int]] = []

    def walk(parent: int | None, depth: int) -> None:
        for node in children.get(parent, []):
            ordered.append((node, depth))
            walk(node.pk, depth + 1)

    walk(None, 0)
    return ordered


def access_scenario_node(*, fetched_by: Staff, pk: int) -> ScenarioNode:
    return access_or_404(ScenarioNode.objects.select_related("department", "parent"), fetched_by, pk=pk)


# --- question log -----------------------------------------------------------------------------


def question_log_list_for(*, fetched_by: Staff) -> QuerySet[QuestionLog]:
    """Residents' questions of the caller's department (the one owning the answer or the nearest
    candidate); the system administrator sees all, including those near no department's entries."""
    return QuestionLog.objects.visible_to(fetched_by)


def access_question_log(*, fetched_by: Staff, pk: int) -> QuestionLog:
    return access_or_404(QuestionLog.objects.all(), fetched_by, pk=pk)


@dataclass(frozen=True)
class Stats:
    total: int
    answered: int
    candidates: int
    unanswered: int
    resolved: int
    not_resolved: int

    @property
    def answer_rate(self) -> float | None:
        return (self.answered / self.total) if self.total else None


def question_stats_for(*, fetched_by: Staff) -> Stats:
    logs = question_log_list_for(fetched_by=fetched_by)
    counts = logs.aggregate(
        n_total=Count("pk"),
        n_answered=Count("pk", filter=Q(outcome=QuestionLog.Outcome.ANSWERED)),
        n_candidates=Count("pk", filter=Q(outcome=QuestionLog.Outcome.CANDIDATES)),
        n_unanswered=Count("pk", filter=Q(outcome=QuestionLog.Outcome.UNANSWERED)),
        n_resolved=Count("pk", filter=Q(resolved=True)),
        n_not_resolved=Count("pk", filter=Q(resolved=False)),
    )
    return Stats(**{name.removeprefix("n_"): value for name, value in counts.items()})


def most_asked_for(*, fetched_by: Staff, limit: int = 20) -> list[dict]:
    """The answers residents reached most often."""
    return list(
        question_log_list_for(fetched_by=fetched_by)
        .filter(outcome=QuestionLog.Outcome.ANSWERED)
        .values("answer_kind", "answer_title")
        .annotate(n=Count("pk"), unresolved=Count("pk", filter=Q(resolved=False)))
        .order_by("-n", "answer_title")[:limit]
    )


@dataclass
class Cluster:
    """Unanswered questions that ask the same thing in other words."""

    representative: QuestionLog
    texts: list[str]
    count: int


def unanswered_clusters_for(*, fetched_by: Staff, limit: int = 300, threshold: float = 0.5) -> list[Cluster]:
    """Unanswered questions not yet handled, grouped greedily by the overlap of their words."""
    logs = list(
        question_log_list_for(fetched_by=fetched_by)
        .filter(outcome=QuestionLog.Outcome.UNANSWERED, handled=False)
        .order_by("-asked_at")[:limit]
    )
    clusters: list[tuple[set[str], Cluster]] = []
    for log in logs:
        terms = {t for t in analyse(log.text).terms if not t.startswith(("s:", "r:"))} or {log.key}
        for cluster_terms, cluster in clusters:
            if len(terms & cluster_terms) / len(terms | cluster_terms) >= threshold:
                cluster.count += 1
                if log.text not in cluster.texts:
                    cluster.texts.append(log.text)
                break
        else:
            clusters.append((terms, Cluster(representative=log, texts=[log.text], count=1)))
    return sorted((c for _, c in clusters), key=lambda c: -c.count)


# --- Q&A from the city's website (CB-9) -----------------------------------------------------------


def web_source_list_for(*, fetched_by: Staff) -> QuerySet[WebSource]:
    return (
        WebSource.objects.visible_to(fetched_by)
        .select_related("department")
        .annotate(n_pending=Count("entries", filter=Q(entries__state__in=WebEntry.PENDING)))
        .order_by("-created_at", "-pk")
    )


def access_web_source(*, fetched_by: Staff, pk: int) -> WebSource:
    return access_or_404(WebSource.objects.select_related("department"), fetched_by, pk=pk)


def web_entry_list_for(*, fetched_by: Staff, source: WebSource) -> QuerySet[WebEntry]:
    return WebEntry.objects.visible_to(fetched_by).filter(source=source).select_related("faq")


def access_web_entry(*, fetched_by: Staff, pk: int) -> WebEntry:
    return access_or_404(WebEntry.objects.select_related("source__department", "faq"), fetched_by, pk=pk)
