"""Helpers for the form engine's tests: a form with questions, a resident's response."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client

from civicline.core.models import Department
from civicline.forms import services
from civicline.forms.models import Form, Response
from civicline.line.liff.auth import SESSION_KEY
from civicline.line.models import Friend
from tests.fixtures.core import DepartmentFactory
from tests.fixtures.line import FriendFactory

SATISFACTION = ["満足", "やや満足", "やや不満", "不満"]

# A small branching survey: the reason is asked only of those not satisfied (PC-6), the choices of
# the follow-up switch for those satisfied, and the name is personal.
BRANCHING = [
    {
        "ref": "sat",
        "type": "single",
        "label": "市役所の窓口に満足していますか",
        "required": True,
        "choices": SATISFACTION,
    },
    {
        "ref": "why",
        "type": "long_text",
        "label": "不満な点を教えてください",
        "required": True,
        "condition": {"action": "show", "question": "sat", "op": "is", "value": "不満"},
    },
    {
        "ref": "next",
        "type": "single",
        "label": "今後力を入れてほしいこと",
        "required": False,
        "choices": ["待ち時間", "説明の分かりやすさ"],
        "alt_choices": {
            "question": "sat",
            "op": "is",
            "value": "満足",
            "choices": ["オンライン手続き", "休日窓口"],
        },
    },
    {"ref": "age", "type": "scale", "label": "職員の対応の評価", "required": False},
    {"ref": "name", "type": "short_text", "label": "お名前", "required": False, "personal": True},
]


def make_form(questions: list[dict[str, Any]] | None = None, *, department: Department | None = None) -> Form:
    return services.form_create(
        department=department or DepartmentFactory(),
        title="テストのフォーム",
        questions=questions or BRANCHING,
    )


def keys(form: Form) -> dict[str, str]:
    """label → key of the form's current questions."""
    return {q["label"]: q["key"] for q in form.questions}


def answer(form: Form, by_label: dict[str, Any], friend: Friend | None = None) -> Response:
    k = keys(form)
    return services.response_submit(
        form=form, friend=friend or FriendFactory(), answers={k[label]: v for label, v in by_label.items()}
    )


def resident_client(friend: Friend) -> Client:
    """A client with the resident's LIFF session open, as after /liff/session."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = {"user_id": friend.user_id, "seen": time.time()}
    session.save()
    return client


def rows(*items: dict) -> dict:
    """The question builder's POST for these question rows (its formset's management fields)."""
    data = {
        "q-INITIAL_FORMS": "0",
        "q-MIN_NUM_FORMS": "0",
        "q-MAX_NUM_FORMS": "100",
        "q-TOTAL_FORMS": str(len(items)),
    }
    for index, item in enumerate(items):
        data.update({f"q-{index}-{name}": value for name, value in item.items()})
    return data
