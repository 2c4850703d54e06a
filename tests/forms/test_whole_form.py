"""A form asked whole on one page of a feature's own (a booking): the branching applied to the
answers given, and a form whose every answer is personal."""

from __future__ import annotations

import pytest

from civicline.forms import services
from civicline.forms.fields import WholeForm
from tests.forms.factories import BRANCHING, keys, make_form

pytestmark = pytest.mark.django_db


def whole(form, data: dict) -> WholeForm:
    k = keys(form)
    return WholeForm({k[label]: value for label, value in data.items()}, questions=form.questions, answers={})


def test_a_question_shown_on_an_answer_is_required_only_when_that_answer_is_given():
    form = make_form()

    unhappy = whole(form, {"市役所の窓口に満足していますか": "不満"})
    happy = whole(form, {"市役所の窓口に満足していますか": "満足"})

    assert not unhappy.is_valid() and keys(form)["不満な点を教えてください"] in unhappy.errors
    assert happy.is_valid()


def test_switched_choices_are_all_offered_but_only_those_the_earlier_answer_allows_are_taken():
    form = make_form()
    next_key = keys(form)["今後力を入れてほしいこと"]

    allowed = whole(form, {"市役所の窓口に満足していますか": "満足", "今後力を入れてほしいこと": "休日窓口"})
    refused = whole(form, {"市役所の窓口に満足していますか": "不満", "今後力を入れてほしいこと": "休日窓口"})

    assert allowed.is_valid()
    assert not refused.is_valid() and "この選択肢は選べません" in refused.errors[next_key][0]


def test_a_form_whose_every_answer_is_personal_seals_each_question_whatever_the_builder_sent(staff_user):
    form = services.form_create(department=staff_user.department, title="予約の質問", all_personal=True)

    services.form_questions_save(actor=staff_user, form=form, questions=BRANCHING)

    form.refresh_from_db()
    assert len(form.questions) == len(BRANCHING) and all(q["personal"] for q in form.questions)
    response = services.response_submit(
        form=form, friend=None, answers={keys(form)["市役所の窓口に満足していますか"]: "満足"}
    )
    (row,) = response.answers.all()
    assert row.sealed == "満足" and row.choice == ""
