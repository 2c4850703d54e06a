"""Resident pages (LIFF): choose a topic, write to the department, read the replies.

Personal topics are talked about here only, never in the LINE talk (X-1). A resident reaches only
their own conversations (404 for anyone else's receipt number) and never sees internal notes.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicline.line.liff.auth import resident_required

from .. import hours, line_messages, selectors, services
from ..images import image_response
from ..models import Conversation
from .forms import MessageForm


def _topic_rows(topics, now) -> list[dict]:
    return [{"topic": t, "hours": hours.hours_text(t), "open": hours.is_open(t, now)} for t in topics]


@require_GET
@resident_required
def index(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    context = {
        "topics": _topic_rows(selectors.topics_for_residents(), now),
        "conversations": selectors.resident_conversations(friend=request.resident),
    }
    return render(request, "conversations/liff/index.html", context)


def _chat_url(conversation: Conversation) -> str:
    return reverse("conversations_liff:chat", args=[conversation.receipt_number]) + "#latest"


@require_http_methods(["GET", "POST"])
@resident_required
def start(request: HttpRequest, pk: int) -> HttpResponse:
    """The first message of a conversation on this page; an open one of the topic is continued instead."""
    topic = selectors.topic_for_residents(pk=pk)
    if topic is None:
        return render(request, "conversations/liff/unavailable.html", status=404)
    existing = selectors.open_conversation(
        friend=request.resident, topic=topic, channel=Conversation.Channel.LIFF
    )
    if existing is not None:
        return redirect(_chat_url(existing))
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_start_on_page(
                friend=request.resident,
                topic=topic,
                text=form.cleaned_data["text"],
                photo=form.cleaned_data["photo"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(_chat_url(conversation))
    now = timezone.now()
    context = {
        "topic": topic,
        "hours": hours.hours_text(topic),
        "closed": "" if hours.is_open(topic, now) else line_messages.closed_line(topic, now),
        "form": form,
    }
    return render(request, "conversations/liff/start.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@resident_required
def chat(request: HttpRequest, receipt: str) -> HttpResponse:
    conversation = selectors.access_resident_conversation(friend=request.resident, receipt_number=receipt)
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.page_message_receive(
                conversation=conversation, text=form.cleaned_data["text"], photo=form.cleaned_data["photo"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(_chat_url(conversation))
    services.conversation_resident_seen(conversation=conversation)
    thread = list(selectors.resident_messages(conversation=conversation))
    context = {
        "conversation": conversation,
        "thread": thread,
        "last_pk": thread[-1].pk if thread else 0,
        "form": form,
        "hours": hours.hours_text(conversation.topic),
    }
    return render(request, "conversations/liff/chat.html", context, status=400 if form.errors else 200)


@require_GET
@resident_required
def updates(request: HttpRequest, receipt: str) -> HttpResponse:
    """Replies after message ``after``, for the open chat page to append (polled)."""
    conversation = selectors.access_resident_conversation(friend=request.resident, receipt_number=receipt)
    try:
        after = max(int(request.GET.get("after") or 0), 0)
    except ValueError:
        after = 0
    services.conversation_resident_seen(conversation=conversation)
    new = list(selectors.resident_messages(conversation=conversation, after=after))
    html = render_to_string(
        "conversations/liff/messages.html", {"thread": new, "conversation": conversation}, request=request
    )
    return JsonResponse(
        {"html": html if new else "", "last": new[-1].pk if new else after, "open": conversation.is_open}
    )


@require_GET
@resident_required
def image(request: HttpRequest, receipt: str, pk: int) -> HttpResponse:
    """An image the resident sent in this conversation, shown back to that resident only."""
    conversation = selectors.access_resident_conversation(friend=request.resident, receipt_number=receipt)
    message = selectors.access_resident_image(conversation=conversation, pk=pk)
    return image_response(message)


@require_POST
@resident_required
def end(request: HttpRequest, receipt: str) -> HttpResponse:
    conversation = selectors.access_resident_conversation(friend=request.resident, receipt_number=receipt)
    if conversation.is_open:
        services.conversation_end_by_resident(conversation=conversation)
    return redirect(_chat_url(conversation))


def resident_summary(request: HttpRequest) -> str:
    """The resident's open conversations, for their own page (/liff/)."""
    still_open = [c for c in selectors.resident_conversations(friend=request.resident) if c.is_open]
    if not still_open:
        return ""
    return render_to_string("conversations/liff/summary.html", {"conversations": still_open}, request=request)
