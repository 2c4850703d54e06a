"""Any change to the knowledge, by a service, an import or the Django admin, moves the version."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models.signals import post_delete, post_save

from .models import FaqEntry, FaqPhrasing, GarbageCategory, GarbageItem, KnowledgeVersion, ScenarioNode

WATCHED = (FaqEntry, FaqPhrasing, GarbageCategory, GarbageItem, ScenarioNode)


def knowledge_changed(**kwargs: Any) -> None:
    token = uuid.uuid4().hex
    if not KnowledgeVersion.objects.filter(pk=1).update(token=token):
        KnowledgeVersion.objects.update_or_create(pk=1, defaults={"token": token})


def connect() -> None:
    for model in WATCHED:
        post_save.connect(knowledge_changed, sender=model, dispatch_uid=f"chatbot-{model.__name__}-save")
        post_delete.connect(knowledge_changed, sender=model, dispatch_uid=f"chatbot-{model.__name__}-delete")
