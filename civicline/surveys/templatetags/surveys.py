"""``{% survey_condition_value node as v %}``: the option a survey-answer condition has chosen."""

from __future__ import annotations

from typing import Any

from django import template

from ..conditions import selected_value

register = template.Library()


@register.simple_tag
def survey_condition_value(node: dict[str, Any]) -> str:
    return selected_value(node)
