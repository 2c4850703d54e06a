"""Every state change of the form engine: forms and their versions (staff, audited), residents'
drafts and responses.

Editing the questions of a form that already has responses makes a new version; a form without
responses is edited in place. Responses keep pointing at the version they answered.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicline.core.audit import Action, audit_record
from civicline.core.models import Department, Staff
from civicline.core.permissions import require_department
from civicline.core.translations import cleaned
from civicline.line.models import Friend

from . import fields, schema
from .answers import answer_rows
from .models import Answer, Draft, Form, FormVersion, Response
from .schema import Answers, Question

# --- forms and versions ------------------------------------------------------------------------------


def form_create(
    *,
    department: Department,
    title: str,
    questions: list[Question] | None = None,
    all_personal: bool = False,
) -> Form:
    """A form with its first version; the owning feature audits the creation of its own record."""
    with transaction.atomic():
        form = Form.objects.create(department=department, title=title[:200], all_personal=all_personal)
        version = FormVersion.objects.create(form=form, number=1, schema=[])
        form.current_version = version
        form.save(update_fields=["current_version"])
        if questions:
            _schema_set(form, questions)
    return form


def _assign_keys(form: Form, questions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Give new questions keys; rules may name a new question by its ``ref`` until it has one.

    A key the form never had is treated as new, so that a forged key cannot collide with a later one.
    """
    known = {q["key"] for version in form.versions.all() for q in version.schema}
    refs: dict[str, str] = {}
    result = []
    for item in questions:
        item = dict(item)
        if item.get("key") not in known:
            item["key"] = f"q{form.key_counter}"
            form.key_counter += 1
        if item.get("ref"):
            refs[str(item.pop("ref"))] = item["key"]
        result.append(item)
    for item in result:
        for rule_name in ("condition", "alt_choices"):
            rule = item.get(rule_name)
            if rule and rule.get("question") in refs:
                item[rule_name] = {**rule, "question": refs[rule["question"]]}
    return result


def _schema_set(form: Form, questions: list[dict[str, Any]], actor: Staff | None = None) -> FormVersion:
    questions = _assign_keys(form, questions)
    if form.all_personal:
        questions = [{**q, "personal": True} for q in questions]
    normalized = schema.schema_validate(questions)
    form.save(update_fields=["key_counter"])
    current = form.current_version
    if normalized == current.schema:
        return current
    if current.responses.exists():
        current = FormVersion.objects.create(
            form=form, number=current.number + 1, schema=normalized, created_by=actor
        )
        form.current_version = current
        form.save(update_fields=["current_version"])
    else:
        current.schema = normalized
        current.save(update_fields=["schema"])
    return current


def form_questions_save(*, actor: Staff, form: Form, questions: list[dict[str, Any]]) -> FormVersion:
    """Replace the form's questions; a ValidationError (Japanese) names the first problem and
    nothing changes. Returns the current version (a new one when the old one has responses)."""
    require_department(actor, form)
    with transaction.atomic():
        form = Form.objects.select_for_update().get(pk=form.pk)
        before_number, before_schema = form.current_version.number, form.current_version.schema
        version = _schema_set(form, questions, actor)
        if version.schema == before_schema:
            return version
        audit_record(
            action=Action.UPDATE,
            actor=actor,
            target=form,
            summary=_("「%(title)s」の質問を変更（第%(n)s版）") % {"title": form.title, "n": version.number},
            changes={
                "version": {"before": before_number, "after": version.number},
                "questions": {
                    "before": [q["label"] for q in before_schema],
                    "after": [q["label"] for q in version.schema],
                },
            },
        )
    return version


def form_rename(*, form: Form, title: str, titles: dict[str, str] | None = None) -> None:
    """Keep the form's name in step with its owner's title, and its ``titles`` in other languages
    ({language: title}, issue 21) when given (the owner audits the change)."""
    changes: dict[str, Any] = {"title": title[:200]}
    if titles is not None:
        changes["translations"] = cleaned({code: {"title": text[:200]} for code, text in titles.items()})
    Form.objects.filter(pk=form.pk).update(**changes)


# --- drafts ------------------------------------------------------------------------------------------


def draft_for(*, form: Form, friend: Friend) -> Draft:
    """The resident's draft of ``form``, started if none; moved to the current version if the form
    changed meanwhile (answers that no longer fit their question are dropped)."""
    draft, created = Draft.objects.get_or_create(
        form=form, friend=friend, defaults={"version_id": form.current_version_id, "answers": {}}
    )
    if not created and draft.version_id != form.current_version_id:
        questions = schema.question_by_key(form.current_version.schema)
        draft.answers = {
            key: value
            for key, value in draft.answers.items()
            if key in questions and fields.value_ok(questions[key], value)
        }
        draft.version_id = form.current_version_id
        if draft.talk_question not in questions:
            draft.talk_question = ""
        draft.save()
    return draft


def draft_update(
    *, draft: Draft, answers: Answers, talk_question: str | None = None, via_talk: bool = False
) -> Draft:
    """Merge ``answers`` into the draft (a None value clears that answer); ``talk_question`` is the
    question the talk screen now waits for ("" for none, None: unchanged)."""
    merged = {**draft.answers, **answers}
    draft.answers = {key: value for key, value in merged.items() if not schema.is_empty(value)}
    if talk_question is not None:
        draft.talk_question = talk_question
    draft.via_talk = draft.via_talk or via_talk
    draft.save()
    return draft


def draft_talk_stop(*, friend: Friend) -> int:
    """The talk screen stops waiting for an answer from ``friend`` (answers so far are kept)."""
    return Draft.objects.filter(friend=friend).exclude(talk_question="").update(talk_question="")


def draft_discard(*, form: Form, friend: Friend) -> None:
    Draft.objects.filter(form=form, friend=friend).delete()


# --- responses -----------------------------------------------------------------------------------------


def response_check(*, version: FormVersion, answers: Answers) -> Answers:
    """The answers that count for ``version``; a ValidationError names the first one missing or
    malformed, in the language being spoken (the resident reads it). Reads nothing, so a feature may
    check before its own transaction begins."""
    questions = version.schema
    kept = schema.effective_answers(questions, answers)
    by_key = schema.question_by_key(questions)
    for key, value in kept.items():
        if not fields.value_ok(by_key[key], value):
            raise ValidationError(
                _("「%(label)s」の回答の形式が正しくありません。")
                % {"label": schema.localized(by_key[key])["label"]}
            )
    missing = schema.missing_required(questions, kept)
    if missing:
        raise ValidationError(
            _("「%(label)s」に回答してください。") % {"label": schema.localized(missing[0])["label"]},
            code="incomplete",
        )
    return kept


def response_submit(
    *, form: Form, friend: Friend | None, answers: Answers, version: FormVersion | None = None
) -> Response:
    """Store a complete set of answers for ``version`` (the current one by default) and drop the
    resident's draft. Answers to questions the branching hid are left out; a missing required
    answer raises a ValidationError naming the question, and nothing is stored."""
    version = version or form.current_version
    questions = version.schema
    kept = response_check(version=version, answers=answers)
    with transaction.atomic():
        response = Response.objects.create(
            form=form, version=version, friend=friend, submitted_at=timezone.now()
        )
        rows = [
            row
            for question in questions
            if question["key"] in kept
            for row in answer_rows(
                form=form, response=response, question=question, value=kept[question["key"]]
            )
        ]
        Answer.objects.bulk_create(rows)
        if friend is not None:
            Draft.objects.filter(form=form, friend=friend).delete()
    return response


def response_delete(*, response: Response) -> None:
    """Remove a response and its answers (a resident's answer replaced by a newer one)."""
    response.delete()
