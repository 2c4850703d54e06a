"""The demo's environment: the city's name everywhere a resident sees the account."""

from __future__ import annotations

import importlib

import pytest


@pytest.fixture
def environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CIVICLINE_DEMO_DIR", str(tmp_path))
    for name in ("CITY_NAME", "LINESIM_BOT_NAME", "CIVICLINE_PORT", "LINESIM_PORT", "LINESIM_SMTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    from civicline.demo import environment

    yield importlib.reload(environment)
    importlib.reload(environment)


def test_the_emulator_shows_the_demo_account_as_the_city(environment):
    env = environment.load()

    assert env["CITY_NAME"] == "みどり市"
    assert env["LINESIM_BOT_NAME"] == "みどり市"
    assert env["DEFAULT_FROM_EMAIL"].startswith("みどり市役所 <")


def test_another_city_name_names_the_account_too(environment, monkeypatch):
    monkeypatch.setenv("CITY_NAME", "あおば町")

    assert environment.load()["LINESIM_BOT_NAME"] == "あおば町"


def test_the_ports_come_from_the_environment(environment, monkeypatch):
    monkeypatch.setenv("CIVICLINE_PORT", "8100")
    monkeypatch.setenv("LINESIM_PORT", "8101")
    monkeypatch.setenv("LINESIM_SMTP_PORT", "8125")
    env = importlib.reload(environment).load()

    assert env["SITE_URL"] == "http://127.0.0.1:8100"
    assert env["LINE_API_BASE_URL"] == "http://127.0.0.1:8101"
    assert env["EMAIL_PORT"] == "8125"


def test_every_setting_the_demo_reads_is_in_the_readme():
    """A port taken by another program should not send anyone reading the source for the variable."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    source = (root / "civicline" / "demo" / "environment.py").read_text()
    readme = (root / "README.md").read_text()
    read = set(re.findall(r'os\.environ\.get\("([A-Z_]+)"', source))

    assert {"CIVICLINE_PORT", "LINESIM_PORT", "LINESIM_SMTP_PORT"} <= read
    assert [name for name in sorted(read) if f"`{name}`" not in readme] == []
