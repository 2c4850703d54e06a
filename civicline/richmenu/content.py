"""A menu's draft as the renderer and LINE need it, checked as a whole before anything is sent.

``content_of(menu)`` reads the draft once; ``render`` draws every tab (or reports every problem at
once, in staff's words); ``line_bodies`` builds the rich menu objects, each tab's strip switching to
the other tabs through their aliases (RM-3).

Residents read the menu in their language (issue 21): ``contents_by_language(menu)`` gives the draft
as each offered language's residents would see it (the staff's translation, else the city's
fallbacks, else the Japanese master) and which languages' menus are the same, so that a language
without a translation of its own shares its fallback's menu instead of a copy of it on LINE.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from civicline.core import languages, translations
from civicline.core.translations import translated

from . import actions, layouts, rendering
from .models import Menu

MAX_NAME = 300  # LINE's limit for a rich menu's name
# Drawing a tab takes a few hundred milliseconds; the console shows the same draft several times.
RENDER_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class TileContent:
    label: str
    icon: str
    colour: str
    image: str  # a file in default_storage, or ""
    action_type: str
    action_value: str


@dataclass(frozen=True)
class TabContent:
    title: str
    layout: str
    design: str  # a designer's finished image in default_storage, or ""
    tiles: tuple[TileContent, ...]


@dataclass(frozen=True)
class MenuContent:
    name: str
    size: str
    chat_bar_text: str
    theme: str
    heading: str
    opens_by_default: bool
    tabs: tuple[TabContent, ...]
    # Whom it is drawn for (the font's face); two languages with the same words share one menu.
    language: str = field(default=languages.JAPANESE, compare=False)

    def as_json(self) -> dict[str, Any]:
        """What was published, with each action in staff's words (the version history shows it)."""
        data = asdict(self)
        del data["language"]
        for tab in data["tabs"]:
            for tile in tab["tiles"]:
                tile["action"] = actions.describe(tile["action_type"], tile["action_value"])
        return data


def content_of(menu: Menu, language: str = languages.JAPANESE) -> MenuContent:
    """The draft as residents reading ``language`` see it (pictures and actions are the same in all)."""
    tabs = []
    for tab in menu.tabs.prefetch_related("tiles").order_by("position"):
        tiles = tuple(
            TileContent(
                translated(t, "label", language),
                t.icon,
                t.colour,
                t.image.name or "",
                t.action_type,
                t.action_value,
            )
            for t in sorted(tab.tiles.all(), key=lambda t: t.position)
        )
        tabs.append(
            TabContent(translated(tab, "title", language), tab.layout, tab.design_image.name or "", tiles)
        )
    return MenuContent(
        name=menu.name,
        size=menu.size,
        chat_bar_text=translated(menu, "chat_bar_text", language),
        theme=menu.theme_colour,
        heading=translated(menu, "heading", language),
        opens_by_default=menu.opens_by_default,
        tabs=tuple(tabs),
        language=language,
    )


def contents_by_language(menu: Menu) -> tuple[dict[str, MenuContent], dict[str, str]]:
    """The menus to draw, by language, and every offered language → the language of the menu it sees.

    Japanese is always drawn (it is LINE's default menu); another language is drawn only when its
    residents would see something other than a menu already drawn (a language with no translation
    of its own reads its fallback's words, so it shares that menu).
    """
    drawn: dict[str, MenuContent] = {}
    seen_as: dict[str, str] = {}
    for code in languages.resident_languages():
        content = content_of(menu, code)
        same = next((other for other, known in drawn.items() if known == content), None)
        if same is None:
            drawn[code] = content
            same = code
        seen_as[code] = same
    return drawn, seen_as


def missing_languages(menu: Menu) -> list[str]:
    """Offered languages that some text of the menu lacks: its own, a tab's title, a tile's label
    (reads prefetched tabs and tiles when there are)."""
    parts: list[Any] = [menu]
    for tab in menu.tabs.all():
        parts.extend([tab, *tab.tiles.all()])
    missing = {code for part in parts for code in translations.missing_languages(part)}
    return [code for code in languages.translation_languages() if code in missing]


def _read(name: str) -> bytes | None:
    if not name:
        return None
    with default_storage.open(name, "rb") as stored:
        return stored.read()


def tab_spec(content: MenuContent, index: int) -> rendering.TabSpec:
    tab = content.tabs[index]
    return rendering.TabSpec(
        size=content.size,
        layout=tab.layout,
        tiles=[
            rendering.TileSpec(
                t.label, t.colour, t.icon, _read(t.image), actions.leaves_line(t.action_type, t.action_value)
            )
            for t in tab.tiles
        ],
        tab_titles=[t.title for t in content.tabs] if len(content.tabs) > 1 else (),
        tab_index=index,
        theme=content.theme,
        heading=content.heading if len(content.tabs) == 1 else "",
        design=_read(tab.design),
    )


def _tab_problems(content: MenuContent, index: int) -> tuple[list[str], bool]:
    """The tab's problems in staff's words, and whether it can be drawn anyway (to find more)."""
    tab = content.tabs[index]
    where = _("「%(tab)s」タブ") % {"tab": tab.title}
    template = layouts.TEMPLATES.get(tab.layout)
    if template is None or template.size != content.size:
        return [_("%(where)s: レイアウトを選び直してください。") % {"where": where}], False
    if len(tab.tiles) != template.tile_count:
        message = _("%(where)s: タイルが%(count)d個設定されていません。タブを編集して保存してください。")
        return [message % {"where": where, "count": template.tile_count}], False
    problems = []
    for number, tile in enumerate(tab.tiles, start=1):
        try:
            actions.check(tile.action_type, tile.action_value)
        except ValidationError as exc:
            problems.extend(
                _("%(where)s タイル%(number)d: %(message)s")
                % {"where": where, "number": number, "message": m}
                for m in exc.messages
            )
    return problems, True


def digest(content: MenuContent) -> str:
    """Changes whenever anything drawn or sent changes (pictures are named by their stored file)."""
    return hashlib.sha256(
        json.dumps(asdict(content), sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:20]


def tab_jpeg(content: MenuContent, index: int) -> bytes:
    """One tab drawn (from the cache when this very draft was drawn before)."""
    # The drawing's own version is part of the key: a deploy that draws tiles differently (the
    # external-site mark) must not serve pictures cached by the previous code.
    key = f"richmenu:jpeg:{rendering.DRAWING_VERSION}:{digest(content)}:{index}"
    data = cache.get(key)
    if data is None:
        with rendering.drawing_in(content.language):
            data = rendering.jpeg(rendering.compose(tab_spec(content, index)))
        cache.set(key, data, RENDER_CACHE_SECONDS)
    return data


def published_form(contents: Mapping[str, MenuContent]) -> dict[str, Any]:
    """What a version keeps of the draft (``contents_by_language``): the Japanese content, and under
    "languages" each other language drawn (so a changed translation is a change to publish)."""
    data = contents[languages.JAPANESE].as_json()
    others = {code: content.as_json() for code, content in contents.items() if code != languages.JAPANESE}
    if others:
        data["languages"] = others
    return data


def is_published_as(contents: Mapping[str, MenuContent], published: dict[str, Any]) -> bool:
    """Whether a version's stored content is exactly this draft, in every language."""
    return json.loads(json.dumps(published_form(contents), ensure_ascii=False)) == published


def tab_checked(content: MenuContent, index: int) -> bytes:
    """One tab drawn, or ``ValidationError`` with every problem of that tab (``FontMissing`` as is)."""
    problems, drawable = _tab_problems(content, index)
    if drawable:
        try:
            image = tab_jpeg(content, index)
        except rendering.FontMissing:
            raise
        except ValidationError as exc:
            where = _("「%(tab)s」タブ") % {"tab": content.tabs[index].title}
            problems.extend(f"{where}: {message}" for message in exc.messages)
    if problems:
        raise ValidationError(problems)
    return image


def render(content: MenuContent) -> list[bytes]:
    """Every tab's JPEG; ``ValidationError`` listing every problem of the draft if it cannot be sent."""
    if not content.tabs:
        raise ValidationError(_("タブがありません。タブを追加してください。"))
    problems: list[str] = []
    images: list[bytes] = []
    for index in range(len(content.tabs)):
        try:
            images.append(tab_checked(content, index))
        except rendering.FontMissing:
            raise
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError(problems)
    return images


def line_bodies(content: MenuContent, alias_for: Callable[[int], str]) -> list[dict[str, Any]]:
    """The rich menu object of each tab; ``alias_for(i)`` names tab i's alias (published or preview)."""
    size = layouts.SIZES[content.size]
    titles = [t.title for t in content.tabs]
    bodies = []
    for index, tab in enumerate(content.tabs):
        areas = [
            {
                "bounds": box.as_bounds(),
                "action": actions.tab_switch(alias_id=alias_for(other), tab_index=other, label=titles[other]),
            }
            for other, box in enumerate(layouts.tab_boxes(size, len(titles)))
            if other != index
        ]
        with_strip = len(titles) > 1 or bool(content.heading.strip())
        boxes = layouts.tile_boxes(layouts.TEMPLATES[tab.layout], with_strip)
        areas.extend(
            {
                "bounds": box.as_bounds(),
                "action": actions.line_action(tile.action_type, tile.action_value, tile.label),
            }
            for box, tile in zip(boxes, tab.tiles, strict=True)
        )
        bodies.append(
            {
                "size": {"width": size.width, "height": size.height},
                "selected": content.opens_by_default,
                "name": f"{content.name}｜{tab.title}"[:MAX_NAME],
                "chatBarText": content.chat_bar_text,
                "areas": areas,
            }
        )
    return bodies
