"""Segment conditions (SD-3, SD-13, SD-14): AND / OR / NOT trees over topics, areas, ages, gender and
children's ages, evaluated as one database query; pluggable condition types (SV-6 later)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import QueryDict

from civicline.core import features
from civicline.delivery import conditions, selectors
from civicline.delivery.models import Child
from civicline.line.models import Friend
from tests.delivery.factories import (
    AreaFactory,
    TopicFactory,
    area_leaf,
    child_age_leaf,
    group,
    resident,
    topic_leaf,
)

pytestmark = pytest.mark.django_db

SEND_DAY = date(2026, 6, 15)


def matching(tree, on=SEND_DAY) -> set[int]:
    return set(
        Friend.objects.filter(conditions.q(conditions.clean(tree), on=on)).values_list("pk", flat=True)
    )


@pytest.fixture
def kosodate():
    return TopicFactory(name="子育て")


@pytest.fixture
def bousai():
    return TopicFactory(name="防災")


def test_topic_and_area_combine_with_and_or_and_not(kosodate, bousai):
    north, south = AreaFactory(name="北部"), AreaFactory(name="南部")
    a = resident(topics=[kosodate], area=north)
    b = resident(topics=[kosodate, bousai], area=south)
    c = resident(topics=[bousai], area=north)
    d = resident()

    assert matching(group(topic_leaf(kosodate))) == {a.pk, b.pk}
    assert matching(group(topic_leaf(kosodate), area_leaf(north))) == {a.pk}
    assert matching(group(topic_leaf(kosodate), area_leaf(north), op="or")) == {a.pk, b.pk, c.pk}
    # NOT includes residents who registered nothing: they do not meet the condition either.
    assert matching(group(topic_leaf(kosodate, negate=True))) == {c.pk, d.pk}
    assert matching(
        group(topic_leaf(kosodate), group(area_leaf(south), topic_leaf(bousai), negate=True))
    ) == {a.pk}


def test_a_child_aged_0_to_2_on_the_send_date_counts_by_birth_month():
    """A child counts one year older from the first day of the birth month (only the month is queryable)."""
    baby = resident(children=[date(2026, 5, 30)])
    almost_three = resident(children=[date(2023, 7, 20)])  # 3 in July 2026: still 0–2 in June
    three_this_month = resident(children=[date(2023, 6, 30)])  # birth month reached: counted as 3
    five = resident(children=[date(2021, 1, 1)])
    siblings = resident(children=[date(2021, 1, 1), date(2025, 1, 1)])
    resident()

    assert matching(group(child_age_leaf(0, 2))) == {baby.pk, almost_three.pk, siblings.pk}
    assert matching(group(child_age_leaf(3, 5))) == {three_this_month.pk, five.pk, siblings.pk}
    assert matching(group(child_age_leaf(3, None))) == {three_this_month.pk, five.pk, siblings.pk}


def test_the_send_date_decides_a_child_age():
    born = resident(children=[date(2024, 3, 10)])

    assert matching(group(child_age_leaf(0, 2)), on=date(2027, 2, 28)) == {born.pk}
    assert matching(group(child_age_leaf(0, 2)), on=date(2027, 3, 1)) == set()


def test_own_age_comes_from_the_birth_year_and_gender_from_the_choice():
    young = resident(birth_year=1996, gender="female")  # 30 in 2026
    older = resident(birth_year=1980, gender="male")
    resident(gender="")

    assert matching(group({"kind": "age", "min": 20, "max": 39})) == {young.pk}
    assert matching(group({"kind": "age", "min": 40, "max": None})) == {older.pk}
    assert matching(group({"kind": "gender", "genders": ["male", "other"]})) == {older.pk}


def test_born_between_months_targets_a_school_year():
    april = resident(children=[date(2019, 4, 2)])
    march = resident(children=[date(2020, 3, 31)])
    resident(children=[date(2020, 4, 1)])

    assert matching(group({"kind": "child_born", "from": "2019-04", "to": "2020-03"})) == {april.pk, march.pk}


def test_counting_a_segment_is_a_fixed_number_of_queries_whatever_the_friends(
    kosodate, django_assert_max_num_queries
):
    """SD-13 without a query per friend: the count is one SQL query over the tables."""
    tree = conditions.clean(group(topic_leaf(kosodate), child_age_leaf(0, 2)))
    for _ in range(30):
        resident(topics=[kosodate], children=[date(2025, 1, 1)])
    resident(topics=[kosodate], children=[date(2025, 1, 1)], blocked=True)

    with django_assert_max_num_queries(3) as captured:
        count = selectors.audience_count(conditions.q(tree, on=SEND_DAY))

    assert (count.following, count.blocked) == (30, 1)
    # One query; on PostgreSQL the planner settings around it (selectors.friend_order_plans).
    assert sum(q["sql"].startswith("SELECT") for q in captured.captured_queries) == 1


def test_birth_dates_are_sealed_and_only_the_month_is_plain(kosodate):
    from django.db import connection

    resident(children=[date(2025, 2, 14)])
    with connection.cursor() as cursor:
        cursor.execute("SELECT birth_date, birth_month FROM delivery_child")
        sealed, month = cursor.fetchone()
    assert "2025-02-14" not in sealed and str(month) == "2025-02-01"
    assert Child.objects.get().birth_date == "2025-02-14"


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"op": "and", "items": []}, "グループに条件を1つ以上"),
        ({"op": "xor", "items": []}, "組み合わせ方"),
        (group({"kind": "topic", "topics": []}), "分野を1つ以上"),
        (group({"kind": "topic", "topics": [999999]}), "存在しない"),
        (group({"kind": "child_age", "min": 3, "max": 1}), "小さい方から"),
        (group({"kind": "child_age", "min": "", "max": ""}), "範囲を入力"),
        (group({"kind": "age", "min": "abc", "max": 3}), "数字で"),
        (group({"kind": "child_born", "from": "2020/04", "to": ""}), "2024-04"),
        (group({"kind": "gender", "genders": ["no_answer"]}), "性別の指定"),
        (group({"kind": "nonsense"}), "ありません"),
        (group(group(group(group(topic_leaf())))), "段まで"),
        ("not a tree", "形式"),
    ],
)
def test_bad_trees_are_refused_in_japanese(tree, message):
    with pytest.raises(ValidationError) as exc:
        conditions.clean(tree)
    assert message in " ".join(exc.value.messages)


def test_the_tree_in_words_and_its_positive_topics(kosodate, bousai):
    tree = conditions.clean(
        group(topic_leaf(kosodate), child_age_leaf(0, 2), topic_leaf(bousai, negate=True))
    )

    assert (
        conditions.describe(tree)
        == "「子育て」を受け取る かつ 配信日に0〜2歳の子どもがいる かつ 「「防災」を受け取る」ではない"
    )
    assert conditions.topic_ids(tree) == {kosodate.pk}


def test_the_editor_posts_a_tree_by_node_paths_and_edits_it(kosodate):
    posted = QueryDict(mutable=True)
    posted.update(
        {
            "c-type": "or",
            "c.0-type": "topic",
            "c.1-type": "and",
            "c.1-not": "on",
            "c.1.0-type": "child_age",
            "c.1.0-min": "0",
            "c.1.0-max": "2",
        }
    )
    posted.setlist("c.0-topics", [str(kosodate.pk)])

    tree = conditions.from_post(posted)

    assert conditions.clean(tree) == {
        "op": "or",
        "negate": False,
        "items": [
            {"kind": "topic", "negate": False, "topics": [kosodate.pk]},
            {
                "op": "and",
                "negate": True,
                "items": [{"kind": "child_age", "negate": False, "min": 0, "max": 2}],
            },
        ],
    }
    conditions.edit(tree, "add:c.1", "area")
    conditions.edit(tree, "remove:c.0")
    assert [i.get("kind") for i in tree["items"][0]["items"]] == ["child_age", "area"]
    assert conditions.edit(tree, "remove:c", "") is tree and len(tree["items"]) == 1  # the root stays


def test_features_can_offer_their_own_condition_in_their_manifest(kosodate, monkeypatch):
    """SV-6: surveys add "answered X" this way."""

    class FollowedRecently(conditions.ConditionType):
        key = "test_followed"
        label = "テスト"

        def from_post(self, posted):
            return {}

        def clean(self, params):
            return {}

        def q(self, params, *, on):
            return Q(pk__in=Friend.objects.filter(display_name__isnull=False).values("pk")[:1])

        def describe(self, params, names):
            return "最近友だちになった"

    first = resident()
    offering = features.Feature(key="testfeature", label="テスト", segment_conditions=(FollowedRecently(),))
    monkeypatch.setattr(features, "_features", {**features._features, offering.key: offering})

    assert "test_followed" in [c.key for c in conditions.types()]  # the segment editor offers it
    assert matching(group({"kind": "test_followed"})) == {first.pk}
    assert conditions.describe(conditions.clean(group({"kind": "test_followed"}))) == "最近友だちになった"
