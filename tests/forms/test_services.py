"""The engine's writes: versions that keep earlier answers intact, drafts, responses, personal
answers sealed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from civicline.core.models import AuditEntry
from civicline.forms import services
from civicline.forms.models import Answer, Draft, Form, Response
from tests.fixtures.core import StaffFactory
from tests.fixtures.line import FriendFactory
from tests.forms.factories import answer, keys, make_form

pytestmark = pytest.mark.django_db


def test_new_questions_get_keys_and_rules_may_name_a_question_added_in_the_same_save():
    form = make_form()
    k = keys(form)

    why = next(q for q in form.questions if q["key"] == k["不満な点を教えてください"])
    assert why["condition"]["question"] == k["市役所の窓口に満足していますか"]
    assert sorted(k.values()) == ["q1", "q2", "q3", "q4", "q5"]


def test_editing_a_form_without_responses_changes_its_version_in_place_and_is_audited():
    form = make_form()
    staff = StaffFactory(department=form.department)
    questions = [{**q, "label": q["label"] + "？"} if q["key"] == "q1" else q for q in form.questions]

    version = services.form_questions_save(actor=staff, form=form, questions=questions)

    assert version.number == 1 and form.versions.count() == 1
    entry = AuditEntry.objects.filter(target_type="forms.form").latest("sequence")
    assert "質問を変更" in entry.summary and entry.department_id == form.department_id


def test_editing_a_live_form_makes_a_new_version_and_earlier_answers_keep_their_meaning():
    form = make_form()
    staff = StaffFactory(department=form.department)
    earlier = answer(
        form, {"市役所の窓口に満足していますか": "不満", "不満な点を教えてください": "待ち時間が長い"}
    )
    first = form.current_version
    # The first question's choices change and the second question is removed.
    questions = [
        {**form.questions[0], "choices": ["とても満足", "満足", "不満"]},
        *form.questions[2:],
        {"type": "short_text", "label": "新しい質問"},
    ]

    version = services.form_questions_save(actor=staff, form=form, questions=questions)

    form.refresh_from_db()
    assert version.number == 2 and form.current_version == version
    earlier.refresh_from_db()
    assert earlier.version == first and "不満な点を教えてください" in [q["label"] for q in first.schema]
    assert earlier.answers.get(question="q2").text == "待ち時間が長い"
    assert keys(form)["新しい質問"] == "q6"  # q2 is never given to another question


def test_a_forged_key_is_treated_as_a_new_question():
    form = make_form()
    staff = StaffFactory(department=form.department)

    services.form_questions_save(
        actor=staff,
        form=form,
        questions=[*form.questions, {"key": "q99", "type": "short_text", "label": "X"}],
    )

    assert keys(Form.objects.get(pk=form.pk))["X"] == "q6"


def test_a_bad_edit_changes_nothing():
    form = make_form()
    staff = StaffFactory(department=form.department)
    before = list(form.questions)

    with pytest.raises(ValidationError):
        services.form_questions_save(
            actor=staff, form=form, questions=[{"type": "single", "label": "一つだけ", "choices": ["A"]}]
        )

    form.refresh_from_db()
    assert form.questions == before


def test_a_response_stores_only_answers_of_shown_questions():
    form = make_form()
    k = keys(form)

    response = services.response_submit(
        form=form,
        friend=FriendFactory(),
        answers={
            k["市役所の窓口に満足していますか"]: "満足",
            k["不満な点を教えてください"]: "書いたが隠れた",
        },
    )

    assert list(response.answers.values_list("question", flat=True)) == [k["市役所の窓口に満足していますか"]]


def test_a_missing_required_answer_is_refused_and_nothing_is_stored():
    form = make_form()
    k = keys(form)

    with pytest.raises(ValidationError) as caught:
        services.response_submit(
            form=form, friend=FriendFactory(), answers={k["市役所の窓口に満足していますか"]: "不満"}
        )

    assert "不満な点を教えてください" in caught.value.messages[0]
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_personal_answers_are_stored_sealed():
    form = make_form()
    response = answer(form, {"市役所の窓口に満足していますか": "満足", "お名前": "豊中 花子"})

    row = response.answers.get(question=keys(form)["お名前"])
    assert row.sealed == "豊中 花子" and row.text == "" and row.choice == ""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed FROM forms_answer WHERE id = %s", [row.pk])
        (raw,) = cursor.fetchone()
    assert "豊中" not in raw


def test_a_draft_survives_and_moves_to_the_new_version_keeping_answers_that_still_fit():
    form = make_form()
    friend = FriendFactory()
    staff = StaffFactory(department=form.department)
    k = keys(form)
    draft = services.draft_for(form=form, friend=friend)
    services.draft_update(
        draft=draft, answers={k["市役所の窓口に満足していますか"]: "満足", k["職員の対応の評価"]: 4}
    )
    answer(
        form, {"市役所の窓口に満足していますか": "満足"}
    )  # someone else's response: the next edit is a new version
    questions = [q for q in form.questions if q["key"] != k["職員の対応の評価"]]
    services.form_questions_save(actor=staff, form=form, questions=questions)
    form = Form.objects.get(pk=form.pk)

    again = services.draft_for(form=form, friend=friend)

    assert again.pk == draft.pk and again.version == form.current_version
    assert again.answers == {k["市役所の窓口に満足していますか"]: "満足"}


def test_submitting_drops_the_residents_draft():
    form = make_form()
    friend = FriendFactory()
    draft = services.draft_for(form=form, friend=friend)
    services.draft_update(draft=draft, answers={"q1": "満足"})

    services.response_submit(form=form, friend=friend, answers=draft.answers)

    assert not Draft.objects.filter(friend=friend).exists()
