"""Label matrices straight from the database: what counts, joined rubric rows, query counts."""

import sqlite3

import numpy as np
import pytest
from django.db import connection

from grading import stats_selectors as selectors
from grading.stats import rubric_rows
from tests.factories import CriterionFactory
from tests.stats_support import POINTS, build


@pytest.fixture
def example(benchmark):
    return build(benchmark)


def test_rubric_rows_hold_every_criterion_of_every_response(example, django_assert_num_queries):
    with django_assert_num_queries(2):
        columns = selectors.response_columns(example.benchmark)
        columns |= selectors.criterion_columns(example.benchmark)
    rubric = rubric_rows(**columns)
    assert len(rubric) == 6 * len(POINTS)
    response = example.responses["model-b", 3]
    rows = rubric.response == response.pk
    assert sorted(rubric.criterion[rows].tolist()) == sorted(c.pk for c in example.criteria[3])
    assert set(rubric.model[rows].tolist()) == {response.model_id}
    assert set(rubric.case[rows].tolist()) == {example.versions[3].case_id}
    assert sorted(rubric.points[rows].tolist()) == sorted(POINTS)


def test_human_labels_count_once_submitted_or_imported(example, django_assert_num_queries):
    with django_assert_num_queries(2):  # the human raters' ids, their labels
        humans = selectors.human_labels(example.benchmark)
    names = selectors.rater_names(np.unique(humans.rater))
    # gr3's labels belong to an unsubmitted assignment.
    assert sorted(names.values()) == ["gr1", "gr2"]
    assert len(humans) == 16
    assert set(humans.met.tolist()) == {0.0, 1.0}


def test_submitting_the_assignment_makes_its_labels_count(example):
    from django.utils import timezone

    from grading.models import Assignment

    Assignment.objects.update(submitted_at=timezone.now())
    humans = selectors.human_labels(example.benchmark)
    assert len(humans) == 24


def test_judge_labels_on_consensus_items_only(example, django_assert_num_queries):
    judges = selectors.judge_raters(example.benchmark)
    assert sorted(judges.values()) == ["judge-x", "judge-y"]
    with django_assert_num_queries(2):  # the judges' ids, their labels
        on_gold = selectors.judge_labels(example.benchmark, on_consensus=True)
    # judge-x labelled model-a's 12 items, all with consensus; judge-y's item has none.
    assert len(on_gold) == 12
    assert len(selectors.judge_labels(example.benchmark)) == 13


def test_judge_labels_of_the_chosen_judges_in_this_benchmark_only(example):
    from django.utils import timezone

    from grading.models import Consensus, Rater
    from tests.factories import CriterionFactory, ResponseFactory
    from tests.stats_support import label

    judges = {key: pk for pk, key in selectors.judge_raters(example.benchmark).items()}
    # judge-x also labels an item of another benchmark that has a consensus label there.
    elsewhere = ResponseFactory()
    criterion = CriterionFactory(version=elsewhere.case_version)
    label(Rater.objects.get(pk=judges["judge-x"]), elsewhere, criterion, True)
    Consensus.objects.create(
        benchmark=elsewhere.case_version.case.benchmark,
        response=elsewhere,
        criterion=criterion,
        met=True,
        method=Consensus.Method.UNANIMOUS,
        decided_at=timezone.now(),
    )
    assert len(selectors.judge_labels(example.benchmark)) == 13
    assert len(selectors.judge_labels(example.benchmark, on_consensus=True)) == 12
    human = Rater.objects.get(name="gr1")
    chosen = selectors.judge_labels(example.benchmark, raters=[judges["judge-y"], human.pk])
    assert chosen.rater.tolist() == [judges["judge-y"]]  # a human rater is not a judge
    assert len(selectors.judge_labels(example.benchmark, raters=[human.pk])) == 0


def test_several_versions_of_a_judge_keep_the_name_for_the_latest(example):
    from grading.models import Rater
    from tests.stats_support import label

    newer = Rater.objects.create(kind=Rater.Kind.JUDGE, name="judge-x", version="2")
    label(newer, example.responses["model-a", 1], example.criteria[1][0], True)
    keys = sorted(selectors.judge_raters(example.benchmark).values())
    assert keys == ["judge-x", "judge-x@1", "judge-y"]


def test_consensus_and_facet_terms(example, django_assert_num_queries):
    with django_assert_num_queries(1):
        gold = selectors.consensus_labels(example.benchmark)
    assert len(gold) == 19  # 12 + 4 + 3
    facet = example.benchmark.facets.get(key="difficulty")
    with django_assert_num_queries(2):
        terms, version, _ = selectors.facet_terms(facet)
    assert list(terms.values()) == ["low", "high"]
    assert version.size == 4  # case 2 carries both terms


@pytest.fixture
def few_sql_variables():
    """SQLite refuses statements binding more variables than its limit (32,766 by default):
    lowered to 8 here, so that a query binding one per criterion fails with a dozen criteria."""
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    limit = sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER
    before = connection.connection.getlimit(limit)
    connection.connection.setlimit(limit, 8)
    yield
    connection.connection.setlimit(limit, before)


def test_criterion_tags_are_read_by_benchmark_not_by_a_list_of_criteria(
    example, few_sql_variables, django_assert_num_queries
):
    CriterionFactory(tags=["axis:accuracy"])  # another benchmark's
    CriterionFactory(version=example.versions[1], key="c9", position=9, tags=[])

    with django_assert_num_queries(1):
        tags = selectors.criterion_tags(example.benchmark)

    assert tags == {c.pk: c.tags for criteria in example.criteria.values() for c in criteria}
    assert len(tags) == 12
