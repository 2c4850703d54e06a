"""Console pages of the rich menu (RM-1…RM-6, X-10, X-11): menus, tabs and tiles, preview on a test
device, publish and rollback, downloads for designers, the emergency switch, and who may edit.

Every staff member may look; changes need ``selectors.can_edit`` (or ``can_switch_emergency``),
checked again by the services. Views stay thin: access, call a service, respond.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicline.core import languages
from civicline.core.console.decorators import staff_required, system_admin_required
from civicline.line.phone import phone_url

from .. import actions, content, icons, layouts, rendering, selectors, services
from ..models import EmergencySwitch, Menu
from .forms import GrantForm, MenuForm, PreviewForm, TabCreateForm, TabForm, tile_forms

MENU_SETTINGS = ("name", "purpose", "chat_bar_text", "theme_colour", "heading", "opens_by_default")


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "richmenu/console/forbidden.html", {"message": message}, status=403)


def _editor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Pages that change a menu: the system administrator and departments granted "edit" only."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not selectors.can_edit(request.user):
            return _forbidden(
                request,
                _(
                    "リッチメニューを編集できるのは、システム管理者と、システム管理者が許可した課（広報担当など）の職員です。"
                ),
            )
        return view(request, *args, **kwargs)

    return staff_required(wrapped)


def _report(request: HttpRequest, exc: ValidationError | PermissionDenied) -> None:
    for message in getattr(exc, "messages", None) or [str(exc)]:
        messages.error(request, message)


# --- menus ----------------------------------------------------------------------------------------


@staff_required
def menu_list(request: HttpRequest) -> HttpResponse:
    state = selectors.account_state()
    menus = list(selectors.menu_list_for(fetched_by=request.user))
    names = languages.names()
    rows = [
        {
            "menu": menu,
            "live": menu.live_versions[0] if menu.live_versions else None,
            "is_default": menu.pk == state.default_menu_id,
            "is_emergency_on": menu.pk == state.emergency_menu_id,
            "missing": [names[code] for code in content.missing_languages(menu)],
        }
        for menu in menus
    ]
    return render(
        request,
        "richmenu/console/menu_list.html",
        {"rows": rows, "state": state, "can_edit": selectors.can_edit(request.user)},
    )


@_editor
def menu_create(request: HttpRequest) -> HttpResponse:
    form = MenuForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            menu = services.menu_create(
                actor=request.user,
                data={
                    **{k: data[k] for k in MENU_SETTINGS},
                    "size": data["size"],
                    "translations": form.translations_cleaned(),
                },
                first_tab=data["first_tab"],
                layout=layouts.default_template(data["size"]).key,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("メニュー「%(name)s」を作成しました。タイルを設定してください。") % {"name": menu.name},
            )
            return redirect("richmenu:menu-tab-edit", pk=menu.pk, position=0)
    return render(
        request, "richmenu/console/menu_form.html", {"form": form, "title": _("新しいリッチメニュー")}
    )


def _tab_rows(menu: Menu, draft: content.MenuContent) -> list[dict[str, Any]]:
    rows = []
    for index, tab in enumerate(menu.tabs.order_by("position")):
        problems: list[str] = []
        try:
            content.tab_checked(draft, index)
        except rendering.FontMissing:
            raise
        except ValidationError as exc:
            problems = exc.messages
        # Tiles that send residents out of LINE, listed where staff publish, so none goes by unnoticed.
        external = [
            tile
            for tile in sorted(tab.tiles.all(), key=lambda t: t.position)
            if actions.leaves_line(tile.action_type, tile.action_value)
        ]
        rows.append({"tab": tab, "problems": problems, "external": external})
    return rows


@staff_required
def menu_detail(request: HttpRequest, pk: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    draft = content.content_of(menu)
    live = selectors.live_version(menu)
    state = selectors.account_state()
    try:
        tab_rows = _tab_rows(menu, draft)
        font_problem = ""
    except rendering.FontMissing as exc:
        tab_rows, font_problem = (
            [{"tab": tab, "problems": []} for tab in menu.tabs.order_by("position")],
            exc.messages[0],
        )
    recipients = selectors.test_devices_for(fetched_by=request.user)
    previews = [
        (preview, phone_url(preview.recipient.friend.user_id) if preview.recipient else "")
        for preview in selectors.active_previews(menu)
    ]
    return render(
        request,
        "richmenu/console/menu_detail.html",
        {
            "menu": menu,
            "tab_rows": tab_rows,
            "font_problem": font_problem,
            "ready": not font_problem and not any(row["problems"] for row in tab_rows),
            "digest": content.digest(draft),
            "live": live,
            "language_menus": selectors.language_menus(live) if live else [],
            "missing": [languages.names()[code] for code in content.missing_languages(menu)],
            "unpublished": live is None
            or not content.is_published_as(content.contents_by_language(menu)[0], live.content),
            "versions": selectors.version_list(menu),
            "rollback_target": selectors.rollback_target(menu),
            "is_default": menu.pk == state.default_menu_id,
            "is_emergency_on": menu.pk == state.emergency_menu_id,
            "preview_form": PreviewForm(recipients=recipients),
            "has_recipients": recipients.exists(),
            "previews": previews,
            "can_edit": selectors.can_edit(request.user),
        },
    )


@_editor
def menu_update(request: HttpRequest, pk: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    form = MenuForm(request.POST or None, menu=menu)
    if request.method == "POST" and form.is_valid():
        try:
            services.menu_update(
                actor=request.user,
                menu=menu,
                data={
                    **{k: form.cleaned_data[k] for k in MENU_SETTINGS},
                    "translations": form.translations_cleaned(),
                },
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("メニューの設定を保存しました。"))
            return redirect("richmenu:menu-detail", pk=menu.pk)
    return render(
        request, "richmenu/console/menu_form.html", {"form": form, "menu": menu, "title": _("メニューの設定")}
    )


def _post_action(request: HttpRequest, pk: int, action: Callable[[Menu], str]) -> HttpResponse:
    """Run a POST action on a menu; its message on success, every problem on failure."""
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    try:
        done = action(menu)
    except (ValidationError, PermissionDenied) as exc:
        _report(request, exc)
    else:
        messages.success(request, done)
    return redirect("richmenu:menu-detail", pk=menu.pk)


@_editor
@require_POST
def menu_delete(request: HttpRequest, pk: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    try:
        services.menu_delete(actor=request.user, menu=menu)
    except ValidationError as exc:
        _report(request, exc)
        return redirect("richmenu:menu-detail", pk=menu.pk)
    messages.success(request, _("メニュー「%(name)s」を削除しました。") % {"name": menu.name})
    return redirect("richmenu:menu-list")


@_editor
@require_POST
def menu_publish(request: HttpRequest, pk: int) -> HttpResponse:
    def publish(menu: Menu) -> str:
        version = services.menu_publish(actor=request.user, menu=menu)
        return _("第%(n)d版を公開しました。LINEのメニューに反映されています。") % {"n": version.number}

    return _post_action(request, pk, publish)


@_editor
@require_POST
def menu_rollback(request: HttpRequest, pk: int) -> HttpResponse:
    def rollback(menu: Menu) -> str:
        version = services.menu_rollback(actor=request.user, menu=menu)
        return _("第%(from)d版の内容に戻しました（第%(n)d版として公開）。") % {
            "from": version.restored_from.number,
            "n": version.number,
        }

    return _post_action(request, pk, rollback)


@_editor
@require_POST
def menu_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    def withdraw(menu: Menu) -> str:
        services.menu_withdraw(actor=request.user, menu=menu)
        return _("公開を終了しました。")

    return _post_action(request, pk, withdraw)


@_editor
@require_POST
def menu_preview(request: HttpRequest, pk: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    form = PreviewForm(request.POST, recipients=selectors.test_devices_for(fetched_by=request.user))
    if not form.is_valid():
        messages.error(request, _("テスト端末を選んでください。"))
        return redirect("richmenu:menu-detail", pk=menu.pk)

    def preview(menu: Menu) -> str:
        shown = services.menu_preview(
            actor=request.user, menu=menu, recipient_id=form.cleaned_data["recipient"].pk
        )
        return _("テスト端末「%(label)s」にだけ、この下書きのメニューを表示しました。") % {
            "label": shown.recipient.label
        }

    return _post_action(request, pk, preview)


# --- tabs -----------------------------------------------------------------------------------------


@_editor
def tab_create(request: HttpRequest, pk: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    form = TabCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tab = services.tab_create(
                actor=request.user,
                menu=menu,
                title=form.cleaned_data["title"],
                layout=layouts.default_template(menu.size).key,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("richmenu:menu-tab-edit", pk=menu.pk, position=tab.position)
    return render(
        request,
        "richmenu/console/tab_create.html",
        {"form": form, "menu": menu},
    )


@_editor
def tab_edit(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    tab = selectors.access_tab(fetched_by=request.user, menu=menu, position=position)
    posted = request.method == "POST"
    form = TabForm(request.POST or None, request.FILES or None, tab=tab)
    tiles = tile_forms(tab, request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        count = layouts.TEMPLATES[form.cleaned_data["layout"]].tile_count
        in_use = tiles[:count]
        if all(tile.is_valid() for tile in in_use):
            try:
                services.tab_update(
                    actor=request.user,
                    tab=tab,
                    title=form.cleaned_data["title"],
                    layout=form.cleaned_data["layout"],
                    tiles=[tile.tile_input() for tile in in_use],
                    design=form.cleaned_data.get("design") or None,
                    clear_design=form.cleaned_data.get("clear_design", False),
                    title_translations=form.translations_cleaned(),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("タブ「%(title)s」を保存しました。") % {"title": tab.title})
                return redirect("richmenu:menu-detail", pk=menu.pk)
        else:
            form.add_error(None, _("入力内容に誤りのあるタイルがあります。"))
    titles = [t.title for t in menu.tabs.order_by("position")]
    with_strip = len(titles) > 1 or bool(menu.heading.strip())
    return render(
        request,
        "richmenu/console/tab_edit.html",
        {
            "menu": menu,
            "tab": tab,
            "form": form,
            "tiles": tiles,
            "digest": content.digest(content.content_of(menu)),
            "editor": {
                "geometry": layouts.geometry_for_editor(menu.size, len(titles), with_strip),
                "tabs": titles,
                "tabIndex": tab.position,
                "theme": menu.theme_colour,
                "heading": menu.heading if len(titles) == 1 else "",
                "counts": {t.key: t.tile_count for t in layouts.templates_for(menu.size)},
                "features": {
                    ref: {
                        "label": str(found.action.label),
                        "icon": found.action.icon,
                        "external": actions.leaves_line(actions.ActionType.FEATURE, ref),
                    }
                    for ref, found in actions.feature_actions().items()
                },
                # The city's own host: a URL elsewhere (and not LINE's) leaves LINE (actions.leaves_line).
                "siteHost": urlsplit(settings.SITE_URL).hostname or "",
            },
            "icon_symbols": "".join(icons.svg_symbol(key) for key in icons.ICONS),
            "templates": layouts.templates_for(menu.size),
        },
    )


@_editor
@require_POST
def tab_delete(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    tab = selectors.access_tab(fetched_by=request.user, menu=menu, position=position)

    def delete(menu: Menu) -> str:
        services.tab_delete(actor=request.user, tab=tab)
        return _("タブ「%(title)s」を削除しました。") % {"title": tab.title}

    return _post_action(request, pk, delete)


@_editor
@require_POST
def tab_move(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    tab = selectors.access_tab(fetched_by=request.user, menu=menu, position=position)
    offset = -1 if request.POST.get("direction") == "left" else 1
    services.tab_move(actor=request.user, tab=tab, offset=offset)
    return redirect("richmenu:menu-detail", pk=menu.pk)


# --- images and the SVG source (RM-5) ---------------------------------------------------------------


def _draft_scene(request: HttpRequest, pk: int, position: int) -> tuple[Menu, content.MenuContent, int]:
    menu = selectors.access_menu(fetched_by=request.user, pk=pk)
    draft = content.content_of(menu)
    if not 0 <= position < len(draft.tabs):
        raise Http404
    return menu, draft, position


def _download(data: bytes | str, content_type: str, filename: str, *, attachment: bool) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    if attachment:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    return response


@staff_required
def tab_image(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """The draft tab as LINE will show it (JPEG); ``?download=1`` saves it."""
    menu, draft, index = _draft_scene(request, pk, position)
    try:
        data = content.tab_jpeg(draft, index)
    except ValidationError as exc:
        return HttpResponse("\n".join(exc.messages), status=422, content_type="text/plain; charset=utf-8")
    return _download(
        data, "image/jpeg", f"richmenu-{menu.pk}-tab{index + 1}.jpg", attachment="download" in request.GET
    )


@staff_required
def tab_svg(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """The draft tab as an editable SVG (tiles, icons and labels as separate, named elements)."""
    menu, draft, index = _draft_scene(request, pk, position)
    try:
        scene = rendering.compose(content.tab_spec(draft, index))
    except ValidationError as exc:
        return HttpResponse("\n".join(exc.messages), status=422, content_type="text/plain; charset=utf-8")
    title = f"{menu.name} {draft.tabs[index].title}"
    return _download(
        rendering.svg(scene, title=title),
        "image/svg+xml; charset=utf-8",
        f"richmenu-{menu.pk}-tab{index + 1}.svg",
        attachment=True,
    )


@staff_required
def version_image(request: HttpRequest, pk: int, position: int) -> HttpResponse:
    """A published version's tab, exactly the JPEG LINE received."""
    version = selectors.access_version(fetched_by=request.user, pk=pk)
    language = request.GET.get("language") or languages.JAPANESE
    tab = version.tabs.filter(position=position, language=language).first()
    if tab is None:
        raise Http404
    with tab.image.open("rb") as stored:
        data = stored.read()
    suffix = "" if language == languages.JAPANESE else f"-{language}"
    filename = f"richmenu-{version.menu_id}-v{version.number}-tab{position + 1}{suffix}.jpg"
    return _download(data, "image/jpeg", filename, attachment="download" in request.GET)


# --- the emergency switch (RM-4) --------------------------------------------------------------------


@staff_required
def emergency(request: HttpRequest) -> HttpResponse:
    state = selectors.account_state()
    running = selectors.running_switch()
    return render(
        request,
        "richmenu/console/emergency.html",
        {
            "state": state,
            "prepared": [
                (menu, selectors.live_version(menu)) for menu in selectors.prepared_emergency_menus()
            ],
            "default_live": selectors.live_version(state.default_menu) if state.default_menu else None,
            "running": running,
            "running_stale": running is not None and selectors.is_stale(running),
            "switches": selectors.switch_list(),
            "can_switch": selectors.can_switch_emergency(request.user),
        },
    )


def _switch_guard(request: HttpRequest) -> HttpResponse | None:
    if not selectors.can_switch_emergency(request.user):
        return _forbidden(
            request,
            _("緊急メニューを切り替えられるのは、システム管理者と、システム管理者が許可した課の職員です。"),
        )
    return None


@staff_required
@require_POST
def emergency_switch(request: HttpRequest) -> HttpResponse:
    refused = _switch_guard(request)
    if refused:
        return refused
    menu_id = request.POST.get("menu")
    try:
        switch = services.emergency_switch_start(
            actor=request.user,
            direction=request.POST.get("direction", ""),
            menu_id=int(menu_id) if menu_id and menu_id.isdigit() else None,
        )
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("%(what)sを開始しました。") % {"what": switch.get_direction_display()})
    return redirect("richmenu:emergency")


@staff_required
@require_POST
def emergency_resume(request: HttpRequest, pk: int) -> HttpResponse:
    refused = _switch_guard(request)
    if refused:
        return refused
    switch = EmergencySwitch.objects.filter(pk=pk).first()
    if switch is None:
        raise Http404
    try:
        services.emergency_switch_resume(actor=request.user, switch=switch)
    except ValidationError as exc:
        _report(request, exc)
    return redirect("richmenu:emergency")


@staff_required
@require_POST
def emergency_resync(request: HttpRequest) -> HttpResponse:
    refused = _switch_guard(request)
    if refused:
        return refused
    try:
        services.line_resync(actor=request.user)
    except ValidationError as exc:
        _report(request, exc)
    else:
        messages.success(request, _("LINEのメニューを記録どおりに反映しました。"))
    return redirect("richmenu:emergency")


# --- who may edit (system administrator) ------------------------------------------------------------


@system_admin_required
def grant_list(request: HttpRequest) -> HttpResponse:
    form = GrantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        grant = services.editor_grant_set(
            actor=request.user,
            department=form.cleaned_data["department"],
            scope=form.cleaned_data["scope"],
        )
        messages.success(request, _("%(grant)sを設定しました。") % {"grant": grant})
        return redirect("richmenu:grant-list")
    return render(
        request,
        "richmenu/console/grant_list.html",
        {"form": form, "grants": selectors.grant_list_for(fetched_by=request.user)},
    )


@system_admin_required
@require_POST
def grant_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.editor_grant_delete(actor=request.user, grant_id=pk)
    messages.success(request, _("メニュー担当を解除しました。"))
    return redirect("richmenu:grant-list")
