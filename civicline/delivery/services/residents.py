"""A resident's own settings: area, birth year, gender, topics, children (SD-1, SD-4, SD-6, SD-14)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.line.models import Friend

from ..models import (
    Area,
    Child,
    Gender,
    ResidentAttributes,
    Topic,
    TopicChoice,
)

MAX_CHILDREN = 10


def resident_settings_save(
    *,
    friend: Friend,
    area: Area | None,
    birth_year: int | None,
    gender: str,
    topics: Sequence[Topic],
    children: Sequence[date],
) -> None:
    """Replace everything the resident registered with what they submitted (an empty form clears all)."""
    today = timezone.localdate()
    if gender and gender not in Gender.values:
        raise ValidationError(_("性別の選択が正しくありません。"))
    if birth_year is not None and not today.year - 120 <= birth_year <= today.year:
        raise ValidationError(_("生まれた年が正しくありません。"))
    if len(children) > MAX_CHILDREN:
        raise ValidationError(_("お子さんは%(n)d人まで登録できます。") % {"n": MAX_CHILDREN})
    for born in children:
        if born > today or born.year < today.year - 40:
            raise ValidationError(_("お子さんの生年月日が正しくありません。"))
    if area is not None and not area.is_active:
        raise ValidationError(_("選んだ地域は選べなくなりました。もう一度選んでください。"))
    with transaction.atomic():
        if area is None and birth_year is None and not gender:
            ResidentAttributes.objects.filter(friend=friend).delete()
        else:
            ResidentAttributes.objects.update_or_create(
                friend=friend, defaults={"area": area, "birth_year": birth_year, "gender": gender}
            )
        TopicChoice.objects.filter(friend=friend).exclude(topic__in=topics).delete()
        TopicChoice.objects.bulk_create(
            [TopicChoice(friend=friend, topic=t) for t in topics], ignore_conflicts=True
        )
        Child.objects.filter(friend=friend).delete()
        Child.objects.bulk_create(
            Child(friend=friend, birth_date=born.isoformat(), birth_month=born.replace(day=1))
            for born in sorted(set(children))
        )


def resident_settings_clear(*, friend: Friend) -> None:
    """Forget everything the resident registered (SD-6)."""
    with transaction.atomic():
        ResidentAttributes.objects.filter(friend=friend).delete()
        TopicChoice.objects.filter(friend=friend).delete()
        Child.objects.filter(friend=friend).delete()
