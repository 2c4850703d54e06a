"""Every change to the account's rich menus: drafts, previews, publishing, rollback, the emergency switch.

All of them are audited. Changes that reach LINE take the account lock (``AccountMenuState``), so two
staff publishing at once, or a publish during a switch, cannot leave LINE half one and half the other.

What LINE shows follows one rule, applied by ``_sync_line`` after every change: the *active* menu
(the emergency menu while it is switched on, else the default menu) is LINE's default menu; its
tabs' aliases point at its own tabs; the aliases of every other live menu point at the active menu's
first tab, so a resident who still has an old menu open and taps a tab lands on the active menu;
LINE menus of versions no longer live are deleted (their per-user links go with them).

The emergency switch (RM-4) changes the active menu, then removes every friend's per-user menu (a
tab switch links a menu to the resident who tapped it, and a per-user menu wins over the default),
so that every friend sees the new menu: in one batch request LINE works through in the background
(POST /v2/bot/richmenu/batch, 3 an hour), or when that cannot be used, in bulk unlinks of 500
friends with many requests in flight. It runs in the worker and is timed.

Residents read the menu in their language (issue 21): a version holds one set of LINE menus per
language that needs its own (``PublishedTab.language``), each with its own tab aliases. LINE's
default menu is the Japanese one; residents of another language are linked to theirs per user, in
bulk after a publish or a switch (before the switch removes everyone else's per-user menus), and
one at a time when their language changes (``resident_language_changed``).
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicline.core import languages, translations
from civicline.core.audit import (
    Action,
    audit_record,
    audited_change,
    audited_delete,
    changes_between,
    snapshot,
)
from civicline.core.models import Department, Staff
from civicline.core.permissions import NotYourDepartment, require_system_admin
from civicline.core.scoping import access_or_404
from civicline.line import messaging
from civicline.line.languages import language_reader
from civicline.line.models import Friend, PreviewRecipient

from . import actions, layouts, line_api, rendering, selectors
from .content import MenuContent, content_of, contents_by_language, line_bodies, published_form, render
from .line_api import LineCallFailed
from .models import (
    AccountMenuState,
    EmergencySwitch,
    Menu,
    MenuEditorGrant,
    MenuPreview,
    MenuTab,
    MenuTile,
    MenuVersion,
    PublishedTab,
)

logger = logging.getLogger(__name__)

USER_ID = re.compile(r"^U[0-9a-f]{32}$")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
TILE_IMAGE_EDGE = 1600
IMAGE_FORMATS = {"JPEG", "PNG"}
# A publish takes a few seconds; an emergency switch waits for it rather than fail.
LOCK_WAIT_FOR_SWITCH = 60
MENU_FIELDS = ("name", "purpose", "chat_bar_text", "theme_colour", "heading", "opens_by_default")
MENU_AUDITED = (*MENU_FIELDS, "size", "translations")
TILE_FIELDS = ("label", "icon", "colour", "action_type", "action_value")
TILE_AUDITED = (*TILE_FIELDS, "image", "translations")


# --- permissions ---------------------------------------------------------------------------------


def _require_edit(actor: Staff) -> None:
    # Menus belong to no department: the departments the administrator granted may change them.
    if not selectors.can_edit(actor):
        raise NotYourDepartment(_("リッチメニューを変更する権限がありません。"))


def _require_switch(actor: Staff) -> None:
    if not selectors.can_switch_emergency(actor):
        raise NotYourDepartment(_("緊急メニューを切り替える権限がありません。"))


@transaction.atomic
def editor_grant_set(*, actor: Staff, department: Department, scope: str) -> MenuEditorGrant:
    """Let ``department`` change the menus (system administrator only)."""
    require_system_admin(actor, message=_("メニュー担当の課はシステム管理者が設定します。"))
    if scope not in MenuEditorGrant.Scope.values:
        raise ValidationError(_("できることを選んでください。"))
    grant = MenuEditorGrant.objects.filter(department=department).first()
    before = {"scope": grant.scope} if grant else {}
    grant = grant or MenuEditorGrant(department=department)
    grant.scope, grant.granted_by = scope, actor
    grant.save()
    audit_record(
        action=Action.UPDATE if before else Action.CREATE,
        actor=actor,
        target=grant,
        department=department,
        summary=_("%(dept)sにリッチメニューの「%(scope)s」を許可")
        % {"dept": department.name, "scope": grant.get_scope_display()},
        changes=changes_between(before, {"scope": scope}),
    )
    return grant


@transaction.atomic
def editor_grant_delete(*, actor: Staff, grant_id: int) -> None:
    require_system_admin(actor, message=_("メニュー担当の課はシステム管理者が設定します。"))
    grant = MenuEditorGrant.objects.select_related("department").filter(pk=grant_id).first()
    if grant is None:
        return
    audit_record(
        action=Action.DELETE,
        actor=actor,
        target=grant,
        department=grant.department,
        summary=_("%(dept)sのリッチメニュー担当を解除") % {"dept": grant.department.name},
        changes={"scope": grant.scope},
    )
    grant.delete()


# --- uploaded pictures ----------------------------------------------------------------------------


def image_store(upload: UploadedFile, *, folder: str, exact_size: tuple[int, int] | None = None) -> str:
    """Check an uploaded JPEG/PNG, store it re-encoded as PNG and return its name in storage.

    Re-encoding drops whatever else the file carried (EXIF, trailing data); a tile picture is scaled
    down to what a tile can show, a designer's image must be exactly the menu's size.
    """
    if upload.size > MAX_UPLOAD_BYTES:
        raise ValidationError(_("画像は%(mb)dMBまでです。") % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)})
    try:
        with Image.open(upload) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise ValidationError(_("画像はJPEGまたはPNGのファイルを選んでください。"))
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("画像の画素数が大きすぎます。"))
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGBA")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("画像を読み込めませんでした。別の画像を選んでください。")) from exc
    if exact_size is not None and image.size != exact_size:
        raise ValidationError(
            _("デザイン画像は %(w)d×%(h)d ピクセルにしてください（この画像は %(iw)d×%(ih)d）。")
            % {"w": exact_size[0], "h": exact_size[1], "iw": image.width, "ih": image.height}
        )
    if exact_size is None:
        image.thumbnail((TILE_IMAGE_EDGE, TILE_IMAGE_EDGE))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    folder = timezone.localdate().strftime(f"richmenu/{folder}/%Y/%m")
    return default_storage.save(f"{folder}/{secrets.token_urlsafe(12)}.png", ContentFile(buffer.getvalue()))


# --- drafts ---------------------------------------------------------------------------------------


def _menu_data(data: dict[str, Any]) -> dict[str, Any]:
    """The settings staff may give a menu; its texts in other languages under ``translations``."""
    given = {name: data[name] for name in MENU_FIELDS if name in data}
    if "translations" in data:
        given["translations"] = translations.cleaned(data["translations"])
    return given


@transaction.atomic
def menu_create(*, actor: Staff, data: dict[str, Any], first_tab: str, layout: str) -> Menu:
    """A new draft menu with its first tab (tiles are filled in on the tab's page)."""
    _require_edit(actor)
    size = data.get("size", "large")
    if size not in layouts.SIZES:
        raise ValidationError(_("大きさを選んでください。"))
    _check_layout(size, layout)
    menu = Menu(size=size, updated_by=actor, **_menu_data(data))
    summary = _("リッチメニュー「%(name)s」を作成") % {"name": menu.name}
    with audited_change(actor=actor, obj=menu, summary=summary, fields=MENU_AUDITED):
        menu.save()
        MenuTab.objects.create(menu=menu, position=0, title=first_tab.strip(), layout=layout)
    return menu


@transaction.atomic
def menu_update(*, actor: Staff, menu: Menu, data: dict[str, Any]) -> Menu:
    """Change the menu's settings (name, purpose, menu bar text, colours…); its size is fixed."""
    _require_edit(actor)
    if menu.purpose != data.get("purpose", menu.purpose) and _is_in_use(menu):
        raise ValidationError(_("表示中のメニューの用途は変更できません。"))
    changed = _menu_data(data)
    summary = _("リッチメニュー「%(name)s」の設定を変更") % {"name": changed.get("name", menu.name)}
    with audited_change(actor=actor, obj=menu, summary=summary, fields=MENU_AUDITED):
        for field, value in changed.items():
            setattr(menu, field, value)
        menu.updated_by = actor
        menu.save()
    return menu


def _is_in_use(menu: Menu) -> bool:
    state = selectors.account_state()
    return menu.pk in (state.default_menu_id, state.emergency_menu_id)


def menu_delete(*, actor: Staff, menu: Menu) -> None:
    """Delete a menu that is not on LINE (withdraw a published one first)."""
    _require_edit(actor)
    if menu.versions.filter(is_live=True).exists():
        raise ValidationError(_("公開中のメニューは削除できません。先に公開を終了してください。"))
    _previews_clear(menu.previews.filter(is_active=True))
    with transaction.atomic():
        audited_delete(
            actor=actor,
            obj=menu,
            summary=_("リッチメニュー「%(name)s」を削除") % {"name": menu.name},
            fields=MENU_AUDITED,
        )


def _check_layout(size: str, layout: str) -> layouts.Template:
    template = layouts.TEMPLATES.get(layout)
    if template is None or template.size != size:
        raise ValidationError(_("このメニューの大きさで使えるレイアウトを選んでください。"))
    return template


def _touch(menu: Menu, actor: Staff) -> None:
    menu.updated_by = actor
    menu.save(update_fields=["updated_by", "updated_at"])


@transaction.atomic
def tab_create(*, actor: Staff, menu: Menu, title: str, layout: str) -> MenuTab:
    _require_edit(actor)
    _check_layout(menu.size, layout)
    count = menu.tabs.count()
    if count >= layouts.MAX_TABS:
        raise ValidationError(_("タブは%(max)d個までです。") % {"max": layouts.MAX_TABS})
    tab = MenuTab.objects.create(menu=menu, position=count, title=title.strip(), layout=layout)
    _touch(menu, actor)
    audit_record(
        action=Action.CREATE,
        actor=actor,
        target=menu,
        summary=_("リッチメニュー「%(menu)s」にタブ「%(tab)s」を追加")
        % {"menu": menu.name, "tab": tab.title},
        changes={"tab": tab.title, "layout": layout},
    )
    return tab


@dataclass(frozen=True)
class TileInput:
    """One tile as the tab form gives it; ``image`` None keeps the stored picture unless ``clear_image``."""

    label: str
    icon: str
    colour: str
    action_type: str
    action_value: str
    image: UploadedFile | None = None
    clear_image: bool = False
    translations: Mapping[str, Any] = field(default_factory=dict)  # {language: {"label": …}}


@transaction.atomic
def tab_update(
    *,
    actor: Staff,
    tab: MenuTab,
    title: str,
    layout: str,
    tiles: Sequence[TileInput],
    design: UploadedFile | None = None,
    clear_design: bool = False,
    title_translations: Mapping[str, Any] | None = None,
) -> MenuTab:
    """Save a tab: its title, layout and exactly the layout's number of tiles (all checked first);
    ``title_translations`` ({language: {"title": …}}) None keeps the titles in other languages."""
    _require_edit(actor)
    menu = tab.menu
    template = _check_layout(menu.size, layout)
    if len(tiles) != template.tile_count:
        raise ValidationError(_("このレイアウトのタイルは%(count)d個です。") % {"count": template.tile_count})
    problems: list[str] = []
    for number, given in enumerate(tiles, start=1):
        try:
            actions.check(given.action_type, given.action_value)
        except ValidationError as exc:
            problems.extend(f"{_('タイル%(n)d') % {'n': number}}: {m}" for m in exc.messages)
    if problems:
        raise ValidationError(problems)
    existing = {t.position: t for t in tab.tiles.all()}
    before = {
        "title": tab.title,
        "title_translations": tab.translations,
        "layout": tab.layout,
        "tiles": [snapshot(existing[p], TILE_AUDITED) for p in sorted(existing)],
    }
    tab.title, tab.layout = title.strip(), layout
    if title_translations is not None:
        tab.translations = translations.cleaned(title_translations)
    if design is not None:
        tab.design_image.name = image_store(
            design, folder="designs", exact_size=(menu.size_spec.width, menu.size_spec.height)
        )
    elif clear_design:
        tab.design_image.name = ""
    tab.save()
    for position, tile_input in enumerate(tiles):
        tile = existing.pop(position, None) or MenuTile(tab=tab, position=position)
        for name in TILE_FIELDS:
            setattr(tile, name, getattr(tile_input, name).replace("\r\n", "\n").strip())
        tile.translations = translations.cleaned(
            {
                code: {name: str(text).replace("\r\n", "\n") for name, text in texts.items()}
                for code, texts in tile_input.translations.items()
            }
        )
        if tile_input.image is not None:
            tile.image.name = image_store(tile_input.image, folder="tiles")
        elif tile_input.clear_image:
            tile.image.name = ""
        tile.save()
    MenuTile.objects.filter(pk__in=[t.pk for t in existing.values()]).delete()
    _touch(menu, actor)
    after = {
        "title": tab.title,
        "title_translations": tab.translations,
        "layout": tab.layout,
        "tiles": [snapshot(t, TILE_AUDITED) for t in tab.tiles.order_by("position")],
    }
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=menu,
        summary=_("リッチメニュー「%(menu)s」のタブ「%(tab)s」を編集")
        % {"menu": menu.name, "tab": tab.title},
        changes=changes_between(before, after),
    )
    return tab


@transaction.atomic
def tab_delete(*, actor: Staff, tab: MenuTab) -> None:
    _require_edit(actor)
    menu = tab.menu
    if menu.tabs.count() <= 1:
        raise ValidationError(_("最後のタブは削除できません。"))
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=menu,
        summary=_("リッチメニュー「%(menu)s」のタブ「%(tab)s」を削除")
        % {"menu": menu.name, "tab": tab.title},
        changes={
            "tab": tab.title,
            "tiles": [snapshot(t, TILE_AUDITED) for t in tab.tiles.order_by("position")],
        },
    )
    tab.delete()
    _renumber(menu, list(menu.tabs.order_by("position")))
    _touch(menu, actor)


@transaction.atomic
def tab_move(*, actor: Staff, tab: MenuTab, offset: int) -> None:
    """Move a tab left (-1) or right (+1) in the strip."""
    _require_edit(actor)
    menu = tab.menu
    tabs = list(menu.tabs.order_by("position"))
    index = next(i for i, t in enumerate(tabs) if t.pk == tab.pk)
    target = index + offset
    if not 0 <= target < len(tabs):
        return
    tabs.insert(target, tabs.pop(index))
    _renumber(menu, tabs)
    _touch(menu, actor)
    audit_record(
        action=Action.UPDATE,
        actor=actor,
        target=menu,
        summary=_("リッチメニュー「%(menu)s」のタブの順番を変更") % {"menu": menu.name},
        changes={"tabs": [t.title for t in tabs]},
    )


def _renumber(menu: Menu, tabs: list[MenuTab]) -> None:
    # Positions are unique per menu: park them out of the way before giving the final ones.
    for offset, tab in enumerate(tabs):
        MenuTab.objects.filter(pk=tab.pk).update(position=1000 + offset)
    for position, tab in enumerate(tabs):
        MenuTab.objects.filter(pk=tab.pk).update(position=position)


# --- LINE: the account lock and the sync --------------------------------------------------------


class Busy(ValidationError):
    pass


def _lock_take(token: str) -> bool:
    now = timezone.now()
    free = Q(lock_token="") | Q(locked_at__lt=now - AccountMenuState.LOCK_TTL)
    return bool(AccountMenuState.objects.filter(free, pk=1).update(lock_token=token, locked_at=now))


@contextmanager
def _account_lock(*, wait: float = 0) -> Iterator[None]:
    """Hold the account lock; ``wait`` seconds for it (the emergency switch waits out a publish)."""
    selectors.account_state()
    token = secrets.token_hex(16)
    deadline = time.monotonic() + wait
    while not _lock_take(token):
        if time.monotonic() >= deadline:
            raise Busy(
                _(
                    "他の職員がメニューを公開または切替しているところです。しばらくしてからもう一度お試しください。"
                )
            )
        time.sleep(0.5)
    try:
        yield
    finally:
        AccountMenuState.objects.filter(pk=1, lock_token=token).update(lock_token="", locked_at=None)


def _active_version() -> MenuVersion | None:
    """The live version of the menu friends see now (the emergency menu while it is on)."""
    state = selectors.account_state()
    active_id = state.emergency_menu_id or state.default_menu_id
    if active_id is None:
        return None
    return MenuVersion.objects.filter(menu_id=active_id, is_live=True).prefetch_related("tabs").first()


def _sync_line(*, retire: bool = True) -> None:
    """Make LINE show what the records say (see the module docstring). Safe to repeat.

    Each language's tabs have their own aliases; the aliases of a menu not shown point at the shown
    menu's first tab in the same language. ``retire``: delete the LINE menus of versions no longer
    live now (else ``_retire_replaced`` does, once residents are linked to the new ones).
    """
    live = list(MenuVersion.objects.filter(is_live=True).select_related("menu").prefetch_related("tabs"))
    active = _active_version()
    active = next((v for v in live if active is not None and v.pk == active.pk), None)
    wanted = {}
    for version in live:
        for language in version.menu_languages:
            if active is None or version.pk == active.pk:
                first = ""
            else:
                first = active.tabs_in(active.menu_language(language))[0].line_rich_menu_id
            for index, tab in enumerate(version.tabs_in(language)):
                wanted[version.menu.alias_id(index, language)] = first or tab.line_rich_menu_id
    existing = line_api.aliases()
    for alias_id, target in wanted.items():
        if alias_id not in existing:
            line_api.alias_create(alias_id, target)
        elif existing[alias_id] != target:
            line_api.alias_update(alias_id, target)
    if active is not None:
        line_api.default_set(active.japanese_tabs[0].line_rich_menu_id)
    for alias_id in existing:
        if alias_id.startswith("cl-m") and alias_id not in wanted:
            line_api.alias_delete(alias_id)
    if retire:
        _retire_replaced()


def _retire_replaced() -> None:
    """Delete from LINE the menus of versions no longer live (their per-user links go with them)."""
    for old in PublishedTab.objects.filter(version__is_live=False).exclude(line_rich_menu_id=""):
        line_api.menu_delete(old.line_rich_menu_id)
        PublishedTab.objects.filter(pk=old.pk).update(line_rich_menu_id="")


def _sync_or_explain(*, retire: bool = True) -> None:
    try:
        _sync_line(retire=retire)
    except LineCallFailed as exc:
        raise ValidationError(
            _(
                "記録は更新しましたが、LINEへの反映の途中で失敗しました（%(error)s）。"
                "「緊急メニューの切替」画面の「LINEに再反映」を押してください。"
            )
            % {"error": exc}
        ) from exc


def _line_menus_create(bodies: list[dict[str, Any]], images: Sequence[bytes]) -> list[str]:
    """Create the rich menus with their images; on failure delete what was created and explain."""
    created: list[str] = []
    try:
        for body, image in zip(bodies, images, strict=True):
            created.append(line_api.menu_create(body))
            line_api.image_upload(created[-1], image)
    except LineCallFailed as exc:
        _line_menus_delete(created)
        raise ValidationError(str(exc)) from exc
    return created


def _line_menus_delete(rich_menu_ids: Sequence[str]) -> None:
    for rich_menu_id in rich_menu_ids:
        try:
            line_api.menu_delete(rich_menu_id)
        except LineCallFailed:
            logger.warning("rich menu %s could not be deleted from LINE", rich_menu_id)


# --- previews (X-11) ------------------------------------------------------------------------------


def _previews_clear(previews: Any) -> None:
    """Delete the previews' menus and aliases from LINE (their devices then see the default menu)."""
    for preview in list(previews):
        for index in range(len(preview.line_rich_menu_ids)):
            try:
                line_api.alias_delete(preview.alias_id(index))
            except LineCallFailed:
                logger.warning("preview alias %s could not be deleted", preview.alias_id(index))
        _line_menus_delete(preview.line_rich_menu_ids)
        MenuPreview.objects.filter(pk=preview.pk).update(is_active=False)


def menu_preview(*, actor: Staff, menu: Menu, recipient_id: int) -> MenuPreview:
    """Show the draft on one of the caller's department's test devices only (linked to that user)."""
    _require_edit(actor)
    recipient = access_or_404(PreviewRecipient.objects.select_related("friend"), actor, pk=recipient_id)
    # The device shows the draft in its resident's language, as residents reading it will see it.
    language = recipient.friend.resident_language
    content = content_of(menu, language)
    images = _rendered(content, language)
    # One preview per device: the previous one (of any menu) is taken off first.
    _previews_clear(MenuPreview.objects.filter(recipient=recipient, is_active=True))
    preview = MenuPreview.objects.create(menu=menu, recipient=recipient, created_by=actor)
    with languages.speaking(language):
        bodies = line_bodies(content, preview.alias_id)
    ids = _line_menus_create(bodies, images)
    preview.line_rich_menu_ids = ids
    preview.save(update_fields=["line_rich_menu_ids"])
    try:
        for index, rich_menu_id in enumerate(ids):
            line_api.alias_create(preview.alias_id(index), rich_menu_id)
        line_api.user_link(recipient.friend.user_id, ids[0])
    except LineCallFailed as exc:
        _previews_clear([preview])
        raise ValidationError(str(exc)) from exc
    audit_record(
        action=Action.SEND,
        actor=actor,
        target=menu,
        summary=_("リッチメニュー「%(menu)s」の下書きをテスト端末「%(label)s」に表示")
        % {"menu": menu.name, "label": recipient.label},
        changes={"preview_id": preview.pk, "line_user_id": recipient.friend.user_id, "tabs": len(ids)},
    )
    return preview


# --- publishing and rollback (RM-2) ----------------------------------------------------------------


@dataclass(frozen=True)
class DrawnMenu:
    """A version's tabs in one language, as they go to LINE."""

    language: str
    titles: list[str]
    bodies: list[dict[str, Any]]
    images: list[bytes]


def _rendered(content: MenuContent, language: str) -> list[bytes]:
    """Every tab drawn; problems of a translation name its language (in the staff's words)."""
    try:
        return render(content)
    except rendering.FontMissing:
        raise
    except ValidationError as exc:
        if language == languages.JAPANESE:
            raise
        name = languages.names()[language]
        raise ValidationError([f"{name}: {message}" for message in exc.messages]) from exc


def _alias_in(menu: Menu, language: str, index: int) -> str:
    return menu.alias_id(index, language)


def _drawn(menu: Menu) -> tuple[list[DrawnMenu], dict[str, str], dict[str, Any]]:
    """The draft drawn in each language that needs its own menu; every language → the one it sees;
    what the version keeps of it (``published_form``). Every problem of every language is reported."""
    contents, seen_as = contents_by_language(menu)
    drawn, problems = [], []
    for language, content in contents.items():
        try:
            images = _rendered(content, language)
        except rendering.FontMissing:
            raise
        except ValidationError as exc:
            problems.extend(exc.messages)
            continue
        # The screen reader's words of each area (「外部サイト」…) are the resident's language too.
        with languages.speaking(language):
            bodies = line_bodies(content, partial(_alias_in, menu, language))
        drawn.append(DrawnMenu(language, [tab.title for tab in content.tabs], bodies, images))
    if problems:
        raise ValidationError(problems)
    return drawn, seen_as, published_form(contents)


def _publish(
    *,
    menu: Menu,
    content: dict[str, Any],
    drawn: Sequence[DrawnMenu],
    seen_as: dict[str, str],
    actor: Staff,
    restored_from: MenuVersion | None,
) -> MenuVersion:
    ids = _line_menus_create(
        [body for each in drawn for body in each.bodies], [image for each in drawn for image in each.images]
    )
    remaining = iter(ids)
    ids_of = {each.language: [next(remaining) for _ in each.bodies] for each in drawn}
    now = timezone.now()
    with transaction.atomic():
        previous = MenuVersion.objects.select_for_update().filter(menu=menu, is_live=True).first()
        if previous is not None:
            MenuVersion.objects.filter(pk=previous.pk).update(is_live=False, withdrawn_at=now)
        number = (menu.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = MenuVersion.objects.create(
            menu=menu,
            number=number,
            content=content,
            seen_as=seen_as,
            is_live=True,
            restored_from=restored_from,
            published_at=now,
            published_by=actor,
        )
        for each in drawn:
            suffix = "" if each.language == languages.JAPANESE else f"-{each.language}"
            for position, (title, body, image, rich_menu_id) in enumerate(
                zip(each.titles, each.bodies, each.images, ids_of[each.language], strict=True)
            ):
                PublishedTab.objects.create(
                    version=version,
                    language=each.language,
                    position=position,
                    title=title,
                    body=body,
                    image=ContentFile(image, name=f"menu{menu.pk}-v{number}-tab{position + 1}{suffix}.jpg"),
                    line_rich_menu_id=rich_menu_id,
                )
        state = AccountMenuState.objects.select_for_update().get(pk=1)
        replaced = None
        if menu.purpose == Menu.Purpose.NORMAL and state.default_menu_id != menu.pk:
            replaced = state.default_menu
            state.default_menu = menu
            state.save(update_fields=["default_menu"])
            if replaced is not None:
                replaced.versions.filter(is_live=True).update(is_live=False, withdrawn_at=now)
        summary = (
            _("リッチメニュー「%(menu)s」を第%(from)d版に戻して公開（第%(n)d版）")
            % {"menu": menu.name, "from": restored_from.number, "n": number}
            if restored_from
            else _("リッチメニュー「%(menu)s」の第%(n)d版を公開") % {"menu": menu.name, "n": number}
        )
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=menu,
            summary=summary,
            changes={
                "version": number,
                "previous_version": previous.number if previous else None,
                "restored_from": restored_from.number if restored_from else None,
                "replaced_default_menu": replaced.name if replaced else None,
                "line_rich_menu_ids": ids,
                "languages": seen_as,
            },
        )
    # Residents linked to their language's menu keep the replaced one until the worker has linked
    # them to the new one (``_after_publish``): only then are the replaced menus deleted from LINE.
    _sync_or_explain(retire=not _is_shown(menu))
    _previews_clear(menu.previews.filter(is_active=True))
    return version


def _is_shown(menu: Menu) -> bool:
    state = selectors.account_state()
    return menu.pk == (state.emergency_menu_id or state.default_menu_id)


def _after_publish(menu: Menu) -> None:
    """Once the account lock is released: relink residents of other languages to the shown menu."""
    if _is_shown(menu):
        _enqueue_language_links()


def menu_publish(*, actor: Staff, menu: Menu) -> MenuVersion:
    """Put the draft on LINE as the menu's next version (a normal menu becomes the default menu);
    one LINE menu per language residents need (issue 21), the Japanese one being LINE's default."""
    _require_edit(actor)
    drawn, seen_as, published = _drawn(menu)
    with _account_lock():
        version = _publish(
            menu=menu,
            content=published,
            drawn=drawn,
            seen_as=seen_as,
            actor=actor,
            restored_from=None,
        )
    _after_publish(menu)
    return version


def menu_rollback(*, actor: Staff, menu: Menu) -> MenuVersion:
    """Publish again exactly the version that was live before the current one (as a new version)."""
    _require_edit(actor)
    target = selectors.rollback_target(menu)
    if target is None:
        raise ValidationError(_("戻せる前の版がありません。"))
    drawn = []
    for language in target.menu_languages:
        tabs = target.tabs_in(language)
        images = []
        for tab in tabs:
            with tab.image.open("rb") as stored:
                images.append(stored.read())
        drawn.append(DrawnMenu(language, [t.title for t in tabs], [t.body for t in tabs], images))
    with _account_lock():
        version = _publish(
            menu=menu,
            content=target.content,
            drawn=drawn,
            seen_as=target.seen_as,
            actor=actor,
            restored_from=target,
        )
    _after_publish(menu)
    return version


def menu_withdraw(*, actor: Staff, menu: Menu) -> None:
    """Take a published menu off LINE; not the one friends see now (publish or switch another first)."""
    _require_edit(actor)
    if _is_in_use(menu):
        raise ValidationError(
            _(
                "このメニューは現在友だちに表示されているか、通常時のメニューです。別のメニューを公開してから終了してください。"
            )
        )
    with _account_lock():
        with transaction.atomic():
            withdrawn = menu.versions.filter(is_live=True).update(is_live=False, withdrawn_at=timezone.now())
            if withdrawn:
                audit_record(
                    action=Action.UPDATE,
                    actor=actor,
                    target=menu,
                    summary=_("リッチメニュー「%(menu)s」の公開を終了") % {"menu": menu.name},
                )
        _sync_or_explain()


def line_resync(*, actor: Staff) -> None:
    """Apply the records to LINE again, after a publish or switch was interrupted half-way."""
    _require_switch(actor)
    with _account_lock():
        _sync_or_explain(retire=False)
    _enqueue_language_links()
    audit_record(action=Action.UPDATE, actor=actor, summary=_("リッチメニューをLINEに再反映"))


# --- residents' languages (issue 21) ------------------------------------------------------------------
# LINE's default menu is the Japanese one; a resident whose language has a menu of its own is linked
# to it (a per-user menu wins over the default). Links are made on the worker only: in bulk after a
# publish or a switch (500 residents a request, many in flight), one resident when their language
# changes (受信設定, or their LINE app's language read at follow).

CANDIDATES_CHUNK = 5000


def _language_targets(version: MenuVersion | None) -> dict[str, str]:
    """Resident language → the LINE menu its readers are linked to (the version's first tab in the
    language they see); languages that see the Japanese menu are absent: the default serves them."""
    if version is None:
        return {}
    targets = {}
    for code in languages.resident_languages():
        seen = version.menu_language(code)
        tabs = version.tabs_in(seen) if seen != languages.JAPANESE else []
        if tabs and tabs[0].line_rich_menu_id:
            targets[code] = tabs[0].line_rich_menu_id
    return targets


def _friends_linked_by_language(targets: dict[str, str]) -> Iterator[tuple[str, str]]:
    """(user_id, LINE menu) of every following friend whose language has a menu of its own, in
    primary-key order; the database leaves out everyone whose settings can only mean Japanese."""
    if not targets:
        return
    offered = languages.resident_languages()
    others = [code for code in offered if code != languages.JAPANESE]
    maybe_other = Q(preferred_language__in=others) | (
        ~Q(preferred_language__in=offered)
        & ~Q(language="")
        & ~Q(language__iexact=languages.JAPANESE)
        & ~Q(language__istartswith=f"{languages.JAPANESE}-")
    )
    # Whether they follow is checked here, not by the database: with it, SQLite reads the state
    # index and sorts every following friend for each chunk (minutes at a million friends).
    candidates = Friend.objects.filter(maybe_other).order_by("pk")
    columns = ("pk", "user_id", "preferred_language", "language", "state")
    reading = language_reader()
    last = 0
    while True:
        rows = list(candidates.filter(pk__gt=last).values_list(*columns)[:CANDIDATES_CHUNK])
        if not rows:
            return
        for _pk, user_id, preferred, line_tag, state in rows:
            target = targets.get(reading(preferred, line_tag))
            if target and state == Friend.State.FOLLOWING and USER_ID.match(user_id):
                yield user_id, target
        last = rows[-1][0]


def _link_by_language(targets: dict[str, str]) -> int:
    """Link every friend whose language has its own menu to it (LINE's bulk link, 500 a request,
    many in flight; linking replaces whatever menu they had). Returns the number of requests."""

    def requests() -> Iterator[messaging.BulkRequest]:
        waiting: dict[str, list[str]] = {}
        number = 0
        for user_id, target in _friends_linked_by_language(targets):
            batch = waiting.setdefault(target, [])
            batch.append(user_id)
            if len(batch) == line_api.BULK_MAX_USERS:
                number += 1
                yield messaging.BulkRequest(number, {"richMenuId": target, "userIds": batch})
                waiting[target] = []
        for target, batch in waiting.items():
            if batch:
                number += 1
                yield messaging.BulkRequest(number, {"richMenuId": target, "userIds": batch})

    sender = messaging.BulkSender("richmenu_bulk", "/v2/bot/richmenu/bulk/link")
    sent = 0
    for result in sender.run(requests()):
        if not result.outcome.accepted:
            raise LineCallFailed(
                _("言語ごとのメニューの設定"), result.outcome.error, result.outcome.http_status
            )
        sent += 1
    if sender.halted:
        raise LineCallFailed(_("言語ごとのメニューの設定"), _("LINEに接続できません"), None)
    return sent


def language_links_refresh() -> int:
    """The worker's part after a publish, a rollback or a re-sync: residents of other languages get
    the shown menu in theirs, then the replaced menus are deleted from LINE. Returns the requests."""
    with _account_lock(wait=LOCK_WAIT_FOR_SWITCH):
        requests = _link_by_language(_language_targets(_active_version()))
    _retire_replaced()
    return requests


def resident_menu_refresh(*, friend_id: int) -> None:
    """Give one resident the shown menu in the language they read now (it changed, or they followed)."""
    friend = Friend.objects.filter(pk=friend_id, state=Friend.State.FOLLOWING).first()
    if friend is None or not USER_ID.match(friend.user_id):
        return
    target = _language_targets(_active_version()).get(friend.resident_language, "")
    line_api.user_menu_set(friend.user_id, target)


def _enqueue_language_links() -> None:
    from .tasks import language_links_task

    transaction.on_commit(lambda: language_links_task())


# --- the emergency switch (RM-4) --------------------------------------------------------------------


def emergency_switch_start(
    *, actor: Staff | None, direction: str, menu_id: int | None = None
) -> EmergencySwitch:
    """Switch every friend to the emergency menu (``direction="on"``) or back; runs in the worker.

    ``actor`` None: the city's alert policy switches automatically (audited under the current
    audit context's label, e.g. 自動処理（気象庁情報）); the system administrator set that policy.
    """
    if actor is not None:
        _require_switch(actor)
    state = selectors.account_state()
    running = selectors.running_switch()
    if running is not None and not selectors.is_stale(running):
        raise Busy(_("切替の処理中です。完了してから操作してください。"))
    if direction == EmergencySwitch.Direction.ON:
        menu = selectors.prepared_emergency_menus().filter(pk=menu_id).first()
        if menu is None:
            raise ValidationError(_("公開（準備）済みの緊急メニューを選んでください。"))
        if state.emergency_menu_id == menu.pk:
            raise ValidationError(_("この緊急メニューは既に表示中です。"))
    elif direction == EmergencySwitch.Direction.OFF:
        if state.emergency_menu_id is None:
            raise ValidationError(_("緊急メニューは表示されていません。"))
        menu = state.default_menu
        if menu is None or not menu.versions.filter(is_live=True).exists():
            raise ValidationError(
                _("戻す通常メニューが公開されていません。先に通常メニューを公開してください。")
            )
    else:
        raise ValidationError(_("切替の種類が正しくありません。"))
    with transaction.atomic():
        if running is not None:
            EmergencySwitch.objects.filter(pk=running.pk).update(
                status=EmergencySwitch.Status.FAILED,
                error=_("処理が中断されたため、新しい切替に置き換えました。"),
            )
        switch = EmergencySwitch.objects.create(
            direction=direction,
            menu=menu,
            menu_name=menu.name,
            requested_by=actor,
            started_at=timezone.now(),
            friends_total=Friend.objects.filter(state=Friend.State.FOLLOWING).count(),
        )
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=switch,
            summary=_("%(direction)s（「%(menu)s」）を開始")
            % {"direction": switch.get_direction_display(), "menu": menu.name},
            changes={"direction": direction, "menu": menu.name, "friends": switch.friends_total},
        )
        _enqueue_switch(switch)
    return switch


def emergency_switch_resume(*, actor: Staff, switch: EmergencySwitch) -> None:
    """Staff continue a switch that failed (LINE refused or was unreachable) from where it stopped."""
    _require_switch(actor)
    resumable = switch.status == EmergencySwitch.Status.FAILED or selectors.is_stale(switch)
    if not resumable or switch.menu_id is None:
        raise ValidationError(_("この切替は再開できません。"))
    with transaction.atomic():
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=switch,
            summary=_("%(direction)sを再開") % {"direction": switch.get_direction_display()},
        )
        emergency_switch_continue(switch=switch)


def emergency_switch_continue(*, switch: EmergencySwitch) -> None:
    """Queue the switch to run again from the friend where it stopped."""
    EmergencySwitch.objects.filter(pk=switch.pk).update(
        status=EmergencySwitch.Status.RUNNING, error="", updated_at=timezone.now()
    )
    _enqueue_switch(switch)


def _enqueue_switch(switch: EmergencySwitch) -> None:
    from .tasks import emergency_switch_task

    transaction.on_commit(lambda: emergency_switch_task(switch.pk))


# LINE works through a batch in the background; civicline asks how far it is at growing intervals
# (its progress endpoint allows 100 requests an hour), and gives up waiting after BATCH_WAIT.
BATCH_POLL_DELAYS = (0.25, 0.5, 1, 2, 4, 8, 15)
BATCH_POLL_EVERY = 30
BATCH_WAIT = 600
# Why the batch could not be used, so the switch removes the per-user menus 500 friends at a time.
BATCH_UNAVAILABLE = {429, None} | set(range(500, 600))

PROGRESS_EVERY = 0.5  # seconds between saves of a switch's progress while unlinking one by one

# Tests replace this to poll without waiting.
_sleep: Callable[[float], None] = time.sleep


def _linked_menus() -> list[str]:
    """The LINE menus a friend can have as their own: the live menus' tabs (a tab switch links one).

    Test devices' previews are left alone; menus of older versions are deleted from LINE, and
    their links with them.
    """
    tabs = PublishedTab.objects.filter(version__is_live=True).exclude(line_rich_menu_id="")
    return sorted(set(tabs.values_list("line_rich_menu_id", flat=True)))


def _unlink_by_batch(
    switch: EmergencySwitch, progress: Callable[[EmergencySwitch], None], keep: Sequence[str] = ()
) -> bool:
    """Remove every friend's per-user menu with one batch request; False: use ``_unlink_everyone``.

    One request whatever the number of friends (LINE's batch endpoint, 2023-07): the switch costs
    civicline the same for 1,000 friends as for 2,000,000. LINE allows 3 an hour, so a switch back
    and forth within minutes, or LINE refusing or unreachable, falls back to the one-by-one way.
    """
    if not switch.line_request_id:
        # The menus residents of other languages were just linked to stay linked.
        menus = [menu for menu in _linked_menus() if menu not in keep]
        if not menus:
            return True
        try:
            request_id = line_api.menus_unlink_batch(menus, resume_key=f"civicline-switch-{switch.pk}")
        except LineCallFailed as exc:
            if exc.status in BATCH_UNAVAILABLE:
                logger.warning("emergency switch %s: no batch (%s); one by one instead", switch.pk, exc)
                return False
            raise
        switch.method, switch.line_request_id, switch.line_accepted_at = (
            EmergencySwitch.Method.BATCH,
            request_id,
            timezone.now(),
        )
        switch.requests += 1
        switch.save(update_fields=["method", "line_request_id", "line_accepted_at", "requests", "updated_at"])
    waited = 0.0
    for attempt in range(10_000):
        delay = BATCH_POLL_DELAYS[attempt] if attempt < len(BATCH_POLL_DELAYS) else BATCH_POLL_EVERY
        _sleep(delay)
        waited += delay
        try:
            phase = line_api.menus_unlink_batch_phase(switch.line_request_id)
        except LineCallFailed as exc:
            logger.warning("emergency switch %s: progress unknown (%s)", switch.pk, exc)
            phase = "ongoing"
        if phase == "succeeded":
            # Every friend has it now: those counted at the start (or, for a switch taken over from
            # a worker that died before counting, those following now).
            switch.friends_done = (
                switch.friends_total or Friend.objects.filter(state=Friend.State.FOLLOWING).count()
            )
            progress(switch)
            return True
        if phase == "failed" or waited >= BATCH_WAIT:
            # Unlinking again is harmless: the one-by-one way finishes whatever LINE did not.
            logger.warning("emergency switch %s: LINE's batch %s; one by one instead", switch.pk, phase)
            return False
        progress(switch)  # the switch is alive: the sweep must not take it for stalled
    return False


def _unlink_everyone(
    switch: EmergencySwitch, progress: Callable[[EmergencySwitch], None], targets: dict[str, str]
) -> None:
    """Remove every friend's per-user menu, 500 per request, many requests in flight, in primary-key
    order; resumable: ``last_friend_pk`` only passes a friend once every request up to them is done.
    Friends whose language has its own menu (``targets``) keep the link just made."""
    # Every friend in primary-key order, followers picked here: filtering by state in the database
    # made SQLite sort all following friends for each 500 (a quarter of an hour at a million).
    friends = Friend.objects.order_by("pk").values_list(
        "pk", "user_id", "preferred_language", "language", "state"
    )
    reading = language_reader()
    if switch.method != EmergencySwitch.Method.EACH:
        switch.method = EmergencySwitch.Method.EACH
        switch.save(update_fields=["method", "updated_at"])
    # Requests not yet passed by the mark: number → (its last friend's pk, its friends), and done.
    open_requests: dict[int, tuple[int, int]] = {}
    done: set[int] = set()

    def requests() -> Iterator[messaging.BulkRequest]:
        last, number = switch.last_friend_pk, 0
        while True:
            batch = list(friends.filter(pk__gt=last)[: line_api.BULK_MAX_USERS])
            if not batch:
                return
            number += 1
            last = batch[-1][0]
            following = [row for row in batch if row[4] == Friend.State.FOLLOWING]
            open_requests[number] = (last, len(following))
            user_ids = [
                user_id
                for _, user_id, preferred, line_tag, _state in following
                if USER_ID.match(user_id) and reading(preferred, line_tag) not in targets
            ]
            if user_ids:
                yield messaging.BulkRequest(number, {"userIds": user_ids})
            else:
                done.add(number)  # no id LINE could know: nothing to unlink

    def advance() -> None:
        while open_requests and min(open_requests) in done:
            switch.last_friend_pk, friends = open_requests.pop(min(open_requests))
            switch.friends_done += friends

    sender = messaging.BulkSender("richmenu_bulk", "/v2/bot/richmenu/bulk/unlink")
    saved = time.monotonic()
    for result in sender.run(requests()):
        outcome = result.outcome
        if not outcome.accepted:
            progress(switch)
            raise LineCallFailed(_("利用者ごとのメニューの解除"), outcome.error, outcome.http_status)
        switch.requests += 1
        done.add(result.request.key)
        advance()
        if time.monotonic() - saved >= PROGRESS_EVERY:
            # The staff's page reads it every 2 seconds; writing it for each request would cost a
            # commit per 500 friends.
            progress(switch)
            saved = time.monotonic()
    advance()
    progress(switch)
    if sender.halted or open_requests:
        raise LineCallFailed(_("利用者ごとのメニューの解除"), _("LINEに接続できません"), None)


def emergency_switch_run(*, switch_id: int) -> EmergencySwitch:
    """The worker's part: change the active menu on LINE, then reach every friend; record the timing."""
    switch = EmergencySwitch.objects.select_related("menu", "requested_by").get(pk=switch_id)
    if switch.status != EmergencySwitch.Status.RUNNING:
        return switch

    def save_progress(s: EmergencySwitch) -> None:
        s.save(update_fields=["friends_done", "requests", "last_friend_pk", "updated_at"])

    try:
        if switch.default_set_at is None:
            with _account_lock(wait=LOCK_WAIT_FOR_SWITCH):
                emergency = switch.menu if switch.direction == EmergencySwitch.Direction.ON else None
                AccountMenuState.objects.filter(pk=1).update(emergency_menu=emergency)
                _sync_line()
                # Residents of other languages (a minority) get the new menu in theirs first.
                switch.requests += _link_by_language(_language_targets(_active_version()))
            switch.default_set_at = timezone.now()
            switch.save(update_fields=["default_set_at", "requests", "updated_at"])
        targets = _language_targets(_active_version())
        if switch.method == EmergencySwitch.Method.EACH or not _unlink_by_batch(
            switch, save_progress, keep=list(targets.values())
        ):
            _unlink_everyone(switch, save_progress, targets)
    except (LineCallFailed, ValidationError) as exc:
        switch.status, switch.error = (
            EmergencySwitch.Status.FAILED,
            "; ".join(getattr(exc, "messages", [str(exc)])),
        )
        switch.save(update_fields=["status", "error", "updated_at"])
        audit_record(
            action=Action.UPDATE,
            actor=switch.requested_by,
            target=switch,
            summary=_("%(direction)sが失敗（%(done)d人まで反映）")
            % {"direction": switch.get_direction_display(), "done": switch.friends_done},
            changes={"error": switch.error},
        )
        return switch
    switch.status, switch.finished_at = EmergencySwitch.Status.DONE, timezone.now()
    switch.friends_total = switch.friends_done
    switch.save(update_fields=["status", "finished_at", "friends_total", "updated_at"])
    seconds = switch.duration.total_seconds()
    audit_record(
        action=Action.UPDATE,
        actor=switch.requested_by,
        target=switch,
        summary=_("%(direction)sが完了：友だち%(friends)d人に%(seconds).1f秒で反映")
        % {"direction": switch.get_direction_display(), "friends": switch.friends_done, "seconds": seconds},
        changes={
            "menu": switch.menu_name,
            "friends": switch.friends_done,
            "method": switch.method,
            "line_request_id": switch.line_request_id,
            "unlink_requests": switch.requests,
            "seconds_until_default_menu": (switch.default_set_at - switch.started_at).total_seconds(),
            "seconds_until_every_friend": seconds,
            "seconds_of_civicline": switch.seconds_of_civicline,
        },
    )
    return switch
