"""Content staff write in several languages (issue 21): one JSON column per model, one form mixin.

A model keeps its Japanese master in its own fields (what staff search, audit and export) and the
other languages beside it, field by field::

    class FaqEntry(models.Model):
        question = models.CharField(...)
        answer = models.TextField()
        translations = TranslationsField()          # {"en": {"question": "...", "answer": "..."}}
        TRANSLATED_FIELDS = ("question", "answer")

    translated(entry, "answer", "vi")   # Vietnamese, else the city's fallbacks, else the master
    missing_languages(entry)            # ["ko", "vi"]: what the console marks 未翻訳

Why not django-modeltranslation: it swaps a field's value for the *request's* language, and in the
console that is the staff member's interface language — an English-reading clerk editing a
Japanese FAQ would silently write its English column. Here the master stays the master and every
other language is written, and shown, as what it is.

Staff may be offered a draft translation by ``CONTENT_TRANSLATOR`` (a callable of the city's;
none ships): only in the console, on a staff action, never while a resident waits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from . import languages

Translations = dict[str, dict[str, str]]


def TranslationsField(**kwargs: Any) -> models.JSONField:
    """The per-language versions of a model's ``TRANSLATED_FIELDS``: {language: {field: text}}."""
    return models.JSONField(_("翻訳"), default=dict, blank=True, **kwargs)


def translated_fields(obj: Any) -> tuple[str, ...]:
    return tuple(getattr(obj, "TRANSLATED_FIELDS", ()))


def translated(obj: Any, field: str, language: str | None = None) -> str:
    """``field`` of ``obj`` in ``language`` (default: the language being spoken), by the fallbacks."""
    language = language or languages.current()
    versions: Mapping[str, Any] = getattr(obj, "translations", None) or {}
    for code in languages.fallback_chain(language):
        if code == languages.JAPANESE:
            break
        text = (versions.get(code) or {}).get(field)
        if text:
            return str(text)
    return str(getattr(obj, field) or "")


def language_of(obj: Any, language: str, fields: Iterable[str] | None = None) -> str:
    """The language ``obj``'s content reaches a reader of ``language`` in (for 「日本語で表示」 notes)."""
    fields = tuple(fields or translated_fields(obj))
    versions: Mapping[str, Any] = getattr(obj, "translations", None) or {}
    for code in languages.fallback_chain(language):
        if code == languages.JAPANESE:
            break
        version = versions.get(code) or {}
        if any(version.get(field) for field in fields) if fields else any(version.values()):
            return code
    return languages.JAPANESE


def missing_languages(obj: Any, fields: Iterable[str] | None = None) -> list[str]:
    """Offered languages in which some filled-in master field of ``obj`` has no version."""
    fields = tuple(fields or translated_fields(obj))
    needed = [field for field in fields if getattr(obj, field, "")]
    versions: Mapping[str, Any] = getattr(obj, "translations", None) or {}
    return [
        code
        for code in languages.translation_languages()
        if any(not (versions.get(code) or {}).get(field) for field in needed)
    ]


def cleaned(translations: Mapping[str, Any] | None) -> Translations:
    """Only offered languages and non-blank texts, stripped: what is stored."""
    result: Translations = {}
    for code in languages.translation_languages():
        fields = {
            str(field): str(text).strip()
            for field, text in ((translations or {}).get(code) or {}).items()
            if str(text or "").strip()
        }
        if fields:
            result[code] = fields
    return result


def draft(text: str, *, target: str, source: str = languages.JAPANESE) -> str | None:
    """A machine draft of ``text`` in ``target`` from the city's ``CONTENT_TRANSLATOR``, or None."""
    if not settings.CONTENT_TRANSLATOR or not text:
        return None
    translator = import_string(settings.CONTENT_TRANSLATOR)
    return str(translator(text, source, target) or "") or None


def field_name(field: str, language: str) -> str:
    return f"{field}__{language.replace('-', '_')}"


class TranslationsFormMixin(forms.BaseForm):
    """Adds one optional field per offered language and translated field, beside the master's.

    Call ``translation_fields_add(instance_or_translations)`` in ``__init__`` once the master fields
    exist; read ``translations_cleaned()`` when saving (into the model's ``translations``). The
    console's form template shows them folded per language, marked when a version is missing.
    """

    translated_field_names: tuple[str, ...] = ()

    def translation_fields_add(self, source: Any = None, fields: Iterable[str] | None = None) -> None:
        if fields is not None:
            self.translated_field_names = tuple(fields)
        versions: Mapping[str, Any] = (
            source if isinstance(source, Mapping) else getattr(source, "translations", None) or {}
        )
        for code in languages.translation_languages():
            for field in self.translated_field_names:
                master = self.fields[field]
                long_text = isinstance(master.widget, forms.Textarea)
                widget = forms.Textarea(attrs={"rows": 3}) if long_text else None
                copy = forms.CharField(
                    label=master.label,
                    required=False,
                    max_length=getattr(master, "max_length", None),
                    widget=widget,
                    initial=(versions.get(code) or {}).get(field, ""),
                )
                copy.translation_language = code  # type: ignore[attr-defined]
                self.fields[field_name(field, code)] = copy

    def translations_cleaned(self) -> Translations:
        data = self.cleaned_data
        return cleaned(
            {
                code: {field: data.get(field_name(field, code), "") for field in self.translated_field_names}
                for code in languages.translation_languages()
            }
        )

    def translation_groups(self) -> list[dict[str, Any]]:
        """Per language: its name, its bound fields, and whether a master text lacks its version."""
        names = languages.names()
        groups = []
        for code in languages.translation_languages():
            bound = [self[field_name(field, code)] for field in self.translated_field_names]
            masters = [self[field].value() for field in self.translated_field_names]
            missing = any(master and not field.value() for master, field in zip(masters, bound, strict=True))
            errors = any(field.errors for field in bound)
            groups.append(
                {"code": code, "name": names[code], "fields": bound, "missing": missing, "errors": errors}
            )
        return groups
