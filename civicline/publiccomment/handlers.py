"""Public comments in the talk screen (PC-5): one question per message, answered by quick reply or
by typing; resumable; personal questions and the confirmation are handed over to the LIFF page.

「パブリックコメント」/「意見募集」 lists the open consultations; 「トークで答える」 (postback
``feature=publiccomment&action=talk&c=<id>``) starts or resumes one. While the resident's draft
waits for an answer (``Draft.talk_question``), their next text message is that answer.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

from civicline.forms import schema, talk
from civicline.forms import services as form_services
from civicline.forms.models import Draft
from civicline.line.registry import LineContext

from . import line_messages, selectors
from .conversation import ask, next_messages, talk_begin
from .models import Consultation

# Before the chatbot (which answers any text) and the shelter search (any location): an answer
# to a waiting question belongs to the conversation.
TALK_PRIORITY = 50
KEYWORD_PRIORITY = 20  # before the chatbot, which answers any text
KEYWORDS = r"^\s*(パブリックコメント|パブコメ|意見募集|意見公募)\s*$"
STOP_WORDS = {"中断", "中断する", "やめる", "終了"}


def on_keyword(ctx: LineContext) -> None:
    consultations = selectors.consultations_accepting()
    ctx.reply(line_messages.announcement(consultations) if consultations else line_messages.none_open())


def _consultation(ctx: LineContext) -> Consultation | None:
    if ctx.postback is None:
        return None
    try:
        return selectors.consultation_for_residents(pk=int(ctx.postback.params.get("c", "")))
    except (ValueError, Http404):
        return None


def on_start(ctx: LineContext) -> None:
    consultation = _consultation(ctx)
    if consultation is None or ctx.friend is None:
        ctx.reply(_("この案件は見つかりませんでした。"))
        return
    ctx.reply(talk_begin(consultation=consultation, friend=ctx.friend))


def _waiting(ctx: LineContext) -> tuple[Consultation, Draft, schema.Question] | None:
    """The consultation, draft and question a tap refers to, if the talk still waits for it;
    otherwise the resident is told what the talk waits for now."""
    consultation = _consultation(ctx)
    if consultation is None or ctx.friend is None or ctx.postback is None:
        ctx.reply(_("この案件は見つかりませんでした。"))
        return None
    draft = selectors.resident_draft(friend=ctx.friend, consultation=consultation)
    key = ctx.postback.params.get("q", "")
    if draft is None or not draft.talk_question:
        ctx.reply(line_messages.talk_stopped(consultation))
        return None
    if not consultation.is_accepting():
        form_services.draft_talk_stop(friend=ctx.friend)
        ctx.reply(_("この案件の意見募集は終了しました。"))
        return None
    # Moved to the current questions if staff edited them meanwhile.
    draft = form_services.draft_for(form=consultation.form, friend=ctx.friend)
    question = schema.question_by_key(draft.version.schema).get(draft.talk_question)
    if question is None:
        ctx.reply(next_messages(consultation, draft))
        return None
    if key and key != question["key"]:
        # A button of an earlier message: ask again what is waiting now.
        ctx.reply(
            [
                {"type": "text", "text": _("前の質問のボタンです。いまの質問にお答えください。")},
                ask(consultation, draft, question),
            ]
        )
        return None
    return consultation, draft, question


def on_answer(ctx: LineContext) -> None:
    waiting = _waiting(ctx)
    if waiting is None:
        return
    consultation, draft, question = waiting
    key = question["key"]
    if question["type"] == "date":
        try:
            value: Any = talk.date_from_text((ctx.event.postback.params or {}).get("date", ""))
        except ValidationError as exc:
            ctx.reply([{"type": "text", "text": " ".join(exc.messages)}, ask(consultation, draft, question)])
            return
    else:
        params = ctx.postback.params if ctx.postback else {}  # _waiting has found one
        value = talk.choice_at(question, draft.answers, params.get("v"))
        if value is None:
            ctx.reply(ask(consultation, draft, question))
            return
    if question["type"] == "multiple":
        chosen = list(draft.answers.get(key) or [])
        chosen = [c for c in chosen if c != value] if value in chosen else [*chosen, value]
        draft = form_services.draft_update(draft=draft, answers={key: chosen or None}, via_talk=True)
        ctx.reply(ask(consultation, draft, question))
        return
    draft = form_services.draft_update(draft=draft, answers={key: value}, via_talk=True)
    ctx.reply(next_messages(consultation, draft, after=key))


def on_done(ctx: LineContext) -> None:
    waiting = _waiting(ctx)
    if waiting is None:
        return
    consultation, draft, question = waiting
    if question["required"] and schema.is_empty(draft.answers.get(question["key"])):
        ctx.reply(
            [{"type": "text", "text": _("1つ以上選んでください。")}, ask(consultation, draft, question)]
        )
        return
    ctx.reply(next_messages(consultation, draft, after=question["key"]))


def on_skip(ctx: LineContext) -> None:
    waiting = _waiting(ctx)
    if waiting is None:
        return
    consultation, draft, question = waiting
    if question["required"]:
        ctx.reply(
            [{"type": "text", "text": _("この質問には回答が必要です。")}, ask(consultation, draft, question)]
        )
        return
    draft = form_services.draft_update(draft=draft, answers={question["key"]: None})
    ctx.reply(next_messages(consultation, draft, after=question["key"]))


def on_stop(ctx: LineContext) -> None:
    consultation = _consultation(ctx)
    if ctx.friend is not None:
        form_services.draft_talk_stop(friend=ctx.friend)
    ctx.reply(line_messages.talk_stopped(consultation) if consultation else _("入力を中断しました。"))


def on_message(ctx: LineContext) -> None:
    """A message while a question waits is its answer (a typed text, or a prompt to use text)."""
    if ctx.handled or ctx.friend is None:
        return
    consultation = selectors.talking_consultation(friend=ctx.friend)
    if consultation is None:
        return
    if not consultation.is_accepting():
        form_services.draft_talk_stop(friend=ctx.friend)
        return
    draft = form_services.draft_for(form=consultation.form, friend=ctx.friend)
    question = schema.question_by_key(draft.version.schema).get(draft.talk_question)
    if question is None:
        ctx.reply(next_messages(consultation, draft))
        return
    text = ctx.text
    if text is None:
        ctx.reply(
            [
                {"type": "text", "text": _("文字かボタンでお答えください。")},
                ask(consultation, draft, question),
            ]
        )
        return
    if text.strip() in STOP_WORDS:
        form_services.draft_talk_stop(friend=ctx.friend)
        ctx.reply(line_messages.talk_stopped(consultation))
        return
    try:
        value = talk.answer_from_text(question, text, draft.answers)
    except ValidationError as exc:
        ctx.reply([{"type": "text", "text": " ".join(exc.messages)}, ask(consultation, draft, question)])
        return
    draft = form_services.draft_update(draft=draft, answers={question["key"]: value}, via_talk=True)
    ctx.reply(next_messages(consultation, draft, after=question["key"]))
