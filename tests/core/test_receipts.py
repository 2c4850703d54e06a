"""Receipt numbers (受付番号): what a resident reads out on the phone must be typed back right."""

from __future__ import annotations

import re

import pytest

from civicline.core import receipts
from civicline.core.receipts import ReceiptPrefix, receipt_number_new
from civicline.line.direct import receipt_key
from civicline.reports.models import Report
from tests.reports.factories import ReportFactory

pytestmark = pytest.mark.django_db


def test_a_number_says_what_it_is_for_and_has_no_confusable_characters():
    number = receipt_number_new(prefix=ReceiptPrefix.REPORT, model=Report)

    assert re.fullmatch(r"R-[A-Z2-9]{4}-[A-Z2-9]{4}", number)
    assert not set(number) & set("01IO")


def test_every_feature_has_a_prefix_of_its_own():
    prefixes = [prefix.value for prefix in ReceiptPrefix]

    assert len(set(prefixes)) == len(prefixes)


def test_a_number_already_given_is_drawn_again(monkeypatch):
    ReportFactory(receipt_number="R-AAAA-AAAA")
    draws = iter("A" * 8 + "B" * 8)
    monkeypatch.setattr(receipts.secrets, "choice", lambda alphabet: next(draws))

    assert receipt_number_new(prefix=ReceiptPrefix.REPORT, model=Report) == "R-BBBB-BBBB"


@pytest.mark.parametrize("typed", ["r-abcd-efgh", "Ｒ－ＡＢＣＤ－ＥＦＧＨ", "R ABCD EFGH", "RABCDEFGH"])
def test_a_number_typed_by_staff_matches_however_it_was_typed(typed):
    assert receipt_key(typed) == receipt_key("R-ABCD-EFGH")


def test_numbers_issued_before_the_prefixes_still_compare():
    assert receipt_key("abcd-efgh") == receipt_key("ABCD-EFGH") != receipt_key("C-ABCD-EFGH")
