from __future__ import annotations

import pytest

from civicline.alerts import services

from .factories import StubActions


@pytest.fixture
def stub_actions(monkeypatch) -> StubActions:
    """The policy engine's tests use recording actions instead of the features' real ones."""
    stub = StubActions()
    monkeypatch.setattr(services, "emergency_actions", stub.registry)
    return stub
