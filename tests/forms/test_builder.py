"""The console's question builder shared by features (here through a consultation's questions page):
reorder, delete, switch choices, and a live form's edit becoming a new version."""

from __future__ import annotations

import pytest

from civicline.forms.models import Form
from tests.forms.factories import rows
from tests.publiccomment.factories import COMMENT, make_consultation, submit

pytestmark = pytest.mark.django_db

def saved(consultation) -> list[dict]:
    return Form.objects.get(pk=consultation.form_id).questions


def test_rows_are_ordered_by_their_number_and_deleted_rows_left_out(staff_client, department):
    consultation = make_consultation(department=department, questions=[])

    staff_client.post(
        f"/console/publiccomment/{consultation.pk}/questions",
        rows(
            {"ref": "new0", "label": "二番目", "type": "short_text", "ORDER": "2"},
            {"ref": "new1", "label": "一番目", "type": "short_text", "ORDER": "1"},
            {"ref": "new2", "label": "消す", "type": "short_text", "ORDER": "3", "DELETE": "on"},
        ),
    )

    assert [q["label"] for q in saved(consultation)] == ["一番目", "二番目"]


def test_choices_switch_on_an_earlier_answer_from_the_builder(staff_client, department):
    consultation = make_consultation(department=department, questions=[])

    staff_client.post(
        f"/console/publiccomment/{consultation.pk}/questions",
        rows(
            {"ref": "new0", "label": "お住まい", "type": "single", "choices": "市内\n市外"},
            {
                "ref": "new1",
                "label": "地区",
                "type": "dropdown",
                "choices": "北部\n南部",
                "alt_question": "new0",
                "alt_op": "is",
                "alt_value": "市外",
                "alt_choices": "大阪市\nその他",
            },
        ),
    )

    first, second = saved(consultation)
    assert second["alt_choices"] == {
        "question": first["key"],
        "op": "is",
        "value": "市外",
        "choices": ["大阪市", "その他"],
    }


def test_editing_a_form_with_submissions_warns_and_makes_a_new_version(
    staff_client, consultation_with_comment
):
    consultation = consultation_with_comment
    url = f"/console/publiccomment/{consultation.pk}/questions"
    page = staff_client.get(url).content.decode()
    assert "保存すると第2版になり" in page
    existing = saved(consultation)
    data = rows(
        *(
            {
                "key": q["key"],
                "ref": q["key"],
                "label": q["label"] + "（改）",
                "type": q["type"],
                "choices": "\n".join(q.get("choices", [])),
            }
            for q in existing
        )
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302
    form = Form.objects.get(pk=consultation.form_id)
    assert form.current_version.number == 2 and form.versions.get(number=1).schema == existing


@pytest.fixture
def consultation_with_comment(department, fake_line_api):
    from tests.fixtures.line import FriendFactory

    consultation = make_consultation(department=department)
    submit(consultation, FriendFactory(), COMMENT)
    return consultation
