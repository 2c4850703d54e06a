"""Segment conditions: a tree of AND / OR groups over conditions, any node negated (NOT).

Stored as JSON on ``Segment.conditions``::

    {"op": "and", "items": [
        {"kind": "topic", "topics": [1]},
        {"kind": "child_age", "min": 0, "max": 2},
        {"op": "or", "negate": true, "items": [{"kind": "area", "areas": [3]}, ...]}
    ]}

Every condition compiles to a ``Q`` over ``line.Friend`` of the form ``EXISTS (SELECT … friend_id)``,
so a whole tree is one SQL statement: counting a segment (SD-13) and fixing a delivery's audience
are database queries whose cost grows with the tables, never a query per friend.

Conditions are pluggable: a feature lists its ``ConditionType`` instances in its manifest
(surveys add "answered X", SV-6); delivery's own are in delivery's::

    FEATURE = Feature(key="surveys", ..., segment_conditions=(AnsweredSurvey(),))

A type reads its parameters from the segment editor's form (``from_post``), checks them
(``clean``), says what it means in the city's words (``describe``) and builds the query (``q``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import reduce
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core.features import all_features

from .models import Area, Child, Gender, ResidentAttributes, Topic, TopicChoice

MAX_DEPTH = 3  # the root group, a group in it, and one more
MAX_NODES = 30
GROUP_OPS = ("and", "or")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")

Posted = Callable[[str], list[str]]  # the values posted for a field of this node


def friends_in(queryset: QuerySet) -> Q:
    """Friends having a row in ``queryset`` (a model with ``friend_id``), as ``EXISTS (SELECT …)``.

    EXISTS rather than IN: negated, it is an anti-join, where PostgreSQL runs ``NOT IN`` over a
    subquery too big for its working memory as a scan of the subquery for every friend.
    """
    return Q(Exists(queryset.filter(friend_id=OuterRef("pk"))))


def month_shift(day: date, months: int) -> date:
    """The first day of the month ``months`` after (or before) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _int(value: Any, *, low: int, high: int, label: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(_("%(label)sは数字で入力してください。") % {"label": label}) from None
    if not low <= number <= high:
        raise ValidationError(
            _("%(label)sは%(low)d〜%(high)dの範囲で入力してください。")
            % {"label": label, "low": low, "high": high}
        )
    return number


def _ids(values: Iterable[Any], model: type, label: str) -> list[int]:
    try:
        ids = sorted({int(v) for v in values})
    except (TypeError, ValueError):
        raise ValidationError(_("%(label)sの指定が正しくありません。") % {"label": label}) from None
    if not ids:
        raise ValidationError(_("%(label)sを1つ以上選んでください。") % {"label": label})
    if model.objects.filter(pk__in=ids).count() != len(ids):
        raise ValidationError(_("%(label)sに存在しない項目が含まれています。") % {"label": label})
    return ids


@dataclass
class Names:
    """Topic and area names, loaded once for describing many conditions."""

    _topics: dict[int, str] | None = None
    _areas: dict[int, str] | None = None

    def topics(self, ids: Iterable[int]) -> str:
        if self._topics is None:
            self._topics = dict(Topic.objects.values_list("pk", "name"))
        return "・".join(f"「{self._topics.get(i, '?')}」" for i in ids)

    def areas(self, ids: Iterable[int]) -> str:
        if self._areas is None:
            self._areas = dict(Area.objects.values_list("pk", "name"))
        return "・".join(f"「{self._areas.get(i, '?')}」" for i in ids)


class ConditionType:
    """One kind of condition. Subclasses set ``key``, ``label``, ``template`` and the methods below."""

    key: str = ""
    label: Any = ""
    template: str = ""  # the editor's fields for this condition; gets ``node`` and ``choices``

    def from_post(self, posted: Posted) -> dict[str, Any]:
        """The parameters as posted by the editor (not yet checked: ``clean`` does that)."""
        raise NotImplementedError

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        """Checked parameters (no "kind"/"negate"); raise ``ValidationError`` in Japanese."""
        raise NotImplementedError

    def q(self, params: dict[str, Any], *, on: date) -> Q:
        """Friends meeting the condition on the send date ``on``."""
        raise NotImplementedError

    def describe(self, params: dict[str, Any], names: Names) -> str:
        raise NotImplementedError

    def topic_ids(self, params: dict[str, Any]) -> set[int]:
        """Topics this condition asks for (email subscribers of them get email co-delivery)."""
        return set()

    def choices(self) -> Any:
        """What the editor offers (e.g. the city's topics); passed to ``template``."""
        return None

    def default(self) -> dict[str, Any]:
        """The parameters of a freshly added condition."""
        return {}


class TopicCondition(ConditionType):
    key = "topic"
    label = gettext_lazy("受け取る情報の分野")
    template = "delivery/console/conditions/topic.html"

    def from_post(self, posted: Posted) -> dict[str, Any]:
        return {"topics": posted("topics")}

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"topics": _ids(params.get("topics") or [], Topic, _("分野"))}

    def q(self, params: dict[str, Any], *, on: date) -> Q:
        return friends_in(TopicChoice.objects.filter(topic_id__in=params["topics"]))

    def describe(self, params: dict[str, Any], names: Names) -> str:
        return _("%(topics)sを受け取る") % {"topics": names.topics(params["topics"])}

    def topic_ids(self, params: dict[str, Any]) -> set[int]:
        return set(params["topics"])

    def choices(self) -> Any:
        return list(Topic.objects.all())

    def default(self) -> dict[str, Any]:
        return {"topics": []}


class AreaCondition(ConditionType):
    key = "area"
    label = gettext_lazy("お住まいの地域")
    template = "delivery/console/conditions/area.html"

    def from_post(self, posted: Posted) -> dict[str, Any]:
        return {"areas": posted("areas")}

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"areas": _ids(params.get("areas") or [], Area, _("地域"))}

    def q(self, params: dict[str, Any], *, on: date) -> Q:
        return friends_in(ResidentAttributes.objects.filter(area_id__in=params["areas"]))

    def describe(self, params: dict[str, Any], names: Names) -> str:
        return _("%(areas)sに住んでいる") % {"areas": names.areas(params["areas"])}

    def choices(self) -> Any:
        return list(Area.objects.all())

    def default(self) -> dict[str, Any]:
        return {"areas": []}


class _Range(ConditionType):
    """A "from … to …" condition in whole years; either end may be open."""

    low, high = 0, 120
    unit_label: Any = ""

    def from_post(self, posted: Posted) -> dict[str, Any]:
        return {"min": (posted("min") or [""])[0], "max": (posted("max") or [""])[0]}

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        label = str(self.unit_label)
        low = _int(params.get("min"), low=self.low, high=self.high, label=label)
        high = _int(params.get("max"), low=self.low, high=self.high, label=label)
        if low is None and high is None:
            raise ValidationError(_("%(label)sの範囲を入力してください。") % {"label": label})
        if low is not None and high is not None and low > high:
            raise ValidationError(_("%(label)sの範囲は小さい方から入力してください。") % {"label": label})
        return {"min": low, "max": high}

    def default(self) -> dict[str, Any]:
        return {"min": "", "max": ""}

    @staticmethod
    def span(params: dict[str, Any]) -> str:
        low, high = params["min"], params["max"]
        if low is None:
            return _("%(high)d歳以下") % {"high": high}
        if high is None:
            return _("%(low)d歳以上") % {"low": low}
        return _("%(low)d〜%(high)d歳") % {"low": low, "high": high}


class AgeCondition(_Range):
    """The resident's age in the send date's year (from the birth year: the age reached that year)."""

    key = "age"
    label = gettext_lazy("年齢（本人）")
    template = "delivery/console/conditions/range.html"
    unit_label = gettext_lazy("年齢")
    low, high = 0, 120

    def q(self, params: dict[str, Any], *, on: date) -> Q:
        years = ResidentAttributes.objects.exclude(birth_year=None)
        if params["max"] is not None:
            years = years.filter(birth_year__gte=on.year - params["max"])
        if params["min"] is not None:
            years = years.filter(birth_year__lte=on.year - params["min"])
        return friends_in(years)

    def describe(self, params: dict[str, Any], names: Names) -> str:
        return _("本人が%(span)s（配信日の年に迎える年齢）") % {"span": self.span(params)}


class ChildAgeCondition(_Range):
    """Has a child whose age on the send date is in the range, counted by birth month.

    Only a child's birth month is queryable (the date is sealed), so a child counts as one year
    older from the first day of their birth month: in the month of a 3rd birthday the child is 3.
    """

    key = "child_age"
    label = gettext_lazy("子どもの年齢")
    template = "delivery/console/conditions/range.html"
    unit_label = gettext_lazy("子どもの年齢")
    low, high = 0, 25

    def q(self, params: dict[str, Any], *, on: date) -> Q:
        children = Child.objects.filter(birth_month__lte=month_shift(on, -12 * (params["min"] or 0)))
        if params["max"] is not None:
            children = children.filter(birth_month__gte=month_shift(on, -(12 * params["max"] + 11)))
        return friends_in(children)

    def describe(self, params: dict[str, Any], names: Names) -> str:
        return _("配信日に%(span)sの子どもがいる") % {"span": self.span(params)}


class ChildBornCondition(ConditionType):
    """Has a child born in a range of months (e.g. a school year: 2019年4月〜2020年3月)."""

    key = "child_born"
    label = gettext_lazy("子どもの生まれた月")
    template = "delivery/console/conditions/months.html"

    def from_post(self, posted: Posted) -> dict[str, Any]:
        return {"from": (posted("from") or [""])[0], "to": (posted("to") or [""])[0]}

    @staticmethod
    def _month(value: Any) -> date | None:
        if not value:
            return None
        match = MONTH.match(str(value))
        if not match or not 1 <= int(match[2]) <= 12 or not 1900 <= int(match[1]) <= 2200:
            raise ValidationError(_("生まれた月は「2024-04」の形で入力してください。"))
        return date(int(match[1]), int(match[2]), 1)

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        first, last = self._month(params.get("from")), self._month(params.get("to"))
        if first is None and last is None:
            raise ValidationError(_("子どもの生まれた月の範囲を入力してください。"))
        if first and last and first > last:
            raise ValidationError(_("生まれた月の範囲は早い方から入力してください。"))
        return {
            "from": first.strftime("%Y-%m") if first else None,
            "to": last.strftime("%Y-%m") if last else None,
        }

    def q(self, params: dict[str, Any], *, on: date) -> Q:
        children = Child.objects.all()
        if params["from"]:
            children = children.filter(birth_month__gte=self._month(params["from"]))
        if params["to"]:
            children = children.filter(birth_month__lte=self._month(params["to"]))
        return friends_in(children)

    def describe(self, params: dict[str, Any], names: Names) -> str:
        def jp(value: str | None) -> str:
            return f"{int(value[:4])}年{int(value[5:])}月" if value else ""

        return _("%(first)s〜%(last)s生まれの子どもがいる") % {
            "first": jp(params["from"]),
            "last": jp(params["to"]),
        }

    def default(self) -> dict[str, Any]:
        return {"from": "", "to": ""}


class GenderCondition(ConditionType):
    key = "gender"
    label = gettext_lazy("性別")
    template = "delivery/console/conditions/gender.html"

    def from_post(self, posted: Posted) -> dict[str, Any]:
        return {"genders": posted("genders")}

    def clean(self, params: dict[str, Any]) -> dict[str, Any]:
        genders = sorted(set(params.get("genders") or []))
        if not genders:
            raise ValidationError(_("性別を1つ以上選んでください。"))
        if not set(genders) <= {value for value, _label in self.choices()}:
            raise ValidationError(_("性別の指定が正しくありません。"))
        return {"genders": genders}

    def q(self, params: dict[str, Any], *, on: date) -> Q:
        return friends_in(ResidentAttributes.objects.filter(gender__in=params["genders"]))

    def describe(self, params: dict[str, Any], names: Names) -> str:
        labels = "・".join(str(Gender(g).label) for g in params["genders"])
        return _("性別が%(labels)s") % {"labels": labels}

    def choices(self) -> Any:
        # "答えない" is stored as nothing: it cannot be targeted.
        return [(value, label) for value, label in Gender.choices if value != Gender.NO_ANSWER]

    def default(self) -> dict[str, Any]:
        return {"genders": []}


def _by_key() -> dict[str, ConditionType]:
    # Read from the manifests each time (a handful of features): a feature registered later counts.
    found: dict[str, ConditionType] = {}
    for feature in all_features():
        for condition in feature.segment_conditions:
            known = found.setdefault(condition.key, condition)
            if type(known) is not type(condition):
                raise ValueError(f"condition {condition.key!r} offered twice")
    return found


def types() -> list[ConditionType]:
    return list(_by_key().values())


def type_of(key: str) -> ConditionType:
    try:
        return _by_key()[key]
    except KeyError:
        raise ValidationError(_("条件の種類「%(key)s」はありません。") % {"key": key}) from None


# --- trees ----------------------------------------------------------------------------------------


def is_group(node: dict[str, Any]) -> bool:
    return "op" in node


def new_group(op: str = "and") -> dict[str, Any]:
    return {"op": op, "items": [], "negate": False}


def new_leaf(kind: str) -> dict[str, Any]:
    return {"kind": kind, "negate": False, **type_of(kind).default()}


def _params(node: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in node.items() if k not in ("kind", "negate")}


def clean(tree: Any) -> dict[str, Any]:
    """The tree, checked and normalised; raises ``ValidationError`` naming the first problem."""
    errors = tree_errors(tree)
    if errors:
        raise ValidationError(next(iter(errors.values())))
    return normalised(tree)


def normalised(tree: dict[str, Any]) -> dict[str, Any]:
    if is_group(tree):
        return {
            "op": tree["op"],
            "negate": bool(tree.get("negate")),
            "items": [normalised(i) for i in tree["items"]],
        }
    kind = type_of(tree["kind"])
    return {"kind": kind.key, "negate": bool(tree.get("negate")), **kind.clean(_params(tree))}


def tree_errors(tree: Any) -> dict[str, str]:
    """Problems by node path ("c", "c.0", "c.0.1" …); empty when the tree is valid."""
    errors: dict[str, str] = {}
    if not isinstance(tree, dict) or not is_group(tree):
        return {"c": _("条件の形式が正しくありません。")}
    count = 0

    def visit(node: Any, path: str, depth: int) -> None:
        nonlocal count
        count += 1
        if not isinstance(node, dict):
            errors[path] = _("条件の形式が正しくありません。")
            return
        if is_group(node):
            if node["op"] not in GROUP_OPS or not isinstance(node.get("items"), list):
                errors[path] = _("条件の組み合わせ方が正しくありません。")
                return
            if depth > MAX_DEPTH:
                errors[path] = _("グループの入れ子は%(n)d段までです。") % {"n": MAX_DEPTH}
                return
            if not node["items"]:
                errors[path] = _("グループに条件を1つ以上入れてください。")
            for index, item in enumerate(node["items"]):
                visit(item, f"{path}.{index}", depth + 1)
            return
        try:
            type_of(str(node.get("kind"))).clean(_params(node))
        except ValidationError as exc:
            errors[path] = " ".join(exc.messages)

    visit(tree, "c", 1)
    if count > MAX_NODES:
        errors.setdefault("c", _("条件は%(n)d個までです。") % {"n": MAX_NODES})
    return errors


def q(tree: dict[str, Any], *, on: date) -> Q:
    """The friends a checked tree selects on the send date ``on``."""
    if is_group(tree):
        parts = [q(item, on=on) for item in tree["items"]]
        combined = reduce(lambda a, b: (a & b) if tree["op"] == "and" else (a | b), parts)
    else:
        combined = type_of(tree["kind"]).q(_params(tree), on=on)
    return ~combined if tree.get("negate") else combined


def describe(tree: dict[str, Any], names: Names | None = None) -> str:
    """The tree in words: 「子育て」を受け取る かつ 配信日に0〜2歳の子どもがいる."""
    names = names or Names()
    if is_group(tree):
        joiner = _(" かつ ") if tree["op"] == "and" else _(" または ")
        inner = joiner.join(
            f"（{describe(i, names)}）" if is_group(i) and len(i["items"]) > 1 else describe(i, names)
            for i in tree["items"]
        )
    else:
        inner = type_of(tree["kind"]).describe(_params(tree), names)
    return _("「%(inner)s」ではない") % {"inner": inner} if tree.get("negate") else inner


def topic_ids(tree: dict[str, Any]) -> set[int]:
    """Topics the tree asks for, leaving out negated parts (nobody is emailed for "not 子育て")."""
    if tree.get("negate"):
        return set()
    if is_group(tree):
        return set().union(*(topic_ids(i) for i in tree["items"]))
    return type_of(tree["kind"]).topic_ids(_params(tree))


# --- the editor: a tree posted as fields named by node path ---------------------------------------


def from_post(data: Any, path: str = "c") -> dict[str, Any]:
    """Rebuild the tree the editor posted (``<path>-type``, ``<path>-not``, ``<path>-<param>``).

    Unknown or missing parts become an empty AND group, so a tampered form is refused by
    ``clean`` with a message instead of failing.
    """
    node_type = data.get(f"{path}-type", "")
    negate = data.get(f"{path}-not") == "on"
    if node_type in GROUP_OPS:
        indexes = sorted(
            int(m[1]) for key in data if (m := re.fullmatch(re.escape(path) + r"\.(\d+)-type", key))
        )
        if len(indexes) > MAX_NODES:
            indexes = indexes[: MAX_NODES + 1]
        return {
            "op": node_type,
            "negate": negate,
            "items": [from_post(data, f"{path}.{i}") for i in indexes],
        }
    kind = _by_key().get(node_type)
    if kind is not None:
        return {
            "kind": kind.key,
            "negate": negate,
            **kind.from_post(lambda name: data.getlist(f"{path}-{name}")),
        }
    return new_group()


def _node_at(tree: dict[str, Any], path: str) -> dict[str, Any] | None:
    node = tree
    for part in path.split(".")[1:]:
        if not is_group(node) or not part.isdigit() or int(part) >= len(node["items"]):
            return None
        node = node["items"][int(part)]
    return node


def edit(tree: dict[str, Any], action: str, kind: str = "") -> dict[str, Any]:
    """Apply an editor button: ``add:<path>`` (a ``kind`` condition), ``group:<path>``, ``remove:<path>``."""
    verb, _sep, path = action.partition(":")
    node = _node_at(tree, path)
    if node is None:
        return tree
    if verb == "add" and is_group(node) and kind in _by_key():
        node["items"].append(new_leaf(kind))
    elif verb == "group" and is_group(node) and path.count(".") + 1 < MAX_DEPTH:
        group = new_group("or" if node["op"] == "and" else "and")
        group["items"].append(new_leaf(TopicCondition.key))
        node["items"].append(group)
    elif verb == "remove" and path != "c":
        parent_path, _dot, index = path.rpartition(".")
        parent = _node_at(tree, parent_path)
        if parent is not None:
            del parent["items"][int(index)]
    return tree


@dataclass
class EditorNode:
    """A node as the editor template draws it."""

    path: str
    node: dict[str, Any]
    error: str = ""
    children: list[EditorNode] = field(default_factory=list)
    kind: ConditionType | None = None
    choices: Any = None
    depth: int = 1

    @property
    def is_group(self) -> bool:
        return self.kind is None

    @property
    def can_nest(self) -> bool:
        return self.depth < MAX_DEPTH

    @property
    def selected(self) -> set[str]:
        """The chosen values of list parameters (topics, areas…), as the form's strings."""
        return {str(v) for value in self.node.values() if isinstance(value, list) for v in value}


def editor_nodes(tree: dict[str, Any], errors: dict[str, str] | None = None) -> EditorNode:
    errors = errors or {}
    choices: dict[str, Any] = {}

    def build(node: dict[str, Any], path: str, depth: int) -> EditorNode:
        if is_group(node):
            children = [build(item, f"{path}.{i}", depth + 1) for i, item in enumerate(node["items"])]
            return EditorNode(path, node, errors.get(path, ""), children, depth=depth)
        kind = _by_key().get(node.get("kind", ""))
        if kind is None:
            return EditorNode(path, new_group(), _("条件の種類が正しくありません。"), depth=depth)
        if kind.key not in choices:
            choices[kind.key] = kind.choices()
        return EditorNode(path, node, errors.get(path, ""), kind=kind, choices=choices[kind.key], depth=depth)

    return build(tree, "c", 1)
