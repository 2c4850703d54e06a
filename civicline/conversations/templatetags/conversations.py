"""``{{ name|masked }}``: a resident's LINE name as lists show it (enough to recognise, not to identify)."""

from django import template

from civicline.line.direct import mask_name

register = template.Library()


@register.filter
def masked(name: str) -> str:
    return mask_name(name)
