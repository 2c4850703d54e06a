"""Helpers for the alerts tests: the samples, the city's codes and policies, stub emergency actions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from civicline.alerts.models import AreaCode, Policy
from civicline.core.features import EmergencyAction, EmergencyOutcome, EmergencyRequest

SAMPLES = Path(__file__).resolve().parent / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def corrected(data: bytes, *replacements: tuple[str, str]) -> bytes:
    """A correction (訂正) of a real sample: InfoType changed, and optionally some content."""
    text = data.decode().replace("<InfoType>発表</InfoType>", "<InfoType>訂正</InfoType>", 1)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text.encode()


def city(code_type: str, code: str, name: str = "", resident_areas: str = "") -> AreaCode:
    return AreaCode.objects.create(
        code_type=code_type, code=code, name=name or code, resident_areas=resident_areas
    )


def policy(kind: str, level: int, *, notify: bool = True, everyone: bool = False, **actions: str) -> Policy:
    return Policy.objects.create(
        kind=kind, min_level=level, notify=notify, actions=actions, delivery_everyone=everyone
    )


@dataclass
class StubActions:
    """Emergency actions that record what they were asked (the policy engine's tests)."""

    calls: list[tuple[str, EmergencyRequest]] = field(default_factory=list)
    undone: list[tuple[str, dict]] = field(default_factory=list)
    fail: set[str] = field(default_factory=set)

    def _run(self, key: str):
        def run(request: EmergencyRequest) -> EmergencyOutcome:
            if key in self.fail:
                raise ValueError(f"{key} refused")
            self.calls.append((key, request))
            return EmergencyOutcome(f"{key} done", {"n": len(self.calls)})

        return run

    def _undo(self, key: str):
        def undo(data: dict[str, Any], actor: Any, label: str) -> str:
            self.undone.append((key, data))
            return f"{key} undone"

        return undo

    def registry(self) -> dict[str, EmergencyAction]:
        def make(key: str, label: str, order: int, **extra: Any) -> EmergencyAction:
            return EmergencyAction(key, label, self._run(key), self._undo(key), order=order, **extra)

        return {
            "emergency_menu": make("emergency_menu", "緊急メニュー", 10),
            "disaster_kind": make("disaster_kind", "災害種別", 20),
            "emergency_delivery": make("emergency_delivery", "緊急配信", 30, prepares=True, per_level=True),
        }

    def keys(self) -> list[str]:
        return [key for key, _request in self.calls]
