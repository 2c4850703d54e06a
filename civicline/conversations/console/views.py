"""Staff pages of conversations: the department's inbox, one conversation (reply, notes, status,
assignment, the resident's history), its live updates, images, the CSV export; topics and canned
replies.

Views stay thin: access through selectors (404 for another department's conversations), call a
service, respond. Before a staff member's first message of a session leaves for a resident, they
type the conversation's receipt number (PH-5); the session then remembers it for that conversation.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicline.core.console.decorators import staff_required
from civicline.core.console.forms import form_page
from civicline.core.exports import csv_response
from civicline.line.direct import (
    DirectMessageRefused,
    confirmation_forget,
    confirmation_remember,
    confirmation_remembered,
    direct_message_confirmation,
    mask_name,
    message_texts,
)

from .. import line_messages, selectors, services
from ..hours import hours_text
from ..images import image_response
from ..models import CannedReply, Conversation, Message, Topic
from .forms import (
    AssignForm,
    CannedReplyForm,
    ConversationFilterForm,
    NoteForm,
    ReplyConfirmForm,
    ReplyForm,
    StatusConfirmForm,
    StatusForm,
    TopicForm,
)

PAGE_SIZE = 50


# --- the inbox ------------------------------------------------------------------------------------


def _filtered(request: HttpRequest) -> tuple[ConversationFilterForm, Any]:
    form = ConversationFilterForm(
        request.GET or None, topics=selectors.topic_list_for(fetched_by=request.user)
    )
    return form, form.filters()


@staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    form, filters = _filtered(request)
    conversations = selectors.conversation_list_for(fetched_by=request.user, filters=filters)
    page = Paginator(conversations, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "unread": selectors.unread_count_for(fetched_by=request.user)}
    if request.GET.get("partial") == "rows":
        rows = render_to_string("conversations/console/inbox_rows.html", context, request=request)
        return JsonResponse({"rows": rows, "unread": context["unread"]})
    return render(request, "conversations/console/inbox.html", context)


@staff_required
@require_GET
def conversation_export(request: HttpRequest) -> HttpResponse:
    """Every message of the listed conversations, internal notes included (X-20)."""
    _form, filters = _filtered(request)
    conversations = selectors.conversation_list_for(fetched_by=request.user, filters=filters)
    services.conversation_export_record(
        actor=request.user, filters=vars(filters), count=conversations.count()
    )
    rows_of = (
        Message.objects.visible_to(request.user)
        .filter(conversation__in=conversations.values("pk"))
        .select_related("conversation__department", "conversation__topic", "conversation__assignee", "staff")
        .order_by("conversation__created_at", "conversation_id", "created_at", "pk")
    )
    header = [
        _("受付番号"),
        _("担当課"),
        _("相談の種類"),
        _("やり取りの場所"),
        _("状態"),
        _("担当者"),
        _("受付日時"),
        _("完了日時"),
        _("日時"),
        _("発信者"),
        _("職員"),
        _("種類"),
        _("本文"),
        _("位置情報"),
    ]

    def rows():
        for m in rows_of.iterator(chunk_size=500):
            c = m.conversation
            place = m.location or {}
            yield [
                c.receipt_number,
                c.department.name,
                c.topic.name,
                c.get_channel_display(),
                c.get_status_display(),
                c.assignee or "",
                c.created_at,
                c.closed_at,
                m.created_at,
                m.get_author_display(),
                m.staff or "",
                m.get_kind_display(),
                m.text,
                " ".join(
                    str(v)
                    for v in (
                        place.get("title"),
                        place.get("address"),
                        place.get("latitude"),
                        place.get("longitude"),
                    )
                    if v
                ),
            ]

    return csv_response(filename=f"相談の記録_{timezone.localdate():%Y%m%d}.csv", header=header, rows=rows())


# --- one conversation ---------------------------------------------------------------------------------


def _detail_page(
    request: HttpRequest,
    conversation: Conversation,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    status: int = 200,
) -> HttpResponse:
    services.conversation_view_record(actor=request.user, conversation=conversation)
    services.conversation_mark_read(conversation=conversation)
    thread = list(selectors.message_list(conversation=conversation))
    context = {
        "conversation": conversation,
        "thread": thread,
        "last_pk": thread[-1].pk if thread else 0,
        "reply_form": reply_form or ReplyForm(),
        "note_form": note_form or NoteForm(prefix="note"),
        "assign_form": AssignForm(
            initial={"assignee": conversation.assignee_id},
            choices=selectors.assignable_staff(conversation=conversation),
        ),
        "canned": selectors.canned_reply_list_for(
            fetched_by=request.user, department=conversation.department
        ),
        "history": selectors.history_for(fetched_by=request.user, conversation=conversation),
        "confirmed": bool(confirmation_remembered(request, conversation)),
        "statuses": [
            (value, label) for value, label in Conversation.Status.choices if value != conversation.status
        ],
        "masked_name": mask_name(conversation.friend.display_name),
    }
    return render(request, "conversations/console/detail.html", context, status=status)


@staff_required
@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.access_conversation(fetched_by=request.user, pk=pk)
    return _detail_page(request, conversation)


def _int(value: str | None) -> int:
    try:
        return max(int(value or 0), 0)
    except ValueError:
        return 0


@staff_required
@require_GET
def conversation_updates(request: HttpRequest, pk: int) -> HttpResponse:
    """What arrived after message ``after``, as HTML for the open page to append (polled)."""
    conversation = selectors.access_conversation(fetched_by=request.user, pk=pk)
    after = _int(request.GET.get("after"))
    new = list(selectors.message_list(conversation=conversation, after=after))
    if any(m.author == Message.Author.RESIDENT for m in new):
        services.conversation_mark_read(conversation=conversation)
    html = render_to_string(
        "conversations/console/messages.html", {"thread": new, "conversation": conversation}, request=request
    )
    return JsonResponse(
        {
            "html": html if new else "",
            "last": new[-1].pk if new else after,
            "status": conversation.status,
            "statusLabel": conversation.get_status_display(),
        }
    )


def _confirm_page(
    request: HttpRequest, conversation: Conversation, form: Any, outgoing: list[dict], note: str
) -> HttpResponse:
    confirmation = replace(direct_message_confirmation(record=conversation), preview=message_texts(outgoing))
    context = {"conversation": conversation, "form": form, "confirmation": confirmation, "note": note}
    return render(
        request, "conversations/console/confirm.html", context, status=200 if not form.errors else 400
    )


def _confirmed_number(request: HttpRequest, conversation: Conversation, form: Any) -> str:
    return form.cleaned_data.get("confirmed_receipt_number") or confirmation_remembered(request, conversation)


@staff_required
@require_POST
def conversation_reply(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.access_conversation(fetched_by=request.user, pk=pk)
    confirming = "confirmed_receipt_number" in request.POST
    form = ReplyConfirmForm(request.POST) if confirming else ReplyForm(request.POST)
    if not form.is_valid() and not confirming:
        return _detail_page(request, conversation, reply_form=form, status=400)
    text = form.cleaned_data.get("text", "") if form.is_valid() else request.POST.get("text", "")
    outgoing = line_messages.staff_reply(conversation, text)
    note = (
        _(
            "返信の本文は住民の専用画面にだけ表示されます。LINEには「返信があります」というお知らせが届きます。"
        )
        if conversation.channel == Conversation.Channel.LIFF
        else ""
    )
    number = _confirmed_number(request, conversation, form) if form.is_valid() else ""
    if not number:
        if not confirming:
            form = ReplyConfirmForm(initial={"text": text})
        return _confirm_page(request, conversation, form, outgoing, note)
    try:
        services.conversation_reply(
            actor=request.user,
            conversation=conversation,
            text=text,
            confirmed_receipt_number=number,
        )
    except DirectMessageRefused as exc:
        if confirming:
            form.add_error("confirmed_receipt_number", str(exc))
            return _confirm_page(request, conversation, form, outgoing, note)
        confirmation_forget(request, conversation)
        messages.error(request, str(exc))
        return redirect("conversations:conversation-detail", pk=conversation.pk)
    except ValidationError as exc:
        reply_form = ReplyForm(initial={"text": text})
        messages.error(request, " ".join(exc.messages))
        return _detail_page(request, conversation, reply_form=reply_form, status=400)
    confirmation_remember(request, conversation, number)
    return redirect(reverse("conversations:conversation-detail", args=[conversation.pk]) + "#latest")


@staff_required
@require_POST
def conversation_note(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.access_conversation(fetched_by=request.user, pk=pk)
    form = NoteForm(request.POST, prefix="note")
    if form.is_valid():
        try:
            services.conversation_note_add(
                actor=request.user, conversation=conversation, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            form.add_error("text", exc)
        else:
            return redirect(reverse("conversations:conversation-detail", args=[conversation.pk]) + "#latest")
    return _detail_page(request, conversation, note_form=form, status=400)


@staff_required
@require_POST
def conversation_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.access_conversation(fetched_by=request.user, pk=pk)
    confirming = "confirmed_receipt_number" in request.POST
    form = StatusConfirmForm(request.POST) if confirming else StatusForm(request.POST)
    status = request.POST.get("status", "")
    closing = status == Conversation.Status.CLOSED and conversation.is_open
    tells_resident = closing and conversation.friend.is_following
    number = _confirmed_number(request, conversation, form) if form.is_valid() else ""
    if tells_resident and not number:
        if not confirming:
            form = StatusConfirmForm(initial={"status": status})
        outgoing = line_messages.closed_notice(conversation)
        return _confirm_page(
            request, conversation, form, outgoing, _("相談を「完了」にし、住民に終了をお知らせします。")
        )
    try:
        told = services.conversation_status_set(
            actor=request.user,
            conversation=conversation,
            status=status,
            confirmed_receipt_number=number,
        )
    except DirectMessageRefused as exc:
        if confirming:
            form.add_error("confirmed_receipt_number", str(exc))
            return _confirm_page(request, conversation, form, line_messages.closed_notice(conversation), "")
        confirmation_forget(request, conversation)
        messages.error(request, str(exc))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if number and tells_resident:
            confirmation_remember(request, conversation, number)
        text = _("状態を「%(status)s」にしました。") % {"status": conversation.get_status_display()}
        messages.success(request, text + (_("住民にLINEでお知らせしました。") if told else ""))
    return redirect("conversations:conversation-detail", pk=conversation.pk)


@staff_required
@require_POST
def conversation_assign(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = selectors.access_conversation(fetched_by=request.user, pk=pk)
    choices = selectors.assignable_staff(conversation=conversation)
    form = AssignForm(request.POST, choices=choices)
    if not form.is_valid():
        messages.error(request, _("この課の職員を選んでください。"))
        return redirect("conversations:conversation-detail", pk=conversation.pk)
    try:
        services.conversation_assign(
            actor=request.user,
            conversation=conversation,
            assignee=form.cleaned_data["assignee"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        who = conversation.assignee or _("（未割当）")
        messages.success(request, _("担当者を %(who)s にしました。") % {"who": who})
    return redirect("conversations:conversation-detail", pk=conversation.pk)


@staff_required
@require_GET
def message_image(request: HttpRequest, pk: int, message_pk: int) -> HttpResponse:
    """An image the resident sent: only to staff who may see the conversation, never cached."""
    message = selectors.access_message_image(fetched_by=request.user, conversation_pk=pk, pk=message_pk)
    services.conversation_view_record(
        actor=request.user, conversation=message.conversation, what=_("相談の画像を表示")
    )
    return image_response(message)


# --- topics and canned replies (X-8) -------------------------------------------------------------------


def _saved_message(saved: Topic | CannedReply) -> str:
    return _("「%(name)s」を保存しました。") % {"name": saved}


@staff_required
@require_GET
def topic_list(request: HttpRequest) -> HttpResponse:
    topics = [(t, hours_text(t)) for t in selectors.topic_list_for(fetched_by=request.user)]
    return render(request, "conversations/console/topic_list.html", {"topics": topics})


@staff_required
def topic_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form=TopicForm(request.POST or None, staff=request.user, creating=True),
        title=_("相談の種類を追加"),
        back="conversations:topic-list",
        save=lambda f: services.topic_create(
            actor=request.user, department=f.department_for(request.user), data=f.topic_data()
        ),
        success_message=_saved_message,
    )


@staff_required
def topic_update(request: HttpRequest, pk: int) -> HttpResponse:
    topic = selectors.access_topic(fetched_by=request.user, pk=pk)
    # The form works on a copy: validating fills its instance, and the service compares before/after.
    return form_page(
        request,
        form=TopicForm(request.POST or None, instance=copy.copy(topic), staff=request.user, creating=False),
        title=_("相談の種類を編集"),
        back="conversations:topic-list",
        save=lambda f: services.topic_update(actor=request.user, topic=topic, data=f.topic_data()),
        success_message=_saved_message,
    )


@staff_required
@require_GET
def canned_list(request: HttpRequest) -> HttpResponse:
    replies = selectors.canned_reply_list_for(fetched_by=request.user)
    return render(request, "conversations/console/canned_list.html", {"replies": replies})


@staff_required
def canned_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        form=CannedReplyForm(request.POST or None, staff=request.user, creating=True),
        title=_("定型文を追加"),
        back="conversations:canned-list",
        save=lambda f: services.canned_reply_create(
            actor=request.user, department=f.department_for(request.user), data=f.model_data()
        ),
        success_message=_saved_message,
    )


@staff_required
def canned_update(request: HttpRequest, pk: int) -> HttpResponse:
    canned = selectors.access_canned_reply(fetched_by=request.user, pk=pk)
    return form_page(
        request,
        form=CannedReplyForm(
            request.POST or None, instance=copy.copy(canned), staff=request.user, creating=False
        ),
        title=_("定型文を編集"),
        back="conversations:canned-list",
        save=lambda f: services.canned_reply_update(actor=request.user, canned=canned, data=f.model_data()),
        success_message=_saved_message,
    )


@staff_required
@require_POST
def canned_delete(request: HttpRequest, pk: int) -> HttpResponse:
    canned = selectors.access_canned_reply(fetched_by=request.user, pk=pk)
    services.canned_reply_delete(actor=request.user, canned=canned)
    messages.success(request, _("定型文「%(title)s」を削除しました。") % {"title": canned.title})
    return redirect("conversations:canned-list")
