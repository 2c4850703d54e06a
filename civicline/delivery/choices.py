"""Answers a resident picks on the 受信設定 page, kept apart from the models so that the catalogue
check counts their words as resident-facing (``core.catalogues.RESIDENT_FACING``, issue 21)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    FEMALE = "female", _("女性")
    MALE = "male", _("男性")
    OTHER = "other", _("その他")
    NO_ANSWER = "no_answer", _("答えない")
