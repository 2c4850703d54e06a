"""Template helpers for content written per language (issue 21)."""

from __future__ import annotations

from typing import Any

from django import template

from .. import languages, translations

register = template.Library()


@register.simple_tag
def translated(obj: Any, field: str, language: str = "") -> str:
    """``{% translated entry "answer" %}``: the field in the language being spoken (or given)."""
    return translations.translated(obj, field, language or None)


@register.inclusion_tag("core/includes/missing_languages.html")
def missing_languages(obj: Any, fields: str = "") -> dict[str, Any]:
    """``{% missing_languages entry %}``: a 未翻訳 badge naming the languages a piece of content lacks."""
    names = languages.names()
    codes = translations.missing_languages(obj, [f for f in fields.split(",") if f] or None)
    return {"missing": [names[code] for code in codes]}
