"""The rich menu calls to LINE (line-bot-sdk v3), with the retry and backoff of every LINE request.

Each call goes through ``civicline.line.messaging.call_with_retries``: 429, 5xx and network errors
are retried with backoff (honouring Retry-After), other errors fail at once, requests pass the rate
limiter. A refused call raises ``LineCallFailed`` with LINE's answer, which staff see.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from linebot.v3.messaging import (
    CreateRichMenuAliasRequest,
    RichMenuBatchRequest,
    RichMenuRequest,
    UpdateRichMenuAliasRequest,
)

from civicline.line import client
from civicline.line.messaging import call_with_retries, request_timeout

BULK_MAX_USERS = 500  # LINE's limit for bulk link / unlink
BATCH_MAX_OPERATIONS = 1000  # LINE's limit of operations in one rich menu batch request


class LineCallFailed(Exception):
    def __init__(self, what: str, error: str, status: int | None):
        super().__init__(_("LINEへの%(what)sに失敗しました（%(error)s）") % {"what": what, "error": error})
        self.status = status


def _call(endpoint: str, what: str, request: Callable[[], Any], *, missing_ok: bool = False) -> Any:
    holder: dict[str, Any] = {}

    def call() -> Any:
        holder["response"] = request()
        return holder["response"]

    outcome = call_with_retries(endpoint, call)
    if outcome.accepted:
        return holder.get("response")
    if missing_ok and outcome.http_status == 404:
        return None
    raise LineCallFailed(what, outcome.error, outcome.http_status)


def menu_create(body: dict[str, Any]) -> str:
    """Create a rich menu object; returns its richMenuId."""
    request = RichMenuRequest.from_dict(body)
    response = _call(
        "richmenu_create",
        _("メニューの登録"),
        lambda: client.messaging_api().create_rich_menu_with_http_info(
            request, _request_timeout=request_timeout()
        ),
    )
    return response.data.rich_menu_id


def image_upload(rich_menu_id: str, jpeg: bytes) -> None:
    _call(
        "richmenu",
        _("メニュー画像のアップロード"),
        lambda: client.blob_api().set_rich_menu_image_with_http_info(
            rich_menu_id, jpeg, _headers={"Content-Type": "image/jpeg"}, _request_timeout=request_timeout()
        ),
    )


def menu_delete(rich_menu_id: str) -> None:
    """Delete a rich menu (its per-user links go with it); one already gone counts as deleted."""
    _call(
        "richmenu_delete",
        _("メニューの削除"),
        lambda: client.messaging_api().delete_rich_menu_with_http_info(
            rich_menu_id, _request_timeout=request_timeout()
        ),
        missing_ok=True,
    )


def default_set(rich_menu_id: str) -> None:
    _call(
        "richmenu",
        _("既定メニューの設定"),
        lambda: client.messaging_api().set_default_rich_menu_with_http_info(
            rich_menu_id, _request_timeout=request_timeout()
        ),
    )


def user_link(user_id: str, rich_menu_id: str) -> None:
    _call(
        "richmenu",
        _("テスト端末へのメニューの設定"),
        lambda: client.messaging_api().link_rich_menu_id_to_user_with_http_info(
            user_id, rich_menu_id, _request_timeout=request_timeout()
        ),
    )


def user_menu_set(user_id: str, rich_menu_id: str) -> None:
    """Give one resident their language's menu (``rich_menu_id``), or "" for LINE's default menu."""
    api = client.messaging_api()
    if rich_menu_id:
        _call(
            "richmenu",
            _("利用者へのメニューの設定"),
            lambda: api.link_rich_menu_id_to_user_with_http_info(
                user_id, rich_menu_id, _request_timeout=request_timeout()
            ),
        )
    else:
        _call(
            "richmenu",
            _("利用者ごとのメニューの解除"),
            lambda: api.unlink_rich_menu_id_from_user_with_http_info(
                user_id, _request_timeout=request_timeout()
            ),
        )


def aliases() -> dict[str, str]:
    """Every alias of the channel → the rich menu it points at."""
    response = _call(
        "richmenu",
        _("エイリアスの取得"),
        lambda: client.messaging_api().get_rich_menu_alias_list_with_http_info(
            _request_timeout=request_timeout()
        ),
    )
    return {alias.rich_menu_alias_id: alias.rich_menu_id for alias in response.data.aliases}


def alias_create(alias_id: str, rich_menu_id: str) -> None:
    request = CreateRichMenuAliasRequest(richMenuAliasId=alias_id, richMenuId=rich_menu_id)
    _call(
        "richmenu",
        _("エイリアスの作成"),
        lambda: client.messaging_api().create_rich_menu_alias_with_http_info(
            request, _request_timeout=request_timeout()
        ),
    )


def alias_update(alias_id: str, rich_menu_id: str) -> None:
    request = UpdateRichMenuAliasRequest(richMenuId=rich_menu_id)
    _call(
        "richmenu",
        _("エイリアスの更新"),
        lambda: client.messaging_api().update_rich_menu_alias_with_http_info(
            alias_id, request, _request_timeout=request_timeout()
        ),
    )


def alias_delete(alias_id: str) -> None:
    _call(
        "richmenu_alias_delete",
        _("エイリアスの削除"),
        lambda: client.messaging_api().delete_rich_menu_alias_with_http_info(
            alias_id, _request_timeout=request_timeout()
        ),
        missing_ok=True,
    )


def menus_unlink_batch(rich_menu_ids: list[str], *, resume_key: str) -> str:
    """Ask LINE to unlink, in the background, every user linked to these menus (one request, 2023-07's
    batch endpoint: LINE allows 3 an hour); returns the request id to follow its progress with.

    ``resume_key``: the same key for the same switch, so that a repeated request finishes what a
    failed one left instead of starting over.
    """
    request = RichMenuBatchRequest.from_dict(
        {
            "operations": [{"type": "unlink", "from": menu} for menu in rich_menu_ids[:BATCH_MAX_OPERATIONS]],
            "resumeRequestKey": resume_key,
        }
    )
    response = _call(
        "richmenu_batch",
        _("利用者ごとのメニューの一括解除"),
        lambda: client.messaging_api().rich_menu_batch_with_http_info(
            request, _request_timeout=request_timeout()
        ),
    )
    return (response.headers or {}).get("x-line-request-id", "")


def menus_unlink_batch_phase(request_id: str) -> str:
    """Where LINE is with a batch request: "ongoing", "succeeded" or "failed"."""
    response = _call(
        "richmenu_batch_progress",
        _("一括解除の進み具合の確認"),
        lambda: client.messaging_api().get_rich_menu_batch_progress_with_http_info(
            request_id, _request_timeout=request_timeout()
        ),
    )
    return str(response.data.phase.value if hasattr(response.data.phase, "value") else response.data.phase)
