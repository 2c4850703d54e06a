"""Console pages of the staff preview (X-11): send a draft to a test device, manage test devices."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicline.core.console.decorators import staff_required

from .. import preview
from ..phone import phone_url
from .forms import PreviewForm, PreviewRecipientForm


@staff_required
def preview_send(request: HttpRequest) -> HttpResponse:
    form = PreviewForm(request.POST or None, staff=request.user)
    result = None
    if request.method == "POST" and form.is_valid():
        recipient, send = preview.preview_message_send(
            staff=request.user,
            recipient_id=form.cleaned_data["recipient"].pk,
            messages=form.cleaned_data["messages"],
            request=request,
        )
        result = {"recipient": recipient, "send": send, "phone_url": phone_url(recipient.friend.user_id)}
    recipients = preview.preview_recipient_list_for(fetched_by=request.user)
    return render(
        request,
        "line/console/preview.html",
        {"form": form, "result": result, "has_recipients": recipients.exists()},
    )


@staff_required
def recipient_list(request: HttpRequest) -> HttpResponse:
    recipients = [
        (recipient, phone_url(recipient.friend.user_id))
        for recipient in preview.preview_recipient_list_for(fetched_by=request.user)
    ]
    return render(request, "line/console/recipient_list.html", {"recipients": recipients})


@staff_required
def recipient_create(request: HttpRequest) -> HttpResponse:
    form = PreviewRecipientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            recipient = preview.preview_recipient_create(
                staff=request.user,
                friend=form.cleaned_data["friend"],
                label=form.cleaned_data["label"],
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            done = _("テスト端末「%(label)s」を登録しました。") % {"label": recipient.label}
            messages.success(request, done)
            return redirect("preview:recipient-list")
    return render(
        request,
        "core/console/form_page.html",
        {
            "form": form,
            "title": _("テスト端末の登録"),
            "note": _(
                "自分のLINEアカウントを、課のテスト端末として登録します。"
                "プレビューはテスト端末にだけ送られます。"
            ),
            "back_url_name": "preview:recipient-list",
        },
    )


@staff_required
@require_POST
def recipient_delete(request: HttpRequest, pk: int) -> HttpResponse:
    preview.preview_recipient_delete(staff=request.user, recipient_id=pk, request=request)
    messages.success(request, _("テスト端末の登録を解除しました。"))
    return redirect("preview:recipient-list")
