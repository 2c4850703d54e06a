"""What a tile does when tapped (RM-1, RM-6, X-10): open a web page, use a civicline feature, send a
message, or send a postback; and the LINE action objects these become.

Feature actions come from the feature registry (``Feature.menu_actions``), so a feature added later
shows up in the editor by itself. A resident page (``liff_path``) opens inside LINE through the LIFF
app (https://liff.line.me/<LIFF_ID>/…), whose endpoint is civicline's /liff/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicline.core.features import MenuAction, all_features
from civicline.line.liff.links import liff_url

from .line_messages import EXTERNAL_SUFFIX, UNNAMED_TILE

URI_SCHEMES = ("http", "https", "line", "tel")
MAX_URI = 1000
MAX_TEXT = 300  # message text and postback data in a rich menu action
MAX_ACTION_LABEL = 20
TAB_SWITCH_FEATURE = "richmenu"
TAB_SWITCH_ACTION = "tab"


class ActionType(models.TextChoices):
    URI = "uri", gettext_lazy("ウェブページを開く")
    FEATURE = "feature", gettext_lazy("civiclineの機能を使う")
    MESSAGE = "message", gettext_lazy("メッセージを送る")
    POSTBACK = "postback", gettext_lazy("ポストバック（システム連携用）")


@dataclass(frozen=True)
class FeatureAction:
    ref: str  # "<feature key>/<action key>", as stored on a tile
    feature_label: str | Promise
    action: MenuAction

    @property
    def label(self) -> str:
        if str(self.action.label) == str(self.feature_label):
            return str(self.action.label)
        return f"{self.feature_label}：{self.action.label}"


def feature_actions() -> dict[str, FeatureAction]:
    return {
        f"{feature.key}/{action.key}": FeatureAction(f"{feature.key}/{action.key}", feature.label, action)
        for feature in all_features()
        for action in feature.menu_actions
    }


def feature_action_choices() -> list[tuple[str, str]]:
    return [(ref, action.label) for ref, action in feature_actions().items()]


def validate_uri(value: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in URI_SCHEMES or len(value) > MAX_URI:
        raise ValidationError(
            _(
                "URLは http:// か https:// で始まる1000文字以内で入力してください"
                "（LINEアカウントは https://line.me/… または line://…、電話は tel:…）。"
            )
        )
    if parts.scheme in ("http", "https") and not parts.netloc:
        raise ValidationError(_("URLにホスト名がありません。"))


def check(action_type: str, value: str) -> str:
    """The tile's action value, checked; raises ``ValidationError`` in Japanese."""
    value = (value or "").strip()
    if not value:
        messages = {
            ActionType.URI: _("開くURLを入力してください。"),
            ActionType.FEATURE: _("使う機能を選んでください。"),
            ActionType.MESSAGE: _("送るメッセージを入力してください。"),
            ActionType.POSTBACK: _("ポストバックのデータを入力してください。"),
        }
        raise ValidationError(messages.get(action_type, _("タップしたときの動作を選んでください。")))
    if action_type == ActionType.URI:
        validate_uri(value)
    elif action_type == ActionType.FEATURE:
        if value not in feature_actions():
            raise ValidationError(
                _("機能「%(ref)s」は使えません（機能が無効になっていないか確認してください）。")
                % {"ref": value}
            )
    elif action_type in (ActionType.MESSAGE, ActionType.POSTBACK):
        if len(value) > MAX_TEXT:
            raise ValidationError(_("%(limit)d文字以内で入力してください。") % {"limit": MAX_TEXT})
    else:
        raise ValidationError(_("タップしたときの動作を選んでください。"))
    return value


def _is_line_host(host: str) -> bool:
    return host == "line.me" or host.endswith(".line.me")


def leaves_line(action_type: str, value: str) -> bool:
    """Whether the tile opens a web site other than the city's own pages and LINE's.

    Residents are told so (a mark on the tile, a note in the editor): such a site is outside the
    account, in a browser, with its own rules for personal data. Our resident pages (the LIFF app,
    SITE_URL) and LINE's own screens (another account, a LINE URL scheme) are not external.
    """
    if action_type == ActionType.FEATURE:
        found = feature_actions().get(value)
        uri = found.action.uri if found and not found.action.liff_path and not found.action.postback else ""
    elif action_type == ActionType.URI:
        uri = value
    else:
        return False
    parts = urlsplit((uri or "").strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    own = urlsplit(settings.SITE_URL).hostname
    return parts.hostname != own and not _is_line_host(parts.hostname)


def line_action(action_type: str, value: str, label: str) -> dict[str, Any]:
    """The LINE action object of a tile. ``label`` is read out by screen readers."""
    label = " ".join(label.split()) or str(UNNAMED_TILE)
    suffix = str(EXTERNAL_SUFFIX)
    # The note is added when it fits whole: cutting the label for it (an English label and
    # " (external site)" share LINE's 20 characters) would leave the tile's name unreadable; the
    # picture marks the tile anyway.
    fits = len(label) + len(suffix) <= MAX_ACTION_LABEL
    if fits and leaves_line(action_type, value) and not label.endswith(suffix):
        label += suffix
    label = label[:MAX_ACTION_LABEL]
    if action_type == ActionType.URI:
        return {"type": "uri", "label": label, "uri": value}
    if action_type == ActionType.MESSAGE:
        return {"type": "message", "label": label, "text": value}
    if action_type == ActionType.POSTBACK:
        return {"type": "postback", "label": label, "data": value}
    action = feature_actions()[value].action
    if action.postback:
        return {"type": "postback", "label": label, "data": action.postback}
    return {
        "type": "uri",
        "label": label,
        "uri": liff_url(action.liff_path) if action.liff_path else action.uri,
    }


def tab_switch(*, alias_id: str, tab_index: int, label: str) -> dict[str, Any]:
    """A tab in the strip: switch to the tab's menu through its alias (LINE tells us by a postback)."""
    return {
        "type": "richmenuswitch",
        "label": label[:MAX_ACTION_LABEL],
        "richMenuAliasId": alias_id,
        "data": f"feature={TAB_SWITCH_FEATURE}&action={TAB_SWITCH_ACTION}&tab={tab_index + 1}",
    }


def describe(action_type: str, value: str) -> str:
    """The action in staff's words, for lists and the version history."""
    if action_type == ActionType.FEATURE:
        found = feature_actions().get(value)
        return found.label if found else value
    return f"{ActionType(action_type).label}：{value}" if action_type in ActionType.values else value
