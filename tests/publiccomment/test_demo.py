"""The demo city's consultation: 総合計画（案）への意見募集, open, with documents and a branch."""

import pytest

from civicline.publiccomment import demo
from civicline.publiccomment.models import Consultation
from tests.fixtures.core import DepartmentFactory

pytestmark = pytest.mark.django_db


def test_the_demo_consultation_is_open_and_seeding_is_idempotent():
    DepartmentFactory(code="koho", name="広報戦略課")

    demo.seed()
    demo.seed()

    consultation = Consultation.objects.get(title="総合計画（案）への意見募集")
    assert consultation.is_accepting() and consultation.documents.count() == 2
    labels = {q["label"]: q for q in consultation.form.questions}
    assert labels["修正案"]["condition"]["value"] == "修正の提案" and labels["お名前"]["personal"]
