"""Helpers of the URL sweep: every URL pattern of the project, its kwargs filled from the world,
requests that record what came back, and snapshots of the database to prove nothing changed.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter
from django.urls.resolvers import RegexPattern, RoutePattern

from .world import World

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
DATE_KWARGS = ("year", "month", "day")


@dataclass(frozen=True)
class Pattern:
    route: str  # e.g. "console/reservations/bookings/<int:pk>/"
    name: str  # the namespaced URL name, e.g. "reservations:booking-detail"
    converters: dict[str, Any]

    @property
    def kwargs(self) -> list[str]:
        return list(self.converters)

    def path(self, values: dict[str, Any]) -> str:
        def fill(match: re.Match) -> str:
            name = match.group("name")
            return self.converters[name].to_url(values[name])

        return "/" + _PARAM.sub(fill, self.route)

    def __str__(self) -> str:
        return f"{self.name} (/{self.route})"


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Pattern]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry, prefix + _route_of(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield Pattern(
                route=prefix + _route_of(entry.pattern),
                name=f"{namespace}{entry.name or entry.lookup_str}",
                converters=dict(getattr(entry.pattern, "converters", {})),
            )


def _route_of(pattern: Any) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern._route)
    if isinstance(pattern, RegexPattern):
        regex = pattern._regex
        if re.search(r"\(\?P<|\((?!\?)", regex):
            raise AssertionError(
                f"The URL sweep cannot fill the regex pattern {regex!r}: give it path() converters."
            )
        return regex.lstrip("^").rstrip("$").replace("\\", "")
    raise AssertionError(f"The URL sweep does not know the pattern type {type(pattern).__name__}.")


def url_patterns(prefix: str) -> list[Pattern]:
    """Every URL pattern of the project whose route starts with ``prefix``, includes walked through."""
    return [p for p in _walk(get_resolver(), "", "") if p.route.startswith(prefix)]


# --- kwargs ------------------------------------------------------------------------------------------


def _int_values_named(world: World, kwarg: str, owners: tuple[str, ...]) -> list[int]:
    """Ints for a kwarg that names its model or field (``photo_pk``, ``position``); [] when it does
    not (``pk``), and then every id of every row is tried."""
    if kwarg in ("pk", "id"):
        return []
    base = re.sub(r"_(pk|id)$", "", kwarg).replace("_", "")
    values: set[int] = set()
    for row in world.rows_of(*owners):
        value = getattr(row, kwarg, None)
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and any(f.name == kwarg for f in row._meta.fields)
        ):
            values.add(value)
        elif base and base in row._meta.model_name:
            values.add(row.pk)
    return sorted(values)


def kwarg_combinations(pattern: Pattern, world: World, owners: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every combination of candidate values for the pattern's kwargs, from the owners' rows.

    An int kwarg naming its model (``document_pk``) or a field (``position``) takes the ids or values
    of those rows; an ambiguous one (``pk``) takes every id of every row. A str kwarg takes the rows'
    text fields named like it (``receipt`` → ``receipt_number``), or every short text when none is.
    year/month/day take the days found in the rows' dates, together.
    """
    ints = world.int_candidates(*owners)
    choices: list[list[tuple[tuple[str, Any], ...]]] = []
    names = pattern.kwargs
    if all(k in names for k in DATE_KWARGS):
        days: list[date] = world.date_candidates(*owners)
        choices.append([(("year", d.year), ("month", d.month), ("day", d.day)) for d in days])
        names = [k for k in names if k not in DATE_KWARGS]
    for name in names:
        converter = pattern.converters[name]
        if isinstance(converter, IntConverter):
            values: list[Any] = _int_values_named(world, name, owners) or ints
        else:
            values = world.string_candidates(name, *owners)
        choices.append([((name, v),) for v in values])
    return [dict(itertools.chain.from_iterable(combo)) for combo in itertools.product(*choices)]


def paths(pattern: Pattern, world: World, owners: tuple[str, ...], *, mixed_with: str = "") -> list[str]:
    """The URLs to request for a pattern: every kwarg combination, bare and with the world's queries.

    ``mixed_with``: also combinations pairing the requester's own rows (a parent of theirs) with the
    owners' (a child of someone else's), for patterns of several kwargs; never theirs alone.
    """
    combos = kwarg_combinations(pattern, world, owners)
    if mixed_with and len(pattern.kwargs) > 1:
        own = set(world.int_candidates(mixed_with)) - set(world.int_candidates(*owners))
        for values in kwarg_combinations(pattern, world, (*owners, mixed_with)):
            ints = [v for v in values.values() if isinstance(v, int)]
            if any(v in own for v in ints) and not all(v in own for v in ints) and values not in combos:
                combos.append(values)
    queries = [""] + ["?" + urlencode(q) for q in world.queries.get(pattern.name, [])]
    return [pattern.path(values) + query for values in combos for query in queries]


# --- requests ----------------------------------------------------------------------------------------


@dataclass
class Hit:
    method: str
    path: str
    status: int
    content: bytes
    location: str
    error: str = ""

    @property
    def body(self) -> str:
        return self.content.decode("utf-8", "replace")

    def shows(self, markers: set[str], files: set[bytes] = frozenset()) -> list[str]:
        """The markers (and stored files, by their bytes) found in the answer or where it redirects."""
        found = [m for m in markers if m.encode() in self.content or m in self.location]
        return sorted(found) + [f"a stored file of {len(f)} bytes" for f in files if f in self.content]

    def __str__(self) -> str:
        where = f" → {self.location}" if self.location else ""
        return (
            f"{self.method} {self.path} answered {self.status}{where}{' ' + self.error if self.error else ''}"
        )


def hit(client: Client, method: str, path: str, data: dict | None = None) -> Hit:
    try:
        response = getattr(client, method.lower())(path, data or {})
    except Exception as exc:
        return Hit(method, path, 500, b"", "", f"{type(exc).__name__}: {exc}")
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return Hit(method, path, response.status_code, content, response.get("Location", ""))


def hit_rolled_back(client: Client, method: str, path: str) -> Hit:
    """A request whose database changes are undone (the positive control may POST the owner's rows)."""
    with transaction.atomic():
        result = hit(client, method, path)
        transaction.set_rollback(True)
    return result


# --- snapshots ---------------------------------------------------------------------------------------


def snapshot(ignore: frozenset[str]) -> dict[tuple[str, Any], dict[str, Any]]:
    """Every row of every table (of the default database), by (model label, pk): values as stored."""
    tables = set(connection.introspection.table_names())
    rows: dict[tuple[str, Any], dict[str, Any]] = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if model._meta.proxy or model._meta.db_table not in tables or label in ignore:
            continue
        fields = [f.attname for f in model._meta.concrete_fields if f"{label}.{f.name}" not in ignore]
        for values in model._base_manager.values(*fields):
            rows[(label, values[model._meta.pk.attname])] = values
    return rows


def changes(before: dict, after: dict) -> list[str]:
    found = []
    for key in before.keys() - after.keys():
        found.append(f"deleted {key[0]} #{key[1]}")
    for key in after.keys() - before.keys():
        found.append(f"created {key[0]} #{key[1]}: {after[key]}")
    for key in before.keys() & after.keys():
        if before[key] != after[key]:
            diff = {
                k: (before[key][k], after[key][k]) for k in before[key] if before[key][k] != after[key][k]
            }
            found.append(f"changed {key[0]} #{key[1]}: {diff}")
    return sorted(found)
