"""Words of the rich menu that residents hear (issue 21): what a screen reader says of a tile, in
the resident's language (the LINE objects of each language's menu are built speaking it)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

# Appended to the accessible label of a tile that leaves LINE, so a screen reader says it too.
EXTERNAL_SUFFIX = gettext_lazy("（外部サイト）")
# Read out for a tile whose label is empty (a picture only).
UNNAMED_TILE = gettext_lazy("メニュー")
