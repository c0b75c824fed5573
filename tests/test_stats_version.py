"""The fingerprint keying the cached statistics (`grading.statistics.stats_version`) changes with
every kind of change of what the statistics read, and stays a fixed few index probes."""

import io
import json

import pytest

from curation.audit import audit_record
from grading.label_import import labels_import
from grading.models import Label, LabelHistory
from grading.statistics import stats_version
from tests.factories import BenchmarkFactory, LabelFactory, RaterFactory
from tests.grading_support import approved_version
from tests.release_support import media  # noqa: F401 (fixture)
from tests.test_audit_trail import WRITES, world  # noqa: F401 (fixture)

# The services changing what the statistics read, driven through the audit trail's scenarios
# (tests/test_audit_trail.py checks each records its audit event of the benchmark).
STATISTICS_INPUTS = [
    # human labels and the graders' table
    "label_set",
    "assignment_submit",
    "labels_import",  # also each batch of a judge run (runner.judging.labels_write)
    "grader_exclude",
    # the gold set
    "consensus_refresh",
    "adjudication_decide",
    "adjudication_flag",  # drops the criterion's consensus
    # the rubric rows: responses, cases and their criteria
    "responses_import",
    "cases_import",
    "review_decide",
    "case_version_restore",
    "case_retire",
    "criterion_update",
    # cuts by facet and term
    "case_version_save_draft",
    "facet_create",
    "facet_update",
    "facet_delete",
    "term_create",
    "term_update",
    "term_delete",
]


@pytest.mark.parametrize("name", STATISTICS_INPUTS)
def test_each_service_changing_the_statistics_changes_the_version(world, name):  # noqa: F811
    scenario, _actions = WRITES[name]
    call = scenario(world)
    before = stats_version(world.benchmark)

    call()

    assert stats_version(world.benchmark) != before


def test_another_benchmarks_event_leaves_the_version(benchmark, manager):
    before = stats_version(benchmark)
    other = BenchmarkFactory()

    audit_record(actor=manager, action="facet.create", obj=other, benchmark=other)

    assert stats_version(benchmark) == before


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda label: LabelFactory(), id="new-label"),
        pytest.param(
            lambda label: LabelHistory.objects.create(label=label, met=not label.met),
            id="label-history",
        ),
        pytest.param(lambda label: RaterFactory(), id="new-rater"),
    ],
)
def test_rows_written_outside_the_services_change_the_version(benchmark, write):
    label = LabelFactory()
    before = stats_version(benchmark)

    write(label)

    assert stats_version(benchmark) != before


def test_a_label_updated_in_place_by_an_import_changes_the_version(benchmark, manager):
    """As a judge run labelling an item again: no new label row, the import's event."""
    approved_version(benchmark, "CC-0900", criteria=1, models=("model-a",))

    def judged(met: bool):
        line = {
            "case": "CC-0900",
            "model": "model-a",
            "criterion": "c01",
            "rater": "judge-x",
            "rater_kind": "judge",
            "version": "v1",
            "met": met,
        }
        file = io.BytesIO((json.dumps(line) + "\n").encode())
        labels_import(benchmark=benchmark, file=file, actor=manager, filename="judge.jsonl")

    judged(True)
    label = Label.objects.get()
    before = stats_version(benchmark)

    judged(False)

    assert Label.objects.get().pk == label.pk
    assert stats_version(benchmark) != before


def test_the_version_is_one_query(benchmark, django_assert_num_queries):
    LabelFactory()
    with django_assert_num_queries(1):
        stats_version(benchmark)
