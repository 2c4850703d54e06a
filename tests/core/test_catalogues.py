"""The translation catalogues (issue 21): complete for every shipped language, and loaded by Django."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

from civicline.core import catalogues

RESIDENT_PAGE = 'from django.utils.translation import gettext\n\nWELCOME = gettext("ようこそ")\n'
CONSOLE_PAGE = 'from django.utils.translation import gettext\n\nSAVED = gettext("%(n)s件を保存しました。")\n'


def test_no_string_is_left_untranslated_in_any_shipped_language():
    """issue 21: the CI check — every catalogue matches the sources, is translated where its
    language must be, keeps placeholders and ships an up-to-date .mo."""
    problems = catalogues.check()
    assert not problems, "run manage.py catalogues --check:\n" + "\n".join(map(str, problems))


@pytest.fixture
def sample_app(tmp_path, monkeypatch):
    """A throwaway app with a resident page and a console string, its catalogues complete."""
    monkeypatch.setattr(catalogues, "ROOT", tmp_path)
    app = tmp_path / "sample"
    (app / "liff").mkdir(parents=True)
    (app / "apps.py").write_text("")
    (app / "liff" / "views.py").write_text(RESIDENT_PAGE)
    (app / "console.py").write_text(CONSOLE_PAGE)
    catalogues.update(["sample"])
    catalogues.fill("en", {"ようこそ": "Welcome", "%(n)s件を保存しました。": "Saved %(n)s."})
    for locale, text in {
        "zh_Hans": "欢迎",
        "ko": "환영합니다",
        "vi": "Chào mừng",
        "ja_Easy": "ようこそ",
    }.items():
        catalogues.fill(locale, {"ようこそ": text})
    return app


def _problems(*, about: str = "") -> list[str]:
    return [str(problem) for problem in catalogues.check(["sample"]) if about in str(problem)]


def _locales_reporting(about: str) -> list[str]:
    """The locales whose catalogue of the sample app has a problem mentioning ``about``."""
    return sorted(p.path.parts[-3] for p in catalogues.check(["sample"]) if about in str(p))


def test_a_complete_sample_passes_the_check_with_console_strings_only_in_english(sample_app):
    """issue 21: resident languages need not translate the staff console; English must."""
    assert _problems() == []
    assert catalogues.missing("vi") == {}


def test_an_untranslated_resident_string_is_reported_for_every_language(sample_app):
    """issue 21: a new string on a LIFF page fails the check until each language has it."""
    (sample_app / "liff" / "views.py").write_text(RESIDENT_PAGE + 'BYE = gettext("またどうぞ")\n')
    assert any("in the sources, not in the catalogue" in line for line in _problems(about="またどうぞ"))

    catalogues.update(["sample"])

    assert _locales_reporting("untranslated: 'またどうぞ'") == sorted(catalogues.LOCALES)
    assert catalogues.missing("ko") == {"またどうぞ": ""}


def test_a_new_console_string_is_required_in_english_only(sample_app):
    """issue 21: the staff console ships in English only, besides Japanese."""
    (sample_app / "console.py").write_text(CONSOLE_PAGE + 'ERROR = gettext("保存できません。")\n')
    catalogues.update(["sample"])

    assert _locales_reporting("untranslated") == ["en"]


def test_a_translation_that_drops_a_placeholder_is_refused_and_reported(sample_app):
    """issue 21: a translation losing %(n)s would print a wrong message (or crash)."""
    refused = catalogues.fill("en", {"%(n)s件を保存しました。": "Saved."})
    assert refused.entries == 0 and refused.refused

    path = catalogues.catalogue_path("sample", "en")
    catalogue = catalogues.load(path)
    catalogue.find("%(n)s件を保存しました。").msgstr = "Saved {n}."
    catalogues.save(catalogue, path)

    assert _problems(about="placeholders differ")


def test_a_po_edited_without_compiling_is_reported_stale(sample_app):
    """issue 21: Django reads the .mo; a .po changed alone would not reach residents."""
    path = catalogues.catalogue_path("sample", "vi")
    catalogue = catalogues.load(path)
    catalogue.find("ようこそ").msgstr = "Xin chào"
    catalogue.save(str(path))

    assert _problems(about="stale")


def test_a_fuzzy_guess_by_msgmerge_is_not_shipped_silently(sample_app):
    """issue 21: msgmerge guesses translations of changed msgids; a person must confirm them."""
    path = catalogues.catalogue_path("sample", "en")
    catalogue = catalogues.load(path)
    catalogue.find("ようこそ").flags.append("fuzzy")
    catalogues.save(catalogue, path)

    assert _problems(about="fuzzy")
    assert "ようこそ" in catalogues.missing("en")


def test_plural_strings_are_listed_and_filled_with_each_languages_forms(sample_app):
    """issue 21: English has two plural forms, the resident languages one; --missing and --fill say so."""
    (sample_app / "liff" / "photos.py").write_text(
        "from django.utils.translation import ngettext\n\nN = ngettext('%(n)s枚', '%(n)s枚', 2)\n"
    )
    catalogues.update(["sample"])
    assert catalogues.missing("en")["%(n)s枚"] == {"msgid_plural": "%(n)s枚", "msgstr": ["", ""]}
    assert catalogues.missing("vi")["%(n)s枚"] == {"msgid_plural": "%(n)s枚", "msgstr": [""]}

    assert catalogues.fill("en", {"%(n)s枚": ["%(n)s photo", "%(n)s photos"]}).entries == 1
    assert catalogues.fill("vi", {"%(n)s枚": {"msgstr": ["%(n)s ảnh"]}}).entries == 1

    assert _locales_reporting("untranslated: '%(n)s枚'") == ["ja_Easy", "ko", "zh_Hans"]


def _shipped_text(locale: str, msgid: str) -> str:
    path = Path(catalogues.catalogue_path("core", locale))
    entry = polib.pofile(str(path)).find(msgid)
    assert entry and entry.msgstr, f"{locale} has no translation of {msgid!r}"
    return entry.msgstr


@pytest.mark.parametrize(
    ("language", "locale"),
    [("en", "en"), ("zh-hans", "zh_Hans"), ("ko", "ko"), ("vi", "vi"), ("ja-easy", "ja_Easy")],
)
def test_django_speaks_each_shipped_language_from_its_catalogue(language, locale):
    """issue 21: each resident language's catalogue is found by Django (ja_Easy included)."""
    msgid = "ページが見つかりません"
    with translation.override(language):
        assert translation.gettext(msgid) == _shipped_text(locale, msgid)
    assert translation.check_for_language(language)
