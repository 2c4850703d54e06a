"""The control API, the SMTP mailbox, and the emulator's separation from civicline."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import requests
from django.core.mail import send_mail

from civicline.linesim.client import EmulatorError
from tests.fixtures.linesim import linesim_db

CIVICLINE = Path(__file__).resolve().parents[2] / "civicline"


@linesim_db
def test_virtual_users_have_line_style_ids(linesim):
    created = linesim.client.create_user("山田 太郎", language="en")

    assert re.fullmatch(r"U[0-9a-f]{32}", created["userId"])
    assert created["following"] is False and created["webhook"] is None
    assert [u["userId"] for u in linesim.client.list_users()] == [created["userId"]]
    assert linesim.client.user(created["userId"])["language"] == "en"


@linesim_db
def test_control_errors_are_clear(linesim):
    blocker = linesim.client.create_user("ブロック", follow=True)
    linesim.client.block(blocker["userId"])

    with pytest.raises(EmulatorError) as missing:
        linesim.client.send_text("U" + "0" * 32, "hi")
    with pytest.raises(EmulatorError) as blocked:
        linesim.client.send_text(blocker["userId"], "hi")

    assert missing.value.status_code == 404
    assert blocked.value.status_code == 409


@linesim_db
def test_mail_sent_over_smtp_lands_in_the_mailbox(linesim, linesim_smtp):
    send_mail("予約確認", "12月1日 10:00 のご予約を承りました。", "city@example.jp", ["taro@example.jp"])

    [mail] = linesim.client.mails()
    assert mail["subject"] == "予約確認"
    assert mail["to"] == ["taro@example.jp"]
    assert mail["from"] == "city@example.jp"
    assert "ご予約を承りました" in mail["body"]


@linesim_db
def test_the_emulator_serves_only_its_own_urls(linesim, client):
    assert requests.get(f"{linesim.base_url}/healthz", timeout=5).status_code == 404
    assert client.get("/v2/bot/info").status_code == 404
    assert client.get("/sim/api/users").status_code == 404


def test_civicline_never_imports_the_emulator():
    offenders = []
    for path in CIVICLINE.rglob("*.py"):
        # The demo launcher runs the emulator; it is not a feature.
        if {"linesim", "demo"} & set(path.relative_to(CIVICLINE).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            if any(name.startswith("civicline.linesim") for name in names):
                offenders.append(str(path))
    assert offenders == []
