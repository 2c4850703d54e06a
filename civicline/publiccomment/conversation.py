"""The talk-screen conversation of a consultation (PC-5): what to ask next, and how it starts.

Shared by the LINE handlers (a resident's taps and messages) and the LIFF page's "answer in the
talk" button, which has no reply token and so pushes the first question.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from civicline.forms import schema, talk
from civicline.forms import services as form_services
from civicline.forms.models import Draft
from civicline.line.messaging import message_push
from civicline.line.models import Friend

from . import line_messages
from .models import Consultation


def next_messages(consultation: Consultation, draft: Draft, *, after: str = "") -> list[dict[str, Any]]:
    """Ask the next question the talk can ask, or hand over to the LIFF page; records what waits."""
    questions = draft.version.schema
    question = talk.next_question(questions, draft.answers, after=after)
    if question is None:
        form_services.draft_update(draft=draft, answers={}, talk_question="")
        return [
            line_messages.talk_handover(consultation, personal_left=talk.needs_liff(questions, draft.answers))
        ]
    form_services.draft_update(draft=draft, answers={}, talk_question=question["key"])
    return [ask(consultation, draft, question)]


def ask(consultation: Consultation, draft: Draft, question: schema.Question) -> dict[str, Any]:
    position, total = talk.progress(draft.version.schema, draft.answers, question)

    def postback(action: str, params: dict[str, Any]) -> str:
        return line_messages.postback(action, c=consultation.pk, **params)

    return talk.question_message(question, draft.answers, position=position, total=total, postback=postback)


def talk_begin(*, consultation: Consultation, friend: Friend) -> list[dict[str, Any]]:
    """Start (or resume) answering ``consultation`` in the talk; the messages to send."""
    if not consultation.is_accepting():
        return [{"type": "text", "text": _("この案件の意見募集は終了しました。")}]
    form_services.draft_talk_stop(friend=friend)  # one conversation at a time
    draft = form_services.draft_for(form=consultation.form, friend=friend)
    return next_messages(consultation, draft)


def talk_start_by_push(*, consultation: Consultation, friend: Friend) -> None:
    """From the LIFF page: the first question goes to the resident's talk screen."""
    message_push(to=friend.user_id, messages=talk_begin(consultation=consultation, friend=friend))
