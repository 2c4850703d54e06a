"""Emergency deliveries in the resident's language (issue 21): the city's message written per
language goes out to each resident in theirs; the official alert's words stay as published."""

from __future__ import annotations

import pytest
from django.utils import translation

from civicline.alerts import services
from civicline.alerts.jma import CodeType, Kind
from civicline.alerts.models import AlertSettings

from .factories import city, policy, sample

pytestmark = pytest.mark.django_db

ENGLISH = "[{title}] issued at {time} for {areas}. Stay safe. Shelters: {shelter_url}"


@pytest.fixture
def nara(department):
    current = AlertSettings.current()
    current.department = department
    current.translations = {"en": {"message_template": ENGLISH}}
    current.save()
    return city(CodeType.CITY, "2920100", "奈良市", resident_areas="北部")


def test_issue21_the_emergency_message_carries_the_citys_english_version(nara, stub_actions):
    """issue 21: the request to deliver holds the Japanese master and the English version, the alert's
    name as JMA published it, the time in English words and the shelter list opening in English."""
    policy(Kind.WARNING, 5, emergency_delivery="auto")

    with translation.override("en"):  # the clerk's console language changes nothing
        services.report_ingest(data=sample("15_08_01_130412_VPWW53.xml"), source="test")

    ((_key, request),) = stub_actions.calls
    assert request.text.startswith("【大雨特別警報】9月3日12時00分 奈良市に")
    assert "避難所の開設状況" in request.text
    english = request.translations["en"]["text"]
    assert english.startswith("[大雨特別警報] issued at ") and "奈良市" in english
    assert english.endswith("/liff/facilities/shelters/?lang=en")
    assert set(request.translations) == {"en"}  # other languages get the city's fallback


def test_issue21_without_versions_the_message_is_the_japanese_master_only(department, stub_actions):
    """issue 21: a city that wrote no other language sends the Japanese message as before."""
    AlertSettings.objects.filter(pk=AlertSettings.current().pk).update(department=department)
    city(CodeType.CITY, "2920100", "奈良市")
    policy(Kind.WARNING, 5, emergency_delivery="auto")

    services.report_ingest(data=sample("15_08_01_130412_VPWW53.xml"), source="test")

    ((_key, request),) = stub_actions.calls
    assert request.translations == {} and "大雨特別警報" in request.text
