"""Residents' languages and content written per language (issue 21)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django import forms
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from civicline.core import languages, translations


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("ja", "ja"),
        ("en", "en"),
        ("en-GB", "en"),
        ("ko-KR", "ko"),
        ("vi", "vi"),
        ("zh-Hans", "zh-hans"),
        ("zh-CN", "zh-hans"),
        ("zh-TW", "zh-hans"),
        ("th", "en"),  # not offered: the city's language for others
        ("pt-BR", "en"),
        ("", ""),
    ],
)
def test_a_line_profile_language_becomes_one_the_city_offers(tag, expected):
    assert languages.from_line(tag) == expected


def test_a_language_the_city_does_not_offer_falls_back_to_japanese(settings):
    settings.RESIDENT_LANGUAGES = ["ja", "en"]

    assert languages.from_line("vi") == "en"
    settings.RESIDENT_LANGUAGE_OTHERS = "vi"
    assert languages.from_line("th") == "ja"


def test_the_residents_own_choice_wins_over_their_line_app():
    assert languages.choose(preferred="ja-easy", line_language="en") == "ja-easy"
    assert languages.choose(preferred="", line_language="en") == "en"
    assert languages.choose(preferred="xx", line_language="") == "ja"


def test_missing_content_follows_the_citys_fallback_order(settings):
    settings.RESIDENT_LANGUAGE_FALLBACK = ["ja-easy", "ja"]
    versions = {"ja": "日本語", "ja-easy": "やさしい", "vi": "Tiếng Việt"}

    assert languages.pick(versions, "vi") == ("vi", "Tiếng Việt")
    assert languages.pick(versions, "en") == ("ja-easy", "やさしい")
    assert languages.pick({"ja": "日本語"}, "ko") == ("ja", "日本語")
    assert languages.pick({}, "ko") is None


def test_translated_content_uses_the_language_spoken_then_the_fallbacks():
    entry = SimpleNamespace(
        answer="燃やすごみです。",
        translations={"en": {"answer": "Burnable."}, "ja-easy": {"answer": "もえるごみ"}},
    )

    assert translations.translated(entry, "answer", "en") == "Burnable."
    assert translations.translated(entry, "answer", "ko") == "もえるごみ"
    with translation.override("ja"):
        assert translations.translated(entry, "answer") == "燃やすごみです。"
    with translation.override("en"):
        assert translations.translated(entry, "answer") == "Burnable."
    assert translations.language_of(entry, "vi") == "ja-easy"


def test_a_version_staff_wrote_is_shown_as_text_never_as_markup():
    """issue 21: a version is staff-written text like the master: {% translated %} escapes it."""
    written = '<img src=x onerror="alert(1)">News'
    entry = SimpleNamespace(name="お知らせ", translations={"en": {"name": written}})

    with translation.override("en"):
        html = Template('{% load languages %}<p>{% translated entry "name" %}</p>').render(
            Context({"entry": entry})
        )

    assert html == "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;News</p>"


def test_the_console_knows_which_languages_a_piece_of_content_lacks():
    entry = SimpleNamespace(
        question="電池は？",
        answer="",
        TRANSLATED_FIELDS=("question", "answer"),
        translations={"en": {"question": "Batteries?"}},
    )

    missing = translations.missing_languages(entry)

    assert "en" not in missing  # the empty answer needs no version
    assert set(missing) == {"ja-easy", "zh-hans", "ko", "vi"}


class EntryForm(translations.TranslationsFormMixin, forms.Form):
    question = forms.CharField(max_length=20)
    answer = forms.CharField(widget=forms.Textarea)

    def __init__(self, *args, existing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.translation_fields_add(existing or {}, fields=("question", "answer"))


def test_staff_write_other_languages_beside_the_japanese_and_blanks_are_not_stored():
    form = EntryForm(
        data={
            "question": "電池",
            "answer": "有害ごみ",
            "question__en": " Battery ",
            "answer__en": "Hazardous",
            "question__vi": "",
            "answer__vi": "   ",
        }
    )

    assert form.is_valid(), form.errors
    assert form.translations_cleaned() == {"en": {"question": "Battery", "answer": "Hazardous"}}


def test_a_too_long_translation_is_refused_under_its_own_field_and_its_language_opens():
    form = EntryForm(data={"question": "電池", "answer": "有害ごみ", "question__ko": "가" * 21})

    assert not form.is_valid()
    assert "question__ko" in form.errors
    groups = {group["code"]: group for group in form.translation_groups()}
    assert groups["ko"]["errors"] and not groups["en"]["errors"]
    assert groups["en"]["missing"]  # a master text with no English version is marked


def test_the_form_shows_existing_versions_and_marks_what_is_missing():
    form = EntryForm(
        existing={"en": {"question": "Battery", "answer": "Hazardous"}},
        initial={"question": "電池", "answer": "有"},
    )

    html = form.render("core/console/includes/form_fields.html")

    assert 'value="Battery"' in html
    assert "未翻訳" in html  # the other languages have no version
    groups = {group["code"]: group["missing"] for group in form.translation_groups()}
    assert groups == {"ja-easy": True, "en": False, "zh-hans": True, "ko": True, "vi": True}


def test_no_machine_translation_unless_the_city_configures_one(settings):
    assert translations.draft("燃やすごみ", target="en") is None
    settings.CONTENT_TRANSLATOR = "tests.core.test_languages.fake_translator"
    assert translations.draft("燃やすごみ", target="en") == "[en] 燃やすごみ"


def fake_translator(text: str, source: str, target: str) -> str:
    return f"[{target}] {text}"


@pytest.mark.django_db
def test_the_console_is_never_shown_in_a_language_it_does_not_ship():
    client = Client()

    zh = client.get("/console/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    en = client.get("/console/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="ja">' in zh.content.decode()
    assert '<html lang="en">' in en.content.decode()


@pytest.mark.django_db
def test_staff_switch_the_console_to_english_and_back():
    client = Client()

    client.post("/i18n/setlang/", {"language": "en", "next": "/console/login/"})
    page = client.get("/console/login/").content.decode()
    assert '<html lang="en">' in page and 'name="language" value="ja"' in page

    client.post("/i18n/setlang/", {"language": "ja", "next": "/console/login/"})
    assert '<html lang="ja">' in client.get("/console/login/").content.decode()


@pytest.mark.django_db
def test_a_departments_name_is_written_per_language_and_residents_read_theirs(system_admin_client):
    from django.urls import reverse

    from civicline.core.models import AuditEntry, Department

    response = system_admin_client.post(
        reverse("console:department-create"),
        {"code": "shimin", "name": "市民課", "is_active": "on", "name__en": "Citizens Affairs Division"},
    )
    assert response.status_code == 302
    department = Department.objects.get(code="shimin")
    system_admin_client.post(
        reverse("console:department-update", args=[department.pk]),
        {
            "code": "shimin",
            "name": "市民課",
            "is_active": "on",
            "name__en": "Citizens Affairs",
            "name__vi": "Phòng Thị dân",
        },
    )

    department.refresh_from_db()
    with translation.override("en"):
        assert department.resident_name == "Citizens Affairs"
    with translation.override("vi"):
        assert department.resident_name == "Phòng Thị dân"
    with translation.override("ko"):
        assert department.resident_name == "市民課"  # no Korean, no やさしい日本語: the master
    change = AuditEntry.objects.get(action="update", target_type="core.department").changes
    assert change["translations"]["after"]["vi"] == {"name": "Phòng Thị dân"}
