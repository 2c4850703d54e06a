"""Forms of the rich menu editor: a menu's settings, a tab with its tiles, editor grants."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from civicline.core.forms import ConsoleForm
from civicline.core.models import Department
from civicline.core.translations import TranslationsFormMixin

from .. import actions, icons, layouts
from ..actions import ActionType
from ..models import Menu, MenuEditorGrant, MenuTab, MenuTile
from ..services import TileInput

COLOUR = r"^#[0-9a-fA-F]{6}$"
COLOUR_ERROR = _("色は #0b5cad のような6桁の16進数で指定してください。")


class ColourInput(forms.TextInput):
    input_type = "color"


def _colour_field(label: Any, initial: str = "#0b5cad") -> forms.RegexField:
    return forms.RegexField(
        label=label,
        regex=COLOUR,
        initial=initial,
        widget=ColourInput,
        error_messages={"invalid": COLOUR_ERROR},
    )


class MenuForm(TranslationsFormMixin, ConsoleForm):
    name = forms.CharField(
        label=_("管理用の名前"), max_length=60, help_text=_("例：通常メニュー（2025年度）、災害時メニュー")
    )
    purpose = forms.ChoiceField(
        label=_("用途"),
        choices=Menu.Purpose.choices,
        help_text=_(
            "通常メニューは公開すると全員の既定のメニューになります。緊急メニューは公開しておき、災害時に「緊急メニューの切替」で全員に表示します。"
        ),
    )
    size = forms.ChoiceField(
        label=_("大きさ"),
        choices=[(s.key, s.label) for s in layouts.SIZES.values()],
        help_text=_("作成後は変更できません。"),
    )
    chat_bar_text = forms.CharField(
        label=_("メニューバーの文字"),
        max_length=14,
        initial=_("メニュー"),
        help_text=_("トーク画面の下に表示されます（14文字まで）。"),
    )
    theme_colour = _colour_field(_("テーマ色（タブ・見出し）"))
    heading = forms.CharField(
        label=_("見出し"),
        max_length=20,
        required=False,
        help_text=_("タブが1つのときだけ、画像の上部に帯で表示します（例：災害時緊急メニュー）。"),
    )
    opens_by_default = forms.BooleanField(
        label=_("トーク画面を開いたときにメニューを開いておく"), required=False, initial=True
    )
    first_tab = forms.CharField(
        label=_("最初のタブ名"),
        max_length=10,
        initial=_("メニュー"),
        help_text=_(
            "タブを2つ以上にすると、画像の上部にタブが表示され、タップで切り替わります（10文字まで）。"
        ),
    )

    def __init__(self, *args: Any, menu: Menu | None = None, **kwargs: Any):
        if menu is not None:
            kwargs.setdefault(
                "initial",
                {
                    f: getattr(menu, f)
                    for f in (
                        "name",
                        "purpose",
                        "size",
                        "chat_bar_text",
                        "theme_colour",
                        "heading",
                        "opens_by_default",
                    )
                },
            )
        super().__init__(*args, **kwargs)
        if menu is not None:
            del self.fields["size"], self.fields["first_tab"]
        self.menu = menu
        self.translation_fields_add(menu, fields=Menu.TRANSLATED_FIELDS)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Menu.objects.filter(name=name).exclude(pk=self.menu.pk if self.menu else None)
        if others.exists():
            raise ValidationError(_("同じ名前のメニューがあります。別の名前にしてください。"))
        return name


class TabCreateForm(ConsoleForm):
    title = forms.CharField(label=_("タブ名"), max_length=10)


class TabForm(TranslationsFormMixin, ConsoleForm):
    title = forms.CharField(label=_("タブ名"), max_length=10)
    layout = forms.ChoiceField(label=_("レイアウト"), widget=forms.RadioSelect)
    design = forms.FileField(
        label=_("デザイン画像（任意）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=_(
            "ダウンロードしたSVGをデザイナーが仕上げた画像（PNG/JPEG、メニューと同じ大きさ）を使う場合に選びます。タップ範囲は下のタイルのとおりです。"
        ),
    )
    clear_design = forms.BooleanField(label=_("デザイン画像をやめて、自動で描いた画像に戻す"), required=False)

    def __init__(self, *args: Any, tab: MenuTab, **kwargs: Any):
        kwargs.setdefault("initial", {"title": tab.title, "layout": tab.layout})
        super().__init__(*args, **kwargs)
        self.fields["layout"].choices = [(t.key, t.label) for t in layouts.templates_for(tab.menu.size)]
        if not tab.design_image:
            del self.fields["clear_design"]
        self.translation_fields_add(tab, fields=MenuTab.TRANSLATED_FIELDS)


class TileForm(TranslationsFormMixin, ConsoleForm):
    label = forms.CharField(
        label=_("表示する文字"),
        max_length=24,
        widget=forms.Textarea(attrs={"rows": 2, "class": "tile-label"}),
        help_text=_("2行まで。改行を入れると、その位置で折り返します。"),
    )
    icon = forms.ChoiceField(label=_("アイコン"), required=False)
    colour = _colour_field(_("色"))
    image = forms.FileField(
        label=_("画像（アイコンの代わり）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
        help_text=_("画像はどの言語のメニューでも同じものを使います。文字を含む画像は避けてください。"),
    )
    clear_image = forms.BooleanField(label=_("画像を外す"), required=False)
    action_type = forms.ChoiceField(label=_("タップしたときの動作"), choices=ActionType.choices)
    action_uri = forms.CharField(
        label=_("URL"),
        required=False,
        max_length=actions.MAX_URI,
        help_text=_(
            "市のホームページ、電子申請、ワクチン接種のLINEアカウント（https://line.me/R/ti/p/@…）、電話（tel:06-…）など。"
            "LINEの外のサイトを開くタイルには、画像の右上に外部サイトの印が付きます。"
        ),
    )
    action_feature = forms.ChoiceField(label=_("機能"), required=False)
    action_text = forms.CharField(
        label=_("送る内容"),
        required=False,
        max_length=actions.MAX_TEXT,
        help_text=_(
            "メッセージ：住民が送ったことになる文（チャットボットが答えます）。ポストバック：システム連携用のデータ。"
        ),
    )

    VALUE_FIELD = {
        ActionType.URI: "action_uri",
        ActionType.FEATURE: "action_feature",
        ActionType.MESSAGE: "action_text",
        ActionType.POSTBACK: "action_text",
    }

    def __init__(self, *args: Any, tile: MenuTile | None, colour: str, **kwargs: Any):
        if tile is not None:
            initial = {
                "label": tile.label,
                "icon": tile.icon,
                "colour": tile.colour,
                "action_type": tile.action_type,
            }
            initial[self.VALUE_FIELD.get(tile.action_type, "action_text")] = tile.action_value
        else:
            initial = {"colour": colour, "action_type": ActionType.FEATURE}
        super().__init__(*args, initial=initial, **kwargs)
        self.tile = tile
        self.fields["icon"].choices = [("", _("なし")), *icons.choices()]
        self.fields["action_feature"].choices = [("", _("選んでください")), *actions.feature_action_choices()]
        # Only the label is written per language: the picture and the action are the same in all.
        self.translation_fields_add(tile, fields=MenuTile.TRANSLATED_FIELDS)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("action_type")
        if kind:
            field = self.VALUE_FIELD[kind]
            try:
                data["action_value"] = actions.check(kind, data.get(field, ""))
            except ValidationError as exc:
                self.add_error(field, exc)
        return data

    def leaves_line(self) -> bool:
        """Whether this tile, as typed (or as saved), opens a site outside LINE: the editor says so."""
        if self.is_bound:
            kind = self.data.get(self.add_prefix("action_type"), "")
            field = self.VALUE_FIELD.get(kind)
            value = self.data.get(self.add_prefix(field), "") if field else ""
        elif self.tile is not None:
            kind, value = self.tile.action_type, self.tile.action_value
        else:
            return False
        return actions.leaves_line(kind, str(value).strip())

    def tile_input(self) -> TileInput:
        data = self.cleaned_data
        return TileInput(
            label=data["label"],
            icon=data.get("icon", ""),
            colour=data["colour"],
            action_type=data["action_type"],
            action_value=data["action_value"],
            image=data.get("image") or None,
            clear_image=data.get("clear_image", False),
            translations=self.translations_cleaned(),
        )


def tile_forms(tab: MenuTab, data: Any = None, files: Any = None) -> list[TileForm]:
    """Six tile forms (the most any layout has): the layout in use decides how many count."""
    tiles = {t.position: t for t in tab.tiles.all()}
    return [
        TileForm(data, files, prefix=f"tile{i}", tile=tiles.get(i), colour=tab.menu.theme_colour)
        for i in range(layouts.MAX_TILES_PER_TAB)
    ]


class PreviewForm(ConsoleForm):
    recipient = forms.ModelChoiceField(label=_("テスト端末"), queryset=None, empty_label=None)

    def __init__(self, *args: Any, recipients: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = recipients


class GrantForm(ConsoleForm):
    department = forms.ModelChoiceField(label=_("課"), queryset=Department.objects.filter(is_active=True))
    scope = forms.ChoiceField(label=_("できること"), choices=MenuEditorGrant.Scope.choices)
