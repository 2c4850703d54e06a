"""Console pages of the staff preview (X-11): send a draft to a test device, pair and unpair devices."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicline.core.console.decorators import staff_required
from civicline.core.http import StaffRequest

from .. import preview
from ..models import PreviewPairingCode, PreviewRecipient
from ..phone import phone_url
from .forms import PairingCodeForm, PreviewForm


@staff_required
def preview_send(request: StaffRequest) -> HttpResponse:
    form = PreviewForm(request.POST or None, staff=request.user)
    result = None
    if request.method == "POST" and form.is_valid():
        recipient, send = preview.preview_message_send(
            actor=request.user,
            recipient_id=form.cleaned_data["recipient"].pk,
            messages=form.cleaned_data["messages"],
        )
        result = {"recipient": recipient, "send": send, "phone_url": phone_url(recipient.friend.user_id)}
    recipients = preview.preview_recipient_list_for(fetched_by=request.user)
    return render(
        request,
        "line/console/preview.html",
        {"form": form, "result": result, "has_recipients": recipients.exists()},
    )


def _device_rows(request: StaffRequest) -> list[tuple[PreviewRecipient, str, bool]]:
    return [
        (
            recipient,
            phone_url(recipient.friend.user_id),
            preview.preview_recipient_can_unpair(actor=request.user, recipient=recipient),
        )
        for recipient in preview.preview_recipient_list_for(fetched_by=request.user)
    ]


@staff_required
def recipient_list(request: StaffRequest) -> HttpResponse:
    return render(request, "line/console/recipient_list.html", {"recipients": _device_rows(request)})


@staff_required
@never_cache
def recipient_create(request: StaffRequest) -> HttpResponse:
    """Name the device, then get a one-time code to send from it: the only way a device is added."""
    form = PairingCodeForm(request.POST or None, staff=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            pairing, code = preview.pairing_code_issue(actor=request.user, label=form.cleaned_data["label"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            # Shown in this response only: the code is not stored, so it cannot be shown again.
            return _pairing_page(request, pairing, code=code)
    return render(
        request, "line/console/pairing_start.html", {"form": form, "lifetime_minutes": _lifetime_minutes()}
    )


def _lifetime_minutes() -> int:
    return int(preview.PAIRING_CODE_LIFETIME.total_seconds() // 60)


def _pairing_page(request: StaffRequest, pairing: PreviewPairingCode, *, code: str = "") -> HttpResponse:
    return render(
        request,
        "line/console/pairing.html",
        {
            "pairing": pairing,
            "state": preview.pairing_code_state(pairing),
            "code": code,
            "keyword": preview.PAIRING_KEYWORD,
            "lifetime_minutes": _lifetime_minutes(),
        },
    )


@staff_required
@never_cache
def pairing_detail(request: StaffRequest, pk: int) -> HttpResponse:
    """Where a pairing stands (its issuer only), as a page or as JSON for the page's poll."""
    pairing = preview.access_pairing_code(staff=request.user, pk=pk)
    if request.GET.get("format") != "json":
        return _pairing_page(request, pairing)
    state = preview.pairing_code_state(pairing)
    return JsonResponse(
        {
            "state": state,
            "text": _pairing_state_text(pairing, state),
            "devices_url": reverse("preview:recipient-list"),
        }
    )


def _pairing_state_text(pairing: PreviewPairingCode, state: str) -> str:
    if state == "paired":
        return _("テスト端末「%(label)s」を登録しました。") % {"label": pairing.label}
    if state == "expired":
        return _("このコードは使えなくなりました。もう一度「テスト端末を追加」からやり直してください。")
    return _("テスト端末からの送信を待っています…")


@staff_required
@require_POST
def recipient_delete(request: StaffRequest, pk: int) -> HttpResponse:
    try:
        preview.preview_recipient_delete(actor=request.user, recipient_id=pk)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return render(
            request, "line/console/recipient_list.html", {"recipients": _device_rows(request)}, status=403
        )
    messages.success(request, _("テスト端末の登録を解除しました。"))
    return redirect("preview:recipient-list")
