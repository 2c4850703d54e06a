"""Factories for the chatbot's tests: Q&A, garbage items and categories, scenario nodes."""

from __future__ import annotations

import factory

from civicline.chatbot.models import FaqEntry, FaqPhrasing, GarbageCategory, GarbageItem, ScenarioNode
from tests.fixtures.core import DepartmentFactory


class FaqEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqEntry

    department = factory.SubFactory(DepartmentFactory)
    category = "手続き"
    question = factory.Sequence(lambda n: f"質問{n}はどうすればよいですか？")
    answer = "窓口でお手続きください。"


class FaqPhrasingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FaqPhrasing

    entry = factory.SubFactory(FaqEntryFactory)
    text = factory.Sequence(lambda n: f"言い換え{n}")


class GarbageCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GarbageCategory
        django_get_or_create = ("department", "name")

    department = factory.SubFactory(DepartmentFactory)
    name = "燃やせるごみ"
    how_to = "指定袋に入れて朝8時30分までに出してください。"


class GarbageItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GarbageItem

    department = factory.SubFactory(DepartmentFactory)
    name = factory.Sequence(lambda n: f"品目{n}")
    category = factory.SubFactory(GarbageCategoryFactory, department=factory.SelfAttribute("..department"))


class ScenarioNodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScenarioNode

    department = factory.SubFactory(DepartmentFactory)
    label = factory.Sequence(lambda n: f"分野{n}")
